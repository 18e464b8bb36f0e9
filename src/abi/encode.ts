/**
 * Field values -> record bytes, laid out exactly as the kernel program writes
 * them. Used to build synthetic records for tests and fixtures, and to encode
 * the FILE_FILTER and CONFIG map values the capture loader writes.
 */
import { FILE_FILTER_MAX_PREFIXES, FILE_FILTER_PREFIX_LEN } from './constants.js';
import { type FieldLayout, type StructLayout } from './layout.js';
import { BUILD_SCHEMA, CAPTURE_CONFIG, FILE_FILTER_CONFIG, type Schema } from './schema.js';

export type FieldInput = number | bigint | Uint8Array | string;

/** Writes `value` into `f` of the struct at `bytes[offset]`. Strings and bytes must fit the buffer. */
export function writeField(view: DataView, bytes: Uint8Array, offset: number, f: FieldLayout, value: FieldInput): void {
  const at = offset + f.offset;
  switch (f.type) {
    case 'u8': view.setUint8(at, Number(value)); return;
    case 'u16': view.setUint16(at, Number(value), true); return;
    case 'u32':
      if (f.count > 1) throw new Error(`abi: ${f.name} is an array; write it element by element`);
      view.setUint32(at, Number(value), true); return;
    case 's32': view.setInt32(at, Number(value), true); return;
    case 'u64': view.setBigUint64(at, BigInt(value as number | bigint), true); return;
    case 's64': view.setBigInt64(at, BigInt(value as number | bigint), true); return;
    case 'char':
    case 'bytes': {
      const src = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      if (!(src instanceof Uint8Array)) throw new TypeError(`abi: ${f.name} needs bytes or a string`);
      if (src.length > f.size) throw new RangeError(`abi: ${f.name} holds ${f.size} bytes, got ${src.length}`);
      bytes.fill(0, at, at + f.size);
      bytes.set(src, at);
      return;
    }
  }
}

/**
 * Encodes a record of `kindId`. The header's version, kind and size are filled
 * in unless `fields` overrides them (tests use that to build invalid records).
 */
export function encodeRecord(kindId: number, fields: Record<string, FieldInput>, schema: Schema = BUILD_SCHEMA): Uint8Array {
  const kind = schema.byId[kindId];
  if (kind === undefined) throw new RangeError(`abi: no kind ${kindId}`);
  return encodeStruct(kind.layout, { version: schema.version, kind: kindId, size: kind.layout.size, ...fields });
}

/** Encodes any schema struct; fields not given are zero. Unknown names are an error, not ignored. */
export function encodeStruct(layout: StructLayout, fields: Record<string, FieldInput>): Uint8Array {
  const bytes = new Uint8Array(layout.size);
  const view = new DataView(bytes.buffer);
  const byName = new Map(layout.fields.map((f) => [f.name, f]));
  for (const [name, value] of Object.entries(fields)) {
    const f = byName.get(name);
    if (f === undefined) throw new Error(`abi: ${layout.cName} has no field ${name}`);
    writeField(view, bytes, 0, f, value);
  }
  return bytes;
}

/** Encodes the kernel path-prefix filter. Throws on too many or too long prefixes. */
export function encodeFileFilterConfig(prefixes: readonly string[]): Uint8Array {
  if (prefixes.length > FILE_FILTER_MAX_PREFIXES) {
    throw new RangeError(`at most ${FILE_FILTER_MAX_PREFIXES} watch prefixes, got ${prefixes.length}`);
  }
  const bytes = new Uint8Array(FILE_FILTER_CONFIG.size);
  const view = new DataView(bytes.buffer);
  const [countField, prefixesField, lensField] = FILE_FILTER_CONFIG.fields;
  view.setUint32(countField.offset, prefixes.length, true);
  prefixes.forEach((prefix, i) => {
    const encoded = new TextEncoder().encode(prefix);
    // The kernel compares prefix_lens[i] bytes; a full-length prefix would leave no NUL, which is fine,
    // but an empty one would match everything silently.
    if (encoded.length === 0 || encoded.length > FILE_FILTER_PREFIX_LEN) {
      throw new RangeError(`watch prefix must be 1-${FILE_FILTER_PREFIX_LEN} bytes: ${JSON.stringify(prefix)}`);
    }
    bytes.set(encoded, prefixesField.offset + i * FILE_FILTER_PREFIX_LEN);
    view.setUint32(lensField.offset + i * 4, encoded.length, true);
  });
  return bytes;
}

export interface CaptureConfigValues {
  readonly selfTgid: number;
  /** Bit (1 << kind) per kind to record (kindMask); a number for kinds below 31. */
  readonly eventsMask: bigint | number;
  readonly follow: boolean;
  readonly wakeupBytes: number;
  readonly canaryArmed: boolean;
}

export function encodeCaptureConfig(c: CaptureConfigValues): Uint8Array {
  return encodeStruct(CAPTURE_CONFIG, {
    self_tgid: c.selfTgid, events_mask: BigInt.asUintN(64, BigInt(c.eventsMask)), follow: c.follow ? 1 : 0,
    wakeup_bytes: c.wakeupBytes, canary_armed: c.canaryArmed ? 1 : 0,
  });
}
