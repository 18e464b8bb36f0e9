/**
 * Record bytes -> one NDJSON line, with no per-event object and no
 * JSON.stringify. Each kind has a plan derived from the schema (key bytes,
 * offset, how to print); the encoder walks the plan and writes bytes.
 *
 * Key order is fixed: event_type, the header fields in schema order with
 * `time` right after `ts_ns`, the kind's own fields, then its flag booleans.
 */
import { AF_INET, EVENT_FLAG_USER_READ_FAILED } from '../abi/constants.js';
import { HEADER, KINDS, type KindLayout, type SchemaField, HEADER_FIELDS } from '../abi/schema.js';
import { type FieldLayout } from '../abi/layout.js';
import { type ByteOutput, PackedBytes, putPacked } from './byte-output.js';
import { putCString, putInt, putStringBytes, putU64, putUint } from './json-bytes.js';
import { addressText, errnoName, familyName, openFlagsText } from './values.js';
import { type WallClock } from './wall-clock.js';

const enum Op { U16, U32, S32, U64, Ts, CString, Argv, OpenFlags, Result, Family, Addr, ExitStatus, MemoStart, MemoEnd }

/**
 * Header fields that stay the same from one event of a thread to the next,
 * in runs of adjacent fields: each run's JSON text is remembered per thread
 * (see HeaderMemo) and copied whole while the run's record bytes are
 * unchanged. Each run must cover whole 4-byte words of the record.
 * Why: these are 9 of an event's ~17 printed values; rendering them was a
 * third of the encoder's time on a real capture (numbers up to 20 digits,
 * the comm escaped byte by byte).
 */
const MEMO_RUNS: readonly (readonly string[])[] = [
  ['pid', 'tid', 'ppid', 'uid', 'gid', 'auid', 'cgroup_id'],
  ['mntns', 'comm'],
];
const MEMO_SLOTS = 256;
const TID_OFFSET = HEADER.fields.find((f) => f.name === 'tid')!.offset;

/**
 * A kind's plan, flattened into typed arrays: the loop reads five ints per
 * step from one array instead of chasing step -> key -> bytes objects, and
 * keeps the write position in a local for the whole line (json-bytes.ts).
 * Both together, encoder only on 1M synthetic events: 610 -> 500 ns per event.
 */
interface Plan {
  /** `{"event_type":"..."` */
  readonly head: PackedBytes;
  /** STEP_INTS ints per printed field: op, offset, arg, key start (word index in `keyWords`), key length in bytes. */
  readonly code: Int32Array;
  /** Every step's `,"name":` packed as words (see PackedBytes), one after another. */
  readonly keyWords: Int32Array;
  /** The kind's flag bits ORed together. */
  readonly flagMask: number;
  /**
   * `,"a":true,"b":false...` for every combination of the kind's flags, indexed
   * by `flags & flagMask`: one copy instead of a key and a boolean per flag.
   */
  readonly flagTails: readonly PackedBytes[];
}
const STEP_INTS = 5;

interface Step {
  readonly op: Op;
  readonly key: string;
  readonly offset: number;
  /**
   * Buffer length for strings, related field offset for Argv (size) and Addr
   * (family); for MemoStart the run's index in MEMO_RUNS.
   */
  readonly arg: number;
  /** MemoStart: bytes of the record the run covers. */
  readonly span?: number;
}

const enc = new TextEncoder();
const packText = (text: string) => new PackedBytes(enc.encode(text));
const keyBytes = (name: string) => packText(`,"${name}":`);

function viewOf(f: SchemaField, layout: FieldLayout): Op | null {
  switch (f.view) {
    case 'hidden': return null;
    case 'string': return Op.CString;
    case 'argv': return Op.Argv;
    case 'open_flags': return Op.OpenFlags;
    case 'result': return Op.Result;
    case 'family': return Op.Family;
    case 'addr': return Op.Addr;
    case 'exit_status': return Op.ExitStatus;
    case 'uint':
      return layout.type === 'u64' ? Op.U64 : layout.type === 'u16' ? Op.U16 : Op.U32;
    case 'int': return Op.S32;
  }
}

function buildSteps(kind: KindLayout): Step[] {
  const steps: Step[] = [];
  const schemaFields = [...HEADER_FIELDS, ...kind.fields];
  const offsetOf = (name: string) => kind.layout.fields.find((x) => x.name === name)?.offset ?? -1;
  kind.layout.fields.forEach((layout, i) => {
    const op = viewOf(schemaFields[i], layout);
    if (op === null) return;
    let arg = layout.size;
    if (op === Op.Argv) arg = offsetOf('args_size');
    if (op === Op.Addr) arg = offsetOf('family');
    if (op === Op.ExitStatus) {
      steps.push({ op, key: 'exit_code', offset: layout.offset, arg: 0 });
      return;
    }
    const run = MEMO_RUNS.findIndex((r) => r[0] === layout.name);
    if (run >= 0) steps.push({ op: Op.MemoStart, key: '', offset: layout.offset, arg: run, span: memoSpan(kind, MEMO_RUNS[run]) });
    steps.push({ op, key: op === Op.Argv ? 'argv' : layout.name, offset: layout.offset, arg });
    if (MEMO_RUNS.some((r) => r[r.length - 1] === layout.name)) steps.push({ op: Op.MemoEnd, key: '', offset: 0, arg: 0 });
    if (layout.name === 'ts_ns') steps.push({ op: Op.Ts, key: 'time', offset: layout.offset, arg: 0 });
  });
  return steps;
}

/** Bytes from the run's first field to the end of its last; checks that they are adjacent, visible and whole words. */
function memoSpan(kind: KindLayout, run: readonly string[]): number {
  const fields = run.map((name) => kind.layout.fields.find((f) => f.name === name));
  const start = fields[0]!.offset;
  let end = start;
  for (const f of fields) {
    if (f === undefined || f.offset !== end) throw new Error(`ndjson: memo run ${run.join(',')} is not adjacent in ${kind.name}`);
    end += f.size;
  }
  if (start % 4 !== 0 || (end - start) % 4 !== 0) throw new Error(`ndjson: memo run ${run.join(',')} is not whole words`);
  return end - start;
}

function buildPlan(kind: KindLayout): Plan {
  const steps = buildSteps(kind);
  const keys = steps.map((s) => (s.op === Op.MemoStart || s.op === Op.MemoEnd ? packText('') : keyBytes(s.key)));
  const keyWords = new Int32Array(keys.reduce((n, k) => n + k.words.length, 0));
  const code = new Int32Array(steps.length * STEP_INTS);
  let w = 0;
  steps.forEach((s, i) => {
    if (s.op === Op.MemoStart) {
      // offset, run, words to compare, and where the run's MemoEnd is (to skip to on a hit).
      const end = steps.findIndex((t, j) => j > i && t.op === Op.MemoEnd);
      code.set([s.op, s.offset, s.arg, s.span! >> 2, end * STEP_INTS], i * STEP_INTS);
      return;
    }
    if (s.op === Op.MemoEnd) {
      code.set([s.op, 0, 0, 0, 0], i * STEP_INTS);
      return;
    }
    code.set([s.op, s.offset, s.arg, w, keys[i].length], i * STEP_INTS);
    keyWords.set(keys[i].words, w);
    w += keys[i].words.length;
  });
  const flagMask = kind.flags.reduce((m, f) => m | f.bit, 0);
  const flagTails: PackedBytes[] = [];
  for (let v = 0; v <= flagMask; v++) {
    if ((v & ~flagMask) !== 0) continue;
    flagTails[v] = packText(kind.flags.map((f) => `,"${f.outputName}":${(v & f.bit) !== 0}`).join(''));
  }
  return { head: packText(`{"event_type":"${kind.eventType}"`), code, keyWords, flagMask, flagTails };
}

const PLANS: (Plan | undefined)[] = [];
for (const k of KINDS) PLANS[k.id] = buildPlan(k);
/** Record words a memo key holds: the longest run's. */
const MEMO_KEY_WORDS = Math.max(...PLANS.flatMap((plan) => {
  const words: number[] = [];
  for (let i = 0; plan !== undefined && i < plan.code.length; i += STEP_INTS) if (plan.code[i] === Op.MemoStart) words.push(plan.code[i + 3]);
  return words;
}));
/** Room for a run's text; a longer one (a comm of escapes) is rendered every time instead. */
const MEMO_TEXT_WORDS = 64;

/**
 * The remembered text of each memo run, per thread: slot `run * MEMO_SLOTS +
 * (tid % MEMO_SLOTS)`. A slot holds the run's record words and the JSON they
 * printed; threads that share a slot just take turns (the words decide).
 */
class HeaderMemo {
  readonly keys = new Int32Array(MEMO_RUNS.length * MEMO_SLOTS * MEMO_KEY_WORDS);
  readonly text = new Int32Array(MEMO_RUNS.length * MEMO_SLOTS * MEMO_TEXT_WORDS);
  /** Bytes of text in the slot; 0 = empty. */
  readonly textLength = new Int32Array(MEMO_RUNS.length * MEMO_SLOTS);
}
const FLAGS_OFFSET = HEADER.fields.find((f) => f.name === 'flags')!.offset;

const NULL = packText('null');
const ERROR_KEY = keyBytes('error');
const SIGNAL_KEY = keyBytes('signal');

/** Pre-escaped JSON string values for repeated texts (flags, errno names), keyed by number. */
class TextCache {
  private readonly map = new Map<number, PackedBytes>();
  constructor(private readonly render: (n: number) => string) {}
  get(n: number): PackedBytes {
    let v = this.map.get(n);
    if (v === undefined) {
      v = packText(JSON.stringify(this.render(n)));
      if (this.map.size < 4096) this.map.set(n, v);
    }
    return v;
  }
}
const openFlagsJson = new TextCache(openFlagsText);
const errnoJson = new TextCache(errnoName);
const familyJson = new TextCache(familyName);

export class NdjsonEncoder {
  private view: DataView | null = null;
  private viewBytes: Uint8Array | null = null;
  private readonly memo = new HeaderMemo();

  /** `clock` null: the manifest was unreadable, so `time` is null. */
  constructor(private readonly clock: WallClock | null) {}

  /**
   * Writes the event's JSON object without its closing brace, so callers can
   * append context fields; finish the line with `closeLine`.
   */
  writeEventBody(out: ByteOutput, kindId: number, src: Uint8Array, at: number): void {
    const plan = PLANS[kindId];
    if (plan === undefined) throw new RangeError(`ndjson: no plan for kind ${kindId}`);
    const view = this.dataViewFor(src);
    const b = out.buf;
    const ov = out.view;
    let p = putPacked(ov, out.pos, plan.head);
    const flags = view.getUint16(at + FLAGS_OFFSET, true);
    const code = plan.code;
    const keyWords = plan.keyWords;
    const memo = this.memo;
    let memoSlot = 0;
    let memoStart = 0;
    for (let i = 0; i < code.length; i += STEP_INTS) {
      if (code[i] >= Op.MemoStart) {
        if (code[i] === Op.MemoStart) {
          const o = at + code[i + 1];
          const words = code[i + 3];
          memoSlot = code[i + 2] * MEMO_SLOTS + (view.getUint32(at + TID_OFFSET, true) & (MEMO_SLOTS - 1));
          const keyAt = memoSlot * MEMO_KEY_WORDS;
          const length = memo.textLength[memoSlot];
          let same = 0;
          if (length > 0) while (same < words && view.getInt32(o + 4 * same, true) === memo.keys[keyAt + same]) same++;
          if (same === words) {
            // The run's text as this thread last printed it: copy it and go on after the run.
            const textAt = memoSlot * MEMO_TEXT_WORDS;
            for (let k = 0; k < length; k += 4) ov.setInt32(p + k, memo.text[textAt + (k >> 2)], true);
            p += length;
            i = code[i + 4];
            continue;
          }
          for (let k = 0; k < words; k++) memo.keys[keyAt + k] = view.getInt32(o + 4 * k, true);
          memoStart = p;
        } else {
          // End of a run rendered field by field: remember its text (read back a word at a time; the slack covers the last word).
          const length = p - memoStart;
          if (length <= MEMO_TEXT_WORDS * 4) {
            const textAt = memoSlot * MEMO_TEXT_WORDS;
            for (let k = 0; k < length; k += 4) memo.text[textAt + (k >> 2)] = ov.getInt32(memoStart + k, true);
            memo.textLength[memoSlot] = length;
          } else {
            memo.textLength[memoSlot] = 0;
          }
        }
        continue;
      }
      // The step's key, a word at a time (see PackedBytes).
      const keyStart = code[i + 3];
      const keyLength = code[i + 4];
      for (let k = 0; k < keyLength; k += 4) ov.setInt32(p + k, keyWords[keyStart + (k >> 2)], true);
      p += keyLength;
      const o = at + code[i + 1];
      switch (code[i] as Op) {
        case Op.U16: p = putUint(ov, p, view.getUint16(o, true)); break;
        case Op.U32: p = putUint(ov, p, view.getUint32(o, true)); break;
        case Op.S32: p = putInt(ov, p, view.getInt32(o, true)); break;
        case Op.U64: p = putU64(ov, p, view.getUint32(o, true), view.getUint32(o + 4, true)); break;
        case Op.Ts:
          if (this.clock === null) p = putPacked(ov, p, NULL);
          else p = this.clock.put(b, ov, p, view, o);
          break;
        case Op.CString: p = putCString(b, ov, p, src, view, o, code[i + 2]); break;
        case Op.Argv: p = putArgv(b, ov, p, src, view, o, view.getUint32(at + code[i + 2], true)); break;
        case Op.OpenFlags: p = putPacked(ov, p, openFlagsJson.get(view.getUint32(o, true))); break;
        case Op.Result: {
          const r = view.getInt32(o, true);
          p = putInt(ov, p, r);
          if (r < 0) p = putPacked(ov, putPacked(ov, p, ERROR_KEY), errnoJson.get(-r));
          break;
        }
        case Op.Family: p = putPacked(ov, p, familyJson.get(view.getUint16(o, true))); break;
        case Op.Addr: {
          const family = view.getUint16(at + code[i + 2], true);
          const unreadable = (flags & EVENT_FLAG_USER_READ_FAILED) !== 0;
          p = putAddress(b, ov, p, unreadable ? -1 : family, src, o);
          break;
        }
        case Op.ExitStatus: {
          const status = view.getUint32(o, true);
          p = putUint(ov, p, (status >>> 8) & 0xff);
          p = putUint(ov, putPacked(ov, p, SIGNAL_KEY), status & 0x7f);
          break;
        }
      }
    }
    out.pos = putPacked(ov, p, plan.flagTails[flags & plan.flagMask]);
  }

  /** Writes one complete line for an accepted record. */
  writeEvent(out: ByteOutput, kindId: number, src: Uint8Array, at: number): void {
    out.reserve();
    this.writeEventBody(out, kindId, src, at);
    closeLine(out);
  }

  private dataViewFor(src: Uint8Array): DataView {
    if (this.viewBytes !== src) {
      this.view = new DataView(src.buffer, src.byteOffset, src.byteLength);
      this.viewBytes = src;
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

/** `["arg0","arg1",...]` from the NUL-separated argv bytes at `o`, `size` bytes used (bounded by ARGS_LEN). */
function putArgv(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, o: number, size: number): number {
  const limit = Math.min(size, argsLen);
  b[p++] = 91;
  let start = o;
  const end = o + limit;
  let first = true;
  for (let i = o; i <= end; i++) {
    if (i === end ? i > start : src[i] === 0) {
      if (!first) b[p++] = 44;
      p = putStringBytes(b, ov, p, src, sv, start, i);
      first = false;
      start = i + 1;
    }
  }
  b[p++] = 93;
  return p;
}
const argsLen = KINDS.find((k) => k.name === 'process_exec')!.layout.fields.find((f) => f.name === 'args')!.size;
