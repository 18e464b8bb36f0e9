/**
 * `--stats` with filters: the counts follow the filters, as `--json` with the
 * same filters prints its events, so `--stats --pid 4242` answers "what did
 * 4242 do". The capture's own totals stay beside them, labelled, and invalid
 * records, loss and damage are always the whole capture's: a filter hides
 * events, never the evidence that some are missing.
 */
import { recordTsNsHi, recordTsNsLo } from '../abi/header-access.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { WallClock } from '../output/wall-clock.js';
import { type EventSink } from '../output/sinks.js';
import { type FileReport } from './replay.js';
import { type StatsReport } from './stats.js';

/** A sink that prints nothing and counts the events it is given (those the filters passed), by kind, with their time range. */
export class SelectionCounter<P> implements EventSink<P> {
  readonly byKind: Float64Array;
  total = 0;
  /** Smallest and largest ts_ns seen, as u32 halves (no BigInt per event): high word, low word; max high -1 while none. */
  private minHi = 0xffffffff; private minLo = 0xffffffff;
  private maxHi = -1; private maxLo = -1;

  constructor(schema: Schema = BUILD_SCHEMA) {
    this.byKind = new Float64Array(schema.kinds.reduce((n, k) => Math.max(n, k.id + 1), 0));
  }

  begin(): void {}
  event(kindId: number, bytes: Uint8Array, offset: number): void { this.count(kindId, bytes, offset); }
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number): void { this.count(kindId, bytes, offset); }
  rejected(): void {}
  alert(): void {}
  flush(): void {}
  discarding(): SelectionCounter<P> { return new SelectionCounter(); }

  private count(kindId: number, bytes: Uint8Array, offset: number): void {
    this.total++;
    if (kindId < this.byKind.length) this.byKind[kindId]++;
    const hi = recordTsNsHi(bytes, offset), lo = recordTsNsLo(bytes, offset);
    if (hi < this.minHi || (hi === this.minHi && lo < this.minLo)) { this.minHi = hi; this.minLo = lo; }
    if (hi > this.maxHi || (hi === this.maxHi && lo > this.maxLo)) { this.maxHi = hi; this.maxLo = lo; }
  }

  /** The first and last ts_ns of the counted events, or null when none was counted. */
  range(): { min: bigint; max: bigint } | null {
    if (this.maxHi < 0) return null;
    return { min: (BigInt(this.minHi) << 32n) | BigInt(this.minLo), max: (BigInt(this.maxHi) << 32n) | BigInt(this.maxLo) };
  }
}

/**
 * The stats of a filtered replay: `events`, `by_kind` and `time_range` are the
 * selected events'; `filters` names the filters as given; `capture` holds the
 * whole capture's events, kinds and time range, as an unfiltered `--stats`
 * reports them. Times are formatted by the first file's clock, as buildStats does.
 */
export function selectedStats(all: StatsReport, counter: SelectionCounter<unknown>, filters: readonly string[], files: readonly FileReport[], schema: Schema = BUILD_SCHEMA): StatsReport {
  const byKind: Record<string, number> = {};
  for (const k of schema.kinds) byKind[k.eventType] = counter.byKind[k.id];
  const first = files.find((f) => f.manifest !== null)?.manifest ?? null;
  const clock = first ? new WallClock(first.clock.realtime_ns, first.clock.monotonic_ns) : null;
  const range = counter.range();
  return {
    ...all,
    filters: [...filters],
    capture: { events: all.events, by_kind: all.by_kind, time_range: all.time_range },
    events: counter.total,
    by_kind: byKind,
    time_range: {
      first: range !== null && clock ? clock.format(range.min) : null,
      last: range !== null && clock ? clock.format(range.max) : null,
      first_ts_ns: range?.min.toString() ?? null,
      last_ts_ns: range?.max.toString() ?? null,
    },
  };
}
