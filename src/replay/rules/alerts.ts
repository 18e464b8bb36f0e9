/**
 * Runs rules over events and writes alerts: each its own NDJSON record (or
 * text line) right after its source event, carrying enough of the source to
 * read on its own: time, process, executable, and the path or address.
 */
import { type AlertLine } from '../../output/sinks.js';
import { type Facts } from './model.js';
import { type CompiledRule } from './evaluate.js';

export interface Alert extends AlertLine {
  readonly event_type: 'alert';
  readonly rule_id: string;
  readonly severity: string;
  readonly title: string;
  readonly time: string | null;
  readonly source: { event_type: string; ts_ns: string; pid: number; tid: number };
  readonly process: { pid: number; ppid: number; uid: number; comm: string; exe: string | null; argv: string[] | null };
  readonly [fact: string]: unknown;
}

/** Facts copied into an alert so it reads on its own, when the source event has them. */
const KEY_FACTS = ['path', 'open_flags', 'result', 'error', 'filename', 'argv', 'addr', 'port', 'family', 'parent.exe'];

export class AlertEngine {
  readonly countsByRule = new Map<string, number>();
  constructor(private readonly rules: readonly CompiledRule[]) {}

  get empty(): boolean {
    return this.rules.length === 0;
  }

  evaluate(facts: Facts, time: string | null): Alert[] {
    const type = facts.get('event_type') as string;
    const out: Alert[] = [];
    for (const r of this.rules) {
      if (!r.appliesTo(type) || !r.test(facts)) continue;
      this.countsByRule.set(r.rule.id, (this.countsByRule.get(r.rule.id) ?? 0) + 1);
      const alert: Record<string, unknown> = {
        event_type: 'alert', rule_id: r.rule.id, severity: r.rule.severity, title: r.rule.title, time,
        source: { event_type: type, ts_ns: String(facts.get('ts_ns')), pid: facts.get('pid'), tid: facts.get('tid') },
        process: {
          pid: facts.get('pid'), ppid: facts.get('ppid'), uid: facts.get('uid'), comm: facts.get('comm'),
          exe: facts.get('process.exe') ?? null, argv: facts.get('process.argv') ?? null,
        },
      };
      for (const key of KEY_FACTS) {
        const v = facts.get(key);
        if (v !== undefined && v !== null) alert[key === 'parent.exe' ? 'parent_exe' : key] = v;
      }
      out.push(alert as unknown as Alert);
    }
    return out;
  }
}
