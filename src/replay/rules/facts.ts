/**
 * An event's facts for rules: its output fields plus its process, parent and
 * ancestors, and for an exec `filename_in_cwd`: the name the caller passed
 * joined to the kernel's cwd (a script keeps its own path there, while the
 * kernel's exe_path is its interpreter's).
 */
import { cStringBytes, s32le, u16le, u32le } from '../../abi/bytes.js';
import { eventValues } from '../../abi/event-values.js';
import { recordFlags } from '../../abi/header-access.js';
import { BUILD_SCHEMA, type KindLayout, type Schema } from '../../abi/schema.js';
import { bytesToText, joinPathLexically, opensForWrite } from '../../abi/values.js';
import { Ancestry } from '../ancestry.js';
import { CUT_ARGV, CUT_EXE, type ProcessNode } from '../process-table.js';
import { type CutReader, stringCut } from '../../abi/cut-strings.js';
import { derivedFrom, FILE_FACTS, FactsWithFileFacts, fileFact } from './builtin.js';
import { outputKeys, resultUnseenMask } from '../../abi/views.js';
import { CUT_ALL, CUT_LAST, CUT_NONE, type FactSource, type Facts, type FactValue } from './model.js';

export function eventFacts(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, schema: Schema = BUILD_SCHEMA): Facts {
  const { kind, values } = eventValues(kindId, bytes, at, schema);
  // A value the record does not know (null: a result RESULT_UNSEEN) is no fact: unknown, as RecordFacts reads it.
  for (const [key, value] of values) if (value === null) values.delete(key);
  const facts: Facts = new FactsWithFileFacts(values as Map<string, string | number | boolean | string[]>);
  // `write`: opened for writing, for any kind that records open flags.
  kind.layout.fields.forEach((f, i) => {
    if (kind.schemaFields[i].view === 'open_flags') facts.set('write', opensForWrite(u32le(bytes, at + f.offset)));
  });
  const role = kind.process;
  if (role.role === 'exec' && role.exeAsPassed !== undefined && role.cwd !== undefined) {
    const name = facts.get(role.exeAsPassed);
    const cwd = facts.get(role.cwd);
    // Only with a cwd from the kernel (a capture of an older schema has none).
    if (typeof name === 'string' && name !== '' && typeof cwd === 'string' && cwd.startsWith('/')) facts.set('filename_in_cwd', joinPathLexically(cwd, name));
  }
  if (node !== null) for (const key of NODE_FACTS) facts.set(key, nodeFact(node, key));
  return facts;
}

/** Every key eventFacts can give a record of `kind` (some only for some records: `error`, ...). */
export function possibleFacts(kind: KindLayout): ReadonlySet<string> {
  const keys = new Set<string>(['event_type', 'write', 'filename_in_cwd', ...NODE_FACTS, ...FILE_FACTS]);
  for (const f of kind.schemaFields) for (const k of outputKeys(f)) keys.add(k);
  for (const flag of kind.flags) keys.add(flag.outputName);
  return keys;
}

/** The facts an event's process gives (none without a process node). */
const NODE_FACTS = ['process.exe', 'process.argv', 'process.known', 'parent.exe', 'parent.comm', 'ancestors.exe', 'ancestors.comm', 'stdin_from.exe', 'stdout_to.exe'] as const;
const NODE_FACT_SET: ReadonlySet<string> = new Set(NODE_FACTS);

function nodeFact(node: ProcessNode, key: (typeof NODE_FACTS)[number]): FactValue {
  switch (key) {
    case 'process.exe': return node.exe;
    case 'process.argv': return node.argv;
    case 'process.known': return node.startSeen;
    case 'parent.exe': return node.parent?.exe ?? null;
    case 'parent.comm': return node.parent?.comm ?? null;
    case 'ancestors.exe': return new Ancestry(node, 'exe');
    case 'ancestors.comm': return new Ancestry(node, 'comm');
    // Who is on the other end of its stdin and stdout pipes (`curl ... | sh`): their programs now.
    case 'stdin_from.exe': return otherEnds(node, node.stdinPipe?.writers);
    case 'stdout_to.exe': return otherEnds(node, node.stdoutPipe?.readers);
  }
}

const otherEnds = (node: ProcessNode, ends: readonly ProcessNode[] | undefined): string[] => (ends ?? []).filter((n) => n !== node && n.exe !== null).map((n) => n.exe!);

/** Per kind: the facts that are strings of the record (argv too), and how to tell whether the capture cut each. */
export function cutReaders(kind: KindLayout): Map<string, CutReader> {
  const out = new Map<string, CutReader>();
  for (const f of kind.schemaFields) {
    const cut = stringCut(kind, f.name);
    if (cut !== null) out.set(f.key ?? f.name, cut);
  }
  return out;
}

/** How to read one fact straight from a kind's records: a number, or text (decoded once per event). */
type DirectFact = { readonly kind: 'u32' | 's32' | 'u16'; readonly offset: number } | { readonly kind: 'text'; readonly offset: number; readonly size: number }
  | { readonly kind: 'write'; readonly offset: number } | { readonly kind: 'flag'; readonly bit: number }
  // a result the record may say it does not know (RESULT_UNSEEN's mask): then unknown, as --json's null
  | { readonly kind: 'result'; readonly offset: number; readonly unseen: number };

/** Per kind: the facts read without decoding the whole record (numbers and strings of its fields). */
function directFacts(kind: KindLayout): Map<string, DirectFact> {
  const out = new Map<string, DirectFact>();
  kind.layout.fields.forEach((f, i) => {
    const view = kind.schemaFields[i].view;
    const key = kind.schemaFields[i].key ?? f.name;
    if (view === 'open_flags') out.set('write', { kind: 'write', offset: f.offset });
    if (view === 'string') out.set(key, { kind: 'text', offset: f.offset, size: f.size });
    else if (view === 'result' && f.type === 's32' && resultUnseenMask(kind) !== 0) out.set(key, { kind: 'result', offset: f.offset, unseen: resultUnseenMask(kind) });
    else if ((view === 'uint' || view === 'int' || view === 'result' || view === 'port') && (f.type === 'u32' || f.type === 's32' || f.type === 'u16')) out.set(key, { kind: f.type, offset: f.offset });
  });
  for (const flag of kind.flags) out.set(flag.outputName, { kind: 'flag', bit: flag.bit });
  return out;
}

/**
 * An event's facts, read on demand: event type, write access, numbers and
 * strings straight from the bytes, the rest (process context, flags text,
 * addresses) from `eventFacts` once per event when a rule gets that far.
 * Built-in rules on a capture of mostly reads then never decode a read. One
 * instance is reused for every record. (--alerts on a real 1M-event capture:
 * ~6x the CPU of --json with a Map of every fact per event, ~1x with this.)
 */
export class RecordFacts implements FactSource {
  private kind: KindLayout | undefined;
  private direct = new Map<string, DirectFact>();
  private bytes: Uint8Array = new Uint8Array(0);
  private at = 0;
  private node: ProcessNode | null = null;
  private schemaVersion: number;
  /** Facts of fields the record's capture did not have (a record rebuilt from another schema version). */
  private unknown: ReadonlySet<string> | null = null;
  private all: Facts | null = null;
  /** Facts replay's network state adds (net-state.ts), and the event's dst_hostname. */
  private extra: ReadonlyMap<string, FactValue> | null = null;
  private dstHostname: string | undefined;
  /** Text facts already decoded for this event (several rules test the same path). */
  private readonly texts = new Map<string, string>();
  private readonly directByKind = new Map<number, Map<string, DirectFact>>();
  /** Every key eventFacts can give a record of the current kind. */
  private possible: ReadonlySet<string> = new Set();
  private readonly possibleByKind = new Map<number, ReadonlySet<string>>();
  private cuts = new Map<string, CutReader>();
  private readonly cutsByKind = new Map<number, Map<string, CutReader>>();

  constructor(private readonly schema: Schema = BUILD_SCHEMA) {
    this.schemaVersion = schema.version;
  }

  reset(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, schemaVersion = this.schema.version, unknown: readonly string[] | null = null,
    extra: ReadonlyMap<string, FactValue> | null = null, dstHostname?: string): this {
    this.extra = extra;
    this.dstHostname = dstHostname;
    if (this.kind?.id !== kindId) {
      this.kind = this.schema.byId[kindId];
      let direct = this.directByKind.get(kindId);
      if (direct === undefined && this.kind !== undefined) this.directByKind.set(kindId, (direct = directFacts(this.kind)));
      this.direct = direct ?? new Map();
      let possible = this.possibleByKind.get(kindId);
      if (possible === undefined && this.kind !== undefined) this.possibleByKind.set(kindId, (possible = possibleFacts(this.kind)));
      this.possible = possible ?? new Set();
      let cuts = this.cutsByKind.get(kindId);
      if (cuts === undefined && this.kind !== undefined) this.cutsByKind.set(kindId, (cuts = cutReaders(this.kind)));
      this.cuts = cuts ?? new Map();
    }
    this.bytes = bytes;
    this.at = at;
    this.node = node;
    this.schemaVersion = schemaVersion;
    this.unknown = unknown === null || unknown.length === 0 ? null : new Set(unknown);
    this.all = null;
    if (this.texts.size > 0) this.texts.clear();
    return this;
  }

  get(key: string): FactValue | undefined {
    if (key === 'event_type') return this.kind?.eventType;
    if (key === 'schema_version') return this.schemaVersion;
    if (this.unknown !== null && this.unknown.has(key)) return undefined; // not recorded: unknown, not empty
    if (key === 'dst_hostname') return this.dstHostname;
    if (this.extra !== null && this.extra.has(key)) return this.extra.get(key);
    const d = this.direct.get(key);
    const b = this.bytes;
    const at = this.at;
    if (d !== undefined) {
      switch (d.kind) {
        case 'write': return opensForWrite(u32le(b, at + d.offset));
        case 'u32': return u32le(b, at + d.offset);
        case 's32': return s32le(b, at + d.offset);
        case 'u16': return u16le(b, at + d.offset);
        case 'flag': return (recordFlags(b, at) & d.bit) !== 0;
        case 'result': return (recordFlags(b, at) & d.unseen) !== 0 ? undefined : s32le(b, at + d.offset);
        case 'text': {
          let t = this.texts.get(key);
          if (t === undefined) this.texts.set(key, (t = bytesToText(cStringBytes(b, at + d.offset, d.size))));
          return t;
        }
      }
    }
    if (key === 'write') return undefined;
    // derived from a few facts: a read open never decodes the whole record for them
    if (key === 'written_path' || key === 'wiped_path') return fileFact(key, (k) => this.get(k));
    // The process's facts from its node: a rule on the process never decodes the whole record.
    if (NODE_FACT_SET.has(key)) return this.node === null ? undefined : nodeFact(this.node, key as (typeof NODE_FACTS)[number]);
    // A key no record of this kind has (a Sigma field of another kind of its category: a rename has no `path`).
    if (!this.possible.has(key)) return undefined;
    this.all ??= eventFacts(this.kind!.id, b, at, this.node, this.schema);
    return this.all.get(key);
  }

  /** FactSource.cut: a string of the record the capture cut, a fact made from one, or the process's cut exe or argv. */
  cut(key: string): number {
    const kind = this.kind;
    if (kind === undefined || (this.unknown !== null && this.unknown.has(key))) return CUT_NONE;
    const reader = this.cuts.get(key);
    if (reader !== undefined) return reader(this.bytes, this.at) ? CUT_LAST : CUT_NONE;
    const node = this.node;
    switch (key) {
      case 'process.exe': return node !== null && (node.cut & CUT_EXE) !== 0 ? CUT_LAST : CUT_NONE;
      case 'process.argv': return node !== null && (node.cut & CUT_ARGV) !== 0 ? CUT_LAST : CUT_NONE;
      case 'parent.exe': return node?.parent != null && (node.parent.cut & CUT_EXE) !== 0 ? CUT_LAST : CUT_NONE;
    }
    const from = derivedFrom(key, kind.eventType, this.schemaVersion);
    if (from.length === 0) return CUT_NONE;
    const value = this.get(key);
    if (value === undefined || value === null) return CUT_NONE;
    for (const k of from) if (this.cut(k) !== CUT_NONE) return Array.isArray(value) ? CUT_ALL : CUT_LAST;
    // RENAME_EXCHANGE writes both names: [new_path, old_path].
    if (Array.isArray(value) && this.cut('old_path') !== CUT_NONE) return CUT_ALL;
    return CUT_NONE;
  }
}
