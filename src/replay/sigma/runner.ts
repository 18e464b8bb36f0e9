/**
 * Sigma rules in replay: loads them for rand-guard's log sources, offers
 * each record to the engine through one reused view, and turns matches into
 * alerts of the same shape as the built-in detections' (plus the Sigma
 * rule's level, status, tags, authors and file).
 */
import { recordTsNs } from '../../abi/header-access.js';
import { BUILD_SCHEMA, type Schema } from '../../abi/schema.js';
import { CliError, ExitCode } from '../../common/exit-codes.js';
import { formatCheckLine } from '../../sigma/check.js';
import { SigmaEngine, type SigmaHit } from '../../sigma/engine.js';
import { loadSigmaRules, SigmaPathError, type SigmaRuleSet } from '../../sigma/load.js';
import { type RuleInfo } from '../../sigma/rule.js';
import { type ProcessNode } from '../process-table.js';
import { type Alert, alertFromFacts } from '../rules/alerts.js';
import { eventFacts } from '../rules/facts.js';
import { type FactSource } from '../rules/model.js';
import { sigmaLogSources } from './log-sources.js';
import { type RecordRef, type RecordSource, RecordView } from './record-view.js';

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

/** Loads Sigma rules for rand-guard's events; a missing path is a command-line error (exit 3). */
export function loadReplaySigmaRules(paths: readonly string[], schema: Schema = BUILD_SCHEMA): SigmaRuleSet {
  try {
    return loadSigmaRules(paths, sigmaLogSources(schema));
  } catch (e) {
    if (e instanceof SigmaPathError) throw new CliError(e.message, ExitCode.Io);
    throw e;
  }
}

const SEVERITY: Record<string, string> = { informational: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];
/** The rule id of the alert that lists the Sigma rules an event left undecided (undecidedAlert). */
export const UNDECIDED_RULE_ID = 'sigma.undecided';

/** Sigma's identity for a rule: its id, else its name, else where it is. */
export function sigmaRuleId(r: RuleInfo): string {
  return r.id ?? r.name ?? `${r.file}#${r.document}`;
}

export class SigmaRunner {
  private readonly view: RecordView;
  private readonly engine: SigmaEngine;
  private readonly offered: (boolean | undefined)[] = [];

  constructor(readonly set: SigmaRuleSet, private readonly schema: Schema = BUILD_SCHEMA) {
    this.engine = new SigmaEngine(set);
    this.view = new RecordView(schema);
  }

  /** One line per rule that did not load (the rest of the command goes on). */
  notLoadedLines(): string[] {
    return this.set.reports.filter((r) => !r.loaded).map((r) => `sigma: ${formatCheckLine(r).replace(/^not loaded +/, 'not loaded: ')}`);
  }

  get ruleCount(): number {
    return this.set.detections.length + this.set.correlations.length;
  }

  /** Some loaded rule is for log source category `category` (network_connection, ...). */
  hasRulesFor(category: string): boolean {
    return this.engine.hasRulesFor(category);
  }

  /**
   * Whether a record of this kind can reach a rule: the kind has a Sigma log
   * source and some loaded rule is for it. (Most records are not: the alert
   * engine then spends nothing on them for Sigma.)
   */
  offers(kindId: number): boolean {
    let offered = this.offered[kindId];
    if (offered === undefined) {
      const category = this.schema.byId[kindId]?.sigma?.category;
      this.offered[kindId] = offered = category !== undefined && this.engine.hasRulesFor(category);
    }
    return offered;
  }

  /** Alerts for one record (usually none). */
  evaluate(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, source: RecordSource, facts: FactSource | null = null): readonly Alert[] {
    if (this.view.set(kindId, bytes, at, node, source, facts) === null) return NO_ALERTS;
    const hits = this.engine.evaluate(this.view);
    if (hits.length === 0) return NO_ALERTS;
    const out: Alert[] = [];
    let undecided: SigmaHit[] | null = null;
    for (const h of hits) {
      if (h.undecided !== null) (undecided ??= []).push(h);
      else out.push(h.eventRef === null ? this.alert(h, kindId, bytes, at, node, source, facts) : this.fromRef(h));
    }
    if (undecided !== null) out.push(this.undecidedAlert(undecided, kindId, bytes, at, node, source, facts));
    return out;
  }

  /**
   * The rules an event left undecided (a value they read was cut), as one
   * alert: a cut command line leaves every rule that looks only at it
   * undecided (16 of SigmaHQ's on each of the demo's long scripts), and one
   * line per rule would bury the alerts that were decided. It names each rule
   * (`rules`) and the cut fields (`undecided`); its severity is the highest of
   * theirs, so that a possible critical match is not ranked below a low one.
   */
  private undecidedAlert(hits: readonly SigmaHit[], kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, source: RecordSource, live: FactSource | null): Alert {
    const facts = live ?? eventFacts(kindId, bytes, at, node, this.schema);
    const time = source.clock !== null ? source.clock.format(recordTsNs(bytes, at)) : null;
    const levels = hits.map((h) => SEVERITY[h.rule.level ?? 'medium']);
    const severity = SEVERITY_ORDER.find((s) => levels.includes(s)) ?? 'medium';
    const fields = [...new Set(hits.flatMap((h) => h.undecided ?? []))].sort();
    const n = hits.length;
    const alert = alertFromFacts(UNDECIDED_RULE_ID, severity, `${n} Sigma rule${n === 1 ? '' : 's'} could not be judged: ${fields.join(', ')} cut by the capture`, facts, time) as Record<string, unknown>;
    alert.engine = 'sigma';
    alert.undecided = fields;
    alert.rules = hits.map((h) => ({ rule_id: sigmaRuleId(h.rule), title: h.rule.title, level: h.rule.level, rule_file: h.rule.file, undecided: h.undecided }));
    return alert as unknown as Alert;
  }

  /** Correlation windows still open at the end of the input. */
  finish(): Alert[] {
    return this.engine.finish().map((h) => this.fromRef(h));
  }

  get droppedCorrelationGroups(): number {
    return this.engine.droppedCorrelationGroups;
  }
  private fromRef(hit: SigmaHit): Alert {
    const ref = hit.eventRef as RecordRef | null;
    if (ref === null) throw new Error('sigma: a correlation decided after its event has no event reference');
    return this.alert(hit, ref.kindId, ref.bytes, 0, ref.node, ref.source);
  }

  /** `live`: the rule engine's facts of this very record (what replay's network state added too: dst_hostname, dns.names). */
  private alert(hit: SigmaHit, kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, source: RecordSource, live: FactSource | null = null): Alert {
    const r = hit.rule;
    const facts = live ?? eventFacts(kindId, bytes, at, node, this.schema);
    const time = source.clock !== null ? source.clock.format(recordTsNs(bytes, at)) : null;
    const alert = alertFromFacts(sigmaRuleId(r), SEVERITY[r.level ?? 'medium'], r.title, facts, time) as Record<string, unknown>;
    alert.engine = 'sigma';
    alert.level = r.level;
    alert.status = r.status;
    alert.tags = r.tags;
    alert.author = r.author;
    alert.rule_file = r.file;
    if (r.fields.length > 0) {
      // The rule's `fields`: what its author wants an analyst to see, by Sigma name.
      const view = new RecordView(this.schema);
      view.set(kindId, bytes, at, node, source, live);
      alert.fields = Object.fromEntries(r.fields.map((f) => [f, view.get(f) ?? null]));
    }
    if (hit.correlation !== null) {
      const c = hit.correlation;
      const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
      alert.correlation = { type: c.type, group: c.group, count: c.count, first: iso(c.firstMs), last: iso(c.lastMs) };
    }
    return alert as unknown as Alert;
  }
}
