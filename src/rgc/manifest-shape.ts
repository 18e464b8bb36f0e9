/**
 * The manifest's shape, checked where it is decoded: every key the format
 * defines (docs/FORMAT.md), its type, integer-ness and range, and the shape
 * of every list element. Why here and whole: replay, stats, audit, tree,
 * verify, export and the report all read the manifest, and each trusted what
 * it read (a float clock, a kind without fields, a missing tool crashed them
 * one by one). A manifest that passes is a `Manifest` every consumer can use
 * as typed; one that fails is damage (`bad_manifest`), and the file replays
 * as one whose manifest is unreadable.
 */
import type { SchemaDescription, SchemaFieldDescription, SchemaKindDescription } from '../abi/manifest-schema.js';
import { elementSize, isFieldType } from '../abi/layout.js';
import { FormatError } from './errors.js';
import { FORMAT_VERSION, MAX_RECORD_BYTES } from './format.js';
import type { HostInfo, Manifest } from './manifest.js';

/** Entries an id-name table may hold, and characters a name may have. */
const MAX_ID_NAMES = 65_536;
const MAX_ID_NAME_LENGTH = 256;
const U64_MAX = (1n << 64n) - 1n;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * `v` as a u64 when it is an integer in 0..2^64-1: a bigint (how CBOR's
 * 8-byte integers decode) or a safe-integer number (shorter ones); else null.
 */
export function asU64(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v >= 0n && v <= U64_MAX ? v : null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return null;
}

function bad(what: string): never {
  throw new FormatError('bad_manifest', `rgc: manifest is damaged: ${what}`);
}

function record(v: unknown, at: string): Record<string, unknown> {
  return isRecord(v) ? v : bad(`${at} is not a map`);
}

function text(v: unknown, at: string): string {
  return typeof v === 'string' ? v : bad(`${at} is not text`);
}

function textOrNull(v: unknown, at: string): string | null {
  return v === null ? null : typeof v === 'string' ? v : bad(`${at} is neither text nor null`);
}

function name(v: unknown, at: string): string {
  return typeof v === 'string' && v.length > 0 ? v : bad(`${at} is not a non-empty text`);
}

/** An integer in min..max (both safe), however CBOR encoded it, as a number. */
function int(v: unknown, at: string, min: number, max: number): number {
  const n = typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : bad(`${at} is not an integer in ${min}..${max}`);
}

function u64(v: unknown, at: string): bigint {
  return asU64(v) ?? bad(`${at} is not an integer in 0..2^64-1`);
}

function list(v: unknown, at: string): readonly unknown[] {
  return Array.isArray(v) ? v : bad(`${at} is not a list`);
}

/**
 * Decodes the manifest's value (CBOR already read) into a Manifest, or throws
 * FormatError: `unsupported_version` for another format version, otherwise
 * `bad_manifest` naming the first key that is wrong. `trusted`: this build's
 * own schema, shared by every manifest that carries its exact bytes (it is
 * not checked again).
 */
export function manifestOf(value: unknown, trusted: unknown): Manifest {
  if (!isRecord(value)) return bad('not a CBOR map');
  if (value.format !== 'rgc') return bad('format is not "rgc"');
  // Before any other check: a newer format is not a damaged one.
  if (value.format_version !== FORMAT_VERSION) {
    throw new FormatError('unsupported_version', `rgc: unsupported format version ${String(value.format_version)} (this build reads ${FORMAT_VERSION})`);
  }
  const tool = record(value.tool, 'tool');
  if (value.byte_order !== 'little') bad('byte_order is not "little"');
  const clock = record(value.clock, 'clock');
  if (clock.source !== 'CLOCK_MONOTONIC') bad('clock.source is not "CLOCK_MONOTONIC"');
  const segment = record(value.segment, 'segment');
  const signingKey = value.signing_key_sha256;
  return {
    format: 'rgc',
    format_version: FORMAT_VERSION,
    tool: { name: text(tool.name, 'tool.name'), version: text(tool.version, 'tool.version') },
    byte_order: 'little',
    schema: value.schema === trusted ? trusted as SchemaDescription : schemaOf(value.schema),
    host: hostOf(value.host),
    clock: { source: 'CLOCK_MONOTONIC', realtime_ns: u64(clock.realtime_ns, 'clock.realtime_ns'), monotonic_ns: u64(clock.monotonic_ns, 'clock.monotonic_ns') },
    // The options as the capture recorded them: free-form, shown as text (the report), read by key with a type check (coverage).
    capture: record(value.capture, 'capture'),
    bpf_object_sha256: textOrNull(value.bpf_object_sha256, 'bpf_object_sha256'),
    segment: {
      capture_id: name(segment.capture_id, 'segment.capture_id'),
      index: int(segment.index, 'segment.index', 0, Number.MAX_SAFE_INTEGER),
      previous_sha256: textOrNull(segment.previous_sha256, 'segment.previous_sha256'),
    },
    ...(signingKey === undefined ? {} : { signing_key_sha256: text(signingKey, 'signing_key_sha256') }),
  };
}

function hostOf(v: unknown): HostInfo {
  const host = record(v, 'host');
  const users = idNames(host.users);
  const groups = idNames(host.groups);
  return {
    hostname: text(host.hostname, 'host.hostname'), kernel_release: text(host.kernel_release, 'host.kernel_release'),
    machine: text(host.machine, 'host.machine'), boot_id: text(host.boot_id, 'host.boot_id'),
    ...(users !== undefined ? { users } : {}), ...(groups !== undefined ? { groups } : {}),
  };
}

/**
 * A well-formed id-name table, or undefined. A malformed table (from a
 * damaged or crafted file) is left out rather than failing the manifest:
 * names are a convenience, and without them replay shows the numbers.
 */
function idNames(v: unknown): readonly (readonly [number, string])[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_ID_NAMES) return undefined;
  for (const e of v) {
    if (!Array.isArray(e) || e.length !== 2) return undefined;
    const [id, name] = e as unknown[];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) return undefined;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ID_NAME_LENGTH) return undefined;
  }
  return v as [number, string][];
}

/**
 * The record layouts the file declares. Sizes are bounded by a record's
 * largest size, and every field lies inside its record: `--schema manifest`
 * copies fields by these offsets, and audit prints them.
 */
function schemaOf(v: unknown): SchemaDescription {
  const s = record(v, 'schema');
  const version = int(s.version, 'schema.version', 1, 0xffff);
  if (s.byte_order !== 'little') bad('schema.byte_order is not "little"');
  const headerSize = int(s.header_size, 'schema.header_size', 1, MAX_RECORD_BYTES);
  const constants = record(s.constants, 'schema.constants');
  for (const [k, c] of Object.entries(constants)) if (typeof c !== 'number' || !Number.isSafeInteger(c)) bad(`schema.constants.${k} is not an integer`);
  const header = fieldsOf(s.header, 'schema.header', headerSize);
  const ids = new Set<number>();
  const kinds = list(s.kinds, 'schema.kinds').map((k, i): SchemaKindDescription => {
    const at = `schema.kinds[${i}]`;
    const kind = record(k, at);
    const id = int(kind.id, `${at}.id`, 0, 0xffff);
    // Two layouts for one id: which one the records use would be a guess.
    if (ids.has(id)) bad(`${at}.id ${id} is declared twice`);
    ids.add(id);
    const size = int(kind.size, `${at}.size`, headerSize, MAX_RECORD_BYTES);
    return { id, name: name(kind.name, `${at}.name`), event_type: name(kind.event_type, `${at}.event_type`), size, fields: fieldsOf(kind.fields, `${at}.fields`, size) };
  });
  return { version, byte_order: 'little', header_size: headerSize, constants: constants as Record<string, number>, header, kinds };
}

/** A field list of a record of `size` bytes. A type this build does not know (a newer writer's) is kept, its elements counted as one byte. */
function fieldsOf(v: unknown, at: string, size: number): SchemaFieldDescription[] {
  const names = new Set<string>();
  return list(v, at).map((f, i) => {
    const where = `${at}[${i}]`;
    const field = record(f, where);
    const fieldName = name(field.name, `${where}.name`);
    if (names.has(fieldName)) bad(`${where}.name ${JSON.stringify(fieldName)} is declared twice`);
    names.add(fieldName);
    const type = name(field.type, `${where}.type`);
    const offset = int(field.offset, `${where}.offset`, 0, size);
    const count = int(field.count, `${where}.count`, 1, size);
    if (offset + (isFieldType(type) ? elementSize(type) : 1) * count > size) bad(`${where} (${fieldName}) runs past its record's ${size} bytes`);
    return { name: fieldName, type: type as SchemaFieldDescription['type'], offset, count };
  });
}
