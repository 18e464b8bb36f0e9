/**
 * Flags a capture's writer did not define. Flag bits were added within a
 * schema version without changing any layout (`open_flags_disputed`,
 * `result_unseen`, the path flags `lexical` and `fd_late`, ...), and a writer
 * that did not define a flag never set it: in its records a clear bit is not
 * known to be clear. The manifest names every flag its writer defined
 * (constants EVENT_FLAG_*, PATH_FLAG_*, ADDR_FLAG_*), so `--stats` and
 * `audit` can say which of this build's it lacks, as the names they print as.
 */
import { type SchemaDescription } from '../abi/manifest-schema.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { auditFlags } from './schema-audit.js';

/** How a flag constant prints: a header flag as the fields it sets (`open_flags_disputed`), a path or address flag as `path flag lexical`. */
export function flagDisplayName(constant: string, schema: Schema = BUILD_SCHEMA): string {
  const header = /^EVENT_FLAG_(.+)$/.exec(constant);
  if (header !== null) {
    const outputs = new Set(schema.kinds.flatMap((k) => k.flagSpecs.filter((f) => f.flag === header[1]).map((f) => f.outputName)));
    return outputs.size > 0 ? [...outputs].sort().join('/') : header[1].toLowerCase();
  }
  const other = /^(PATH|ADDR)_FLAG_(.+)$/.exec(constant);
  return other === null ? constant : `${other[1] === 'PATH' ? 'path' : 'addr'}_flags ${other[2].toLowerCase()}`;
}

/** This build's flags, as printed, that a file's writer did not define (empty: none, or no manifest). */
export function flagsNotWritten(file: SchemaDescription | null | undefined, schema: Schema = BUILD_SCHEMA): string[] {
  if (file === null || file === undefined) return [];
  return auditFlags(file, schema).missingInFile.map((c) => flagDisplayName(c, schema));
}

/** The sentence --stats and audit print for a file whose writer lacked some flags. */
export function flagsNotWrittenLine(path: string, flags: readonly string[]): string {
  return `${path} was written before ${flags.length} of this build's flags, which its records never set (a clear one there is unknown, not clear): ${flags.join(', ')}`;
}
