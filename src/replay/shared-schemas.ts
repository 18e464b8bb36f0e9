/**
 * The schemas of a replay's manifests, each distinct one kept once. Every
 * capture carries its whole schema (~40 KB of CBOR for 28 kinds, ~100 KB once
 * decoded); the captures of one build carry the same one, and a merge of 100
 * of them kept 100 copies for their reports (10 MB of heap for the GC to
 * trace). Compared as values, not hashed: encoding a schema again to hash it
 * allocated more than the copy it saves.
 */
import { isDeepStrictEqual } from 'node:util';
import { type SchemaDescription } from '../abi/manifest-schema.js';
import { type Manifest } from '../rgc/manifest.js';

/** Distinct schemas remembered; past this (crafted inputs), a manifest keeps its own. */
const MAX_SCHEMAS = 16;

export class SharedSchemas {
  private readonly known: SchemaDescription[] = [];

  /** `m` with its schema replaced by an equal one seen before, when there is one. */
  share(m: Manifest): Manifest {
    const same = this.known.find((s) => isDeepStrictEqual(s, m.schema));
    if (same !== undefined) return same === m.schema ? m : { ...m, schema: same };
    if (this.known.length < MAX_SCHEMAS) this.known.push(m.schema);
    return m;
  }
}
