/**
 * OCSF's classes, activities and enums as the exports use them, and each
 * kind's OCSF meaning, read from its registry entry (`ocsf` in
 * src/abi/schema.ts). Both exports read these: the Parquet tables
 * (ocsf-table.ts) and the OCSF NDJSON writer (ocsf-json.ts). A new kind maps by
 * its entry alone; a kind without one is still exported, as OCSF Base Event
 * (class 0, activity Other), so no event is ever left out of an export.
 *
 * Names and enum ids come from the OCSF schema (github.com/ocsf/ocsf-schema,
 * 1.9.0-dev; test/export/ocsf-schema/ holds the files the tests validate against).
 */
import { KINDS, type KindLayout, type OcsfActivity, type OcsfSpec } from '../abi/schema.js';

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
/** Rule severity (TOML rules; Sigma levels) -> OCSF severity_id. */
export const SEVERITY_IDS: Readonly<Record<string, number>> = { info: 1, informational: 1, low: 2, medium: 3, high: 4, critical: 5 };

const EINPROGRESS = 115;
const ECONNREFUSED = 111;

/** A kind's OCSF meaning (its registry entry's `ocsf`), with its class resolved. */
export interface KindOcsf extends Omit<OcsfSpec, 'classUid'> {
  readonly ocsfClass: OcsfClass;
}

const UNMAPPED: KindOcsf = { ocsfClass: BASE_EVENT, activity: 99, actor: 'self' };
const CLASS_BY_UID = new Map([...OCSF_CLASSES, DETECTION_FINDING].map((c) => [c.uid, c]));
const resolved = new WeakMap<KindLayout, KindOcsf>();

/** The kind's OCSF meaning, from its registry entry (Base Event when it has none). */
export function ocsfOfKind(kind: KindLayout): KindOcsf {
  let m = resolved.get(kind);
  if (m === undefined) {
    const spec = kind.ocsf;
    const cls = spec === undefined ? undefined : CLASS_BY_UID.get(spec.classUid);
    if (spec !== undefined && cls === undefined) throw new Error(`export: kind ${kind.name} maps to OCSF class ${spec.classUid}, which the exporter does not write`);
    m = spec === undefined ? UNMAPPED : { ...spec, ocsfClass: cls! };
    resolved.set(kind, m);
  }
  return m;
}

/** Kinds without an OCSF entry (exported as Base Event): listed by the export's summary. */
export function unmappedKinds(kinds: readonly KindLayout[] = KINDS): string[] {
  return kinds.filter((k) => k.ocsf === undefined).map((k) => k.name);
}

/** The activity a record's field value selects (the fixed activity when it is not by field). */
function activityBy(m: KindOcsf, selector: number | null): OcsfActivity {
  const a = m.activity;
  return typeof a === 'object' ? a.ids[selector ?? -1] ?? 0 : a;
}

/**
 * activity_id of a record, given its result field's value (null when the
 * kind has none) and, for an activity by field, that field's value.
 */
export function activityOf(m: KindOcsf, result: number | null, selector: number | null = null): number {
  const a = activityBy(m, selector);
  if (a !== 'connect_result') return a;
  if (result === null || result >= 0 || result === -EINPROGRESS) return 1; // Open
  return result === -ECONNREFUSED ? 5 : 4; // Refuse : Fail
}

/**
 * status_id from a result field: success, failure, or unknown (a non-blocking connect still in progress, or
 * a result the record does not know: null, an io_uring request recorded at submission, RESULT_UNSEEN).
 */
export function statusOf(m: KindOcsf, result: number | null, selector: number | null = null): number {
  if (m.resultField === undefined) return STATUS.Success;
  if (result === null) return STATUS.Unknown;
  if (result >= 0) return STATUS.Success;
  return result === -EINPROGRESS && activityBy(m, selector) === 'connect_result' ? STATUS.Unknown : STATUS.Failure;
}

/** The field whose value selects the activity, or undefined when the activity is fixed. */
export function activityField(m: KindOcsf): string | undefined {
  return typeof m.activity === 'object' ? m.activity.field : undefined;
}

export const DIRECTION_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Inbound', 2: 'Outbound' };

/** connection_info.direction_id of a record, given its direction field's value when the direction is by field. */
export function directionOf(m: KindOcsf, selector: number | null = null): number {
  const d = m.direction ?? 2;
  return typeof d === 'object' ? d.ids[selector ?? -1] ?? 0 : d;
}

/** Classes that kinds of this build map to (plus Base Event when some kind is unmapped). */
export function classesInUse(kinds: readonly KindLayout[] = KINDS): OcsfClass[] {
  const used = new Set(kinds.map((k) => ocsfOfKind(k).ocsfClass));
  return OCSF_CLASSES.filter((c) => used.has(c));
}
