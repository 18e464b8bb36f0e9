/**
 * rand-guard records as the Sigma engine sees them: a log source category
 * and fields with the meanings Sysmon for Linux gives them, as each kind's
 * registry entry (`sigma`) maps them. One view object is reused for every
 * record; fields are read from the record's bytes or its process only when
 * a rule asks.
 */
import { createHash } from 'node:crypto';
import { cStringBytes, s32le, u16le, u32le, u64le } from '../../abi/bytes.js';
import { AF_INET6 } from '../../abi/constants.js';
import { recordAuid, recordFlags, recordPid, recordPpid, recordTsNs, recordUid } from '../../abi/header-access.js';
import { type CutReader, stringCut } from '../../abi/cut-strings.js';
import { BUILD_SCHEMA, EVENT_FLAG_USER_READ_FAILED, type KindLayout, RENAMED_FIELDS, type Schema } from '../../abi/schema.js';
import { unixPathText } from '../../abi/unix-path.js';
import { addressText, bytesToText, opensForWrite } from '../../abi/values.js';
import { type WallClock } from '../../output/wall-clock.js';
import { type ByteSpan, type SigmaEventView, type SigmaFieldValue } from '../../sigma/event.js';
import { CUT_ARGV, CUT_EXE, type ProcessNode } from '../process-table.js';
import { type FactSource } from '../rules/model.js';

/** What a view needs to know about the input a record came from. */
export interface RecordSource {
  readonly host: string;
  readonly clock: WallClock | null;
  /** uid -> user name, from the capture's manifest (empty for older captures). */
  readonly users: ReadonlyMap<number, string>;
  /** The schema version the capture was written with (this build's when not said). */
  readonly schemaVersion?: number;
}

/** A record kept for an alert decided later (correlation windows): its bytes are copied. */
export interface RecordRef {
  readonly kindId: number;
  readonly bytes: Uint8Array;
  readonly node: ProcessNode | null;
  readonly source: RecordSource;
}

type FieldReader = (b: Uint8Array, at: number) => SigmaFieldValue;

/** Where a string field's buffer is in a record: its text is the C string there, decoded. */
interface StringAt { readonly offset: number; readonly size: number }

/** A kind as Sigma sees it, worked out once from its registry entry. */
interface KindView {
  readonly category: string;
  readonly creation: boolean;
  /** writesOnly: where the open flags (-1: the kind has none; every success is a write) and the result are. */
  readonly writes: { readonly flags: number; readonly result: number } | null;
  /** The exec's program path, for Image (creation kinds); the path as passed when the capture has none. */
  readonly exe: FieldReader | null;
  readonly exeAsPassed: FieldReader | null;
  readonly fields: ReadonlyMap<string, FieldReader>;
  /** The Sigma fields of `fields` that are a string of the record, and where (for `bytes`). */
  readonly strings: ReadonlyMap<string, StringAt>;
  /**
   * Sigma fields whose field meant something else in older schema versions
   * (RENAMED_FIELDS): in a capture older than `since`, what the field meant
   * then is read from `read` (schema 1's file_open.path, the path as passed,
   * is this build's path_arg).
   */
  readonly legacy: ReadonlyMap<string, { readonly read: FieldReader; readonly since: number; readonly string: StringAt | null; readonly cut: CutReader | null }>;
  /** The Sigma fields of `fields` that can be cut (strings of the record), and how to tell (cut-strings.ts). */
  readonly cuts: ReadonlyMap<string, CutReader>;
  /** `cuts`' readers, for hasCut. */
  readonly cutList: readonly CutReader[];
  /** Creation kinds: whether the program path Image reads (the kernel's, or as passed) was cut. */
  readonly exeCut: CutReader | null;
  readonly exeAsPassedCut: CutReader | null;
  readonly constants: ReadonlyMap<string, string | number | boolean>;
  /** Sigma field -> the fact replay works out for it (dst_hostname, dns.names). */
  readonly facts: ReadonlyMap<string, string>;
  /** Only records whose field reads this value belong to the category. */
  readonly when: { readonly read: FieldReader; readonly equals: number } | null;
}

const IPPROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'ipv6-icmp', 132: 'sctp' };
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;

function kindView(kind: KindLayout): KindView | null {
  const spec = kind.sigma;
  if (spec === undefined) return null;
  const layoutOf = (name: string) => {
    const i = kind.layout.fields.findIndex((f) => f.name === name);
    return i < 0 ? null : { f: kind.layout.fields[i], s: kind.schemaFields[i] };
  };
  const reader = (name: string): FieldReader | null => {
    const x = layoutOf(name);
    if (x === null) return null;
    const { f, s } = x;
    const o = f.offset;
    switch (s.view) {
      case 'string': return (b, at) => bytesToText(cStringBytes(b, at + o, f.size));
      // A Unix socket address as replay prints it (`@` before an abstract name, its NULs kept): never a C string (`strings`).
      case 'unix_path': {
        const size = layoutOf(s.sizeField!)!.f.offset;
        const abstract = layoutOf(s.abstractField!)!.f.offset;
        return (b, at) => unixPathText(b, at + o, f.size, u16le(b, at + size), u16le(b, at + abstract));
      }
      case 'addr': {
        const family = layoutOf(s.familyField!)!.f.offset;
        return (b, at) => ((recordFlags(b, at) & EVENT_FLAG_USER_READ_FAILED) !== 0 ? null : addressText(u16le(b, at + family), b.subarray(at + o, at + o + f.size)));
      }
      default:
        if (f.type === 'u16') return (b, at) => u16le(b, at + o);
        if (f.type === 'u32') return (b, at) => u32le(b, at + o);
        if (f.type === 's32') return (b, at) => s32le(b, at + o);
        if (f.type === 'u64') return (b, at) => Number(u64le(b, at + o));
        return null;
    }
  };
  const stringAt = (name: string): StringAt | null => {
    const x = layoutOf(name);
    return x !== null && x.s.view === 'string' ? { offset: x.f.offset, size: x.f.size } : null;
  };
  const fields = new Map<string, FieldReader>();
  const strings = new Map<string, StringAt>();
  const legacy = new Map<string, { read: FieldReader; since: number; string: StringAt | null; cut: CutReader | null }>();
  const cuts = new Map<string, CutReader>();
  for (const [sigma, name] of Object.entries(spec.fields ?? {})) {
    const read = reader(name)!;
    const renamed = RENAMED_FIELDS.find((r) => r.kind === kind.name && r.from === name);
    if (renamed !== undefined) legacy.set(sigma, { read: reader(renamed.to)!, since: renamed.since, string: stringAt(renamed.to), cut: stringCut(kind, renamed.to) });
    const cut = stringCut(kind, name);
    if (cut !== null) cuts.set(sigma, cut);
    if (sigma === 'Protocol') {
      // IPPROTO_* of the socket as Sysmon names it; 0 (unknown) falls back on the socket type when the kind has it.
      const type = reader('sock_type');
      fields.set(sigma, (b, at) => {
        const p = read(b, at) as number;
        if (p !== 0) return IPPROTO_NAMES[p] ?? String(p);
        const t = type === null ? 0 : (type(b, at) as number);
        return t === SOCK_STREAM ? 'tcp' : t === SOCK_DGRAM ? 'udp' : null;
      });
      continue;
    }
    fields.set(sigma, read);
    const string = stringAt(name);
    if (string !== null) strings.set(sigma, string);
    const s = layoutOf(name)!.s;
    if (s.view === 'addr' && sigma.endsWith('Ip')) {
      const family = layoutOf(s.familyField!)!.f.offset;
      fields.set(`${sigma.slice(0, -2)}IsIpv6`, (b, at) => u16le(b, at + family) === AF_INET6);
    }
  }
  const role = kind.process;
  const flags = kind.schemaFields.findIndex((f) => f.view === 'open_flags');
  const result = kind.schemaFields.findIndex((f) => f.view === 'result');
  return {
    category: spec.category,
    creation: role.role === 'exec',
    writes: spec.writesOnly === true ? { flags: flags < 0 ? -1 : kind.layout.fields[flags].offset, result: kind.layout.fields[result].offset } : null,
    exe: role.role === 'exec' ? reader(role.exe) : null,
    exeAsPassed: role.role === 'exec' && role.exeAsPassed !== undefined ? reader(role.exeAsPassed) : null,
    fields,
    strings,
    legacy,
    cuts,
    cutList: [...cuts.values()],
    exeCut: role.role === 'exec' ? stringCut(kind, role.exe) : null,
    exeAsPassedCut: role.role === 'exec' && role.exeAsPassed !== undefined ? stringCut(kind, role.exeAsPassed) : null,
    constants: new Map(Object.entries(spec.constants ?? {})),
    facts: new Map(Object.entries(spec.facts ?? {})),
    when: spec.when === undefined ? null : { read: reader(spec.when.field)!, equals: spec.when.equals },
  };
}

export class RecordView implements SigmaEventView {
  category: string | null = null;
  private kinds: (KindView | null | undefined)[] = [];
  private kind: KindView | null = null;
  private kindId = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private at = 0;
  private node: ProcessNode | null = null;
  private source: RecordSource = { host: '', clock: null, users: new Map() };
  /** The rule engine's facts of the same record, when both run: what replay's network state learnt (dst_hostname, dns.names). */
  private facts: FactSource | null = null;

  constructor(private readonly schema: Schema = BUILD_SCHEMA) {}

  /** Points the view at a record; returns its category (null: no Sigma log source fits it). */
  set(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, source: RecordSource, facts: FactSource | null = null): string | null {
    let kind = this.kinds[kindId];
    if (kind === undefined) {
      const layout = this.schema.byId[kindId];
      kind = layout === undefined ? null : kindView(layout);
      this.kinds[kindId] = kind;
    }
    this.kind = kind;
    this.kindId = kindId;
    this.bytes = bytes;
    this.at = at;
    this.node = node;
    this.source = source;
    this.facts = facts;
    if (kind === null) return (this.category = null);
    // A Sysmon FileCreate is a file created or overwritten: a read, or a failed open, changed nothing.
    const w = kind.writes;
    if (w !== null && ((w.flags >= 0 && !opensForWrite(u32le(bytes, at + w.flags))) || s32le(bytes, at + w.result) < 0)) return (this.category = null);
    if (kind.when !== null && kind.when.read(bytes, at) !== kind.when.equals) return (this.category = null);
    return (this.category = kind.category);
  }

  get timeMs(): number {
    const clock = this.source.clock;
    if (clock === null) return Number.NaN;
    return Number(clock.realtimeNs(recordTsNs(this.bytes, this.at)) / 1000n) / 1000;
  }

  get(field: string): SigmaFieldValue | undefined {
    const k = this.kind;
    if (k === null) return undefined;
    const b = this.bytes;
    const at = this.at;
    const node = this.node;
    const read = k.fields.get(field);
    if (read !== undefined) {
      const old = k.legacy.get(field);
      if (old !== undefined && (this.source.schemaVersion ?? this.schema.version) < old.since) return old.read(b, at);
      return read(b, at);
    }
    const fact = k.facts.get(field);
    if (fact !== undefined) return this.facts === null ? null : (this.facts.get(fact) as SigmaFieldValue | undefined) ?? null;
    const constant = k.constants.get(field);
    if (constant !== undefined) return constant;
    switch (field) {
      case 'ProcessId': return recordPid(b, at);
      case 'User': return this.source.users.get(recordUid(b, at)) ?? null;
      case 'Image': {
        if (k.exe === null) return node?.exe ?? null;
        const exe = k.exe(b, at);
        return exe === '' && k.exeAsPassed !== null ? k.exeAsPassed(b, at) : exe;
      }
      case 'ProcessGuid': return node === null ? null : processGuid(node);
    }
    if (!k.creation) return undefined;
    const parent = node?.parent ?? null;
    switch (field) {
      case 'CommandLine': return node?.argv?.join(' ') ?? null;
      case 'LogonId': return recordAuid(b, at);
      case 'ParentProcessId': return recordPpid(b, at);
      case 'ParentImage': return parent?.exe ?? null;
      case 'ParentCommandLine': return parent?.argv?.join(' ') ?? null;
      case 'ParentUser': return parent === null ? null : this.source.users.get(parent.uid) ?? null;
      case 'ParentProcessGuid': return parent === null ? null : processGuid(parent);
    }
    return undefined;
  }

  /** Some field a rule can read is cut: one of the record's strings, the program path or command line (of the parent too, for a creation). */
  hasCut(): boolean {
    const k = this.kind;
    if (k === null) return false;
    const b = this.bytes;
    const at = this.at;
    for (let i = 0; i < k.cutList.length; i++) if (k.cutList[i](b, at)) return true;
    const node = this.node;
    if (!k.creation) return k.exe === null && node !== null && (node.cut & CUT_EXE) !== 0;
    if (this.exeCut()) return true;
    if (node !== null && (node.cut & CUT_ARGV) !== 0) return true;
    const parent = node?.parent ?? null;
    return parent !== null && parent.cut !== 0;
  }

  cut(field: string): boolean {
    const k = this.kind;
    if (k === null) return false;
    const b = this.bytes;
    const at = this.at;
    const cut = k.cuts.get(field);
    if (cut !== undefined) {
      const old = k.legacy.get(field);
      if (old !== undefined && (this.source.schemaVersion ?? this.schema.version) < old.since) return old.cut !== null && old.cut(b, at);
      return cut(b, at);
    }
    const node = this.node;
    switch (field) {
      case 'Image': return k.exe === null ? node !== null && (node.cut & CUT_EXE) !== 0 : this.exeCut();
    }
    if (!k.creation) return false;
    const parent = node?.parent ?? null;
    switch (field) {
      case 'CommandLine': return node !== null && (node.cut & CUT_ARGV) !== 0;
      case 'ParentImage': return parent !== null && (parent.cut & CUT_EXE) !== 0;
      case 'ParentCommandLine': return parent !== null && (parent.cut & CUT_ARGV) !== 0;
    }
    return false;
  }

  /** A creation's Image, read as `get` reads it: the kernel's path, else the path as passed. */
  private exeCut(): boolean {
    const k = this.kind!;
    if (k.exe === null) return false;
    // A cut kernel path is not empty, so it is the one read; the path as passed only counts when that one is empty.
    if (k.exeCut !== null && k.exeCut(this.bytes, this.at)) return true;
    return k.exeAsPassedCut !== null && k.exeAsPassedCut(this.bytes, this.at) && k.exe(this.bytes, this.at) === '';
  }

  bytesOf(field: string, into: ByteSpan): boolean {
    const k = this.kind;
    if (k === null) return false;
    let string = k.strings.get(field);
    if (string === undefined) return false;
    // As `get` reads it: in an older capture, what the field meant then.
    const old = k.legacy.get(field);
    if (old !== undefined && (this.source.schemaVersion ?? this.schema.version) < old.since) {
      if (old.string === null) return false;
      string = old.string;
    }
    const start = this.at + string.offset;
    into.buf = this.bytes;
    into.start = start;
    into.end = Math.min(start + string.size, this.bytes.length);
    return true;
  }

  ref(): RecordRef {
    const size = this.schema.byId[this.kindId]!.layout.size;
    return { kindId: this.kindId, bytes: this.bytes.slice(this.at, this.at + size), node: this.node, source: this.source };
  }
}

const guids = new WeakMap<ProcessNode, { startNs: bigint; guid: string }>();

/**
 * A process's stable id, in Sysmon's GUID shape: a hash of the boot it ran
 * in, its pid and its start time (its fork, when the capture saw it). Null
 * while the start time is unknown (a process older than the capture, until
 * its exit record tells).
 */
export function processGuid(node: ProcessNode): string | null {
  if (node.startNs === null) return null;
  const cached = guids.get(node);
  if (cached !== undefined && cached.startNs === node.startNs) return cached.guid;
  const h = createHash('sha256').update(`${node.host}/${node.pid}/${node.startNs}`).digest('hex');
  const guid = `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}}`;
  guids.set(node, { startNs: node.startNs, guid });
  return guid;
}
