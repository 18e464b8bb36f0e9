/**
 * The report's data: what `rg-replay report` embeds in the page and the page
 * reads. One JSON document, deterministic for the same input. Kinds, fields,
 * panel groups and badges are data here, not code: a kind the schema gains
 * shows up in the counts, timeline, table and panels without a new code path.
 *
 * Every string that came from the traced host (paths, argv, comm, host name,
 * capture options) is hostile: the page renders it as text only.
 *
 * Times are nanoseconds relative to `time.base_wall_ns` (a decimal string,
 * wall clock), exact as JS numbers up to ~104 days from the first event; a
 * time past that also comes as an exact decimal (`exact`, `x`), which the
 * page shows, so every time it shows is the one --json prints.
 */

export const REPORT_DATA_VERSION = 1;

export interface ReportData {
  readonly version: typeof REPORT_DATA_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  readonly inputs: readonly InputSummary[];
  readonly time: TimeSummary;
  readonly totals: Totals;
  /** Indexed by the events' `k` column and the histogram's series. */
  readonly kinds: readonly KindInfo[];
  readonly coverage: Coverage;
  readonly alerts: AlertList;
  readonly processes: ProcessList;
  readonly groups: readonly GroupInfo[];
  readonly badges: readonly BadgeInfo[];
  readonly histogram: Histogram;
  readonly events: EventTable;
  readonly indicators: readonly IndicatorGroup[];
}

export interface InputSummary {
  /** As given on the command line. */
  readonly path: string;
  readonly sha256: string;
  readonly verify: {
    readonly verdict: 'verified' | 'altered' | 'incomplete';
    readonly signature: string;
    readonly problems: readonly string[];
    /** Problems beyond those listed. */
    readonly more_problems: number;
  };
  readonly host: string | null;
  readonly kernel: string | null;
  readonly machine: string | null;
  readonly boot_id: string | null;
  readonly tool_version: string | null;
  readonly bpf_object_sha256: string | null;
  /** The capture's own options, from its manifest (hostile text: the command line is the traced command's). */
  readonly capture: readonly (readonly [string, string])[];
  readonly complete: boolean;
  readonly damaged: boolean;
  readonly stop_reason: string | null;
  readonly frames: number;
  readonly bytes: number;
  readonly damage: readonly string[];
  readonly damage_count: number;
  /** Records its damage reports say were lost (damage that cannot say, such as a frame gap, adds none). */
  readonly records_lost: number;
}

export interface TimeSummary {
  /** Wall-clock ns (decimal) that every relative time in the report adds to; null without events. */
  readonly base_wall_ns: string | null;
  /** False when no input had a readable clock: times are then monotonic, not wall-clock. */
  readonly wall: boolean;
  readonly first: string | null;
  readonly last: string | null;
  /** Relative ns of the first and last event. */
  readonly first_ns: number;
  readonly last_ns: number;
}

export interface Totals {
  readonly events: number;
  readonly by_kind: readonly number[];
  readonly invalid: number;
  readonly invalid_by_reason: readonly (readonly [string, number])[];
  readonly lost_kernel: number;
  readonly lost_user: number;
  /** Records lost to damage in the files (frames or records that could not be read), by the damage reports' counts. */
  readonly lost_damaged: number;
  /** Processes the capture saw start (the rest were already running). */
  readonly processes_started: number;
}

export interface KindInfo {
  /** event_type, as in NDJSON output. */
  readonly name: string;
  /** CSS colour. */
  readonly color: string;
  /** What the process table does with it: exec, fork, exit, cred, or activity. */
  readonly role: string;
}

export interface Coverage {
  /** Which detections ran, said plainly (built-in, rule files, Sigma rules loaded and not). */
  readonly detections: readonly string[];
  /** Kinds this build knows that the capture did not record, with why. */
  readonly not_recorded: readonly { readonly kind: string; readonly reason: string }[];
  /** What this capture cannot show, stated plainly. */
  readonly blind_spots: readonly string[];
}

export interface AlertList {
  readonly total: number;
  /** Alerts beyond the cap are only counted, by rule. */
  readonly omitted_by_rule: readonly (readonly [string, number])[];
  readonly items: readonly AlertItem[];
}

export interface AlertItem {
  readonly rule: string;
  readonly title: string;
  readonly severity: string;
  readonly techniques: readonly string[];
  /** Relative ns of the source event; null for an alert of a correlation (decided at the end of input). */
  readonly t: number | null;
  readonly time: string | null;
  /** Index into `processes`; -1 when unknown; -2 when the process is not listed (the size budget left it out). */
  readonly process: number;
  /** Row of the source event in `events`, or -1 when the table had no room for it. */
  readonly event: number;
  readonly event_type: string;
  /** The path, program or address the alert is about. */
  readonly subject: string;
  /** An undecided match: the fields whose values the capture cut (the rule may have matched); null for a match. */
  readonly undecided: readonly string[] | null;
  /** A Sigma rule's author(s) (its licence asks that alerts name them) and file; null for other rules. */
  readonly author: string | null;
  readonly rule_file: string | null;
}

/**
 * Processes, one entry each, indexed by position. Embedded compactly (a
 * capture can hold tens of thousands): what is empty or default is left out,
 * and `expandProcess` restores the full item.
 */
export interface ProcessList {
  readonly total: number;
  /** Processes left out (beyond the cap, no alerts, no alerting descendant; or beyond the size budget). */
  readonly omitted: number;
  /** Of those, processes with alerts: left out only when even they, without panels, did not fit the size budget. */
  readonly alerting_omitted: number;
  /** Panel entries left out, to keep the page small (0: none): of processes without alerts first. */
  readonly panel_entries_omitted: number;
  /** Of those, entries of processes with alerts. */
  readonly alerting_panel_entries_omitted: number;
  readonly items: readonly ProcessRecord[];
}

export interface ProcessRecord {
  readonly pid: number;
  readonly ppid: number;
  /** Index of the parent, or -1. */
  readonly parent: number;
  readonly comm: string;
  readonly uid: number;
  /** Events by kind index. */
  readonly counts: readonly number[];
  /** Present (true) when the capture saw it start. */
  readonly known?: true;
  readonly exe?: string;
  readonly argv?: readonly string[];
  /** Every user id its events carried, when more than one. */
  readonly uids?: readonly number[];
  /** Names of those user ids, from the host's /etc/passwd when the capture has it. */
  readonly user_names?: readonly (readonly [number, string])[];
  readonly start?: string;
  /** [exit code, signal] */
  readonly exit?: readonly [number, number];
  /** The latest exec's values beyond program and argv (cwd, device, inode... whatever the schema carries). */
  readonly fields?: readonly (readonly [string, string])[];
  readonly badges?: readonly string[];
  readonly alerts?: number;
  /** Panel entries by group index: only groups with entries. */
  readonly panels?: readonly PanelGroup[];
  /**
   * [pid, index or -1]: the process that forked it, when the kernel has since given it to another parent
   * (its starter's exit: a daemon's double fork): `parent`, or `ppid` when that one is not listed. Its
   * descendants are the starter's too.
   */
  readonly started_by?: readonly [number, number];
}

export interface ProcessItem {
  readonly pid: number;
  readonly ppid: number;
  readonly parent: number;
  readonly known: boolean;
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
  readonly comm: string;
  readonly uid: number;
  readonly uids: readonly number[];
  readonly userNames: readonly (readonly [number, string])[];
  readonly start: string | null;
  readonly exit: { readonly code: number; readonly signal: number } | null;
  readonly fields: readonly (readonly [string, string])[];
  readonly badges: readonly string[];
  readonly counts: readonly number[];
  readonly alerts: number;
  readonly panels: readonly PanelGroup[];
  /** ProcessRecord.started_by: the starter's pid and index (-1: not listed), or null. */
  readonly startedBy: { readonly pid: number; readonly index: number } | null;
}

/** The process a process's descendants are counted under: its starter when the kernel moved it (ProcessRecord.started_by), else its parent (-1: none). */
export function lineageParent(p: ProcessItem): number {
  return p.startedBy !== null && p.startedBy.index >= 0 ? p.startedBy.index : p.parent;
}

export function compactProcess(p: ProcessItem): ProcessRecord {
  const r: { -readonly [K in keyof ProcessRecord]: ProcessRecord[K] } = { pid: p.pid, ppid: p.ppid, parent: p.parent, comm: p.comm, uid: p.uid, counts: p.counts };
  if (p.known) r.known = true;
  if (p.exe !== null) r.exe = p.exe;
  if (p.argv !== null) r.argv = p.argv;
  if (p.uids.length > 1 || (p.uids.length === 1 && p.uids[0] !== p.uid)) r.uids = p.uids;
  if (p.userNames.length > 0) r.user_names = p.userNames;
  if (p.start !== null) r.start = p.start;
  if (p.exit !== null) r.exit = [p.exit.code, p.exit.signal];
  if (p.fields.length > 0) r.fields = p.fields;
  if (p.badges.length > 0) r.badges = p.badges;
  if (p.alerts > 0) r.alerts = p.alerts;
  if (p.panels.length > 0) r.panels = p.panels;
  if (p.startedBy !== null) r.started_by = [p.startedBy.pid, p.startedBy.index];
  return r;
}

export function expandProcess(r: ProcessRecord): ProcessItem {
  return {
    pid: r.pid, ppid: r.ppid, parent: r.parent, known: r.known === true, exe: r.exe ?? null, argv: r.argv ?? null, comm: r.comm,
    uid: r.uid, uids: r.uids ?? [r.uid], userNames: r.user_names ?? [], start: r.start ?? null, exit: r.exit ? { code: r.exit[0], signal: r.exit[1] } : null,
    fields: r.fields ?? [], badges: r.badges ?? [], counts: r.counts, alerts: r.alerts ?? 0, panels: r.panels ?? [],
    startedBy: r.started_by === undefined ? null : { pid: r.started_by[0], index: r.started_by[1] },
  };
}

export interface PanelGroup {
  readonly group: number;
  /** Occurrences of values beyond the listed ones (the list is capped). */
  readonly more: number;
  readonly items: readonly PanelEntry[];
}

export interface PanelEntry {
  readonly value: string;
  readonly count: number;
  /** Relative ns of the first occurrence. */
  readonly t: number;
  /** `t` exactly (a decimal), only when the number is not (EventTable.exact). */
  readonly x?: string;
  readonly detail: string;
}

export interface GroupInfo {
  readonly id: string;
  readonly label: string;
}

export interface BadgeInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
}

export interface Histogram {
  /** Relative ns of the first bin's start. */
  readonly start_ns: number;
  readonly bin_ns: number;
  /** Per kind index, counts per bin (every event, not only the table's). */
  readonly series: readonly (readonly number[])[];
}

/**
 * The event table, columnar. Strings are indices into `strings`; `t` is
 * delta-encoded (each row's relative ns minus the previous row's).
 */
export interface EventTable {
  readonly total: number;
  readonly shown: number;
  /** Why rows are missing, when some are: one sentence each. */
  readonly notes: readonly string[];
  /** Per kind index: events in the capture and rows in the table. */
  readonly shown_by_kind: readonly number[];
  readonly strings: readonly string[];
  readonly t: readonly number[];
  readonly k: readonly number[];
  readonly p: readonly number[];
  readonly c: readonly number[];
  /** The main subject (path, program, address). */
  readonly a: readonly number[];
  /** The other fields, `name=value`. */
  readonly b: readonly number[];
  /**
   * [row, relative ns as a decimal] for rows whose time `t` cannot hold exactly (more than 2^53 ns, ~104 days,
   * after the first event: captures months apart). The page shows these.
   */
  readonly exact: readonly (readonly [number, string])[];
}

export interface IndicatorGroup {
  readonly group: number;
  /** Occurrences of values beyond the listed ones (the list is capped). */
  readonly more: number;
  readonly items: readonly IndicatorEntry[];
}

export interface IndicatorEntry {
  readonly value: string;
  readonly count: number;
  readonly t: number;
  /** `t` exactly (a decimal), only when the number is not (EventTable.exact). */
  readonly x?: string;
  readonly detail: string;
  /** Up to a few process indices that produced it. */
  readonly processes: readonly number[];
}
