/**
 * Schema audit: the layouts a capture's manifest declares against this
 * build's, kind by kind and field by field; and a translator that decodes
 * records by the manifest's layouts (`--schema manifest`) for the fields this
 * build knows by name and type, reporting the rest instead of guessing.
 */
import { describeSchema, type SchemaDescription, type SchemaFieldDescription } from '../abi/manifest-schema.js';
import { type InvalidReason } from '../abi/dispatch.js';
import { BUILD_SCHEMA, fieldNameInVersion, type KindLayout, type Schema } from '../abi/schema.js';
import { type FieldLayout } from '../abi/layout.js';
import { KIND_OFFSET, recordKind, recordSize, recordVersion, SIZE_OFFSET, VERSION_OFFSET } from '../abi/header-access.js';

export interface FieldDifference {
  readonly field: string;
  readonly problem: 'missing_in_file' | 'unknown_to_build' | 'moved' | 'retyped' | 'renamed';
  readonly file?: SchemaFieldDescription;
  readonly build?: { type: string; offset: number; count: number };
}

export interface KindAudit {
  readonly id: number;
  readonly name: string;
  readonly status: 'same' | 'different' | 'missing_in_file' | 'unknown_to_build';
  readonly fileSize: number | null;
  readonly buildSize: number | null;
  readonly differences: FieldDifference[];
}

/**
 * The flag bits the manifest names (its constants EVENT_FLAG_*, PATH_FLAG_*,
 * ADDR_FLAG_*) against this build's. Flags were added within a schema version
 * without changing any layout: a writer that did not define a flag never
 * set it, so in its records a clear bit is not known to be clear.
 */
export interface FlagAudit {
  /** This build's flags the file's writer did not define (constant names). */
  readonly missingInFile: string[];
  /** Flags the file defines that this build does not know (a newer writer): ignored in its records. */
  readonly unknownToBuild: string[];
  /** Flags both define at different bits: the build reads such bits as another flag. */
  readonly moved: { name: string; file: number; build: number }[];
}

export interface SchemaAudit {
  readonly fileVersion: number;
  readonly buildVersion: number;
  /** Layouts and flags alike (identical: nothing in the file is read otherwise than its writer meant, or left unknown). */
  readonly identical: boolean;
  readonly kinds: KindAudit[];
  readonly flags: FlagAudit;
}

const FLAG_CONSTANT = /^(EVENT|PATH|ADDR)_FLAG_/;

/** The file's flag constants against `schema`'s. */
export function auditFlags(file: SchemaDescription, schema: Schema = BUILD_SCHEMA): FlagAudit {
  const build = Object.entries(describeSchema(schema).constants).filter(([k]) => FLAG_CONSTANT.test(k));
  const theirs = new Map(Object.entries(file.constants).filter(([k]) => FLAG_CONSTANT.test(k)));
  const ours = new Map(build);
  return {
    missingInFile: build.filter(([k]) => !theirs.has(k)).map(([k]) => k),
    unknownToBuild: [...theirs.keys()].filter((k) => !ours.has(k)),
    moved: build.filter(([k, v]) => theirs.has(k) && theirs.get(k) !== v).map(([k, v]) => ({ name: k, file: theirs.get(k)!, build: v })),
  };
}

const sameType = (a: SchemaFieldDescription, b: FieldLayout) => a.type === b.type && a.count === b.count;

export function auditSchema(file: SchemaDescription, schema: Schema = BUILD_SCHEMA): SchemaAudit {
  const buildVersion = schema.version;
  const kinds: KindAudit[] = [];
  const fileKinds = new Map(file.kinds.map((k) => [k.id, k]));
  for (const build of schema.kinds) {
    const fk = fileKinds.get(build.id);
    if (fk === undefined) {
      kinds.push({ id: build.id, name: build.eventType, status: 'missing_in_file', fileSize: null, buildSize: build.layout.size, differences: [] });
      continue;
    }
    const differences: FieldDifference[] = [];
    const fileFields = new Map(fk.fields.map((f) => [f.name, f]));
    for (const bf of build.layout.fields) {
      const name = fieldNameInVersion(build.name, file.version, bf.name);
      const ff = name === undefined ? undefined : fileFields.get(name);
      const b = { type: bf.type, offset: bf.offset, count: bf.count };
      if (ff === undefined) differences.push({ field: bf.name, problem: 'missing_in_file', build: b });
      else if (name !== bf.name) differences.push({ field: bf.name, problem: 'renamed', file: ff, build: b });
      else if (!sameType(ff, bf)) differences.push({ field: bf.name, problem: 'retyped', file: ff, build: b });
      else if (ff.offset !== bf.offset) differences.push({ field: bf.name, problem: 'moved', file: ff, build: b });
    }
    const known = new Set(build.layout.fields.map((f) => fieldNameInVersion(build.name, file.version, f.name)));
    for (const ff of fk.fields) if (!known.has(ff.name)) differences.push({ field: ff.name, problem: 'unknown_to_build', file: ff });
    const same = differences.length === 0 && fk.size === build.layout.size;
    kinds.push({ id: build.id, name: build.eventType, status: same ? 'same' : 'different', fileSize: fk.size, buildSize: build.layout.size, differences });
  }
  for (const fk of file.kinds) {
    if (schema.byId[fk.id] === undefined) kinds.push({ id: fk.id, name: fk.event_type ?? fk.name, status: 'unknown_to_build', fileSize: fk.size, buildSize: null, differences: [] });
  }
  const flags = auditFlags(file, schema);
  const flagsSame = flags.missingInFile.length === 0 && flags.unknownToBuild.length === 0 && flags.moved.length === 0;
  const identical = file.version === buildVersion && kinds.every((k) => k.status === 'same') && flagsSame;
  return { fileVersion: file.version, buildVersion, identical, kinds, flags };
}

interface Translation {
  readonly build: KindLayout;
  readonly fileSize: number;
  /** [file offset, build offset, bytes] for every field decodable by name and type. */
  readonly copies: [number, number, number][];
  /** Build fields the file lacks or lays out differently: printed as null. */
  readonly unavailable: string[];
  /** The file's records carry ts_ns where this build expects it: they can be placed in time. */
  readonly timed: boolean;
}

/**
 * The translator a file's records are decoded through, or null to decode
 * them by this build's schema: with --schema manifest, and always for a
 * capture of an older schema version (its records would all be rejected).
 */
export function translatorFor(file: SchemaDescription, schema: Schema, decodeBy: 'build' | 'manifest'): ManifestSchemaTranslator | null {
  return decodeBy === 'manifest' || file.version < schema.version ? new ManifestSchemaTranslator(file, schema) : null;
}

/**
 * Decodes records laid out by another build's schema (from the manifest):
 * the record is rebuilt in this build's layout from the fields both know,
 * and the fields this build cannot fill are listed for the caller to null out.
 */
export class ManifestSchemaTranslator {
  private readonly byKind = new Map<number, Translation>();
  private readonly scratch = new Map<number, Uint8Array>();

  private readonly headerSize: number;
  private readonly buildVersion: number;

  constructor(private readonly file: SchemaDescription, schema: Schema = BUILD_SCHEMA) {
    this.headerSize = schema.header.size;
    this.buildVersion = schema.version;
    for (const fk of file.kinds) {
      const build = schema.byId[fk.id];
      if (build === undefined) continue;
      const fileFields = new Map(fk.fields.map((f) => [f.name, f]));
      const copies: [number, number, number][] = [];
      const unavailable: string[] = [];
      for (const bf of build.layout.fields) {
        // A field whose meaning changed since the file's version is read from its old name; its new name is not.
        const name = fieldNameInVersion(build.name, file.version, bf.name);
        const ff = name === undefined ? undefined : fileFields.get(name);
        if (ff !== undefined && sameType(ff, bf) && ff.offset + bf.size <= fk.size) copies.push([ff.offset, bf.offset, bf.size]);
        else if (!['version', 'kind', 'size'].includes(bf.name)) unavailable.push(bf.name);
      }
      this.byKind.set(fk.id, { build, fileSize: fk.size, copies, unavailable, timed: !unavailable.includes('ts_ns') });
      this.scratch.set(fk.id, new Uint8Array(build.layout.size));
    }
  }

  /**
   * Checks a record against the manifest's schema (same order as the
   * dispatcher) and returns the kind id, or a rejection reason.
   */
  classify(bytes: Uint8Array, at: number, length: number): number | InvalidReason {
    if (length < this.headerSize) return 'too_short';
    if (recordVersion(bytes, at) !== this.file.version) return 'version_mismatch';
    const kind = recordKind(bytes, at);
    const t = this.byKind.get(kind);
    if (t === undefined) return 'unknown_kind';
    const declared = recordSize(bytes, at);
    if (declared !== t.fileSize) return 'size_mismatch';
    if (length !== declared) return 'length_mismatch';
    return kind;
  }

  /** True when records of `kind` (accepted by classify) have a known ts_ns once translated. */
  timed(kind: number): boolean {
    return this.byKind.get(kind)!.timed;
  }

  /** The record rebuilt in this build's layout (valid until the next call for the same kind), and what is missing. */
  translate(kind: number, bytes: Uint8Array, at: number): { record: Uint8Array; unavailable: readonly string[] } {
    const t = this.byKind.get(kind)!;
    const out = this.scratch.get(kind)!;
    out.fill(0);
    for (const [from, to, n] of t.copies) out.set(bytes.subarray(at + from, at + from + n), to);
    // The rebuilt record is in this build's layout: say so in its own header.
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint16(VERSION_OFFSET, this.buildVersion, true);
    view.setUint16(KIND_OFFSET, kind, true);
    view.setUint32(SIZE_OFFSET, t.build.layout.size, true);
    return { record: out, unavailable: t.unavailable };
  }
}
