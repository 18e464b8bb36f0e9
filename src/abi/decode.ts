/**
 * Record bytes -> plain objects, for everything off the NDJSON hot path:
 * tests, display values, rules. Only call on records the dispatcher accepted.
 */
import { type FieldLayout } from './layout.js';
import { BUILD_SCHEMA, type KindLayout, type Schema } from './schema.js';

export { cString } from './bytes.js';

/** A decoded field: numbers for <= 32-bit integers, bigint for 64-bit, raw bytes for char/bytes. */
export type FieldValue = number | bigint | Uint8Array;
export type DecodedFields = Record<string, FieldValue>;

export interface DecodedEvent {
  readonly kind: KindLayout;
  readonly fields: DecodedFields;
}

/** Reads one field at its schema offset. char/bytes come back as a view (no copy). */
export function readField(view: DataView, bytes: Uint8Array, recordOffset: number, f: FieldLayout): FieldValue {
  const at = recordOffset + f.offset;
  switch (f.type) {
    case 'u8': return view.getUint8(at);
    case 'u16': return view.getUint16(at, true);
    case 'u32': return view.getUint32(at, true);
    case 's32': return view.getInt32(at, true);
    case 'u64': return view.getBigUint64(at, true);
    case 's64': return view.getBigInt64(at, true);
    case 'char':
    case 'bytes': return bytes.subarray(at, at + f.size);
  }
}

/** Decodes an accepted record of kind `kindId` into header and body fields. */
export function decodeRecord(bytes: Uint8Array, offset: number, kindId: number, schema: Schema = BUILD_SCHEMA): DecodedEvent {
  const kind = schema.byId[kindId];
  if (kind === undefined) throw new RangeError(`abi: decodeRecord called with unknown kind ${kindId}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: DecodedFields = {};
  for (const f of kind.layout.fields) fields[f.name] = readField(view, bytes, offset, f);
  return { kind, fields };
}
