/**
 * Record bytes -> one readable text line (`rg-replay FILE`), with no
 * per-event object and no string: the text twin of ndjson.ts. Each kind's
 * steps come from the schema and are compiled once into straight-line code;
 * the header text from pid to comm is remembered per thread (header-memo.ts)
 * and strings are escaped for terminals as they are copied (text-bytes.ts).
 *
 * The line is what text.ts's formatEventText prints (the simple reference,
 * held equal by a property test): time, event type, then ` key=value` for
 * each printed field in schema order, leaving out identity fields that say
 * nothing about what the process did, empty strings and false flags.
 * Why compiled: rg-replay FILE spent 71% of its time collecting the garbage
 * of a Map, an object per field and a string per line (real 1M-event
 * capture, pinned: 0.12x the events/s of --json).
 */
import { AF_INET, AF_INET6 } from '../abi/constants.js';
import { CPU_OFFSET, FLAGS_OFFSET, TID_OFFSET, TS_NS_OFFSET } from '../abi/header-access.js';
import { type FieldLayout } from '../abi/layout.js';
import { BUILD_SCHEMA, EVENT_FLAG_USER_READ_FAILED, type KindLayout, type Schema, type SchemaField, type TextColor } from '../abi/schema.js';
import { viewEntries } from '../abi/intrusion-values.js';
import { resultUnseenMask } from '../abi/views.js';
import { UNIX_PREFIXES, UnixPrefix, unixNameEnd, unixPrefixOf, unixSizeInvalid } from '../abi/unix-path.js';
import { addrFlagsText, addressText, devText, enumText, errnoName, familyName, openFlagsText, pathFlagsText, syscallText } from '../abi/values.js';
import { unixSizeInvalidKey } from '../abi/views.js';
import { textValue } from '../common/visible.js';
import { type ByteOutput, MAX_LINE_BYTES, type PackedBytes, putPacked } from './byte-output.js';
import { CachedFieldRenderer, packText } from './field-renderer.js';
import { HeaderMemo, MEMO_SLOTS, memoKeep, memoStore } from './header-memo.js';
import { putInt, putU32At, putU64At, putUint } from './json-bytes.js';
import { ARGV, BYTES, C_STRING, putTextValue, putTokenFrom } from './text-bytes.js';
import { type WallClock } from './wall-clock.js';

/** Header fields a text line leaves out: they identify the record, not what the process did (ts_ns is the line's time). */
export const TEXT_SKIPPED_KEYS: ReadonlySet<string> = new Set(['event_type', 'ts_ns', 'cgroup_id', 'mntns', 'cpu', 'auid', 'gid', 'tid']);
/** The terminal code of each colour a kind can have (schema.ts). */
export const COLOR_CODES: Record<TextColor, string> = {
  green: '\x1b[32m', cyan: '\x1b[36m', gray: '\x1b[90m', blue: '\x1b[34m', magenta: '\x1b[35m', yellow: '\x1b[33m', red: '\x1b[31m', white: '\x1b[37m',
};
export const COLOR_RESET = '\x1b[0m';

const enum Op { U8, U16, U32, S32, U64, CString, Argv, OpenFlags, Result, Family, Addr, ExitStatus, NumberText, Enum, Rendered, UnixPath, MemoStart, MemoEnd }

/** As in ndjson.ts: the run of header fields whose text is remembered per thread. */
const MEMO_FIRST = 'pid';
const MEMO_LAST = 'comm';

interface Step {
  readonly op: Op;
  readonly key: string;
  readonly offset: number;
  /** Buffer length for strings; the size field's offset for Argv and UnixPath, the family field's for Addr. */
  readonly arg: number;
  /** Argv and UnixPath: the buffer's length, which bounds the size field. */
  readonly arg2: number;
  /** UnixPath: its abstract field and its keys' texts. */
  readonly unix?: TextUnixPathStep;
  readonly masks?: Int32Array;
  /** NumberText: the view whose text of a number is printed (path_flags, addr_flags, syscall, dev). */
  readonly view?: NumberTextView;
  /** Enum: each value's name (enumText). */
  readonly names?: PackedTextCache;
  /** Rendered: the field's renderer (its index in the writer's `renderers` is `arg`) and type. */
  readonly renderer?: TextFieldRenderer;
  readonly type?: string;
}

/**
 * A field of the file and process kinds' views (mode, flag words, enums,
 * signals, capability sets, hex, status booleans; src/abi/intrusion-values.ts):
 * its ` key=value` tokens as formatEventText prints them (a true boolean as its
 * key, false and empty left out). Numbers repeat, so their text is kept per value.
 */
class TextFieldRenderer extends CachedFieldRenderer {
  protected render(value: number | bigint | Uint8Array): PackedBytes {
    const parts = viewEntries(this.field, value).flatMap(([k, v]) => (v === false || v === '' ? [] : [v === true ? ` ${k}` : ` ${k}=${typeof v === 'string' ? textValue(v) : String(v)}`]));
    return packText(parts.join(''));
  }
}

/** Views printed as a text of the field's number (values.ts); an empty text leaves the field out. */
type NumberTextView = 'path_flags' | 'addr_flags' | 'syscall' | 'dev';

const keyBytes = (key: string) => packText(` ${key}=`);

function opOf(f: SchemaField, layout: FieldLayout): Op | null {
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
    case 'path_flags': case 'addr_flags': case 'syscall': case 'dev': return Op.NumberText;
    case 'enum': return Op.Enum;
    case 'port': return Op.U16;
    case 'uint': return layout.type === 'u64' ? Op.U64 : layout.type === 'u16' ? Op.U16 : layout.type === 'u8' ? Op.U8 : Op.U32;
    case 'int': return Op.S32;
    case 'mode': case 'bits': case 'named': case 'signal': case 'caps': case 'hex': case 'status': return Op.Rendered;
  }
}

function buildSteps(kind: KindLayout): Step[] {
  const steps: Step[] = [];
  const offsetOf = (name: string | undefined) => kind.layout.fields.find((x) => x.name === name)!.offset;
  kind.layout.fields.forEach((layout, i) => {
    const field = kind.schemaFields[i];
    const key = field.key ?? layout.name;
    if (layout.name === MEMO_FIRST) steps.push({ op: Op.MemoStart, key: '', offset: layout.offset, arg: 0, arg2: 0, masks: memoMasks(kind) });
    const op = opOf(field, layout);
    if (op !== null && !TEXT_SKIPPED_KEYS.has(key)) {
      let arg = layout.size;
      if (op === Op.Argv || op === Op.UnixPath) arg = offsetOf(field.sizeField);
      if (op === Op.Addr) arg = offsetOf(field.familyField);
      if (op === Op.Result) arg = resultUnseenMask(kind);
      if ((op === Op.NumberText || op === Op.Enum) && !['u8', 'u16', 'u32'].includes(layout.type)) throw new Error(`text: ${kind.name}.${layout.name} (${field.view}) must be a u8, u16 or u32`);
      if (op === Op.U16 && layout.type !== 'u16') throw new Error(`text: ${kind.name}.${layout.name} (${field.view}) must be a u16`);
      const names = op === Op.Enum ? new PackedTextCache((n) => enumText(field.names!, n)) : undefined;
      if (op === Op.Rendered) steps.push({ op, key, offset: layout.offset, arg: 0, arg2: layout.size, renderer: new TextFieldRenderer(field), type: layout.type });
      else if (op === Op.UnixPath) steps.push({ op, key, offset: layout.offset, arg, arg2: layout.size, unix: new TextUnixPathStep(offsetOf(field.abstractField), key, unixSizeInvalidKey(field)) });
      else steps.push({ op, key, offset: layout.offset, arg, arg2: layout.size, view: op === Op.NumberText ? field.view as NumberTextView : undefined, names });
    }
    if (layout.name === MEMO_LAST) steps.push({ op: Op.MemoEnd, key: '', offset: 0, arg: 0, arg2: 0 });
  });
  checkMemoRun(kind, steps);
  return steps;
}

/** Per record word of the memo run, the bits of fields the line prints (skipped and hidden ones do not count). */
function memoMasks(kind: KindLayout): Int32Array {
  const fields = kind.layout.fields;
  const first = fields.findIndex((f) => f.name === MEMO_FIRST);
  const last = fields.findIndex((f) => f.name === MEMO_LAST);
  const start = fields[first].offset;
  const end = fields[last].offset + fields[last].size;
  if (start % 4 !== 0 || (end - start) % 4 !== 0) throw new Error(`text: the memo run of ${kind.name} is not whole words`);
  const bytes = new Uint8Array(end - start);
  for (let i = first; i <= last; i++) {
    const f = kind.schemaFields[i];
    if (f.view !== 'hidden' && !TEXT_SKIPPED_KEYS.has(f.key ?? f.name)) bytes.fill(0xff, fields[i].offset - start, fields[i].offset - start + fields[i].size);
  }
  return new Int32Array(bytes.buffer);
}

/** Every step inside the memo run must print from record bytes within the run alone. */
function checkMemoRun(kind: KindLayout, steps: readonly Step[]): void {
  const start = steps.findIndex((s) => s.op === Op.MemoStart);
  const end = steps.findIndex((s) => s.op === Op.MemoEnd);
  if (start < 0 || end < start) throw new Error(`text: ${kind.name} has no ${MEMO_FIRST}..${MEMO_LAST} run`);
  const from = steps[start].offset;
  const to = from + 4 * steps[start].masks!.length;
  for (const s of steps.slice(start + 1, end)) {
    const plain = s.op === Op.U8 || s.op === Op.U16 || s.op === Op.U32 || s.op === Op.S32 || s.op === Op.U64 || s.op === Op.CString;
    if (!plain || s.offset < from || s.offset >= to) throw new Error(`text: ${s.key} cannot be in the memo run of ${kind.name}`);
  }
}

/** Bytes a step may write at most (escaping makes a byte up to 6: `\u0001`). */
function maxStepBytes(s: Step): number {
  const key = s.key.length + 2;
  switch (s.op) {
    case Op.CString: case Op.Argv: return key + 6 * s.arg2 + 2;
    // the prefix (`./` at most), and the size's key
    case Op.UnixPath: return key + 6 * s.arg2 + 2 + 2 + s.unix!.invalid.length;
    case Op.Addr: return key + 64;
    case Op.ExitStatus: return 40;
    case Op.Result: return key + 24 + 64;
    case Op.OpenFlags: case Op.NumberText: case Op.Enum: return key + 400;
    // every key of the view (mode_text, signal_name, status booleans) and escaped names: bounded by the view tables
    case Op.Rendered: return 400;
    default: return key + 24;
  }
}

type Writer = (b: Uint8Array, ov: DataView, p: number, src: Uint8Array, view: DataView, at: number, clock: WallClock | null, memo: HeaderMemo, color: boolean) => number;

function emitConstant(bytes: PackedBytes): string {
  if (bytes.length === 0) return '';
  const stores = Array.from(bytes.words, (w, i) => `ov.setInt32(p + ${4 * i}, ${w}, true);`);
  return `${stores.join(' ')} p += ${bytes.length};\n`;
}

function emitValue(s: Step): string {
  const o = `at + ${s.offset}`;
  const key = emitConstant(keyBytes(s.key));
  switch (s.op) {
    case Op.U8: return `${key}p = putUint(ov, p, view.getUint8(${o}));\n`;
    case Op.U16: return `${key}p = putUint(ov, p, view.getUint16(${o}, true));\n`;
    case Op.U32: return `${key}p = putU32At(ov, p, view, ${o});\n`;
    case Op.S32: return `${key}p = putInt(ov, p, view.getInt32(${o}, true));\n`;
    case Op.U64: return `${key}p = putU64At(ov, p, view, ${o});\n`;
    // An empty string is left out, key and all.
    case Op.CString: return `if (src[${o}] !== 0) { ${key}p = putTextValue(b, ov, p, src, view, ${o}, ${o} + ${s.arg}, ${C_STRING}); }\n`;
    case Op.Argv: return `${key}p = putTextValue(b, ov, p, src, view, ${o}, ${o} + Math.min(view.getUint32(at + ${s.arg}, true), ${s.arg2}), ${ARGV});\n`;
    // Its key is the step's own (an empty pathname is left out, key and all).
    case Op.UnixPath: return `p = putTextUnixPath(b, ov, p, src, view, ${o}, ${s.arg2}, view.getUint16(at + ${s.arg}, true), view.getUint16(at + ${s.unix!.abstractOffset}, true), unix_${s.offset});\n`;
    case Op.OpenFlags: return `${key}p = putPacked(ov, p, openFlagsText_.get(view.getUint32(${o}, true)));\n`;
    // arg: the kind's RESULT_UNSEEN mask (an io_uring request recorded at submission: result=unseen).
    case Op.Result: return `{ const r = view.getInt32(${o}, true); ${key}${s.arg !== 0 ? `if ((flags & ${s.arg}) !== 0) p = putPacked(ov, p, UNSEEN); else ` : ''}{ p = putInt(ov, p, r); if (r < 0) p = putPacked(ov, putPacked(ov, p, ERROR_KEY), errnoText.get(-r)); } }\n`;
    case Op.Family: return `${key}p = putPacked(ov, p, familyText.get(view.getUint16(${o}, true)));\n`;
    // Unreadable (or of a family without a text form): an empty address, left out.
    case Op.Addr: return `if ((flags & ${EVENT_FLAG_USER_READ_FAILED}) === 0) p = putTextAddress(b, ov, p, view.getUint16(at + ${s.arg}, true), src, ${o}, ${JSON.stringify(s.key)});\n`;
    case Op.NumberText: {
      const read = s.arg2 === 1 ? `view.getUint8(${o})` : s.arg2 === 2 ? `view.getUint16(${o}, true)` : `view.getUint32(${o}, true)`;
      return `{ const t = numberTexts.${s.view}.get(${read}); if (t.length !== 0) { ${key}p = putPacked(ov, p, t); } }\n`;
    }
    // The name of the value, or its number past the list (enumText: never empty).
    case Op.Enum: {
      const read = s.arg2 === 1 ? `view.getUint8(${o})` : s.arg2 === 2 ? `view.getUint16(${o}, true)` : `view.getUint32(${o}, true)`;
      return `${key}p = putPacked(ov, p, enum_${s.offset}.get(${read}));\n`;
    }
    case Op.ExitStatus: return `{ const status = view.getUint32(${o}, true); p = putUint(ov, putPacked(ov, p, EXIT_CODE_KEY), (status >>> 8) & 0xff); p = putUint(ov, putPacked(ov, p, SIGNAL_KEY), status & 0x7f); }\n`;
    case Op.Rendered: {
      const r = `renderers[${s.arg}]`;
      if (s.type === 'u64') return `p = putPacked(ov, p, ${r}.big(view.getBigUint64(${o}, true)));\n`;
      if (s.type === 'bytes') return `p = putPacked(ov, p, ${r}.bytes(src, ${o}, ${s.arg2}));\n`;
      return `p = putPacked(ov, p, ${r}.num(view.${s.type === 'u16' ? 'getUint16' : 'getUint32'}(${o}, true)));\n`;
    }
    case Op.MemoStart: case Op.MemoEnd: throw new Error('text: memo steps have no value');
  }
}

function emitSteps(steps: readonly Step[], memoKeyWords: number): string {
  let body = '';
  for (const s of steps) {
    if (s.op === Op.MemoStart) {
      body += `{ const slot = (view.getUint32(at + ${TID_OFFSET}, true) ^ (view.getUint16(at + ${CPU_OFFSET}, true) << 4)) & ${MEMO_SLOTS - 1};\n`;
      body += emitMemoLookup(s, memoKeyWords);
      body += `if (text !== null) { b.set(text, p); p += text.length; } else { memoKeep(memo, slot, view, at + ${s.offset}, memoMasks); const start = p;\n`;
    } else if (s.op === Op.MemoEnd) {
      body += 'memoStore(memo, slot, b, start, p); } }\n';
    } else {
      body += emitValue(s);
    }
  }
  return body;
}

/** The memo lookup, unrolled; words no printed field touches (mask 0) are not compared. */
function emitMemoLookup(s: Step, memoKeyWords: number): string {
  const words: string[] = [];
  s.masks!.forEach((mask, k) => {
    if (mask === 0) return;
    const word = `view.getInt32(at + ${s.offset + 4 * k}, true)`;
    words.push(`${mask === -1 ? word : `(${word} & ${mask})`} === keys[keyAt + ${k}]`);
  });
  return `const kept = memo.texts[slot]; const keys = memo.keys; const keyAt = slot * ${memoKeyWords};\n`
    + `const text = kept !== null${words.map((w) => ` && ${w}`).join('')} ? kept : null;\n`;
}

/** Compiles `body` with the helpers in scope; the source is built from the schema only, nothing from a capture. */
function compile<F>(name: string, params: string, body: string, extra: Record<string, unknown>): F {
  const helpers: Record<string, unknown> = {
    putUint, putInt, putU32At, putU64At, putPacked, putTextValue, putTextAddress, putTextUnixPath, memoKeep, memoStore,
    openFlagsText_: openFlagsTextCache, errnoText, familyText, numberTexts, ERROR_KEY, UNSEEN, EXIT_CODE_KEY, SIGNAL_KEY, ...extra,
  };
  const names = Object.keys(helpers);
  const factory = new Function(...names, `return function ${name}(${params}) {\n${body}};`) as (...h: unknown[]) => F;
  return factory(...names.map((n) => helpers[n]));
}

const PARAMS = 'b, ov, p, src, view, at, clock, memo, color';

function splitSteps(kind: KindLayout): { header: Step[]; own: Step[] } {
  const steps = buildSteps(kind);
  const end = steps.findIndex((s) => s.op === Op.MemoEnd) + 1;
  return { header: steps.slice(0, end), own: steps.slice(end) };
}

function compileHeaderWriter(schema: Schema, memoKeyWords: number): Writer {
  const headers = schema.kinds.map((k) => splitSteps(k).header);
  const same = (a: Step[], b: Step[]) => a.length === b.length && a.every((s, i) => s.op === b[i].op && s.key === b[i].key && s.offset === b[i].offset && s.arg === b[i].arg);
  if (!headers.every((h) => same(h, headers[0]))) throw new Error('text: kinds disagree on the header steps');
  const memoMasks = headers[0].find((s) => s.op === Op.MemoStart)!.masks;
  return compile<Writer>('write_text_header', PARAMS, `${emitSteps(headers[0], memoKeyWords)}return p;\n`, { memoMasks });
}

/**
 * Room a line's context may take: ` exe=... parent=PID:...`, two programs'
 * paths escaped (6 bytes a byte at most), as long as the longest exe field.
 */
function contextRoom(schema: Schema): number {
  let exe = 0;
  for (const k of schema.kinds) {
    if (k.process.role === 'exec') exe = Math.max(exe, k.layout.fields.find((f) => f.name === (k.process as { exe: string }).exe)!.size);
  }
  return 2 * (6 * exe + 2) + 64;
}

function compileWriter(kind: KindLayout, writeHeader: Writer, memoKeyWords: number, schema: Schema): Writer {
  const { header, own } = splitSteps(kind);
  const worst = 64 + 2 * kind.eventType.length + 16 + [...header, ...own].filter((s) => s.op !== Op.MemoStart && s.op !== Op.MemoEnd).reduce((n, s) => n + maxStepBytes(s), 0)
    + kind.flags.reduce((n, f) => n + f.outputName.length + 1, 0);
  if (worst + contextRoom(schema) > MAX_LINE_BYTES) throw new Error(`text: a ${kind.name} line may take ${worst} bytes, more than an output line has room for`);
  const flagMask = kind.flags.reduce((m, f) => m | f.bit, 0);
  const flagTails: PackedBytes[] = [];
  // Each subset of the mask once, not every number up to it (see flagTailsOf in ndjson.ts: 20k turns per kind made this hot).
  for (let v = 0; ; v = (v - flagMask) & flagMask) {
    flagTails[v] = packText(kind.flags.filter((f) => (v & f.bit) !== 0).map((f) => ` ${f.outputName}`).join(''));
    if (v === flagMask) break;
  }
  const typePlain = packText(` ${kind.eventType}`);
  const typeColor = packText(` ${COLOR_CODES[kind.color]}${kind.eventType}${COLOR_RESET}`);
  let body = `const flags = view.getUint16(at + ${FLAGS_OFFSET}, true);\n`;
  body += `p = clock === null ? putU64At(ov, putPacked(ov, p, MONO), view, at + ${TS_NS_OFFSET}) : clock.putIso(b, ov, p, view, at + ${TS_NS_OFFSET});\n`;
  body += 'p = putPacked(ov, p, color ? typeColor : typePlain);\n';
  body += 'p = writeHeader(b, ov, p, src, view, at, clock, memo, color);\n';
  // Each rendered field's step names its renderer by index (the compiled code takes them in `renderers`).
  const renderers: TextFieldRenderer[] = [];
  body += emitSteps(own.map((st) => (st.op === Op.Rendered ? { ...st, arg: renderers.push(st.renderer!) - 1 } : st)), memoKeyWords);
  body += `if ((flags & ${flagMask}) === 0) return p;\n`;
  body += `return putPacked(ov, p, flagTails[flags & ${flagMask}]);\n`;
  const enums = Object.fromEntries(own.filter((s) => s.op === Op.Enum).map((s) => [`enum_${s.offset}`, s.names]));
  const unixPaths = Object.fromEntries(own.filter((s) => s.op === Op.UnixPath).map((s) => [`unix_${s.offset}`, s.unix]));
  return compile<Writer>(`write_text_${kind.name}`, PARAMS, body, { flagTails, writeHeader, typePlain, typeColor, MONO, renderers, ...enums, ...unixPaths });
}

const MONO = packText('mono:');
const ERROR_KEY = keyBytes('error');
const UNSEEN = packText('unseen');
const EXIT_CODE_KEY = keyBytes('exit_code');
const SIGNAL_KEY = keyBytes('signal');

/** Texts of numbers that repeat (flags, errno names, families), as packed bytes. None needs quoting or escaping. */
class PackedTextCache {
  private readonly map = new Map<number, PackedBytes>();
  private lastN = -1;
  private lastValue: PackedBytes | null = null;
  constructor(private readonly render: (n: number) => string) {}
  get(n: number): PackedBytes {
    if (n === this.lastN) return this.lastValue!;
    let v = this.map.get(n);
    if (v === undefined) {
      v = packText(this.render(n));
      if (this.map.size < 4096) this.map.set(n, v);
    }
    this.lastN = n;
    this.lastValue = v;
    return v;
  }
}
const openFlagsTextCache = new PackedTextCache(openFlagsText);
const errnoText = new PackedTextCache(errnoName);
const familyText = new PackedTextCache(familyName);
const numberTexts: Record<NumberTextView, PackedTextCache> = {
  path_flags: new PackedTextCache(pathFlagsText), addr_flags: new PackedTextCache(addrFlagsText),
  syscall: new PackedTextCache(syscallText), dev: new PackedTextCache(devText),
};

/** ` key=a.b.c.d` for IPv4 from the bytes, addressText for IPv6; nothing for other families (an empty address). */
function putTextAddress(b: Uint8Array, ov: DataView, p: number, family: number, src: Uint8Array, o: number, key: string): number {
  if (family !== AF_INET && family !== AF_INET6) return p;
  b[p++] = 32;
  for (let i = 0; i < key.length; i++) b[p++] = key.charCodeAt(i);
  b[p++] = 61;
  if (family === AF_INET) {
    for (let i = 0; i < 4; i++) {
      if (i > 0) b[p++] = 46;
      p = putUint(ov, p, src[o + i]);
    }
    return p;
  }
  const text = addressText(family, src.subarray(o, o + 16));
  for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
  return p;
}

/** A Unix path step's abstract field, its ` key=` and its ` <size>_invalid` boolean. */
class TextUnixPathStep {
  readonly key: PackedBytes;
  readonly invalid: PackedBytes;
  constructor(readonly abstractOffset: number, key: string, invalidKey: string) {
    this.key = keyBytes(key);
    this.invalid = packText(` ${invalidKey}`);
  }
}

/**
 * ` key=<prefix><name>` of a Unix socket address (abi/unix-path.ts) in its
 * `length`-byte buffer at `o`, one token (quoted when the name holds a NUL
 * or anything else the terminal rule escapes), then ` <size>_invalid` when
 * the record's size is one sun_path cannot have. An empty pathname is left
 * out, as empty strings are; an abstract name always has its `@`.
 */
function putTextUnixPath(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, o: number, length: number, size: number, abstract: number,
  step: TextUnixPathStep): number {
  const end = unixNameEnd(src, o, length, size, abstract);
  const prefix = unixPrefixOf(src, o, end, abstract);
  if (prefix !== UnixPrefix.None || end > o) {
    p = putPacked(ov, p, step.key);
    const text = UNIX_PREFIXES[prefix];
    for (let i = 0; i < text.length; i++) b[p + i] = text.charCodeAt(i);
    p = putTokenFrom(b, ov, p, p + text.length, src, sv, o, end, BYTES);
  }
  return unixSizeInvalid(length, size, abstract) ? putPacked(ov, p, step.invalid) : p;
}

/**
 * A schema's text writers, shared by every encoder of it: the header's
 * compiled with the first encoder, each kind's when its first record comes
 * (a replay sees a few of the ~40 kinds; compiling all of them was most of
 * the text output's set-up, as for NDJSON: ndjson.ts).
 */
class SchemaTextWriters {
  /** By kind id; undefined until compiled. */
  readonly byKind: (Writer | undefined)[] = [];
  readonly memoKeyWords: number;
  private readonly header: Writer;
  private readonly kinds = new Map<number, KindLayout>();

  constructor(private readonly schema: Schema) {
    this.memoKeyWords = Math.max(...schema.kinds.map((k) => buildSteps(k).find((s) => s.op === Op.MemoStart)!.masks!.length));
    this.header = compileHeaderWriter(schema, this.memoKeyWords);
    for (const k of schema.kinds) this.kinds.set(k.id, k);
  }

  /** The writer of kind `id`, compiled now if it was not yet. */
  compile(id: number): Writer {
    const kind = this.kinds.get(id);
    if (kind === undefined) throw new RangeError(`text: no writer for kind ${id}`);
    const w = compileWriter(kind, this.header, this.memoKeyWords, this.schema);
    this.byKind[id] = w;
    return w;
  }
}
const compiled = new WeakMap<Schema, SchemaTextWriters>();

function writersFor(schema: Schema): SchemaTextWriters {
  let w = compiled.get(schema);
  if (w === undefined) {
    w = new SchemaTextWriters(schema);
    compiled.set(schema, w);
  }
  return w;
}

/** Writes text lines for accepted records: one encoder per output, reused for every record. */
export class TextLineEncoder {
  private view: DataView | null = null;
  private viewBytes: Uint8Array | null = null;
  private readonly writers: readonly (Writer | undefined)[];
  private readonly schemaWriters: SchemaTextWriters;
  private readonly memo: HeaderMemo;
  private clock: WallClock | null = null;

  constructor(private readonly color: boolean, schema: Schema = BUILD_SCHEMA) {
    const w = writersFor(schema);
    this.schemaWriters = w;
    this.writers = w.byKind;
    this.memo = new HeaderMemo(w.memoKeyWords);
  }

  useClock(clock: WallClock | null): void {
    this.clock = clock;
  }

  /** One line: the event, then `context` (already rendered: ` exe=... parent=...`) and `origin` (` host=...`) when given, then a newline. */
  writeLine(out: ByteOutput, kindId: number, src: Uint8Array, at: number, context: Uint8Array | null, origin: Uint8Array | null = null): void {
    const write = this.writers[kindId] ?? this.schemaWriters.compile(kindId);
    out.reserve();
    const b = out.buf;
    let p = write(b, out.view, out.pos, src, this.dataViewFor(src), at, this.clock, this.memo, this.color);
    if (context !== null) {
      b.set(context, p);
      p += context.length;
    }
    if (origin !== null) {
      b.set(origin, p);
      p += origin.length;
    }
    b[p] = 10;
    out.pos = p + 1;
  }

  private dataViewFor(src: Uint8Array): DataView {
    if (this.viewBytes !== src) {
      this.view = new DataView(src.buffer, src.byteOffset, src.byteLength);
      this.viewBytes = src;
    }
    return this.view!;
  }
}
