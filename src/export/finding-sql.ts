/**
 * Alerts as OCSF Detection Finding (2004) rows: the staging columns an alert
 * fills, and the SELECT that shapes them (finding_info with the rule as its
 * analytic, the source event's process, file or destination as evidence).
 */
import { type Column } from './chunk-writer.js';
import { processStruct } from './ocsf-sql.js';
import { DETECTION_FINDING, SEVERITY_NAMES } from './ocsf-map.js';
import { sqlString } from './duckdb.js';

export const ALERT_COLUMNS: readonly Column[] = [
  'capture:UINTEGER', 'frame_seq:UBIGINT', 'record_index:UINTEGER', 'time_ns:BIGINT', 'day:INTEGER', 'source_ts_ns:UBIGINT', 'rule_id:VARCHAR',
  'severity:VARCHAR', 'title:VARCHAR', 'source_event_type:VARCHAR', 'actor_pid:UINTEGER', 'actor_ref:UINTEGER', 'path:VARCHAR', 'addr:VARCHAR',
  'port:UINTEGER', 'alert_json:VARCHAR',
].map((s) => ({ name: s.split(':')[0], type: s.split(':')[1] as Column['type'] }));

export const Alerts = {
  Capture: 0, FrameSeq: 1, RecordIndex: 2, TimeNs: 3, Day: 4, SourceTsNs: 5, RuleId: 6, Severity: 7, Title: 8, SourceEventType: 9,
  ActorPid: 10, ActorRef: 11, Path: 12, Addr: 13, Port: 14, AlertJson: 15,
} as const;

/** Rule severity (TOML rules; Sigma levels) -> OCSF severity_id. */
export const SEVERITY_IDS: Readonly<Record<string, number>> = { info: 1, informational: 1, low: 2, medium: 3, high: 4, critical: 5 };

export function findingSelectSql(alerts: string, procStructs: string, captures: string, captureObjects: string, where: string): string {
  const sev = `CASE s.severity ${Object.entries(SEVERITY_IDS).map(([k, v]) => `WHEN '${k}' THEN ${v}`).join(' ')} ELSE 0 END`;
  const sevName = `CASE ${sev} ${Object.entries(SEVERITY_NAMES).map(([k, v]) => `WHEN ${k} THEN ${sqlString(v)}`).join(' ')} END`;
  const proc = processStruct('a', 's.actor_pid', 'NULL::VARCHAR');
  const columns = [
    `${DETECTION_FINDING.uid} AS class_uid`, `${sqlString(DETECTION_FINDING.name)} AS class_name`, `${DETECTION_FINDING.categoryUid} AS category_uid`,
    `${sqlString(DETECTION_FINDING.categoryName)} AS category_name`, `1 AS activity_id`, `'Create' AS activity_name`, `${DETECTION_FINDING.uid * 100 + 1}::BIGINT AS type_uid`,
    `'Detection Finding: Create' AS type_name`, `${sev} AS severity_id`, `${sevName} AS severity`, `1 AS status_id`, `'New' AS status`,
    `rg_ts(s.time_ns) AS "time"`, 'cc.metadata', 'cc.device',
    `struct_pack(uid := c.sha256 || ':' || s.frame_seq || ':' || s.record_index || ':' || s.rule_id, title := s.title, `
      + `analytic := struct_pack(uid := s.rule_id, name := s.rule_id, type_id := 1, type := 'Rule'), types := [s.source_event_type], created_time := rg_ts(s.time_ns)) AS finding_info`,
    `true AS is_alert`,
    `struct_pack(process := ${proc}) AS actor`,
    `[struct_pack(process := ${proc}, file := CASE WHEN s.path IS NULL THEN NULL ELSE struct_pack(name := rg_basename(s.path), path := s.path, type_id := 0, type := 'Unknown') END, `
      + `dst_endpoint := CASE WHEN s.addr IS NULL THEN NULL ELSE struct_pack(ip := s.addr, port := s.port::INTEGER) END)] AS evidences`,
    'cc.attestation_list',
    `struct_pack(rule_id := s.rule_id, source_event_type := s.source_event_type, source_ts_ns := s.source_ts_ns, alert := s.alert_json, `
      + `capture_sha256 := c.sha256, capture_file := c.file_name, frame_seq := s.frame_seq, record_index := s.record_index) AS unmapped`,
  ];
  return `SELECT ${columns.join(',\n  ')}\nFROM ${alerts} s JOIN "${captures}" c ON c.idx = s.capture JOIN "${captureObjects}" cc ON cc.idx = s.capture\n`
    + `LEFT JOIN "${procStructs}" a ON a.ref = s.actor_ref\nWHERE ${where}`;
}
