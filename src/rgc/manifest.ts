/**
 * The manifest: the first frame of every capture, in CBOR. It carries what an
 * analyst needs to trust and interpret the records without the machine they
 * came from: the full schema, the clock pair, host identity and options.
 */
import { Encoder } from 'cbor-x';
import { describeSchema, type SchemaDescription } from '../abi/manifest-schema.js';
import { decodeCborItem, type KnownItem } from './cbor-decode.js';
import { manifestOf } from './manifest-shape.js';

export { isRecord } from './manifest-shape.js';

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

/**
 * Decodes a manifest and checks its whole shape (manifest-shape.ts); throws
 * FormatError naming the first problem.
 */
export function decodeManifest(bytes: Uint8Array): Manifest {
  const trusted = buildSchemaItem();
  let value: unknown;
  try {
    value = decodeCborItem(bytes, trusted);
  } catch {
    value = null;
  }
  return manifestOf(value, trusted.value);
}
