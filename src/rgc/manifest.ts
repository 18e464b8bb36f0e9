/**
 * The manifest: the first frame of every capture, in CBOR. It carries what an
 * analyst needs to trust and interpret the records without the machine they
 * came from: the full schema, the clock pair, host identity and options.
 */
import { Encoder } from 'cbor-x';
import { describeSchema, type SchemaDescription } from '../abi/manifest-schema.js';
import { decodeCborItem, type KnownItem } from './cbor-decode.js';
import { FormatError } from './errors.js';
import { FORMAT_VERSION } from './format.js';

export interface ClockPair {
  /** Which clock the records' ts_ns uses. */
  readonly source: 'CLOCK_MONOTONIC';
  /** CLOCK_REALTIME and CLOCK_MONOTONIC read back to back at capture start, in ns. */
  readonly realtime_ns: bigint;
  readonly monotonic_ns: bigint;
}

export interface HostInfo {
  readonly hostname: string;
  readonly kernel_release: string;
  readonly machine: string;
  readonly boot_id: string;
  /** uid -> user name and gid -> group name from the host's /etc/passwd and /etc/group (absent in older captures). */
  readonly users?: readonly (readonly [number, string])[];
  readonly groups?: readonly (readonly [number, string])[];
}

/** Entries an id-name table may hold, and characters a name may have. */
const MAX_ID_NAMES = 65_536;
const MAX_ID_NAME_LENGTH = 256;

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

export interface SegmentInfo {
  /** Random id shared by all segments of one capture run. */
  readonly capture_id: string;
  readonly index: number;
  /** SHA-256 (hex) of the previous segment's file, null for the first. */
  readonly previous_sha256: string | null;
}

export interface Manifest {
  readonly format: 'rgc';
  readonly format_version: number;
  readonly tool: { readonly name: string; readonly version: string };
  readonly byte_order: 'little';
  readonly schema: SchemaDescription;
  readonly host: HostInfo;
  readonly clock: ClockPair;
  /** Options the capture ran with (events, watch prefixes, ring size, command...). */
  readonly capture: Readonly<Record<string, unknown>>;
  /** SHA-256 (hex) of the BPF object that produced the records; null for synthetic captures. */
  readonly bpf_object_sha256: string | null;
  readonly segment: SegmentInfo;
  /** SHA-256 (hex) of the Ed25519 public key that signs the end record, when signing. */
  readonly signing_key_sha256?: string;
}

// Maps as plain objects, no cbor-x record extension (plain CBOR other tools can read), 64-bit ints as bigint.
// Read back by our own decoder (cbor-decode.ts says why), which gives what cbor-x's did with those options.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes untrusted CBOR; any failure (truncation, bad types, absurd nesting) becomes `null`. */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decodeCborItem(bytes);
  } catch {
    return null;
  }
}

export function encodeManifest(m: Manifest): Uint8Array {
  return encodeCbor(m);
}

/**
 * This build's schema description as a capture of this build writes it in
 * its manifest (CBOR bytes), and decoded. Why: the schema is 30 of a
 * manifest's 31.5 KB (28 kinds), and a capture of this build carries exactly
 * these bytes: compared instead of decoded, a manifest is ~200 CBOR items
 * instead of ~6,000, and the decoder never runs long enough for V8 to compile
 * it with TurboFan (~15 ms of a pinned replay's start-up CPU). rg-replay's
 * start-up snapshot holds both (src/cli/rg-replay-snapshot.ts); elsewhere
 * they are made at the first manifest. The decoded value is shared by every
 * such manifest, as replay shares equal schemas anyway (shared-schemas.ts).
 */
let buildSchemaCbor: KnownItem | null = null;
export function buildSchemaItem(): KnownItem {
  if (buildSchemaCbor === null) {
    // A copy: cbor-x's encoder hands out a view of memory it reuses.
    const bytes = new Uint8Array(encodeCbor(describeSchema()));
    buildSchemaCbor = { bytes, value: decodeCborItem(bytes) };
  }
  return buildSchemaCbor;
}

/** Decodes and shape-checks a manifest; throws FormatError naming the first problem. */
export function decodeManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = decodeCborItem(bytes, buildSchemaItem());
  } catch {
    value = null;
  }
  const bad = (what: string): never => {
    throw new FormatError('bad_manifest', `rgc: manifest is damaged: ${what}`);
  };
  if (!isRecord(value)) return bad('not a CBOR map');
  if (value.format !== 'rgc') return bad('format is not "rgc"');
  if (value.format_version !== FORMAT_VERSION) {
    throw new FormatError('unsupported_version', `rgc: unsupported format version ${String(value.format_version)} (this build reads ${FORMAT_VERSION})`);
  }
  if (!isRecord(value.schema) || !Array.isArray(value.schema.kinds) || !Array.isArray(value.schema.header)) return bad('schema missing');
  if (!isRecord(value.clock) || typeof value.clock.realtime_ns !== 'bigint' && typeof value.clock.realtime_ns !== 'number') return bad('clock missing');
  if (!isRecord(value.host) || typeof value.host.hostname !== 'string') return bad('host missing');
  if (!isRecord(value.segment)) return bad('segment missing');
  const clock = value.clock as Record<string, unknown>;
  const { users, groups, ...host } = value.host as Record<string, unknown>;
  const u = idNames(users);
  const g = idNames(groups);
  return {
    ...(value as unknown as Manifest),
    host: { ...(host as unknown as HostInfo), ...(u !== undefined ? { users: u } : {}), ...(g !== undefined ? { groups: g } : {}) },
    clock: { source: 'CLOCK_MONOTONIC', realtime_ns: BigInt(clock.realtime_ns as bigint), monotonic_ns: BigInt(clock.monotonic_ns as bigint ?? 0) },
  };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
