/**
 * Paths the kernel did not make whole, counted for `--stats` and `audit`:
 * records with a path flagged `lexical` (the name's text joined to the
 * kernel's directory, past names the kernel may have followed through a
 * symlink, so the file changed may be another) or `truncated` (cut, or made
 * from a name cut at 255 bytes). Path rules judge such a path as spelled; the
 * count says how many records that concerns. Captures written before the
 * `lexical` flag existed (their manifest does not name PATH_FLAG_LEXICAL) set
 * it nowhere, however their paths were made: they are named apart.
 */
import { PATH_FLAG_LEXICAL, PATH_FLAG_TRUNCATED } from '../abi/constants.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { type EventSink } from '../output/sinks.js';
import { type FileReport } from './replay.js';

export interface PathTally {
  /** Records with at least one path flagged lexical, by event type. */
  readonly lexical: Record<string, number>;
  /** Records with at least one path flagged truncated, by event type. */
  readonly truncated: Record<string, number>;
  /** Inputs whose manifest does not name PATH_FLAG_LEXICAL: written before the flag, their paths never carry it. */
  readonly lexical_unflagged_files: string[];
}

/** A sink that counts the records it is given whose path flags say lexical or truncated, and passes everything on to `inner`. */
export class PathFlagCounter<P> implements EventSink<P> {
  private readonly lexical: Float64Array;
  private readonly truncated: Float64Array;
  /** Per kind id, the offsets (from the record's start) of its path_flags fields with their names. */
  private readonly flagFields: ({ offset: number; name: string }[] | undefined)[] = [];

  constructor(private readonly inner: EventSink<P>, private readonly schema: Schema = BUILD_SCHEMA) {
    const n = schema.kinds.reduce((m, k) => Math.max(m, k.id + 1), 0);
    this.lexical = new Float64Array(n);
    this.truncated = new Float64Array(n);
    for (const k of schema.kinds) {
      const fields = k.layout.fields.filter((f, i) => k.schemaFields[i]?.view === 'path_flags').map((f) => ({ offset: f.offset, name: f.name }));
      if (fields.length > 0) this.flagFields[k.id] = fields;
    }
  }

  begin(...a: Parameters<EventSink<P>['begin']>): void { this.inner.begin(...a); }
  event(kindId: number, bytes: Uint8Array, offset: number, process: P | null, extra?: Parameters<EventSink<P>['event']>[4]): void {
    this.count(kindId, bytes, offset, null);
    this.inner.event(kindId, bytes, offset, process, extra);
  }
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, process: P | null, unavailable: readonly string[]): void {
    this.count(kindId, bytes, offset, unavailable);
    this.inner.translatedEvent(kindId, bytes, offset, process, unavailable);
  }
  rejected(...a: Parameters<EventSink<P>['rejected']>): void { this.inner.rejected(...a); }
  alert(...a: Parameters<EventSink<P>['alert']>): void { this.inner.alert(...a); }
  flush(): void { this.inner.flush(); }
  progress(fraction: number): void { this.inner.progress?.(fraction); }
  /** Warm-up events are no capture's: they go to the inner sink's discarding twin, uncounted. */
  discarding(): EventSink<P> { return this.inner.discarding?.() ?? this.inner; }

  private count(kindId: number, bytes: Uint8Array, offset: number, unavailable: readonly string[] | null): void {
    const fields = this.flagFields[kindId];
    if (fields === undefined) return;
    let bits = 0;
    for (const f of fields) {
      // A rebuilt record of an older schema: a field its file did not have reads 0, but is unknown, not clean.
      if (unavailable !== null && unavailable.includes(f.name)) continue;
      const at = offset + f.offset;
      bits |= bytes[at] | (bytes[at + 1] << 8);
    }
    if (bits & PATH_FLAG_LEXICAL) this.lexical[kindId]++;
    if (bits & PATH_FLAG_TRUNCATED) this.truncated[kindId]++;
  }

  /** The counts by event type (kinds with none left out), and the inputs written before the lexical flag. */
  tally(files: readonly FileReport[]): PathTally {
    const byType = (counts: Float64Array) => {
      const out: Record<string, number> = {};
      for (const k of this.schema.kinds) if (counts[k.id] > 0) out[k.eventType] = counts[k.id];
      return out;
    };
    return {
      lexical: byType(this.lexical),
      truncated: byType(this.truncated),
      lexical_unflagged_files: files.filter((f) => f.manifest !== null && !('PATH_FLAG_LEXICAL' in f.manifest.schema.constants)).map((f) => f.path),
    };
  }
}

/** The tally as text lines for --stats and audit (none when there is nothing to say). */
export function pathTallyLines(t: PathTally, label = 'paths:     '): string[] {
  const lines: string[] = [];
  const list = (r: Record<string, number>) => Object.entries(r).map(([k, n]) => `${k}=${n}`).join(' ');
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  if (sum(t.lexical) > 0) {
    lines.push(`${label}${sum(t.lexical)} record(s) with a path flagged lexical (${list(t.lexical)}): the name's text joined to the kernel's directory, a symlink in it not followed: the file the call acted on may be another, and path rules judged the path as spelled`);
  }
  if (sum(t.truncated) > 0) lines.push(`${label}${sum(t.truncated)} record(s) with a path flagged truncated (${list(t.truncated)}): cut, or made from a name cut at 255 bytes`);
  for (const f of t.lexical_unflagged_files) {
    lines.push(`${label}${f} was written before path flag lexical: its paths by name (delete, rename, link, chmod, chown, truncate, mount) never carry it, even where a symlink in the name was followed`);
  }
  return lines;
}
