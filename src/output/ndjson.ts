/**
 * Record bytes -> one NDJSON line, with no per-event object and no
 * JSON.stringify. Each kind has a plan derived from the schema (key bytes,
 * offset, how to print); the encoder walks the plan and writes bytes.
 *
 * Key order is fixed: event_type, the header fields in schema order with
 * `time` right after `ts_ns`, the kind's own fields, then its flag booleans.
 */
import { EVENT_FLAG_USER_READ_FAILED } from '../abi/constants.js';
import { HEADER, KINDS, type KindLayout, type SchemaField, HEADER_FIELDS } from '../abi/schema.js';
import { type FieldLayout } from '../abi/layout.js';
import { type ByteOutput } from './byte-output.js';
import { writeCString, writeInt, writeStringBytes, writeU64, writeUint } from './json-bytes.js';
import { addressText, errnoName, familyName, openFlagsText } from './values.js';
import { type WallClock } from './wall-clock.js';

const enum Op { U16, U32, S32, U64, Ts, CString, Argv, OpenFlags, Result, Family, Addr, ExitStatus, Flag }

interface Step {
  readonly op: Op;
  /** `,"name":` (or `{"event_type":"..."` fused into the first step's key). */
  readonly key: Uint8Array;
  readonly offset: number;
  /** Buffer length for strings, flag bit for Flag, related field offset for Argv (size) and Addr (family). */
  readonly arg: number;
}

interface Plan {
  readonly head: Uint8Array;
  readonly steps: readonly Step[];
}

const enc = new TextEncoder();
const keyBytes = (name: string) => enc.encode(`,"${name}":`);

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

function buildPlan(kind: KindLayout): Plan {
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
      steps.push({ op, key: keyBytes('exit_code'), offset: layout.offset, arg: 0 });
      return;
    }
    steps.push({ op, key: keyBytes(op === Op.Argv ? 'argv' : layout.name), offset: layout.offset, arg });
    if (layout.name === 'ts_ns') steps.push({ op: Op.Ts, key: keyBytes('time'), offset: layout.offset, arg: 0 });
  });
  for (const flag of kind.flags) steps.push({ op: Op.Flag, key: keyBytes(flag.outputName), offset: 0, arg: flag.bit });
  return { head: enc.encode(`{"event_type":"${kind.eventType}"`), steps };
}

const PLANS: (Plan | undefined)[] = [];
for (const k of KINDS) PLANS[k.id] = buildPlan(k);
const FLAGS_OFFSET = HEADER.fields.find((f) => f.name === 'flags')!.offset;

const TRUE = enc.encode('true');
const FALSE = enc.encode('false');
const NULL = enc.encode('null');
const ERROR_KEY = keyBytes('error');
const SIGNAL_KEY = keyBytes('signal');

/** Pre-escaped JSON string values for repeated texts (flags, errno names), keyed by number. */
class TextCache {
  private readonly map = new Map<number, Uint8Array>();
  constructor(private readonly render: (n: number) => string) {}
  get(n: number): Uint8Array {
    let v = this.map.get(n);
    if (v === undefined) {
      v = enc.encode(JSON.stringify(this.render(n)));
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
    out.bytes(plan.head);
    const flags = view.getUint16(at + FLAGS_OFFSET, true);
    const steps = plan.steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      out.bytes(s.key);
      const o = at + s.offset;
      switch (s.op) {
        case Op.U16: writeUint(out, view.getUint16(o, true)); break;
        case Op.U32: writeUint(out, view.getUint32(o, true)); break;
        case Op.S32: writeInt(out, view.getInt32(o, true)); break;
        case Op.U64: writeU64(out, view.getUint32(o, true), view.getUint32(o + 4, true)); break;
        case Op.Ts:
          if (this.clock === null) out.bytes(NULL);
          else this.clock.write(out, view.getUint32(o, true), view.getUint32(o + 4, true));
          break;
        case Op.CString: writeCString(out, src, o, s.arg); break;
        case Op.Argv: writeArgv(out, src, o, view.getUint32(at + s.arg, true)); break;
        case Op.OpenFlags: out.bytes(openFlagsJson.get(view.getUint32(o, true))); break;
        case Op.Result: {
          const r = view.getInt32(o, true);
          writeInt(out, r);
          if (r < 0) { out.bytes(ERROR_KEY); out.bytes(errnoJson.get(-r)); }
          break;
        }
        case Op.Family: out.bytes(familyJson.get(view.getUint16(o, true))); break;
        case Op.Addr: {
          const family = view.getUint16(at + s.arg, true);
          const unreadable = (flags & EVENT_FLAG_USER_READ_FAILED) !== 0;
          out.ascii(JSON.stringify(unreadable ? '' : addressText(family, src.subarray(o, o + 16))));
          break;
        }
        case Op.ExitStatus: {
          const status = view.getUint32(o, true);
          writeUint(out, (status >>> 8) & 0xff);
          out.bytes(SIGNAL_KEY);
          writeUint(out, status & 0x7f);
          break;
        }
        case Op.Flag: out.bytes((flags & s.arg) !== 0 ? TRUE : FALSE); break;
      }
    }
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

/** `["arg0","arg1",...]` from the NUL-separated argv bytes at `o`, `size` bytes used (bounded by ARGS_LEN). */
function writeArgv(out: ByteOutput, src: Uint8Array, o: number, size: number): void {
  const limit = Math.min(size, argsLen);
  out.buf[out.pos++] = 91;
  let start = o;
  const end = o + limit;
  let first = true;
  for (let i = o; i <= end; i++) {
    if (i === end ? i > start : src[i] === 0) {
      if (!first) out.buf[out.pos++] = 44;
      writeStringBytes(out, src, start, i);
      first = false;
      start = i + 1;
    }
  }
  out.buf[out.pos++] = 93;
}
const argsLen = KINDS.find((k) => k.name === 'process_exec')!.layout.fields.find((f) => f.name === 'args')!.size;
