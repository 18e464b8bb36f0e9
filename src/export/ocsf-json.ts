/**
 * OCSF NDJSON: the same objects the Parquet dataset holds (ocsf-table.ts),
 * built per event in JS. Differences, by the OCSF JSON conventions: absent
 * attributes are left out instead of null, `time` and other timestamps are
 * epoch milliseconds (timestamp_t), and `time_dt` (the datetime profile)
 * carries the exact nanoseconds as RFC 3339.
 */
import { AF_INET, AF_INET6 } from '../abi/constants.js';
import { type Alert } from '../replay/rules/alerts.js';
import { basename, compact, dirname, type EventFacts, isoNs } from './event-facts.js';
import { type ExportInput } from './driver.js';
import { jsonLong } from './exact-json.js';
import { DIRECTION_NAMES, LAUNCH_TYPES, OCSF_VERSION, PRODUCT, SEVERITY_IDS, SEVERITY_NAMES, STATUS_NAMES, DETECTION_FINDING } from './ocsf-map.js';
import { type ProcessFacts } from './process-identity.js';
import { storableText } from './text-bytes.js';

const ms = (ns: bigint | null) => (ns === null ? null : Number(ns / 1_000_000n));

/** How a timestamp is written: OCSF JSON's epoch milliseconds, or (Parquet) the nanoseconds themselves. */
export type TimeOf = (ns: bigint | null) => number | bigint | null;

export function metadataOf(input: ExportInput): Record<string, unknown> {
  const m = input.manifest;
  return {
    version: OCSF_VERSION, product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor_name, version: m?.tool.version ?? null },
    profiles: ['host', 'record_integrity', 'datetime'], log_name: 'rgc', log_provider: m?.tool.name ?? null, correlation_uid: m?.segment.capture_id ?? null,
  };
}

export function deviceOf(input: ExportInput): Record<string, unknown> {
  const h = input.manifest?.host;
  return {
    hostname: h?.hostname ?? null, name: h?.hostname ?? null, type_id: 0, type: 'Unknown', boot_uid: h?.boot_id ?? null,
    os: { name: 'Linux', type_id: 200, type: 'Linux', kernel_release: h?.kernel_release ?? null },
  };
}

export function attestationOf(input: ExportInput): Record<string, unknown>[] {
  const m = input.manifest;
  return [{
    uid: m?.segment.capture_id ?? null, chain_uid: m?.segment.capture_id ?? null, authority_uid: m?.signing_key_sha256 ?? null,
    fingerprint: { algorithm_id: 3, algorithm: 'SHA-256', encoding_id: 1, encoding: 'Hex', serialization_id: 99, serialization: 'rgc capture file', value: input.sha256 },
  }];
}

export function fileOfExe(exe: string | null): Record<string, unknown> | null {
  return exe === null ? null : { name: basename(exe), path: exe, parent_folder: dirname(exe), type_id: 1, type: 'Regular File' };
}

export function processOf(p: ProcessFacts | null, pid: number | null, parent: ProcessFacts | null, guid: string | null = null,
  time: TimeOf = ms): Record<string, unknown> | null {
  if (pid === null) return null;
  return {
    pid, uid: p?.guid ?? guid, cpid: p?.guid ?? guid, name: p?.name ?? null, cmd_line: p?.cmdLine ?? null, file: fileOfExe(p?.exe ?? null),
    working_directory: p?.cwd ?? null, created_time: time(p?.startNs ?? null),
    user: p === null ? null : { uid: String(p.uid), uid_numeric: p.uid },
    // ppid 0 (no parent the kernel named, or a zeroed header): no parent process, rather than one made up for pid 0.
    parent_process: p === null || (parent === null && p.ppid === 0) ? null : {
      pid: parent?.pid ?? p.ppid, uid: p.parentGuid, cpid: p.parentGuid, name: parent?.name ?? null, cmd_line: parent?.cmdLine ?? null,
      file: fileOfExe(parent?.exe ?? null), created_time: time(parent?.startNs ?? null),
    },
  };
}

/** A failed launch's `process`: the program attempted (path, command line) in the caller's pid; nothing the record does not say. */
export function attemptedProcessOf(pid: number, path: string | null, cmdLine: string | null): Record<string, unknown> {
  return { pid, cmd_line: cmdLine, file: fileOfExe(path) };
}

export function ocsfEvent(e: EventFacts): Record<string, unknown> {
  const cls = e.map.ocsfClass;
  const v = e.values;
  const result = e.map.resultField === undefined ? null : (v.get(e.map.resultField) as number);
  const activity = cls.activities[e.activityId] ?? 'Unknown';
  const out: Record<string, unknown> = {
    class_uid: cls.uid, class_name: cls.name, category_uid: cls.categoryUid, category_name: cls.categoryName,
    activity_id: e.activityId, activity_name: cls.activities[e.activityId] ?? null, type_uid: cls.uid * 100 + e.activityId, type_name: `${cls.name}: ${activity}`,
    severity_id: 1, severity: SEVERITY_NAMES[1], status_id: e.statusId, status: STATUS_NAMES[e.statusId] ?? null,
    status_code: result !== null && result < 0 ? v.get('error') ?? null : null,
    time: ms(e.timeNs), time_dt: e.timeNs === null ? null : isoNs(e.timeNs),
    metadata: metadataOf(e.input), device: deviceOf(e.input),
    actor: { process: processOf(e.actor, e.actorPid, e.actorParent, e.actorGuid), user: e.actorUid === null ? null : { uid: String(e.actorUid), uid_numeric: e.actorUid } },
  };
  if (cls.uid === 1007) {
    out.process = e.attempted !== null ? attemptedProcessOf(e.targetPid!, e.attempted.path, e.attempted.cmdLine) : processOf(e.target, e.targetPid, e.targetParent, e.targetGuid);
    out.launch_type_id = e.map.launchTypeId ?? null;
    out.launch_type = e.map.launchTypeId === undefined ? null : LAUNCH_TYPES[e.map.launchTypeId];
    out.exit_code = e.map.exitStatusField === undefined ? null : v.get('exit_code');
  }
  if (cls.uid === 1001) {
    const path = v.get(e.map.filePathField!) as string | null;
    // null: a record of an older schema whose file did not record the path (its other fields stay in unmapped).
    out.file = path === null ? { type_id: 0, type: 'Unknown' } : { name: basename(path), path, parent_folder: dirname(path), type_id: 0, type: 'Unknown' };
  }
  if (cls.uid === 4001 || cls.uid === 4003) Object.assign(out, networkOf(e));
  if (cls.uid === 4003 && e.dns !== null) {
    out.query = e.dns.query;
    out.rcode_id = e.dns.rcodeId;
    out.rcode = e.dns.rcode;
    out.answers = e.dns.answers;
  }
  out.attestation_list = attestationOf(e.input);
  out.unmapped = { ...Object.fromEntries(v), capture_sha256: e.input.sha256, capture_file: e.input.fileName, frame_seq: e.frameSeq, record_index: e.recordIndex };
  return compact(out);
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'ipv6-icmp' };

/**
 * Network and DNS Activity: the endpoints (the initiator is src_endpoint:
 * the local end, named by the host's name, unless the record is inbound),
 * connection_info and traffic, by the kind's `ocsf` entry.
 */
export function networkOf(e: EventFacts): Record<string, unknown> {
  const m = e.map;
  const v = e.values;
  const hostname = e.input.manifest?.host.hostname ?? null;
  if (m.dst === undefined) return { src_endpoint: { hostname } };
  const ip = (name: string) => (v.get(name) as string | undefined) ?? null;
  const family = v.get(m.dst.family) as number;
  const protocol = typeof m.dst.protocol === 'number' ? m.dst.protocol : m.dst.protocol === undefined ? 0 : (v.get(m.dst.protocol) as number);
  const remoteIp = ip(m.dst.addr);
  const remote = remoteIp === null ? null : { ip: remoteIp, port: v.get(m.dst.port) };
  const local = { hostname, ip: m.local === undefined ? null : ip(m.local.addr), port: m.local === undefined ? null : v.get(m.local.port) };
  const inbound = e.directionId === 1;
  return {
    src_endpoint: inbound ? remote : local,
    dst_endpoint: inbound ? local : remote,
    connection_info: {
      direction_id: e.directionId, direction: DIRECTION_NAMES[e.directionId], protocol_num: protocol === 0 ? null : protocol,
      protocol_name: PROTOCOL_NAMES[protocol] ?? null, protocol_ver_id: family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0,
    },
    // long_t: exact numbers (a string above 2^53 before); one a signed long cannot hold is left out (unmapped keeps it).
    traffic: m.traffic === undefined ? null : { bytes_out: jsonLong(v.get(m.traffic.bytesOut)), bytes_in: jsonLong(v.get(m.traffic.bytesIn)) },
  };
}

/** An alert as OCSF Detection Finding (2004). */
export function ocsfFinding(a: Alert, input: ExportInput, frameSeq: number, recordIndex: number, timeNs: bigint | null, actor: ProcessFacts | null, actorParent: ProcessFacts | null): Record<string, unknown> {
  const severityId = SEVERITY_IDS[a.severity] ?? 0;
  const path = typeof a.path === 'string' ? a.path : typeof a.filename === 'string' ? a.filename : null;
  const proc = processOf(actor, a.process.pid, actorParent);
  return compact({
    class_uid: DETECTION_FINDING.uid, class_name: DETECTION_FINDING.name, category_uid: DETECTION_FINDING.categoryUid, category_name: DETECTION_FINDING.categoryName,
    activity_id: 1, activity_name: 'Create', type_uid: DETECTION_FINDING.uid * 100 + 1, type_name: 'Detection Finding: Create',
    severity_id: severityId, severity: SEVERITY_NAMES[severityId] ?? null, status_id: 1, status: 'New',
    time: ms(timeNs), time_dt: timeNs === null ? null : isoNs(timeNs),
    metadata: metadataOf(input), device: deviceOf(input),
    finding_info: {
      uid: `${input.sha256}:${frameSeq}:${recordIndex}:${a.rule_id}`, title: a.title, types: [a.source.event_type], created_time: ms(timeNs),
      analytic: { uid: a.rule_id, name: a.rule_id, type_id: 1, type: 'Rule' },
    },
    is_alert: true,
    // An undecided match (a value the rule reads was cut: the rule may have matched): Low confidence, the cut fields in unmapped.
    confidence_id: a.undecided === undefined ? null : 1, confidence: a.undecided === undefined ? null : 'Low',
    actor: { process: proc },
    evidences: [{
      process: proc, file: path === null ? null : { name: basename(storableText(path)), path: storableText(path), type_id: 0, type: 'Unknown' },
      dst_endpoint: typeof a.addr === 'string' && a.addr !== '' ? { ip: a.addr, port: a.port } : null,
    }],
    attestation_list: attestationOf(input),
    unmapped: {
      rule_id: a.rule_id, source_event_type: a.source.event_type, source_ts_ns: a.source.ts_ns, alert: JSON.stringify(a),
      capture_sha256: input.sha256, capture_file: input.fileName, frame_seq: frameSeq, record_index: recordIndex,
      undecided: a.undecided ?? null,
    },
  });
}
