/** Rules as data: what a rule file declares and what the built-in detections are made of. */
import { type Ancestry } from '../ancestry.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Strings (or lists of strings, any of which may match) and numbers to compare a fact with. */
export interface Condition {
  equals?: string | number | boolean | (string | number)[];
  prefix?: string | string[];
  suffix?: string | string[];
  contains?: string | string[];
  one_of?: (string | number)[];
  cidr?: string | string[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  not_equals?: string | number | boolean | (string | number)[];
  not_prefix?: string | string[];
  not_suffix?: string | string[];
  not_contains?: string | string[];
  not_one_of?: (string | number)[];
  not_cidr?: string | string[];
}

export const CONDITION_OPS: readonly (keyof Condition)[] = [
  'equals', 'prefix', 'suffix', 'contains', 'one_of', 'cidr', 'gt', 'gte', 'lt', 'lte',
  'not_equals', 'not_prefix', 'not_suffix', 'not_contains', 'not_one_of', 'not_cidr',
];

/** Field name -> condition; all must hold. */
export type Match = Record<string, Condition>;

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** MITRE ATT&CK technique ids the rule is evidence of (e.g. T1059.004); may be empty. */
  readonly attack?: readonly string[];
  /** Event types the rule applies to (empty: all). */
  readonly events: readonly string[];
  /** Every field condition must hold... */
  readonly match: Match;
  /** ...and, when present, at least one of these alternatives. */
  readonly any: readonly Match[];
}

/** A MITRE ATT&CK technique or sub-technique id. */
export const ATTACK_ID = /^T\d{4}(\.\d{3})?$/;

/**
 * Facts a rule can test, per event: every output field of the event
 * (`path`, `filename`, `argv`, `addr`, `port`, `uid`, `comm`, ...), plus
 * `write` (opened for writing), `written_path` (the path whose content the
 * event created or replaced: a write open, the new name of a rename or link),
 * `wiped_path` (the path whose content it destroyed: a delete, a truncating
 * open, a truncate to 0), `process.exe`, `process.argv`, `process.known`,
 * `parent.exe`, `parent.comm` (its parent now: the record's ppid, when in the capture), `ancestors.exe`, `ancestors.comm`
 * (every ancestor at any depth, by who started whom, ancestry.ts: an Ancestry, tested by the rules,
 * never listed),
 * `stdin_from.exe` and `stdout_to.exe` (the programs on the other end of its stdin and stdout pipes);
 * for network events `dst_hostname` (the name the process resolved the address
 * from), for net_dns `dns.names`, `dns.types`, `dns.answers`, `dns.rcode`,
 * `dns.direction`, `dns.longest_label`; for process_start
 * `process.tcp_connect_ago_ms` and `parent.tcp_connect_ago_ms`; for io_uring
 * operations `io_uring_first`.
 */
export type FactValue = string | number | boolean | string[] | Ancestry | null;
export type Facts = Map<string, FactValue>;

/**
 * The facts above that no record holds: replay learns them from earlier
 * events (replay/net) and hands them to the rules with the event. Compiled
 * rules (record-rules.ts) read them from there, not from the record.
 */
export const HINDSIGHT_FACTS: ReadonlySet<string> = new Set([
  'dst_hostname', 'udp_connect', 'dns.direction', 'dns.names', 'dns.types', 'dns.answers', 'dns.rcode', 'dns.longest_label',
  'process.tcp_connect_ago_ms', 'parent.tcp_connect_ago_ms', 'io_uring_first',
]);
/** What rules read facts from: a Map of them, or a record read on demand (facts.ts). */
export interface FactSource {
  get(key: string): FactValue | undefined;
  /**
   * Optional: whether the fact holds only the beginning of its value (the capture cut the string it
   * comes from): CUT_NONE, CUT_LAST (a string, or a list whose last element was cut: argv), CUT_ALL (a
   * list any element of which may be cut). Absent: nothing is cut.
   */
  cut?(key: string): number;
}

export const CUT_NONE = 0;
export const CUT_LAST = 1;
export const CUT_ALL = 2;
