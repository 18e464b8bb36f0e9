/**
 * How rand-guard's event kinds map to OCSF classes: one table entry per kind.
 * Both exports read it: the Parquet projection (ocsf-sql.ts) and the OCSF
 * NDJSON writer (ocsf-json.ts). A new kind gets an entry here (or, once the
 * kind registry carries per-kind facts, in its registry entry); a kind without
 * one is still exported, as OCSF Base Event (class 0, activity Other), so no
 * event is ever left out of an export.
 *
 * Names and enum ids come from the OCSF schema (github.com/ocsf/ocsf-schema,
 * 1.9.0-dev; test/export/ocsf-schema/ holds the files the tests validate against).
 */
import { KINDS, type KindLayout } from '../abi/schema.js';

export const OCSF_VERSION = '1.9.0-dev';
export const PRODUCT = { name: 'rand-guard', vendor_name: 'rand-guard' } as const;

export interface OcsfClass {
  readonly uid: number;
  readonly name: string;
  readonly categoryUid: number;
  readonly categoryName: string;
  /** activity_id -> activity_name, the ids this exporter uses (0 and 99 are every class's). */
  readonly activities: Readonly<Record<number, string>>;
}

const COMMON_ACTIVITIES = { 0: 'Unknown', 99: 'Other' } as const;

export const BASE_EVENT: OcsfClass = { uid: 0, name: 'Base Event', categoryUid: 0, categoryName: 'Uncategorized', activities: COMMON_ACTIVITIES };
export const FILE_SYSTEM_ACTIVITY: OcsfClass = {
  uid: 1001, name: 'File System Activity', categoryUid: 1, categoryName: 'System Activity',
  activities: { ...COMMON_ACTIVITIES, 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 5: 'Rename', 6: 'Set Attributes', 7: 'Set Security', 8: 'Get Attributes', 12: 'Mount', 13: 'Unmount', 14: 'Open' },
};
export const PROCESS_ACTIVITY: OcsfClass = {
  uid: 1007, name: 'Process Activity', categoryUid: 1, categoryName: 'System Activity',
  activities: { ...COMMON_ACTIVITIES, 1: 'Launch', 2: 'Terminate', 3: 'Open', 4: 'Inject', 5: 'Set User ID' },
};
export const NETWORK_ACTIVITY: OcsfClass = {
  uid: 4001, name: 'Network Activity', categoryUid: 4, categoryName: 'Network Activity',
  activities: { ...COMMON_ACTIVITIES, 1: 'Open', 2: 'Close', 3: 'Reset', 4: 'Fail', 5: 'Refuse', 6: 'Traffic', 7: 'Listen' },
};
export const DNS_ACTIVITY: OcsfClass = {
  uid: 4003, name: 'DNS Activity', categoryUid: 4, categoryName: 'Network Activity',
  activities: { ...COMMON_ACTIVITIES, 1: 'Query', 2: 'Response', 6: 'Traffic' },
};
export const DETECTION_FINDING: OcsfClass = {
  uid: 2004, name: 'Detection Finding', categoryUid: 2, categoryName: 'Findings',
  activities: { ...COMMON_ACTIVITIES, 1: 'Create', 2: 'Update', 3: 'Close' },
};

/** Every class an export can write, in output order. */
export const OCSF_CLASSES: readonly OcsfClass[] = [PROCESS_ACTIVITY, FILE_SYSTEM_ACTIVITY, NETWORK_ACTIVITY, DNS_ACTIVITY, BASE_EVENT];

export const STATUS = { Unknown: 0, Success: 1, Failure: 2 } as const;
export const STATUS_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Success', 2: 'Failure' };
export const SEVERITY_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal' };
export const LAUNCH_TYPES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Spawn', 2: 'Fork', 3: 'Exec' };

const EINPROGRESS = 115;
const ECONNREFUSED = 111;

/** What a kind's record means in OCSF terms. Field names are the kind's schema field names. */
export interface KindOcsf {
  readonly ocsfClass: OcsfClass;
  /** activity_id, or how to derive it from the record's `result` (-errno) field. */
  readonly activity: number | 'connect_result';
  /** A field holding fd/0 on success and -errno on failure: sets status_id and status_code. */
  readonly resultField?: string;
  /** Process Activity: whose activity it is (`actor.process`): the process itself or its parent. */
  readonly actor: 'self' | 'parent';
  /** Process Activity: the target `process`: the record's own process, or the child a field names. */
  readonly target?: 'self' | { readonly pidField: string };
  readonly launchTypeId?: number;
  /** A wait(2) status word: exit_code. */
  readonly exitStatusField?: string;
  /** File System Activity: the field holding the file's path. */
  readonly filePathField?: string;
  /** Network Activity: the destination address, port, family and IP protocol fields. */
  readonly dst?: { readonly addr: string; readonly port: string; readonly family: string; readonly protocol?: string };
}

/** The table: kind name (as in src/abi/schema.ts) -> OCSF meaning. */
export const KIND_OCSF: Readonly<Record<string, KindOcsf>> = {
  process_exec: { ocsfClass: PROCESS_ACTIVITY, activity: 1, actor: 'parent', target: 'self', launchTypeId: 3 },
  process_fork: { ocsfClass: PROCESS_ACTIVITY, activity: 1, actor: 'self', target: { pidField: 'child_pid' }, launchTypeId: 2 },
  process_exit: { ocsfClass: PROCESS_ACTIVITY, activity: 2, actor: 'self', target: 'self', exitStatusField: 'exit_status' },
  file_open: { ocsfClass: FILE_SYSTEM_ACTIVITY, activity: 14, actor: 'self', resultField: 'result', filePathField: 'path' },
  net_connect: {
    ocsfClass: NETWORK_ACTIVITY, activity: 'connect_result', actor: 'self', resultField: 'result',
    dst: { addr: 'addr', port: 'port', family: 'family', protocol: 'protocol' },
  },
};

const UNMAPPED: KindOcsf = { ocsfClass: BASE_EVENT, activity: 99, actor: 'self' };

export function ocsfOfKind(kind: KindLayout): KindOcsf {
  return KIND_OCSF[kind.name] ?? UNMAPPED;
}

/** Kinds of this build without a table entry (exported as Base Event): listed by the export's summary. */
export function unmappedKinds(kinds: readonly KindLayout[] = KINDS): string[] {
  return kinds.filter((k) => KIND_OCSF[k.name] === undefined).map((k) => k.name);
}

/** activity_id of a record, given its result field's value (null when the kind has none). */
export function activityOf(m: KindOcsf, result: number | null): number {
  if (m.activity !== 'connect_result') return m.activity;
  if (result === null || result >= 0 || result === -EINPROGRESS) return 1; // Open
  return result === -ECONNREFUSED ? 5 : 4; // Refuse : Fail
}

/** status_id from a result field: success, failure, or unknown (a non-blocking connect still in progress). */
export function statusOf(m: KindOcsf, result: number | null): number {
  if (m.resultField === undefined || result === null) return STATUS.Success;
  if (result >= 0) return STATUS.Success;
  return result === -EINPROGRESS && m.activity === 'connect_result' ? STATUS.Unknown : STATUS.Failure;
}

/** Classes that kinds of this build map to (plus Base Event when some kind is unmapped). */
export function classesInUse(kinds: readonly KindLayout[] = KINDS): OcsfClass[] {
  const used = new Set(kinds.map((k) => ocsfOfKind(k).ocsfClass));
  return OCSF_CLASSES.filter((c) => used.has(c));
}
