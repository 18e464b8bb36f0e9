/**
 * Where replayed events go: NDJSON, readable text, or nowhere (--stats).
 * Each sink receives accepted records as bytes and rejected ones as reasons.
 */
import { type ByteOutput } from '../output/byte-output.js';
import { closeLine, NdjsonEncoder } from '../output/ndjson.js';
import { writeInt, writeJsString, writeUint } from '../output/json-bytes.js';
import { type WallClock } from '../output/wall-clock.js';
import { formatEventText } from '../output/text.js';

export interface RejectedRecord {
  readonly reason: string;
  /** Kind as the header claimed, -1 when too short to have one. */
  readonly rawKind: number;
  readonly length: number;
  readonly frameSeq: number;
  /** Position of the record within its frame. */
  readonly index: number;
}

export interface EventSink {
  /** A new file begins (its clock may differ from the previous one's). */
  begin(clock: WallClock | null): void;
  event(kindId: number, bytes: Uint8Array, offset: number): void;
  rejected(r: RejectedRecord): void;
  flush(): void;
}

export class NdjsonSink implements EventSink {
  private encoder = new NdjsonEncoder(null);
  constructor(private readonly out: ByteOutput) {}
  begin(clock: WallClock | null): void { this.encoder = new NdjsonEncoder(clock); }
  event(kindId: number, bytes: Uint8Array, offset: number): void { this.encoder.writeEvent(this.out, kindId, bytes, offset); }
  rejected(r: RejectedRecord): void { writeRejectedJson(this.out, r); }
  flush(): void { this.out.flush(); }
}

export class TextSink implements EventSink {
  private clock: WallClock | null = null;
  constructor(private readonly out: ByteOutput, private readonly color: boolean) {}
  begin(clock: WallClock | null): void { this.clock = clock; }
  event(kindId: number, bytes: Uint8Array, offset: number): void {
    this.out.reserve();
    this.out.bytes(Buffer.from(formatEventText(kindId, bytes, offset, this.clock, this.color) + '\n'));
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
  flush(): void {}
}

/** `{"event_type":"invalid_record","reason":...}`: rejected records are reported in the stream, never guessed at. */
export function writeRejectedJson(out: ByteOutput, r: RejectedRecord): void {
  out.reserve();
  out.ascii('{"event_type":"invalid_record","reason":');
  writeJsString(out, r.reason);
  out.ascii(',"kind":');
  writeInt(out, r.rawKind);
  out.ascii(',"length":');
  writeUint(out, r.length);
  out.ascii(',"frame":');
  writeUint(out, r.frameSeq);
  out.ascii(',"index":');
  writeUint(out, r.index);
  closeLine(out);
}
