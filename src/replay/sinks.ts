/**
 * Where replayed events go: NDJSON, readable text, or nowhere (--stats).
 * Each sink receives accepted records as bytes and rejected ones as reasons.
 */
import { type ByteOutput } from '../output/byte-output.js';
import { closeLine, NdjsonEncoder } from '../output/ndjson.js';
import { type RejectedRecord, writeRejectedJson } from '../output/rejected-json.js';
import { type WallClock } from '../output/wall-clock.js';
import { formatEventText, textValue } from '../output/text.js';
import { eventValues } from '../output/event-values.js';
import { type ProcessContextEncoder } from './context-json.js';
import { type ProcessNode } from './process-table.js';
import { type Alert } from './rules/alerts.js';

export { type RejectedRecord, writeRejectedJson } from '../output/rejected-json.js';

export interface EventSink {
  /** A new file begins (its clock may differ from the previous one's). */
  begin(clock: WallClock | null): void;
  /** An event; `node` is its process (null when the process table is off). */
  event(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null): void;
  rejected(r: RejectedRecord): void;
  alert(a: Alert): void;
  /** An event decoded by the file's own schema: `unavailable` fields are unknown, printed as null. */
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null, unavailable: readonly string[]): void;
  flush(): void;
}

/** Output keys that a schema field produces (most map to themselves). */
const OUTPUT_KEYS: Record<string, string[]> = { args: ['argv'], args_size: ['argv'], exit_status: ['exit_code', 'signal'], result: ['result', 'error'], flags: [] };

/** Display values with unknown fields set to null, plus the list of what was unavailable. */
export function translatedValues(kindId: number, bytes: Uint8Array, offset: number, unavailable: readonly string[], clock: WallClock | null): Record<string, unknown> {
  const values = new Map<string, unknown>();
  for (const [key, value] of eventValues(kindId, bytes, offset).values) {
    values.set(key, value);
    if (key === 'ts_ns') values.set('time', clock !== null ? clock.format(BigInt(value as number | string)) : null);
  }
  for (const field of unavailable) {
    for (const key of OUTPUT_KEYS[field] ?? [field]) if (values.has(key)) values.set(key, null);
    if (field === 'flags') for (const f of eventValues(kindId, bytes, offset).kind.flags) values.set(f.outputName, null);
  }
  values.set('schema_unavailable', [...unavailable]);
  return Object.fromEntries(values);
}

export class NdjsonSink implements EventSink {
  private encoder = new NdjsonEncoder(null);
  private clock: WallClock | null = null;
  /** One encoder per clock: merged replay switches between inputs often. */
  private readonly encoders = new Map<WallClock | null, NdjsonEncoder>();
  constructor(private readonly out: ByteOutput, private readonly context: ProcessContextEncoder | null) {}
  begin(clock: WallClock | null): void {
    this.clock = clock;
    let encoder = this.encoders.get(clock);
    if (encoder === undefined) {
      encoder = new NdjsonEncoder(clock);
      this.encoders.set(clock, encoder);
    }
    this.encoder = encoder;
  }
  event(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null): void {
    if (node === null || this.context === null) {
      this.encoder.writeEvent(this.out, kindId, bytes, offset);
      return;
    }
    this.out.reserve();
    this.encoder.writeEventBody(this.out, kindId, bytes, offset);
    this.out.bytes(this.context.encode(node));
    closeLine(this.out);
  }
  rejected(r: RejectedRecord): void { writeRejectedJson(this.out, r); }
  alert(a: Alert): void {
    this.out.reserve();
    this.out.bytes(Buffer.from(JSON.stringify(a) + '\n'));
  }
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null, unavailable: readonly string[]): void {
    const values = translatedValues(kindId, bytes, offset, unavailable, this.clock);
    const context = node !== null && this.context !== null ? Buffer.from(this.context.encode(node)).toString() : '';
    const json = JSON.stringify(values);
    this.out.reserve();
    this.out.bytes(Buffer.from(`${json.slice(0, -1)}${context}}\n`));
  }
  flush(): void { this.out.flush(); }
}

export class TextSink implements EventSink {
  private clock: WallClock | null = null;
  constructor(private readonly out: ByteOutput, private readonly color: boolean) {}
  begin(clock: WallClock | null): void { this.clock = clock; }
  event(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null): void {
    this.out.reserve();
    let line = formatEventText(kindId, bytes, offset, this.clock, this.color);
    if (node !== null) {
      const exe = node.exe ?? (node.startSeen ? '?' : 'unknown');
      line += ` exe=${exe} parent=${node.ppid}:${node.parent?.exe ?? 'unknown'}`;
    }
    this.out.bytes(Buffer.from(line + '\n'));
  }
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, _node: ProcessNode | null, unavailable: readonly string[]): void {
    const values = translatedValues(kindId, bytes, offset, unavailable, this.clock);
    const parts = Object.entries(values).filter(([k, v]) => k !== 'event_type' && v !== false && v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => (v === true ? k : `${k}=${v === null ? 'unknown' : textValue(v as never)}`));
    this.out.reserve();
    this.out.bytes(Buffer.from(`${String(values.event_type)} ${parts.join(' ')}\n`));
  }
  alert(a: Alert): void {
    this.out.reserve();
    const what = a.path ?? a.filename ?? (a.addr !== undefined ? `${String(a.addr)}:${String(a.port)}` : '');
    const sev = this.color ? `\x1b[1;31m${a.severity.toUpperCase()}\x1b[0m` : a.severity.toUpperCase();
    this.out.bytes(Buffer.from(`${a.time ?? '-'} ALERT ${sev} ${a.rule_id}: ${a.title}: pid=${a.process.pid} exe=${a.process.exe ?? 'unknown'} ${String(what)}\n`));
  }
  rejected(r: RejectedRecord): void {
    this.out.reserve();
    this.out.bytes(Buffer.from(`invalid_record reason=${r.reason} kind=${r.rawKind} length=${r.length} frame=${r.frameSeq} index=${r.index}\n`));
  }
  flush(): void { this.out.flush(); }
}

export class NullSink implements EventSink {
  begin(): void {}
  event(): void {}
  rejected(): void {}
  alert(): void {}
  translatedEvent(): void {}
  flush(): void {}
}
