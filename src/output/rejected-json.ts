/** The NDJSON line for a record the dispatcher rejected: shared by replay and rg-capture --json. */
import { type ByteOutput } from './byte-output.js';
import { closeLine } from './ndjson.js';
import { writeInt, writeJsString, writeUint } from './json-bytes.js';

export interface RejectedRecord {
  readonly reason: string;
  /** Kind as the header claimed, -1 when too short to have one. */
  readonly rawKind: number;
  readonly length: number;
  readonly frameSeq: number;
  /** Position of the record within its frame. */
  readonly index: number;
}

/**
 * `{"event_type":"invalid_record","reason":...}`: rejected records are reported in the stream, never guessed at.
 * `trailer`: JSON members (`,"host":...`) written before the closing brace (a merged replay's origin).
 */
export function writeRejectedJson(out: ByteOutput, r: RejectedRecord, trailer: Uint8Array | null = null): void {
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
  if (trailer !== null) out.bytes(trailer);
  closeLine(out);
}
