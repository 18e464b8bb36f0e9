/**
 * Runs rules over events and writes alerts: each its own NDJSON record (or
 * text line) right after its source event, carrying enough of the source to
 * read on its own: time, process, executable, and the path or address.
 * Built-in detections, TOML rules and Sigma rules run here, and their
 * alerts share one shape (Sigma's add the rule's level, status, tags,
 * authors and file).
 */
import { recordTsNs } from '../../abi/header-access.js';
import { type CutReader } from '../../abi/cut-strings.js';
import { BUILD_SCHEMA, type KindLayout, type Schema } from '../../abi/schema.js';
import { type AlertLine } from '../../output/sinks.js';
import { CUT_ARGV, CUT_EXE, PIPE_ENDS, PIPES, type ProcessNode, type ProcessTable } from '../process-table.js';
import { SIGMA_LIMITS } from '../../sigma/limits.js';
import { TRUE, UNKNOWN } from '../../common/kleene.js';
import { NAMES_PER_PROCESS, type NetState } from '../net/net-state.js';
import { type SigmaRunner } from '../sigma/runner.js';
import { type RecordSource } from '../sigma/record-view.js';
import { type CompiledRule } from './evaluate.js';
import { derivedFrom } from './builtin.js';
import { cutReaders, RecordFacts } from './facts.js';
import { type FactSource, type FactValue, type Match } from './model.js';
import { compileKindRule, filePathGate, RecordEpoch, type RecordPredicate } from './record-rules.js';

/** A rule compiled for one kind's records. */
interface KindRule {
  readonly rule: CompiledRule;
  readonly test: RecordPredicate;
  /** It holds only for records with a written or wiped path (KindRulePredicate). */
  readonly needsFilePath: boolean;
}

export interface Alert extends AlertLine {
  readonly event_type: 'alert';
  readonly rule_id: string;
  readonly severity: string;
  readonly title: string;
  /** ATT&CK technique ids of the rule (absent when it names none). */
  readonly attack?: readonly string[];
  readonly time: string | null;
  readonly source: { event_type: string; ts_ns: string; pid: number; tid: number };
  readonly process: { pid: number; ppid: number; uid: number; comm: string; exe: string | null; argv: string[] | null };
  /**
   * Present on the alert that lists rules an event left undecided (`rules`: they may have matched, and
   * could not be judged): the fields whose values the capture cut.
   */
  readonly undecided?: readonly string[];
  readonly [fact: string]: unknown;
}

/**
 * Facts copied into an alert so it reads on its own, when the source event has them. A path goes with its
 * flags: `lexical` says it names a spelling (joined past names the kernel may have followed), `truncated`
 * that it was made from a cut name, so not necessarily the file changed.
 */
const KEY_FACTS = [
  'path', 'path_flags', 'path_arg', 'open_flags', 'old_path', 'old_path_flags', 'new_path', 'new_path_flags', 'target', 'target_flags', 'mode', 'mode_text', 'call', 'request', 'signal_name', 'name',
  'target_pid', 'target_tgid', 'target_comm', 'old_uid', 'old_euid', 'new_uid', 'new_euid', 'fstype',
  'result', 'error', 'filename', 'exe_path', 'cwd', 'argv', 'addr', 'port', 'family', 'peer_addr', 'peer_port', 'dst_hostname',
  'dns.names', 'io_uring', 'result_unseen', 'parent.exe',
];
const KEY_NAMES: Record<string, string> = { 'parent.exe': 'parent_exe', 'dns.names': 'dns_names' };

/** An alert of rule `ruleId` (evidence of the ATT&CK techniques `attack`) on the event `facts` describe. */
export function alertFromFacts(ruleId: string, severity: string, title: string, facts: FactSource, time: string | null, attack: readonly string[] = []): Alert {
  const alert: Record<string, unknown> = {
    event_type: 'alert', rule_id: ruleId, severity, title, ...(attack.length > 0 ? { attack } : {}), time,
    source: { event_type: facts.get('event_type'), ts_ns: String(facts.get('ts_ns')), pid: facts.get('pid'), tid: facts.get('tid') },
    process: {
      pid: facts.get('pid'), ppid: facts.get('ppid'), uid: facts.get('uid'), comm: facts.get('comm'),
      exe: facts.get('process.exe') ?? null, argv: facts.get('process.argv') ?? null,
    },
  };
  for (const key of KEY_FACTS) {
    const v = facts.get(key);
    const name = KEY_NAMES[key] ?? key;
    // A fact never replaces the alert's own keys (an event field named `source` or `time`).
    if (v !== undefined && v !== null && v !== false && !(name in alert)) alert[name] = v;
  }
  return alert as unknown as Alert;
}

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

export class AlertEngine {
  readonly countsByRule = new Map<string, number>();
  /** Alerts that are undecided matches (a value the rule reads was cut: `undecided`), not counted in countsByRule. */
  undecidedCount = 0;
  private readonly facts: RecordFacts;
  /** The rules that can match each kind, compiled for its records at its first one. */
  private readonly rulesByKind: (readonly KindRule[] | undefined)[] = [];
  /** Per kind: whether a record has a written or wiped path (null: none of its rules needs one). */
  private readonly gateByKind: (((b: Uint8Array, at: number) => boolean) | null)[] = [];
  /**
   * Per kind: whether a record has a value some of its rules read that the capture cut (null: none can be);
   * such a record's rules are judged in three values (evaluateCut).
   */
  private readonly cutByKind: (((b: Uint8Array, at: number, node: ProcessNode | null) => boolean) | null)[] = [];
  private readonly epoch = new RecordEpoch();

  constructor(private readonly rules: readonly CompiledRule[], readonly sigma: SigmaRunner | null = null, readonly schema: Schema = BUILD_SCHEMA) {
    this.facts = new RecordFacts(schema);
  }

  /** Some rule reads one of `keys`. */
  private reads(...keys: string[]): boolean {
    const inMatch = (m: Match) => keys.some((k) => k in m);
    return this.rules.some((r) => inMatch(r.rule.match) || r.rule.any.some(inMatch));
  }

  /**
   * What the detections could not keep, a line each (none when they kept everything): Sigma correlation
   * groups dropped past their limit; pipes the process table let go, when a rule reads pipes; names
   * resolved that the network state let go, when a rule reads the name a connect's address came from.
   */
  limitWarnings(table: ProcessTable | null, net: NetState | null): string[] {
    const out: string[] = [];
    const dropped = this.sigma?.droppedCorrelationGroups ?? 0;
    if (dropped > 0) {
      out.push(`warning: ${dropped} Sigma correlation groups were dropped, the oldest of more than ${SIGMA_LIMITS.maxCorrelationGroups} open at once: `
        + 'correlations over them may be missed');
    }
    if (table !== null && this.reads('stdin_from.exe', 'stdout_to.exe') && table.forgottenPipes + table.forgottenPipeEnds > 0) {
      out.push(`warning: rules on stdin_from.exe or stdout_to.exe may miss a pair: replay let go of ${table.forgottenPipes} pipes and `
        + `${table.forgottenPipeEnds} processes on pipe ends (it keeps the last ${PIPES} pipes of a host, ${PIPE_ENDS} processes on each end)`);
    }
    const hostnames = this.reads('dst_hostname') || (this.sigma?.hasRulesFor('network_connection') ?? false);
    if (net !== null && hostnames && net.forgottenNames > 0) {
      out.push(`warning: rules on the name a connection's address was resolved from (dst_hostname, Sigma's DestinationHostname) may miss it: `
        + `replay let go of ${net.forgottenNames} resolved addresses (it keeps the last ${NAMES_PER_PROCESS} of each process)`);
    }
    return out;
  }

  get empty(): boolean {
    return this.rules.length === 0 && (this.sigma === null || this.sigma.ruleCount === 0);
  }

  /** Alerts of the built-in and TOML rules on one event's facts. */
  evaluate(facts: FactSource, time: string | null): Alert[] {
    const type = facts.get('event_type') as string;
    const out: Alert[] = [];
    for (const r of this.rules) {
      if (!r.appliesTo(type) || !r.test(facts)) continue;
      out.push(this.count(alertFromFacts(r.rule.id, r.rule.severity, r.rule.title, facts, time, r.rule.attack)));
    }
    return out;
  }

  /**
   * Alerts of every rule on one record (usually none: nothing is decoded
   * unless a rule matches). `schemaVersion` is the version its capture was
   * written with (the `schema_version` fact); `unknown` lists the fields a
   * record rebuilt from another version's layout does not have (absent
   * facts): such records take the rules over facts, which know absence.
   * `extra`: facts only hindsight gives (replay/net: a DNS record's names, a
   * shell's recent connect, io_uring's first use); `dstHostname`: the name the
   * event's address was resolved from.
   */
  evaluateRecord(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, source: RecordSource,
    schemaVersion: number = this.schema.version, unknown: readonly string[] | null = null,
    extra: ReadonlyMap<string, FactValue> | null = null, dstHostname?: string): readonly Alert[] {
    if (unknown !== null && unknown.length > 0) return this.evaluateByFacts(kindId, bytes, at, node, source, schemaVersion, unknown, extra, dstHostname);
    const rules = this.rulesByKind[kindId] ?? this.compileFor(kindId);
    const sigma = this.sigma !== null && this.sigma.offers(kindId) ? this.sigma : null;
    // No rule can match this kind, and no Sigma rule to offer it to: the common case of most events.
    if (rules.length === 0 && sigma === null) return NO_ALERTS;
    const cut = this.cutByKind[kindId];
    if (rules.length > 0 && cut !== null && cut(bytes, at, node)) return this.evaluateByFacts(kindId, bytes, at, node, source, schemaVersion, null, extra, dstHostname);
    this.epoch.n++;
    this.epoch.schemaVersion = schemaVersion;
    this.epoch.extra = extra;
    this.epoch.dstHostname = dstHostname;
    let own: Alert[] | null = null;
    let facts: RecordFacts | null = null;
    const gate = this.gateByKind[kindId];
    // Whether the record has a written or wiped path: 0 not yet asked, 1 yes, 2 no (its rules on file paths are skipped).
    let filePath = 0;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.needsFilePath && gate !== null) {
        if (filePath === 0) filePath = gate(bytes, at) ? 1 : 2;
        if (filePath === 2) continue;
      }
      if (!r.test(bytes, at, node)) continue;
      facts ??= this.facts.reset(kindId, bytes, at, node, schemaVersion, null, extra, dstHostname);
      const time = source.clock === null ? null : source.clock.format(recordTsNs(bytes, at));
      const rule = r.rule.rule;
      (own ??= []).push(this.count(alertFromFacts(rule.id, rule.severity, rule.title, facts, time, rule.attack)));
    }
    if (sigma === null) return own ?? NO_ALERTS;
    const hits = sigma.evaluate(kindId, bytes, at, node, source, facts ?? this.facts.reset(kindId, bytes, at, node, schemaVersion, null, extra, dstHostname));
    if (hits.length === 0) return own ?? NO_ALERTS;
    for (const a of hits) this.count(a);
    return own === null ? hits : [...own, ...hits];
  }

  /**
   * The rules over facts (the reference), judged in three values: for records
   * whose facts may be unknown (`unknown`: rebuilt from another schema
   * version) or cut (a value a rule reads that the capture cut). TRUE alerts;
   * UNKNOWN (the answer lies in the cut rest: `suffix` on a cut path, a
   * `contains` not in the kept beginning) is an undecided alert naming the
   * facts that were cut (`undecided`), not counted as the rule's.
   */
  private evaluateByFacts(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, source: RecordSource,
    schemaVersion: number, unknown: readonly string[] | null, extra: ReadonlyMap<string, FactValue> | null, dstHostname: string | undefined): readonly Alert[] {
    const facts = this.facts.reset(kindId, bytes, at, node, schemaVersion, unknown, extra, dstHostname);
    const type = this.schema.byId[kindId]!.eventType;
    let own: Alert[] | null = null;
    for (const r of this.rules) {
      if (!r.appliesTo(type)) continue;
      const v = r.judge(facts);
      if (v !== TRUE && v !== UNKNOWN) continue;
      const time = source.clock === null ? null : source.clock.format(recordTsNs(bytes, at));
      const a = alertFromFacts(r.rule.id, r.rule.severity, r.rule.title, facts, time, r.rule.attack) as Record<string, unknown>;
      if (v === UNKNOWN) a.undecided = r.reads.filter((k) => facts.cut(k) !== 0);
      (own ??= []).push(this.count(a as unknown as Alert));
    }
    if (this.sigma === null) return own ?? NO_ALERTS;
    const sigma = this.sigma.evaluate(kindId, bytes, at, node, source, facts);
    for (const a of sigma) this.count(a);
    return own === null ? sigma : [...own, ...sigma];
  }

  private compileFor(kindId: number): readonly KindRule[] {
    const kind = this.schema.byId[kindId]!;
    const out: KindRule[] = [];
    for (const rule of this.rules) {
      const compiled = compileKindRule(rule.rule, kind, this.epoch, this.schema);
      if (compiled !== null) out.push({ rule, test: compiled.test, needsFilePath: compiled.needsFilePath });
    }
    this.gateByKind[kindId] = out.some((r) => r.needsFilePath) ? filePathGate(kind, this.epoch, this.schema) : null;
    this.cutByKind[kindId] = cutCheck(kind, out.flatMap((r) => r.rule.reads));
    this.rulesByKind[kindId] = out;
    return out;
  }

  /** Alerts decided at the end of input (Sigma correlation windows still open). */
  finish(): Alert[] {
    return this.sigma === null ? [] : this.sigma.finish().map((a) => this.count(a));
  }

  private count(a: Alert): Alert {
    if (a.undecided !== undefined) this.undecidedCount++;
    else this.countsByRule.set(a.rule_id, (this.countsByRule.get(a.rule_id) ?? 0) + 1);
    return a;
  }
}

/**
 * Whether a record of `kind` has a value one of `keys` reads that the capture
 * cut (a string of the record, a fact made from one, the process's or
 * parent's cut exe or argv); null when none of them can be cut.
 */
function cutCheck(kind: KindLayout, keys: readonly string[]): ((b: Uint8Array, at: number, node: ProcessNode | null) => boolean) | null {
  const record = cutReaders(kind);
  const readers = new Set<CutReader>();
  let node = 0;
  let parent = 0;
  for (const key of new Set(keys)) {
    for (const k of [key, ...derivedFrom(key, kind.eventType, 1), ...derivedFrom(key, kind.eventType, 2), ...(key === 'written_path' ? ['old_path'] : [])]) {
      const r = record.get(k);
      if (r !== undefined) readers.add(r);
    }
    if (key === 'process.exe') node |= CUT_EXE;
    if (key === 'process.argv') node |= CUT_ARGV;
    if (key === 'parent.exe') parent |= CUT_EXE;
  }
  const list = [...readers];
  if (list.length === 0 && node === 0 && parent === 0) return null;
  return (b, at, n) => {
    for (let i = 0; i < list.length; i++) if (list[i](b, at)) return true;
    return n !== null && ((n.cut & node) !== 0 || (n.parent !== null && (n.parent.cut & parent) !== 0));
  };
}
