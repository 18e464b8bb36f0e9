/**
 * Record bytes -> one NDJSON line, with no per-event object and no
 * JSON.stringify. Each kind's steps are derived from the schema (key, offset,
 * how to print), interpreted for a kind's first events (interpretKind) and
 * then compiled into a writer function of its own (compileWriter).
 *
 * Key order is fixed: event_type, the header fields in schema order with
 * `time` right after `ts_ns`, the kind's own fields, then its flag booleans.
 */
import { AF_INET } from '../abi/constants.js';
import { CPU_OFFSET, FLAGS_OFFSET, TID_OFFSET } from '../abi/header-access.js';
import { BUILD_SCHEMA, EVENT_FLAG_USER_READ_FAILED, type KindLayout, type Schema, type SchemaField } from '../abi/schema.js';
import { elementSize, type FieldLayout } from '../abi/layout.js';
import { addrFlagsText, addressText, devText, enumText, errnoName, familyName, openFlagsText, pathFlagsText, syscallText } from '../abi/values.js';
import { viewEntries } from '../abi/intrusion-values.js';
import { UNIX_PREFIXES, unixNameEnd, unixPrefixOf, unixSizeInvalid } from '../abi/unix-path.js';
import { outputKeys, resultUnseenMask, unixSizeInvalidKey } from '../abi/views.js';
import { ByteOutput, byteOutputSize, copyBytes, type PackedBytes, putPacked } from './byte-output.js';
import { CachedFieldRenderer, packText } from './field-renderer.js';
import { putCString, putInt, putStringBytes, putU32At, putU64At, putUint, warmUpStrings } from './json-bytes.js';
import { HeaderMemo, MEMO_SLOTS, memoKeep, memoStore } from './header-memo.js';
import { arenaAddressOf } from './plain-ascii.js';
import { type WallClock, warmUpWallClock } from './wall-clock.js';

const enum Op { U8, U16, U32, S32, U64, Ts, CString, Argv, OpenFlags, Result, Family, Addr, ExitStatus, PathFlags, AddrFlags, Syscall, Dev, Enum, Rendered, UnixPath, MemoStart, MemoEnd }

/**
 * The header fields from `pid` to `comm` (identity, cpu, namespace) stay the
 * same from one event of a thread to the next: their JSON text is remembered
 * per thread and CPU (header-memo.ts) and copied whole while their record
 * bytes are unchanged. Bytes of fields in between that are not printed here
 * (flags) are masked out of the comparison.
 * Why: these are 10 of an event's ~17 printed values; rendering them was a
 * third of the encoder's time on a real capture (numbers up to 20 digits,
 * the comm escaped byte by byte).
 */
const MEMO_FIRST = 'pid';
const MEMO_LAST = 'comm';

/** One printed field (or the start or end of a memo run) of a kind, in output order. */
interface Step {
  readonly op: Op;
  readonly key: string;
  readonly offset: number;
  /** Buffer length for strings, related field offset for Argv and UnixPath (size) and Addr (family). */
  readonly arg: number;
  /** Argv and UnixPath: the buffer's length, which bounds the size field. */
  readonly arg2?: number;
  /** UnixPath: its abstract field and the texts of its second key. */
  readonly unix?: UnixPathStep;
  /** MemoStart: per word of the record the run covers, the bits its printed fields occupy. */
  readonly masks?: Int32Array;
  /** Enum: each value's JSON text. */
  readonly names?: TextCache;
  /** Rendered: the field's renderer (arg is its index in the writer's renderers), type and size. */
  readonly renderer?: FieldRenderer;
  readonly type?: string;
  readonly size?: number;
}

/**
 * A field of the file and process kinds' views (mode, syscall, flag words,
 * signals, status booleans; src/abi/intrusion-values.ts): its JSON text
 * after the first key, with any further keys it prints. Numbers repeat (the
 * same syscall, mode, signal), so their text is kept per value.
 */
class FieldRenderer extends CachedFieldRenderer {
  protected render(value: number | bigint | Uint8Array): PackedBytes {
    const entries = viewEntries(this.field, value);
    return packText(entries.map(([k, v], i) => (i === 0 ? '' : `,"${k}":`) + JSON.stringify(v)).join(''));
  }
}

const keyBytes = (name: string) => packText(`,"${name}":`);

function viewOf(f: SchemaField, layout: FieldLayout): Op | null {
  switch (f.view) {
    case 'hidden': return null;
    case 'string': return Op.CString;
    case 'unix_path': return Op.UnixPath;
    case 'argv': return Op.Argv;
    case 'open_flags': return Op.OpenFlags;
    case 'result': return Op.Result;
    case 'family': return Op.Family;
    case 'addr': return Op.Addr;
    case 'exit_status': return Op.ExitStatus;
    case 'path_flags': return Op.PathFlags;
    case 'addr_flags': return Op.AddrFlags;
    case 'syscall': return Op.Syscall;
    case 'dev': return Op.Dev;
    case 'enum': return Op.Enum;
    case 'port': return Op.U16;
    case 'uint':
      return layout.type === 'u64' ? Op.U64 : layout.type === 'u16' ? Op.U16 : layout.type === 'u8' ? Op.U8 : Op.U32;
    case 'int': return Op.S32;
    case 'mode': case 'bits': case 'named': case 'signal': case 'caps': case 'hex': case 'status':
      return Op.Rendered;
  }
}

function buildSteps(kind: KindLayout): Step[] {
  const steps: Step[] = [];
  const schemaFields = kind.schemaFields;
  const offsetOf = (name: string | undefined) => kind.layout.fields.find((x) => x.name === name)!.offset;
  kind.layout.fields.forEach((layout, i) => {
    const field = schemaFields[i];
    const op = viewOf(field, layout);
    if (op === null) return;
    let arg = layout.size;
    if (op === Op.Argv || op === Op.UnixPath) arg = offsetOf(field.sizeField);
    if (op === Op.Addr) arg = offsetOf(field.familyField);
    if (op === Op.Result) arg = resultUnseenMask(kind);
    if (op === Op.UnixPath) {
      steps.push({ op, key: field.key ?? layout.name, offset: layout.offset, arg, arg2: layout.size, unix: new UnixPathStep(offsetOf(field.abstractField), unixSizeInvalidKey(field)) });
      return;
    }
    if (op === Op.ExitStatus) {
      steps.push({ op, key: 'exit_code', offset: layout.offset, arg: 0 });
      return;
    }
    if (op === Op.Rendered) {
      steps.push({ op, key: outputKeys(field)[0], offset: layout.offset, arg: 0, renderer: new FieldRenderer(field), type: layout.type, size: layout.size });
      return;
    }
    if (layout.name === MEMO_FIRST) steps.push({ op: Op.MemoStart, key: '', offset: layout.offset, arg: 0, masks: memoMasks(kind, schemaFields) });
    if (op === Op.Enum) arg = elementSize(layout.type);
    const names = op === Op.Enum ? new TextCache((n) => enumText(field.names!, n)) : undefined;
    steps.push({ op, key: field.key ?? layout.name, offset: layout.offset, arg, arg2: layout.size, names });
    if (layout.name === MEMO_LAST) steps.push({ op: Op.MemoEnd, key: '', offset: 0, arg: 0 });
    if (layout.name === 'ts_ns') steps.push({ op: Op.Ts, key: TIME_KEY_NAME, offset: layout.offset, arg: 0 });
  });
  checkMemoRun(kind, steps);
  return steps;
}

/**
 * The comparison masks of the memo run, a word per 4 record bytes from
 * MEMO_FIRST to the end of MEMO_LAST: the bytes of printed fields count,
 * hidden ones (flags, printed elsewhere from its own bits) do not.
 */
function memoMasks(kind: KindLayout, schemaFields: readonly SchemaField[]): Int32Array {
  const fields = kind.layout.fields;
  const first = fields.findIndex((f) => f.name === MEMO_FIRST);
  const last = fields.findIndex((f) => f.name === MEMO_LAST);
  const start = fields[first].offset;
  const end = fields[last].offset + fields[last].size;
  if (start % 4 !== 0 || (end - start) % 4 !== 0) throw new Error(`ndjson: the memo run of ${kind.name} is not whole words`);
  const bytes = new Uint8Array(end - start);
  for (let i = first; i <= last; i++) if (schemaFields[i].view !== 'hidden') bytes.fill(0xff, fields[i].offset - start, fields[i].offset - start + fields[i].size);
  return new Int32Array(bytes.buffer);
}

/** Every step inside the memo run must print from record bytes within the run alone: its text then depends on nothing else. */
function checkMemoRun(kind: KindLayout, steps: readonly Step[]): void {
  const start = steps.findIndex((s) => s.op === Op.MemoStart);
  const end = steps.findIndex((s) => s.op === Op.MemoEnd);
  const from = steps[start].offset;
  const to = from + 4 * steps[start].masks!.length;
  for (const s of steps.slice(start + 1, end)) {
    const plain = s.op === Op.U8 || s.op === Op.U16 || s.op === Op.U32 || s.op === Op.S32 || s.op === Op.U64 || s.op === Op.CString;
    if (!plain || s.offset < from || s.offset >= to) throw new Error(`ndjson: ${s.key} cannot be in the memo run of ${kind.name}`);
  }
}

/**
 * A kind's writer, compiled from its steps into straight-line JavaScript: key
 * bytes become literal word stores, offsets literal numbers, and there is no
 * loop over steps, no switch and no table reads per event. The source is built
 * only from the schema (names, offsets, sizes); nothing from a capture file
 * reaches it. Encoder only, real 1M-event capture: 365 -> 283 ns per event
 * against the table-driven loop it replaced.
 */
type Writer = (b: Uint8Array, ov: DataView, p: number, src: Uint8Array, view: DataView, at: number, clock: WallClock | null, memo: HeaderMemo,
  sa: number, da: number) => number;

/** A writer's parameters: `sa` and `da` are the arena addresses of src[0] and b[0], or -1 (plain-ascii.ts). */
const WRITER_PARAMS = 'b, ov, p, src, view, at, clock, memo, sa, da';

/** Word stores of constant bytes at `p + …`, then the position moved past them. */
function emitConstant(bytes: PackedBytes): string {
  if (bytes.length === 0) return '';
  const stores = Array.from(bytes.words, (w, i) => `ov.setInt32(p + ${4 * i}, ${w}, true);`);
  return `${stores.join(' ')} p += ${bytes.length};\n`;
}

function emitValue(s: Step): string {
  const o = `at + ${s.offset}`;
  switch (s.op) {
    case Op.U8: return `p = putUint(ov, p, view.getUint8(${o}));\n`;
    case Op.U16: return `p = putUint(ov, p, view.getUint16(${o}, true));\n`;
    case Op.U32: return `p = putU32At(ov, p, view, ${o});\n`;
    case Op.S32: return `p = putInt(ov, p, view.getInt32(${o}, true));\n`;
    case Op.U64: return `p = putU64At(ov, p, view, ${o});\n`;
    case Op.Ts: return `p = clock === null ? putPacked(ov, p, NULL) : clock.put(b, ov, p, view, ${o});\n`;
    case Op.CString: return `p = putCString(b, ov, p, src, view, ${o}, ${s.arg}, sa, da);\n`;
    case Op.Argv: return `p = putArgv(b, ov, p, src, view, ${o}, Math.min(view.getUint32(at + ${s.arg}, true), ${s.arg2}), sa, da);\n`;
    case Op.UnixPath: return `p = putUnixPath(b, ov, p, src, view, ${o}, ${s.arg2}, view.getUint16(at + ${s.arg}, true), view.getUint16(at + ${s.unix!.abstractOffset}, true), unix_${s.offset}.invalidTexts, sa, da);\n`;
    case Op.OpenFlags: return `p = putPacked(ov, p, openFlagsJson.get(view.getUint32(${o}, true)));\n`;
    // arg: the kind's RESULT_UNSEEN mask (an io_uring request recorded at submission: its result is not known, null).
    case Op.Result: return `{ const r = view.getInt32(${o}, true); ${s.arg !== 0 ? `if ((flags & ${s.arg}) !== 0) p = putPacked(ov, p, NULL); else ` : ''}{ p = putInt(ov, p, r); if (r < 0) p = putPacked(ov, putPacked(ov, p, ERROR_KEY), errnoJson.get(-r)); } }\n`;
    case Op.Family: return `p = putPacked(ov, p, familyJson.get(view.getUint16(${o}, true)));\n`;
    case Op.PathFlags: return `p = putPacked(ov, p, pathFlagsJson.get(view.getUint16(${o}, true)));\n`;
    case Op.AddrFlags: return `p = putPacked(ov, p, addrFlagsJson.get(view.getUint16(${o}, true)));\n`;
    case Op.Syscall: return `p = putPacked(ov, p, syscallJson.get(view.getUint16(${o}, true)));\n`;
    case Op.Dev: return `p = putPacked(ov, p, devJson.get(view.getUint32(${o}, true)));\n`;
    // family -1: the address was unreadable, so "".
    case Op.Addr: return `p = putAddress(b, ov, p, (flags & ${EVENT_FLAG_USER_READ_FAILED}) !== 0 ? -1 : view.getUint16(at + ${s.arg}, true), src, ${o});\n`;
    case Op.ExitStatus: return `{ const status = view.getUint32(${o}, true); p = putUint(ov, p, (status >>> 8) & 0xff); p = putUint(ov, putPacked(ov, p, SIGNAL_KEY), status & 0x7f); }\n`;
    case Op.Enum: return `p = putPacked(ov, p, enum_${s.offset}.get(${s.arg === 1 ? `view.getUint8(${o})` : s.arg === 2 ? `view.getUint16(${o}, true)` : `view.getUint32(${o}, true)`}));\n`;
    case Op.Rendered: {
      const r = `renderers[${s.arg}]`;
      if (s.type === 'u64') return `p = putPacked(ov, p, ${r}.big(view.getBigUint64(${o}, true)));\n`;
      if (s.type === 'bytes') return `p = putPacked(ov, p, ${r}.bytes(src, ${o}, ${s.size}));\n`;
      return `p = putPacked(ov, p, ${r}.num(view.${s.type === 'u16' ? 'getUint16' : 'getUint32'}(${o}, true)));\n`;
    }
    case Op.MemoStart: case Op.MemoEnd: throw new Error('ndjson: memo steps have no value');
  }
}

/** The source of `steps` as statements that advance `p`. */
function emitSteps(steps: readonly Step[], memoKeyWords: number): string {
  let body = '';
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const next = steps[i + 1] as Step | undefined;
    if (s.op === Op.U64 && next?.op === Op.Ts && next.offset === s.offset) {
      // ts_ns and the wall-clock time from it, split once (WallClock.putMonotonicAndWall).
      const o = `at + ${s.offset}`;
      body += emitConstant(keyBytes(s.key));
      body += `p = clock === null ? putPacked(ov, putPacked(ov, putU64At(ov, p, view, ${o}), TIME_KEY), NULL) : clock.putMonotonicAndWall(b, ov, p, view, ${o}, TIME_KEY);\n`;
      i++;
    } else if (s.op === Op.MemoStart) {
      // A slot per thread and CPU: a thread that moves between CPUs keeps a text for each.
      body += `{ const slot = (view.getUint32(at + ${TID_OFFSET}, true) ^ (view.getUint16(at + ${CPU_OFFSET}, true) << 4)) & ${MEMO_SLOTS - 1};\n`;
      body += emitMemoLookup(s, memoKeyWords);
      body += `if (text !== null) { copyBytes.call(b, text, p); p += text.length; } else { memoKeep(memo, slot, view, at + ${s.offset}, memoMasks); const start = p;\n`;
    } else if (s.op === Op.MemoEnd) {
      body += 'memoStore(memo, slot, b, start, p); } }\n';
    } else {
      body += emitConstant(keyBytes(s.key)) + emitValue(s);
    }
  }
  return body;
}

/** Compiles `body` into a function named `name` with the helpers it may call in scope. Compiled from the schema only (see Writer). */
function compile<F>(name: string, params: string, body: string, extra: Record<string, unknown>): F {
  const helpers: Record<string, unknown> = {
    putUint, putInt, putU32At, putU64At, putPacked, putCString, putArgv, putAddress, putUnixPath, memoKeep, memoStore, copyBytes,
    openFlagsJson, errnoJson, familyJson, pathFlagsJson, addrFlagsJson, syscallJson, devJson, NULL, ERROR_KEY, SIGNAL_KEY, TIME_KEY, ...extra,
  };
  const names = Object.keys(helpers);
  const factory = new Function(...names, `return function ${name}(${params}) {\n${body}};`) as (...h: unknown[]) => F;
  return factory(...names.map((n) => helpers[n]));
}

/**
 * The steps every kind shares (the header's, ending with the memo run) and
 * each kind's own. Why apart: V8 compiles each hot function on its own; the
 * header inlined into five writers was compiled five times, a cost paid
 * while a replay warms up (pinned to one CPU, on the same core).
 */
function splitSteps(kind: KindLayout): { header: Step[]; own: Step[] } {
  const steps = buildSteps(kind);
  const end = steps.findIndex((s) => s.op === Op.MemoEnd) + 1;
  return { header: steps.slice(0, end), own: steps.slice(end) };
}

function compileHeaderWriter(schema: Schema, memoKeyWords: number): Writer {
  const headers = schema.kinds.map((k) => splitSteps(k).header);
  const same = (a: Step[], b: Step[]) => a.length === b.length && a.every((s, i) => s.op === b[i].op && s.key === b[i].key && s.offset === b[i].offset && s.arg === b[i].arg);
  if (!headers.every((h) => same(h, headers[0]))) throw new Error('ndjson: kinds disagree on the header steps');
  const memoMasks = headers[0].find((s) => s.op === Op.MemoStart)!.masks;
  return compile<Writer>('write_header', WRITER_PARAMS, `${emitSteps(headers[0], memoKeyWords)}return p;\n`, { memoMasks });
}

/** A kind's flag booleans as JSON text, by the value of its flag bits (indexed by `flags & mask`). */
function flagTailsOf(kind: KindLayout): { mask: number; tails: PackedBytes[] } {
  const mask = kind.flags.reduce((m, f) => m | f.bit, 0);
  const none = packText(kind.flags.map((f) => `,"${f.outputName}":false`).join(''));
  // Every index up to the mask has an entry (only subsets are ever read): a sparse array (file_open's mask is
  // 0x1069, 32 subsets) got dictionary elements, and V8 read it through a generic KeyedLoadIC per event with a flag set.
  const tails: PackedBytes[] = new Array<PackedBytes>(mask + 1).fill(none);
  // Each subset of the mask once ((v - mask) & mask is the next one), not every number up to it: a mask
  // with bit 14 set was a loop of 20k turns per kind, hot enough that V8 compiled the function four times
  // with TurboFan on the replay's one CPU (~60 ms of a pinned --json run).
  for (let v = 0; ; v = (v - mask) & mask) {
    tails[v] = packText(kind.flags.map((f) => `,"${f.outputName}":${(v & f.bit) !== 0}`).join(''));
    if (v === mask) break;
  }
  return { mask, tails };
}

const eventTypeBytes = (kind: KindLayout) => packText(`{"event_type":"${kind.eventType}"`);

function compileWriter(kind: KindLayout, writeHeader: Writer, memoKeyWords: number): Writer {
  const { mask: flagMask, tails: flagTails } = flagTailsOf(kind);
  let body = emitConstant(eventTypeBytes(kind));
  body += `const flags = view.getUint16(at + ${FLAGS_OFFSET}, true);\n`;
  body += `p = writeHeader(${WRITER_PARAMS});\n`;
  // Each rendered field's step names its renderer by index (the compiled code takes them in `renderers`).
  const renderers: FieldRenderer[] = [];
  const own = splitSteps(kind).own.map((st) => (st.op === Op.Rendered ? { ...st, arg: renderers.push(st.renderer!) - 1 } : st));
  body += emitSteps(own, memoKeyWords);
  // No flag set is the common case: its tail as literal stores, the others copied from their table.
  body += `if ((flags & ${flagMask}) === 0) { ${emitConstant(flagTails[0])} return p; }\n`;
  body += `return putPacked(ov, p, flagTails[flags & ${flagMask}]);\n`;
  const enums = Object.fromEntries(own.filter((s) => s.op === Op.Enum).map((s) => [`enum_${s.offset}`, s.names]));
  const unixPaths = Object.fromEntries(own.filter((s) => s.op === Op.UnixPath).map((s) => [`unix_${s.offset}`, s.unix]));
  return compile<Writer>(`write_${kind.name}`, WRITER_PARAMS, body, { flagTails, writeHeader, renderers, ...enums, ...unixPaths });
}


/**
 * A kind's steps as data for interpretKind: per step, four numbers in `ops`
 * (op, offset, arg, arg2), its key and its value table (enum texts, field
 * renderer, or a Unix path's step). Rendered fields' arg says how the value is read (RENDER_*).
 */
interface KindProgram {
  readonly start: PackedBytes;
  readonly ops: Int32Array;
  readonly keys: readonly PackedBytes[];
  readonly tables: readonly (TextCache | FieldRenderer | UnixPathStep | null)[];
  readonly flagMask: number;
  readonly flagTails: readonly PackedBytes[];
  /** Events left before the kind gets its compiled writer. */
  left: number;
}

const RENDER_U64 = 0, RENDER_BYTES = 1, RENDER_U16 = 2, RENDER_U32 = 3;
/** Rounds of SchemaWriters.warmUp over every kind's two made-up records, and the records interpreted before it. */
const WARM_UP_ROUNDS = 3;
const WARM_UP_AFTER = 32;

function kindProgram(kind: KindLayout, compileAfter: number): KindProgram {
  const own = splitSteps(kind).own;
  const ops = new Int32Array(4 * own.length);
  own.forEach((st, i) => {
    let arg = st.arg;
    let arg2 = st.arg2 ?? 0;
    if (st.op === Op.Rendered) {
      arg = st.type === 'u64' ? RENDER_U64 : st.type === 'bytes' ? RENDER_BYTES : st.type === 'u16' ? RENDER_U16 : RENDER_U32;
      arg2 = st.size!;
    }
    ops.set([st.op, st.offset, arg, arg2], 4 * i);
  });
  const { mask, tails } = flagTailsOf(kind);
  return {
    start: eventTypeBytes(kind), ops, keys: own.map((st) => keyBytes(st.key)), tables: own.map((st) => st.names ?? st.renderer ?? st.unix ?? null),
    flagMask: mask, flagTails: tails, left: compileAfter,
  };
}

/**
 * A kind's line from its program: the same bytes as its compiled writer (the
 * same helpers, step by step), one function for every kind. Why: V8 compiles
 * each kind's writer on its own with TurboFan, on the same CPU as the replay
 * when it is pinned, ~10-30 ms each; for a kind of a few thousand events
 * that costs more than it ever saves. A kind is written here until it has
 * shown COMPILE_AFTER events.
 */
function interpretKind(k: KindProgram, header: Writer, b: Uint8Array, ov: DataView, p: number, src: Uint8Array, view: DataView, at: number,
  clock: WallClock | null, memo: HeaderMemo, sa: number, da: number): number {
  p = putPacked(ov, p, k.start);
  const flags = view.getUint16(at + FLAGS_OFFSET, true);
  p = header(b, ov, p, src, view, at, clock, memo, sa, da);
  const ops = k.ops;
  for (let i = 0, s = 0; i < ops.length; i += 4, s++) {
    p = putPacked(ov, p, k.keys[s]);
    const o = at + ops[i + 1];
    const arg = ops[i + 2];
    switch (ops[i]) {
      case Op.U8: p = putUint(ov, p, view.getUint8(o)); break;
      case Op.U16: p = putUint(ov, p, view.getUint16(o, true)); break;
      case Op.U32: p = putU32At(ov, p, view, o); break;
      case Op.S32: p = putInt(ov, p, view.getInt32(o, true)); break;
      case Op.U64: p = putU64At(ov, p, view, o); break;
      case Op.CString: p = putCString(b, ov, p, src, view, o, arg, sa, da); break;
      case Op.Argv: p = putArgv(b, ov, p, src, view, o, Math.min(view.getUint32(at + arg, true), ops[i + 3]), sa, da); break;
      case Op.UnixPath: {
        const u = k.tables[s] as UnixPathStep;
        p = putUnixPath(b, ov, p, src, view, o, ops[i + 3], view.getUint16(at + arg, true), view.getUint16(at + u.abstractOffset, true), u.invalidTexts, sa, da);
        break;
      }
      case Op.OpenFlags: p = putPacked(ov, p, openFlagsJson.get(view.getUint32(o, true))); break;
      case Op.Result: {
        const r = view.getInt32(o, true);
        if ((flags & arg) !== 0) {
          p = putPacked(ov, p, NULL);
          break;
        }
        p = putInt(ov, p, r);
        if (r < 0) p = putPacked(ov, putPacked(ov, p, ERROR_KEY), errnoJson.get(-r));
        break;
      }
      case Op.Family: p = putPacked(ov, p, familyJson.get(view.getUint16(o, true))); break;
      case Op.PathFlags: p = putPacked(ov, p, pathFlagsJson.get(view.getUint16(o, true))); break;
      case Op.AddrFlags: p = putPacked(ov, p, addrFlagsJson.get(view.getUint16(o, true))); break;
      case Op.Syscall: p = putPacked(ov, p, syscallJson.get(view.getUint16(o, true))); break;
      case Op.Dev: p = putPacked(ov, p, devJson.get(view.getUint32(o, true))); break;
      case Op.Addr: p = putAddress(b, ov, p, (flags & EVENT_FLAG_USER_READ_FAILED) !== 0 ? -1 : view.getUint16(at + arg, true), src, o); break;
      case Op.ExitStatus: {
        const status = view.getUint32(o, true);
        p = putUint(ov, p, (status >>> 8) & 0xff);
        p = putUint(ov, putPacked(ov, p, SIGNAL_KEY), status & 0x7f);
        break;
      }
      case Op.Enum: {
        const n = arg === 1 ? view.getUint8(o) : arg === 2 ? view.getUint16(o, true) : view.getUint32(o, true);
        p = putPacked(ov, p, (k.tables[s] as TextCache).get(n));
        break;
      }
      case Op.Rendered: {
        const r = k.tables[s] as FieldRenderer;
        p = putPacked(ov, p, arg === RENDER_U64 ? r.big(view.getBigUint64(o, true)) : arg === RENDER_BYTES ? r.bytes(src, o, ops[i + 3])
          : r.num(arg === RENDER_U16 ? view.getUint16(o, true) : view.getUint32(o, true)));
        break;
      }
      default: throw new Error(`ndjson: step ${ops[i]} has no value`);
    }
  }
  return putPacked(ov, p, k.flagTails[flags & k.flagMask]);
}

/**
 * The memo lookup for one run, as statements defining `text`: the slot's text if each record word (masked
 * where the run holds unprinted bytes) equals the key's, else null. Unrolled
 * with literal offsets and masks: no loop and no mask loads per word.
 */
function emitMemoLookup(s: Step, memoKeyWords: number): string {
  const masks = s.masks!;
  const words = Array.from(masks, (mask, k) => {
    const word = `view.getInt32(at + ${s.offset + 4 * k}, true)`;
    return `${mask === -1 ? word : `(${word} & ${mask})`} === keys[keyAt + ${k}]`;
  });
  return `const kept = memo.texts[slot]; const keys = memo.keys; const keyAt = slot * ${memoKeyWords};\n`
    + `const text = kept !== null && ${words.join(' && ')} ? kept : null;\n`;
}

const NULL = packText('null');
const TIME_KEY_NAME = 'time';
const TIME_KEY = keyBytes(TIME_KEY_NAME);
const ERROR_KEY = keyBytes('error');
const SIGNAL_KEY = keyBytes('signal');

/** Pre-escaped JSON string values for repeated texts (flags, errno names), keyed by number. */
class TextCache {
  private readonly map = new Map<number, PackedBytes>();
  constructor(private readonly render: (n: number) => string) {}
  private lastN = -1;
  private lastValue: PackedBytes | null = null;
  get(n: number): PackedBytes {
    // The same flags (or errno) as the last event is the common case.
    if (n === this.lastN) return this.lastValue!;
    let v = this.map.get(n);
    if (v === undefined) {
      v = packText(JSON.stringify(this.render(n)));
      if (this.map.size < 4096) this.map.set(n, v);
    }
    this.lastN = n;
    this.lastValue = v;
    return v;
  }
}
const openFlagsJson = new TextCache(openFlagsText);
const errnoJson = new TextCache(errnoName);
const familyJson = new TextCache(familyName);
const pathFlagsJson = new TextCache(pathFlagsText);
const addrFlagsJson = new TextCache(addrFlagsText);
const syscallJson = new TextCache(syscallText);
const devJson = new TextCache(devText);

/**
 * A schema's writers, shared by every encoder of it: the header's compiled
 * with the first encoder, each kind's when its first record comes. Why not
 * all at once: a replay sees a few of the ~40 kinds, and compiling them all
 * was most of the NDJSON set-up (rg-replay on a 13-event capture: ~8 ms).
 */
class SchemaWriters {
  /**
   * By kind id; undefined until compiled. Both tables have a slot for every
   * kind id from the start: a load past an array's end deoptimised the
   * optimised callers each time a kind had no writer yet.
   */
  readonly byKind: (Writer | undefined)[];
  /** By kind id, for kinds not compiled yet; undefined until the kind's first record. */
  private readonly programs: (KindProgram | undefined)[];
  /** Record words a memo key holds. */
  readonly memoKeyWords: number;
  private readonly header: Writer;
  private readonly kinds = new Map<number, KindLayout>();
  private readonly schema: Schema;
  /** Records interpreted so far, up to WARM_UP_AFTER. */
  private interpreted = 0;
  private warmUpScratch: WarmUpScratch | null = null;

  constructor(schema: Schema, private readonly compileAfter: number) {
    this.memoKeyWords = Math.max(...schema.kinds.map((k) => memoMasks(k, k.schemaFields).length));
    this.header = compileHeaderWriter(schema, this.memoKeyWords);
    for (const k of schema.kinds) this.kinds.set(k.id, k);
    const slots = Math.max(...schema.kinds.map((k) => k.id)) + 1;
    this.byKind = Array.from({ length: slots }, () => undefined);
    this.programs = Array.from({ length: slots }, () => undefined);
    this.schema = schema;
  }

  /**
   * Runs the program of every kind not compiled yet a few times over two
   * made-up records (all bytes 0, all bytes 0xff but strings empty: every op,
   * and both sides of its branches). Why: V8 optimises interpretKind with the
   * type feedback it has seen, and each op first met after that was a deopt
   * and another TurboFan compile: four of ~13 ms each on the work capture,
   * pinned. The interpreter collects no feedback in its first calls, hence
   * the rounds. The text goes to a scratch buffer and memo. Done once a replay
   * has had WARM_UP_AFTER records: a small one never has interpretKind
   * compiled at all, and warming it up at start cost a 13-event replay ~12 ms.
   */
  private warmUp(): void {
    const { out, ov, memo } = this.scratch();
    const runs = this.schema.kinds.filter((kind) => this.byKind[kind.id] === undefined).flatMap((kind) => {
      const program = this.programs[kind.id] ?? this.program(kind.id);
      return madeUpRecords(kind, program).map((r) => ({ program, ...r }));
    });
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      for (const r of runs) interpretKind(r.program, this.header, out, ov, 0, r.bytes, r.view, 0, null, memo, -1, -1);
    }
    warmUpWallClock(out, ov, TIME_KEY);
    warmUpStrings(out, ov);
    this.warmUpCompiling();
  }

  /**
   * Two kinds through a scratch encoder that compiles a kind's writer at its
   * first record: interpret's compile path and writeEventBody's call of a
   * compiled writer (two writers: a call site V8 no longer ties to one
   * target) get their type feedback now. Why: the replay's first compile
   * came 64k records in, after V8 had optimised print with interpret and
   * the writer call inlined: a deopt and another compile of print for the
   * compile path, and one more when the second kind's writer came (a call to
   * a new target). The smallest kinds: two writers cost ~1 ms to compile.
   */
  private warmUpCompiling(): void {
    const scratch = new NdjsonEncoder(null, this.schema, 1);
    const out = new ByteOutput(() => {}, 0);
    const kinds = [...this.schema.kinds].sort((a, b) => a.layout.size - b.layout.size).slice(0, 2);
    for (const kind of kinds) {
      const record = madeUpRecords(kind, kindProgram(kind, 1))[0];
      for (let i = 0; i < 2; i++) {
        scratch.writeEventBody(out, kind.id, record.bytes, 0);
        out.pos = 0;
      }
    }
  }

  /**
   * Writes a record of a kind with no compiled writer yet: through its
   * program, until the kind has had `compileAfter` events; then its writer is
   * compiled and takes over.
   */
  interpret(id: number, b: Uint8Array, ov: DataView, p: number, src: Uint8Array, view: DataView, at: number, clock: WallClock | null, memo: HeaderMemo,
    sa: number, da: number): number {
    if (this.interpreted < WARM_UP_AFTER && ++this.interpreted === WARM_UP_AFTER) this.warmUp();
    const k = this.programs[id] ?? this.program(id);
    if (--k.left <= 0) {
      const kind = this.kindOf(id);
      const write = compileWriter(kind, this.header, this.memoKeyWords);
      warmUpWriter(write, madeUpRecords(kind, k), this.scratch());
      this.byKind[id] = write;
      this.programs[id] = undefined;
    }
    return interpretKind(k, this.header, b, ov, p, src, view, at, clock, memo, sa, da);
  }

  /**
   * Plans by how far through its input the replay is (`fraction`: file bytes
   * before the current frame / the file's size): a kind not compiled yet
   * whose events so far say that at least FORECAST_MARGIN x compileAfter more
   * will follow gets its writer at its next record instead of after
   * compileAfter events. Why: on a long capture the common kinds' first
   * compileAfter events each went through interpretKind, ~0.12 us more per
   * event than a compiled writer (work capture, pinned: file_open, _delete
   * and _rename compiled at their 512th event instead of their 65536th:
   * -40 ms of 1.35 s). A kind is judged on at least FORECAST_MIN_SEEN events;
   * a wrong forecast costs one writer's compile (~10 ms) on a capture long
   * enough for it to be a small part, and output is the same either way.
   */
  forecast(fraction: number): void {
    if (!(fraction > 0 && fraction < 1)) return;
    const programs = this.programs;
    for (let id = 0; id < programs.length; id++) {
      const k = programs[id];
      if (k === undefined || k.left <= 1) continue;
      const seen = this.compileAfter - k.left;
      if (seen >= FORECAST_MIN_SEEN && seen * (1 - fraction) >= fraction * FORECAST_MARGIN * this.compileAfter) k.left = 1;
    }
  }

  /** The kinds with a compiled writer, by id (tests). */
  compiledKinds(): number[] {
    return this.byKind.flatMap((w, id) => (w === undefined ? [] : [id]));
  }

  /** The buffer and memo warm-ups write into, made at the first. */
  private scratch(): WarmUpScratch {
    if (this.warmUpScratch === null) {
      const out = new Uint8Array(byteOutputSize(0));
      this.warmUpScratch = { out, ov: new DataView(out.buffer), memo: new HeaderMemo(this.memoKeyWords) };
    }
    return this.warmUpScratch;
  }

  private program(id: number): KindProgram {
    const k = kindProgram(this.kindOf(id), this.compileAfter);
    this.programs[id] = k;
    return k;
  }

  private kindOf(id: number): KindLayout {
    const kind = this.kinds.get(id);
    if (kind === undefined) throw new RangeError(`ndjson: no writer for kind ${id}`);
    return kind;
  }
}

/**
 * Two made-up records of `kind` for warming up its code: all bytes 0, and all
 * bytes 0xff but its strings empty (every op, and both sides of its branches).
 * Strings empty: escaping kilobytes of 0xff before anything is compiled was
 * most of the warm-up's time.
 */
function madeUpRecords(kind: KindLayout, program: KindProgram): { bytes: Uint8Array; view: DataView }[] {
  return [0, 0xff].map((fill) => {
    const bytes = new Uint8Array(kind.layout.size).fill(fill);
    for (let i = 0; i < program.ops.length; i += 4) {
      if (program.ops[i] === Op.CString) bytes[program.ops[i + 1]] = 0;
      if (program.ops[i] === Op.Argv) bytes.fill(0, program.ops[i + 2], program.ops[i + 2] + 4);
      // A Unix path of size 0: with all bytes 0xff, an abstract name counted 0 bytes (flagged invalid).
      if (program.ops[i] === Op.UnixPath) bytes.fill(0, program.ops[i + 2], program.ops[i + 2] + 2);
    }
    return { bytes, view: new DataView(bytes.buffer) };
  });
}

/**
 * Runs a kind's newly compiled writer over its made-up records, into a
 * scratch buffer and memo, before any real record. Why: a writer starts with
 * no type feedback, V8 optimises it within a few thousand records, and the
 * first record after that with a rare value (a failed call's errno, a flag
 * set) deoptimised it and cost a second TurboFan compile (work capture,
 * pinned: write_file_delete twice, ~30 ms each). V8 gives a function its
 * feedback store only after a few calls, hence the rounds. No clock: the
 * header writer has met a null clock in SchemaWriters.warmUp already.
 */
function warmUpWriter(write: Writer, records: readonly { bytes: Uint8Array; view: DataView }[], { out, ov, memo }: WarmUpScratch): void {
  for (let round = 0; round < WRITER_WARM_UP_ROUNDS; round++) {
    for (const r of records) write(out, ov, 0, r.bytes, r.view, 0, null, memo, -1, -1);
  }
}
const WRITER_WARM_UP_ROUNDS = 12;

/** Where warm-ups write: a line's room and a memo of their own, never the output's. */
interface WarmUpScratch {
  readonly out: Uint8Array;
  readonly ov: DataView;
  readonly memo: HeaderMemo;
}

/**
 * Events of a kind written through its program before its writer is
 * compiled (see interpretKind). Work capture (1.81M events, 17 kinds, 11 of
 * them under 60k events), --json: TurboFan's CPU (measured --single-threaded)
 * 366 -> 219 ms; pinned, samples on V8's helper threads -15 to -20%, the main
 * thread's unchanged. 16k and 32k did no better.
 */
export const COMPILE_AFTER = 1 << 16;
/** SchemaWriters.forecast: events of a kind seen before its share is judged, and how many compileAfters must be forecast to follow. */
const FORECAST_MIN_SEEN = 512;
const FORECAST_MARGIN = 1.5;

const sharedWriters = new WeakMap<Schema, SchemaWriters>();

/** The schema's writers, shared by its encoders; a `compileAfter` of its own (tests) gets its own set. */
function writersFor(schema: Schema, compileAfter: number): SchemaWriters {
  if (compileAfter !== COMPILE_AFTER) return new SchemaWriters(schema, compileAfter);
  let w = sharedWriters.get(schema);
  if (w === undefined) {
    w = new SchemaWriters(schema, compileAfter);
    sharedWriters.set(schema, w);
  }
  return w;
}

export class NdjsonEncoder {
  private view: DataView | null = null;
  private viewBytes: Uint8Array | null = null;
  /** Arena addresses of viewBytes[0] and outBytes[0], or -1 (plain-ascii.ts). */
  private srcAt = -1;
  private outBytes: Uint8Array | null = null;
  private outAt = -1;
  private readonly views = new WeakMap<Uint8Array, DataView>();
  private readonly writers: readonly (Writer | undefined)[];
  private readonly schemaWriters: SchemaWriters;
  /**
   * One memo whatever the clock: it holds the text from pid to comm, which
   * no clock enters, and it compares record bytes, so records of other hosts
   * can only miss it, never take a wrong text.
   */
  private readonly memo: HeaderMemo;

  /**
   * `clock` null: the manifest was unreadable, so `time` is null.
   * `compileAfter`: events of a kind before its writer is compiled (0: at its first).
   */
  constructor(private clock: WallClock | null, schema: Schema = BUILD_SCHEMA, compileAfter = COMPILE_AFTER) {
    const w = writersFor(schema, compileAfter);
    this.schemaWriters = w;
    this.writers = w.byKind;
    this.memo = new HeaderMemo(w.memoKeyWords);
  }

  /** The clock for the records that follow (merged replay switches inputs, and so clocks, often). */
  useClock(clock: WallClock | null): void {
    this.clock = clock;
  }

  /** How far through its input the replay is (see SchemaWriters.forecast). */
  forecast(fraction: number): void {
    this.schemaWriters.forecast(fraction);
  }

  /** The kinds whose writer is compiled so far (tests). */
  compiledKinds(): number[] {
    return this.schemaWriters.compiledKinds();
  }

  /**
   * Writes the event's JSON object without its closing brace, so callers can
   * append context fields; finish the line with `closeLine`.
   */
  writeEventBody(out: ByteOutput, kindId: number, src: Uint8Array, at: number): void {
    const write = this.writers[kindId];
    const b = out.buf;
    if (b !== this.outBytes) {
      this.outBytes = b;
      this.outAt = arenaAddressOf(b);
    }
    const view = this.dataViewFor(src);
    out.pos = write !== undefined ? write(b, out.view, out.pos, src, view, at, this.clock, this.memo, this.srcAt, this.outAt)
      : this.schemaWriters.interpret(kindId, b, out.view, out.pos, src, view, at, this.clock, this.memo, this.srcAt, this.outAt);
  }

  /** Writes one complete line for an accepted record. */
  writeEvent(out: ByteOutput, kindId: number, src: Uint8Array, at: number): void {
    out.reserve();
    this.writeEventBody(out, kindId, src, at);
    closeLine(out);
  }

  /**
   * A DataView over `src`: the last one, else one made before for the same
   * bytes (merged replay switches between inputs' frames at every turn: a
   * new view per record was a quarter of its garbage), else a new one.
   */
  private dataViewFor(src: Uint8Array): DataView {
    if (this.viewBytes !== src) {
      let view = this.views.get(src);
      if (view === undefined) {
        view = new DataView(src.buffer, src.byteOffset, src.byteLength);
        this.views.set(src, view);
      }
      this.view = view;
      this.viewBytes = src;
      this.srcAt = arenaAddressOf(src);
    }
    return this.view!;
  }
}

export function closeLine(out: ByteOutput): void {
  out.buf[out.pos++] = 125;
  out.buf[out.pos++] = 10;
}

/**
 * `"a.b.c.d"` for IPv4 straight from the bytes: IPv4 is the common case, and
 * addressText + JSON.stringify built two strings per event. Other families go
 * through addressText. `family` -1: the address was unreadable, so `""`.
 */
function putAddress(b: Uint8Array, ov: DataView, p: number, family: number, src: Uint8Array, o: number): number {
  if (family === AF_INET) {
    b[p++] = 34;
    for (let i = 0; i < 4; i++) {
      if (i > 0) b[p++] = 46;
      p = putUint(ov, p, src[o + i]);
    }
    b[p++] = 34;
    return p;
  }
  const text = JSON.stringify(family === -1 ? '' : addressText(family, src.subarray(o, o + 16)));
  for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
  return p;
}

/** A Unix path step's abstract field, and the JSON of its `<size>_invalid` key with false (0) and true (1). */
class UnixPathStep {
  readonly invalidTexts: readonly PackedBytes[];
  constructor(readonly abstractOffset: number, invalidKey: string) {
    this.invalidTexts = [packText(`,"${invalidKey}":false`), packText(`,"${invalidKey}":true`)];
  }
}

/**
 * A Unix socket address (abi/unix-path.ts) in its `length`-byte buffer at
 * `o`: `"<prefix><name>"`, its NULs as \u0000 (they are part of an abstract
 * name), then its `<size>_invalid` key and boolean (`invalidTexts`). `size`
 * and `abstract` are the record's; the name never reaches past the buffer.
 */
function putUnixPath(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, o: number, length: number, size: number, abstract: number,
  invalidTexts: readonly PackedBytes[], srcAt: number, dstAt: number): number {
  const end = unixNameEnd(src, o, length, size, abstract);
  const prefix = UNIX_PREFIXES[unixPrefixOf(src, o, end, abstract)];
  // The name's string written after the prefix's room; its opening quote is then overwritten by the prefix and a quote put before.
  const q = putStringBytes(b, ov, p + prefix.length, src, sv, o, end, srcAt, dstAt);
  b[p] = 34;
  for (let i = 0; i < prefix.length; i++) b[p + 1 + i] = prefix.charCodeAt(i);
  return putPacked(ov, q, invalidTexts[unixSizeInvalid(length, size, abstract) ? 1 : 0]);
}

/** `["arg0","arg1",...]` from the NUL-separated argv bytes at `o`, `limit` bytes used (the caller bounds it by the buffer). */
function putArgv(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, o: number, limit: number, srcAt: number, dstAt: number): number {
  b[p++] = 91;
  let start = o;
  const end = o + limit;
  let first = true;
  for (let i = o; i <= end; i++) {
    if (i === end ? i > start : src[i] === 0) {
      if (!first) b[p++] = 44;
      p = putStringBytes(b, ov, p, src, sv, start, i, srcAt, dstAt);
      first = false;
      start = i + 1;
    }
  }
  b[p++] = 93;
  return p;
}
