/**
 * Whether a string of a record holds only the beginning of its value: the
 * capture cut it to its buffer. Read from what the record says of that
 * string, by the registry's naming: a path's `<name>_flags` (PATH_FLAG_TRUNCATED;
 * `path_flags` for `path`), else the kind's header flag printed as
 * `<name>_truncated` (`path_arg_truncated`, `filename_truncated`,
 * `argv_truncated` for the argv key). A string with neither is judged by its
 * buffer: one it fills to the last byte before the terminator may have been
 * longer. Rules use it to judge such values in three values (unknown where
 * the cut rest could change the answer) instead of as if whole.
 */
import { u16le } from './bytes.js';
import { PATH_FLAG_TRUNCATED } from './constants.js';
import { recordFlags } from './header-access.js';
import { type KindLayout } from './schema.js';

export type CutReader = (b: Uint8Array, at: number) => boolean;

/** The cut test of string field `name` of `kind`; null when it is no string field (numbers are never cut). */
export function stringCut(kind: KindLayout, name: string): CutReader | null {
  const i = kind.schemaFields.findIndex((f) => f.name === name);
  if (i < 0) return null;
  const field = kind.schemaFields[i];
  if (field.view !== 'string' && field.view !== 'argv') return null;
  const layout = kind.layout.fields[i];
  const flagsName = name === 'path' ? 'path_flags' : `${name}_flags`;
  const fi = kind.schemaFields.findIndex((f) => f.name === flagsName && f.view === 'path_flags');
  const flagsAt = fi < 0 ? -1 : kind.layout.fields[fi].offset;
  const key = field.key ?? name;
  const mask = kind.flags.find((f) => f.outputName === `${key}_truncated`)?.bit ?? 0;
  if (flagsAt >= 0 && mask !== 0) return (b, at) => (u16le(b, at + flagsAt) & PATH_FLAG_TRUNCATED) !== 0 || (recordFlags(b, at) & mask) !== 0;
  if (flagsAt >= 0) return (b, at) => (u16le(b, at + flagsAt) & PATH_FLAG_TRUNCATED) !== 0;
  if (mask !== 0) return (b, at) => (recordFlags(b, at) & mask) !== 0;
  if (field.view !== 'string' || layout.size < 2) return null;
  // Filled to its last byte before the NUL: the kernel's copy stopped there, the value may go on.
  const last = layout.offset + layout.size - 2;
  return (b, at) => b[at + last] !== 0;
}
