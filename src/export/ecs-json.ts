/**
 * Elastic Common Schema (ECS 9.4) documents, each after its `_bulk` action
 * line, so the output posts as is to Elasticsearch or OpenSearch
 * (`curl --data-binary @file .../_bulk`). `create` actions, which data
 * streams require. ECS event categorisation derives from the OCSF mapping
 * (class and activity), so a kind with an OCSF entry needs no ECS one.
 * rand-guard's own fields go under `rand_guard` (a custom field set).
 */
import { AF_INET, AF_INET6 } from '../abi/constants.js';
import { type Alert } from '../replay/rules/alerts.js';
import { basename, compact, dirname, type EventFacts, isoNs } from './event-facts.js';
import { type ExportInput } from './driver.js';
import { type ProcessFacts } from './process-identity.js';
import { storableText } from './text-bytes.js';

export const ECS_VERSION = '9.4.0';

/** ECS event.category and event.type by OCSF class uid and activity id. */
function categorise(classUid: number, activityId: number): { category: string[]; type: string[] } {
  switch (classUid) {
    case 1007: return { category: ['process'], type: activityId === 2 ? ['end'] : ['start'] };
    case 1001: return { category: ['file'], type: activityId === 1 ? ['creation'] : activityId === 4 ? ['deletion'] : activityId === 3 || activityId === 5 || activityId === 6 ? ['change'] : ['access'] };
    case 4001: return { category: ['network'], type: activityId === 1 ? ['connection', 'start'] : activityId === 2 ? ['connection', 'end'] : ['connection'] };
    case 4003: return { category: ['network'], type: ['protocol'] };
    default: return { category: ['host'], type: ['info'] };
  }
}

const OUTCOME = ['unknown', 'success', 'failure'];

export function bulkAction(index: string): string {
  return JSON.stringify({ create: { _index: index } });
}

function hostOf(input: ExportInput): Record<string, unknown> {
  const h = input.manifest?.host;
  return { hostname: h?.hostname ?? null, name: h?.hostname ?? null, architecture: h?.machine ?? null, boot: { id: h?.boot_id ?? null }, os: { kernel: h?.kernel_release ?? null, type: 'linux' } };
}

function processOf(p: ProcessFacts | null, pid: number | null, parent: ProcessFacts | null, guid: string | null = null): Record<string, unknown> | null {
  if (pid === null) return null;
  return {
    pid, entity_id: p?.guid ?? guid, name: p?.name ?? null, executable: p?.exe ?? null, command_line: p?.cmdLine ?? null, args: p?.argv ?? null,
    args_count: p?.argv?.length ?? null, start: p?.startNs == null ? null : isoNs(p.startNs), working_directory: p?.cwd ?? null,
    user: p === null ? null : { id: String(p.uid) },
    parent: p === null ? null : { pid: parent?.pid ?? p.ppid, entity_id: p.parentGuid, executable: parent?.exe ?? null, command_line: parent?.cmdLine ?? null, start: parent?.startNs == null ? null : isoNs(parent.startNs) },
  };
}

function provenance(input: ExportInput, frameSeq: number, recordIndex: number): Record<string, unknown> {
  return { sha256: input.sha256, file: input.fileName, capture_id: input.manifest?.segment.capture_id ?? null, frame_seq: frameSeq, record_index: recordIndex };
}

export function ecsEvent(e: EventFacts): Record<string, unknown> {
  const v = e.values;
  const cls = e.map.ocsfClass;
  const { category, type } = categorise(cls.uid, e.activityId);
  const subject = cls.uid === 1007 ? e.target : e.actor;
  const subjectPid = cls.uid === 1007 ? e.targetPid : e.actorPid;
  const subjectParent = cls.uid === 1007 ? e.targetParent : e.actorParent;
  const subjectGuid = cls.uid === 1007 ? e.targetGuid : e.actorGuid;
  const doc: Record<string, unknown> = {
    '@timestamp': e.timeNs === null ? null : isoNs(e.timeNs),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event', category, type, action: e.kind.eventType, outcome: OUTCOME[e.statusId] ?? 'unknown', module: 'rand_guard', dataset: 'rand_guard.events',
      id: `${e.input.sha256}:${e.frameSeq}:${e.recordIndex}`, code: String(cls.uid * 100 + e.activityId),
    },
    agent: { type: 'rand-guard', version: e.input.manifest?.tool.version ?? null },
    host: hostOf(e.input),
    process: { ...processOf(subject, subjectPid, subjectParent, subjectGuid), thread: { id: v.get('tid') }, exit_code: e.map.exitStatusField === undefined ? null : v.get('exit_code') },
    user: { id: String(v.get('uid')) },
    group: { id: String(v.get('gid')) },
  };
  if (e.map.resultField !== undefined && (v.get(e.map.resultField) as number) < 0) doc.error = { code: v.get('error') ?? null };
  if (cls.uid === 1001) {
    const path = v.get(e.map.filePathField!) as string | null;
    // null: a record of an older schema whose file did not record the path (event-facts.ts).
    doc.file = path === null ? null : { path, name: basename(path), directory: dirname(path) };
  }
  if ((cls.uid === 4001 || cls.uid === 4003) && e.map.dst !== undefined) Object.assign(doc, networkOf(e));
  if (cls.uid === 4003 && e.dns !== null) {
    const d = e.dns;
    doc.dns = {
      type: d.response ? 'answer' : 'query', id: String(d.id), response_code: d.responseCode,
      question: d.query === null ? null : { name: d.query.hostname, type: d.query.type, class: d.query.class },
      answers: d.answers === null || d.answers.length === 0 ? null : d.answers.map((a) => ({ data: a.rdata, type: a.type, class: a.class, ttl: a.ttl })),
    };
  }
  doc.rand_guard = { ...Object.fromEntries(v), capture: provenance(e.input, e.frameSeq, e.recordIndex) };
  return compact(doc);
}

/** source, destination and network by the kind's `ocsf` entry: the initiator is the source (inbound: the remote end). */
function networkOf(e: EventFacts): Record<string, unknown> {
  const m = e.map;
  const v = e.values;
  const dst = m.dst!;
  const ip = (name: string) => (v.get(name) as string | undefined) ?? null;
  const family = v.get(dst.family) as number;
  const protocol = typeof dst.protocol === 'number' ? dst.protocol : dst.protocol === undefined ? 0 : (v.get(dst.protocol) as number);
  const remoteIp = ip(dst.addr);
  const sent = m.traffic === undefined ? null : v.get(m.traffic.bytesOut);
  const received = m.traffic === undefined ? null : v.get(m.traffic.bytesIn);
  const remote = { ip: remoteIp, address: remoteIp, port: v.get(dst.port), bytes: received };
  const localIp = m.local === undefined ? null : ip(m.local.addr);
  const local = m.local === undefined ? null : { ip: localIp, address: localIp, port: v.get(m.local.port), bytes: sent };
  const inbound = e.directionId === 1;
  return {
    source: inbound ? remote : local,
    destination: inbound ? local : remote,
    network: {
      direction: inbound ? 'ingress' : e.directionId === 2 ? 'egress' : 'unknown', type: family === AF_INET ? 'ipv4' : family === AF_INET6 ? 'ipv6' : null,
      transport: ({ 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'ipv6-icmp' } as Record<number, string>)[protocol] ?? null, iana_number: protocol === 0 ? null : String(protocol),
    },
  };
}

export function ecsAlert(a: Alert, input: ExportInput, frameSeq: number, recordIndex: number, timeNs: bigint | null, actor: ProcessFacts | null, actorParent: ProcessFacts | null): Record<string, unknown> {
  const path = typeof a.path === 'string' ? storableText(a.path) : typeof a.filename === 'string' ? storableText(a.filename) : null;
  return compact({
    '@timestamp': timeNs === null ? null : isoNs(timeNs),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert', category: ['intrusion_detection'], type: ['info'], action: a.rule_id, module: 'rand_guard', dataset: 'rand_guard.alerts',
      severity: ({ info: 21, informational: 21, low: 21, medium: 47, high: 73, critical: 99 } as Record<string, number>)[a.severity] ?? null,
      id: `${input.sha256}:${frameSeq}:${recordIndex}:${a.rule_id}`,
    },
    message: storableText(a.title),
    rule: { id: a.rule_id, name: storableText(a.title) },
    agent: { type: 'rand-guard', version: input.manifest?.tool.version ?? null },
    host: hostOf(input),
    process: processOf(actor, a.process.pid, actorParent),
    file: path === null ? null : { path, name: basename(path), directory: dirname(path) },
    destination: typeof a.addr === 'string' && a.addr !== '' ? { ip: a.addr, port: a.port } : null,
    rand_guard: { alert: JSON.parse(JSON.stringify(a, (_k, x) => (typeof x === 'string' ? storableText(x) : x))), capture: provenance(input, frameSeq, recordIndex) },
  });
}
