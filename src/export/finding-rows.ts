/**
 * Alerts as OCSF Detection Finding (2004) rows: the table's schema and one
 * row object per alert (the rule as finding_info's analytic, the source
 * event's process, file or destination as evidence), shredded by the
 * Parquet writer's general path: alerts are few, so a row object each is
 * cheap. The OCSF NDJSON export writes the same finding (ocsf-json.ts).
 */
import { type Alert } from '../replay/rules/alerts.js';
import { basename } from './event-facts.js';
import { ATTESTATION_LIST, CLASSIFICATION, DEVICE, METADATA, PROCESS } from './ocsf-table.js';
import { cleanDeep, type ProcessView, timestampNs } from './ocsf-parts.js';
import { DETECTION_FINDING, SEVERITY_IDS, SEVERITY_NAMES } from './ocsf-map.js';
import { processOf } from './ocsf-json.js';
import { buildSchema, group, leaf, list, type ParquetSchema } from './parquet/schema.js';
import { type Row } from './parquet/shred.js';
import { storableText } from './text-bytes.js';

const STR = leaf('string');
const I32 = leaf('i32');

export const FINDING_SCHEMA: ParquetSchema = buildSchema(group([
  ...CLASSIFICATION,
  ['time', leaf('timestamp_ns')], ['metadata', METADATA], ['device', DEVICE],
  ['finding_info', group([
    ['uid', STR], ['title', STR], ['analytic', group([['uid', STR], ['name', STR], ['type_id', I32], ['type', STR]])], ['types', list(STR)],
    ['created_time', leaf('timestamp_ns')],
  ])],
  ['is_alert', leaf('bool')],
  ['confidence_id', I32], ['confidence', STR],
  ['actor', group([['process', PROCESS]])],
  ['evidences', list(group([
    ['process', PROCESS],
    ['file', group([['name', STR], ['path', STR], ['type_id', I32], ['type', STR]])],
    ['dst_endpoint', group([['ip', STR], ['port', I32]])],
  ]))],
  ['attestation_list', ATTESTATION_LIST],
  ['unmapped', group([
    ['rule_id', STR], ['source_event_type', STR], ['source_ts_ns', leaf('u64')], ['alert', STR], ['capture_sha256', STR], ['capture_file', STR],
    ['frame_seq', leaf('u64')], ['record_index', leaf('u32')], ['undecided', list(STR)],
  ])],
]));

export interface FindingContext {
  /** The capture's part (ocsf-parts.ts capturePart): metadata, device, attestation, file and hash. */
  readonly capture: Row;
  readonly frameSeq: number;
  readonly recordIndex: number;
  /** Wall-clock ns of the source event, or null without a clock. */
  readonly timeNs: bigint | null;
  /** The process of the event the alert came from, when the table has it. */
  readonly actor: ProcessView | null;
}

export function findingRow(a: Alert, c: FindingContext): Row {
  const severityId = SEVERITY_IDS[a.severity] ?? 0;
  const path = typeof a.path === 'string' ? a.path : typeof a.filename === 'string' ? a.filename : null;
  const proc = c.actor === null ? processOf(null, a.process.pid, null) : processOf(c.actor.facts, a.process.pid, c.actor.parent, c.actor.guid, timestampNs);
  const cap = c.capture as { metadata: Row; device: Row; attestation_list: Row[]; unmapped: { capture_sha256: string; capture_file: string } };
  const ruleId = a.rule_id;
  return cleanDeep({
    class_uid: DETECTION_FINDING.uid, class_name: DETECTION_FINDING.name, category_uid: DETECTION_FINDING.categoryUid, category_name: DETECTION_FINDING.categoryName,
    activity_id: 1, activity_name: 'Create', type_uid: DETECTION_FINDING.uid * 100 + 1, type_name: 'Detection Finding: Create',
    severity_id: severityId, severity: SEVERITY_NAMES[severityId] ?? null, status_id: 1, status: 'New',
    time: c.timeNs, metadata: cap.metadata, device: cap.device,
    finding_info: {
      uid: `${cap.unmapped.capture_sha256}:${c.frameSeq}:${c.recordIndex}:${ruleId}`, title: a.title,
      analytic: { uid: ruleId, name: ruleId, type_id: 1, type: 'Rule' }, types: [a.source.event_type], created_time: c.timeNs,
    },
    is_alert: true,
    // An undecided match (a value the rule reads was cut: the rule may have matched): Low confidence, the cut fields in unmapped.
    confidence_id: a.undecided === undefined ? null : 1, confidence: a.undecided === undefined ? null : 'Low',
    actor: { process: proc },
    evidences: [{
      process: proc,
      file: path === null ? null : { name: basename(storableText(path)), path: storableText(path), type_id: 0, type: 'Unknown' },
      dst_endpoint: typeof a.addr === 'string' && a.addr !== '' ? { ip: a.addr, port: typeof a.port === 'number' ? a.port : null } : null,
    }],
    attestation_list: cap.attestation_list,
    unmapped: {
      rule_id: ruleId, source_event_type: a.source.event_type, source_ts_ns: BigInt(a.source.ts_ns), alert: JSON.stringify(a),
      capture_sha256: cap.unmapped.capture_sha256, capture_file: cap.unmapped.capture_file, frame_seq: c.frameSeq, record_index: c.recordIndex,
      undecided: a.undecided === undefined ? null : [...a.undecided],
    },
  });
}
