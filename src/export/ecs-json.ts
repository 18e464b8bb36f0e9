/**
 * Elastic Common Schema (ECS 9.4) documents, each after its `_bulk` action
 * line, so the output posts as is to Elasticsearch or OpenSearch
 * (`curl --data-binary @file .../_bulk`). `create` actions, which data
 * streams require. event.category and event.type come from each kind's `ecs`
 * part in the kind registry (src/abi), each pair one ECS allows; a kind
 * without one is categorised by its OCSF class and activity. rand-guard's own fields go under
 * `rand_guard` (a custom field set): the header's fields at its top, the
 * kind's own under `rand_guard.<event_type>`, so that no path has two JSON
 * types (Elasticsearch maps a field by the first document it sees).
 */
import { AF_INET, AF_INET6 } from '../abi/constants.js';
import { type EcsSpec } from '../abi/kind-types.js';
import { HEADER_FIELDS, type KindLayout } from '../abi/schema.js';
import { syscallName } from '../abi/syscalls.js';
import { type Alert } from '../replay/rules/alerts.js';
import { basename, compact, dirname, type EventFacts, isoNs } from './event-facts.js';
import { type ExportInput } from './driver.js';
import { type ProcessFacts } from './process-identity.js';
import { jsonLong } from './exact-json.js';
import { storableText } from './text-bytes.js';

export const ECS_VERSION = '9.4.0';

const CONNECTION_START = ['connection', 'start'];
const CONNECTION_END = ['connection', 'end'];

/** A kind without an `ecs` part in the registry (a newer schema's, read with --schema manifest): by its OCSF class and activity. */
function byOcsfClass(classUid: number): EcsSpec {
  switch (classUid) {
    case 1007: return { category: 'process', type: ['info'], typeByActivity: { 1: ['start'], 2: ['end'], 3: ['access'], 4: ['change'], 5: ['change'] } };
    case 1001: return { category: 'file', type: ['info'], typeByActivity: { 1: ['creation'], 2: ['access'], 3: ['change'], 4: ['deletion'], 5: ['change'], 6: ['change'], 7: ['change'], 8: ['access'], 12: ['change'], 13: ['change'], 14: ['access'] } };
    case 4001: return { category: 'network', type: ['connection'], typeByActivity: { 1: CONNECTION_START, 2: CONNECTION_END } };
    case 4003: return { category: 'network', type: ['protocol'] };
    default: return { category: 'host', type: ['info'] };
  }
}

export function ecsKindOf(kind: KindLayout, classUid: number): EcsSpec {
  return kind.ecs ?? byOcsfClass(classUid);
}

function categorise(e: EventFacts, k: EcsSpec): { category: string[]; type: string[] } {
  const call = k.typeByCall === undefined ? null : syscallName(e.values.get('call') as number);
  const type = (call === null ? undefined : k.typeByCall![call]) ?? k.typeByActivity?.[e.activityId] ?? k.type;
  return { category: [k.category], type: [...type] };
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

/**
 * process.* is the process the event is about: the new process of a launch
 * (its parent the one that started it), otherwise the one that acted (a
 * ptrace's or a signal's sender, not its target: ECS has no field set for a
 * target process, so it goes under rand_guard.target.process, as Elastic
 * Defend's own Target.process). A thread id is only ever given with its own
 * process's pid: the record's tid is the recording process's thread.
 */
function processesOf(e: EventFacts, k: EcsSpec): { process: Record<string, unknown> | null; target: Record<string, unknown> | null } {
  const m = e.map;
  const recordTid = e.values.get('tid') as number;
  const launch = m.ocsfClass.uid === 1007 && e.activityId === 1 && m.target !== undefined && m.target !== 'self';
  if (e.attempted !== null) {
    // A failed launch: the program that failed to start, in the caller's pid (exec keeps it), the caller as its parent
    // as the record has it (its image unchanged); no entity id: no such process came to be.
    const caller = processOf(e.actor, e.actorPid, e.actorParent, e.actorGuid);
    const path = e.attempted.path;
    const process = {
      pid: e.actorPid, name: path === null ? null : basename(path), executable: path, command_line: e.attempted.cmdLine, thread: { id: recordTid },
      parent: caller === null ? null : { pid: caller.pid, entity_id: caller.entity_id, executable: caller.executable, command_line: caller.command_line, start: caller.start },
    };
    return { process, target: null };
  }
  if (m.target === 'self' || launch) {
    const process = processOf(e.target, e.targetPid, e.targetParent, e.targetGuid);
    if (process === null) return { process: null, target: null };
    // 'self': the record's process (exec's actor is its parent, but the thread is the exec'd process's).
    const tid = m.target === 'self' ? recordTid : k.childTidField === undefined ? null : e.values.get(k.childTidField);
    const parent = process.parent as Record<string, unknown> | null;
    if (launch && m.actor === 'self' && parent !== null && parent.pid === e.actorPid) parent.thread = { id: recordTid };
    return { process: { ...process, thread: { id: tid } }, target: null };
  }
  const process = processOf(e.actor, e.actorPid, e.actorParent, e.actorGuid);
  // The actor is the record's own process unless the kind names its parent (exec): only then is the tid its thread.
  if (process !== null && m.actor === 'self') process.thread = { id: recordTid };
  const target = m.target === undefined ? null : processOf(e.target, e.targetPid, e.targetParent, e.targetGuid);
  return { process, target: target === null ? null : { process: target } };
}

export function ecsEvent(e: EventFacts): Record<string, unknown> {
  const v = e.values;
  const cls = e.map.ocsfClass;
  const k = ecsKindOf(e.kind, cls.uid);
  const { category, type } = categorise(e, k);
  const { process, target } = processesOf(e, k);
  const doc: Record<string, unknown> = {
    '@timestamp': e.timeNs === null ? null : isoNs(e.timeNs),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event', category, type, action: e.kind.eventType, outcome: OUTCOME[e.statusId] ?? 'unknown', module: 'rand_guard', dataset: 'rand_guard.events',
      id: `${e.input.sha256}:${e.frameSeq}:${e.recordIndex}`, code: String(cls.uid * 100 + e.activityId),
    },
    agent: { type: 'rand-guard', version: e.input.manifest?.tool.version ?? null },
    host: hostOf(e.input),
    process: process === null ? null : { ...process, exit_code: e.map.exitStatusField === undefined ? null : v.get('exit_code') },
    // No user or group for a zeroed header (a TCP change whose owner is unknown): its 0 is not root (event-facts.ts).
    user: e.actorUid === null ? null : { id: String(e.actorUid) },
    group: e.actorUid === null ? null : { id: String(v.get('gid')) },
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
  doc.rand_guard = { ...randGuardFields(e), target, capture: provenance(e.input, e.frameSeq, e.recordIndex) };
  return compact(doc);
}

const HEADER_KEYS = new Set(['event_type', ...HEADER_FIELDS.map((f) => f.name)]);
const wideFieldsByKind = new WeakMap<KindLayout, ReadonlySet<string>>();

/** The kind's 64-bit integer fields (header and body): rg-replay --json prints those above 2^53 as decimal strings. */
function wideFields(kind: KindLayout): ReadonlySet<string> {
  let s = wideFieldsByKind.get(kind);
  if (s === undefined) {
    s = new Set([...HEADER_FIELDS, ...kind.fields].filter((f) => (f.type === 'u64' || f.type === 's64') && f.count === undefined).map((f) => f.name));
    wideFieldsByKind.set(kind, s);
  }
  return s;
}


/**
 * The record's fields as `rg-replay --json` has them: the header's at the top
 * (the same type in every kind), the kind's own under its event type (ptrace's
 * numeric `addr` and a connect's IP `addr` are different paths). 64-bit
 * integers are numbers; one a long cannot hold is written as decimal text
 * under `<name>_u64` instead, so the number's path never holds a string.
 */
function randGuardFields(e: EventFacts): Record<string, unknown> {
  const wide = wideFields(e.kind);
  const top: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [key, value] of e.values) {
    const into = HEADER_KEYS.has(key) ? top : own;
    if (!wide.has(key) || typeof value !== 'string') into[key] = value;
    else {
      const n = jsonLong(value);
      if (n === null) into[`${key}_u64`] = value;
      else into[key] = n;
    }
  }
  top[e.kind.eventType] = own;
  return top;
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
  const sent = m.traffic === undefined ? null : jsonLong(v.get(m.traffic.bytesOut));
  const received = m.traffic === undefined ? null : jsonLong(v.get(m.traffic.bytesIn));
  // An end whose address the record does not hold (a DNS message's unknown server, family 0) is left out, port and all.
  const remote = remoteIp === null ? null : { ip: remoteIp, address: remoteIp, port: v.get(dst.port), bytes: received };
  const localIp = m.local === undefined ? null : ip(m.local.addr);
  const local = localIp === null ? null : { ip: localIp, address: localIp, port: v.get(m.local!.port), bytes: sent };
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
    rand_guard: { alert: alertFields(a), capture: provenance(input, frameSeq, recordIndex) },
  });
}

/** An alert's own keys (Alert, and what a Sigma alert adds); every other key is a fact copied from its source event. */
const ALERT_KEYS = new Set(['event_type', 'rule_id', 'severity', 'title', 'attack', 'time', 'source', 'process', 'engine', 'level', 'status', 'tags', 'author', 'rule_file', 'fields', 'correlation', 'undecided', 'rules']);

/**
 * The alert as replay writes it, strings made storable, with the facts copied
 * from its source event under that event's type, as an event's own fields
 * are: a ptrace alert's numeric `addr` and a DNS alert's IP `addr` are
 * different paths.
 */
function alertFields(a: Alert): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(a, (_k, x) => (typeof x === 'string' ? storableText(x) : x))) as Record<string, unknown>;
  const own: Record<string, unknown> = {};
  const facts: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(plain)) (ALERT_KEYS.has(k) ? own : facts)[k] = x;
  if (Object.keys(facts).length > 0) own[storableText(a.source.event_type)] = facts;
  return own;
}

