/**
 * What the Sigma engine sees of an event: its log source category, its time,
 * and its fields by Sigma name. The mapping from rand-guard records lives
 * elsewhere (src/replay/sigma/); this engine knows nothing of captures.
 */
import { fold } from './fold.js';

/** A field value. Lists match when any element does. */
export type SigmaScalar = string | number | boolean;
export type SigmaFieldValue = SigmaScalar | readonly string[] | null;

export interface SigmaEventView {
  /** The Sigma log source category this event belongs to (process_creation, ...), or null for none. */
  readonly category: string | null;
  /** Wall-clock time in milliseconds since the Unix epoch (correlation windows); NaN when unknown. */
  readonly timeMs: number;
  /**
   * A field by its Sigma name: undefined when the event has no such field,
   * null when it has the field but its value is unknown or empty of meaning
   * (Sigma's `null`).
   */
  get(field: string): SigmaFieldValue | undefined;
  /**
   * Something that still identifies this event after the view has moved on,
   * for correlation alerts decided later (a window that closes at a later
   * event, or at the end of input). Called only when a correlation needs it.
   */
  ref?(): unknown;
  /**
   * Optional, for speed: when the field is a string the view holds as bytes
   * (a C string of the record), points `into` at them and returns true: the
   * text `get` gives is the UTF-8 of `buf[start, end)` up to its first NUL.
   * False: read the field with `get`. The bytes stay valid until the view
   * moves on. The pre-filter scans such bytes when they are ASCII (their
   * lowercase is then their text's), so most events are rejected without
   * decoding a string.
   */
  bytesOf?(field: string, into: ByteSpan): boolean;
  /**
   * Optional: whether some field of this event holds only the beginning of
   * its value (the capture cut it: a path or command line longer than its
   * buffer). Rules are then judged in three values (`cut`), every rule of the
   * category, since a literal missing from the kept beginning may be in the
   * rest. Absent: no value is ever cut.
   */
  hasCut?(): boolean;
  /** Whether `field`'s value is only its beginning (for a list: its last element is). */
  cut?(field: string): boolean;
}

/** Where a view holds a field as bytes: a C string in `buf[start, end)`. */
export interface ByteSpan { buf: Uint8Array; start: number; end: number }

/** The fields a log source category offers, by Sigma name. */
export interface SigmaCategory {
  readonly fields: readonly string[];
}

/** The log sources an engine can route rules to (for product linux). */
export interface SigmaLogSources {
  readonly categories: ReadonlyMap<string, SigmaCategory>;
  /** Linux categories the events cannot provide, with the reason a rule for them is not loaded. */
  readonly unavailable: ReadonlyMap<string, string>;
}

const EMPTY_BYTES = new Uint8Array(0);

/**
 * Per-event field cache shared by every compiled rule: each field is read
 * from the view, turned into text and lowercased at most once per event, so
 * a hundred rules testing `Image` cost one `get` and one `toLowerCase`.
 * Fields are numbered (slots) when rules compile.
 */
export class FieldCursor {
  view: SigmaEventView | null = null;
  private generation = 1;
  private readonly loaded: Int32Array;
  private readonly lowered: Int32Array;
  private readonly raws: (SigmaFieldValue | undefined)[];
  private readonly texts: (string | null)[];
  private readonly lowers: (string | null)[];
  /** The text each `lowers` entry was made from (kept across events). */
  private readonly lowerOf: (string | null)[];
  /** bytesSeen[slot] === generation: byteSpans[slot] is this event's answer to `cString(slot)`. */
  private readonly bytesSeen: Int32Array;
  private readonly byteSpans: (ByteSpan | null)[];
  private readonly spans: ByteSpan[];
  /** cutSeen[slot] === generation: cuts[slot] is this event's answer to `cut(slot)`. */
  private readonly cutSeen: Int32Array;
  private readonly cuts: Uint8Array;
  /** Cut slots asked since `trackCuts` (one rule's judging), each once. */
  private readonly tracked: number[] = [];
  private tracking = false;

  constructor(readonly names: readonly string[]) {
    this.loaded = new Int32Array(names.length);
    this.lowered = new Int32Array(names.length);
    this.raws = new Array(names.length).fill(undefined);
    this.texts = new Array(names.length).fill(null);
    this.lowers = new Array(names.length).fill(null);
    this.lowerOf = new Array(names.length).fill(null);
    this.bytesSeen = new Int32Array(names.length);
    this.byteSpans = new Array(names.length).fill(null);
    this.spans = names.map(() => ({ buf: EMPTY_BYTES, start: 0, end: 0 }));
    this.cutSeen = new Int32Array(names.length);
    this.cuts = new Uint8Array(names.length);
  }

  /** Points the cursor at the next event (cached values of the previous one are forgotten). */
  reset(view: SigmaEventView): void {
    this.view = view;
    this.tracking = false;
    if (++this.generation === 0x7fffffff) {
      this.generation = 1;
      this.loaded.fill(0);
      this.lowered.fill(0);
      this.bytesSeen.fill(0);
      this.cutSeen.fill(0);
    }
  }

  /** Whether the event's value of the field is only its beginning (SigmaEventView.cut). */
  cut(slot: number): boolean {
    if (this.cutSeen[slot] !== this.generation) {
      const view = this.view!;
      this.cuts[slot] = view.cut !== undefined && view.cut(this.names[slot]) ? 1 : 0;
      this.cutSeen[slot] = this.generation;
    }
    if (this.cuts[slot] === 0) return false;
    if (this.tracking && !this.tracked.includes(slot)) this.tracked.push(slot);
    return true;
  }

  /** From now on, remember which cut fields are asked (one rule's judging: the fields it read that were cut). */
  trackCuts(): void {
    this.tracking = true;
    this.tracked.length = 0;
  }

  /** The cut fields asked since trackCuts(), by name, sorted. */
  trackedCuts(): string[] {
    return this.tracked.map((s) => this.names[s]).sort();
  }

  /** Where the view holds the field as a C string (see SigmaEventView.bytesOf), or null. Valid for this event only. */
  cString(slot: number): ByteSpan | null {
    if (this.bytesSeen[slot] === this.generation) return this.byteSpans[slot];
    const view = this.view!;
    const span = this.spans[slot];
    const found = view.bytesOf !== undefined && view.bytesOf(this.names[slot], span) ? span : null;
    this.bytesSeen[slot] = this.generation;
    this.byteSpans[slot] = found;
    return found;
  }

  /** The field's value (undefined: the event has no such field). */
  raw(slot: number): SigmaFieldValue | undefined {
    if (this.loaded[slot] !== this.generation) this.load(slot);
    return this.raws[slot];
  }

  /** The field as text (numbers and booleans as they print), or null for absent, null and list values. */
  text(slot: number): string | null {
    if (this.loaded[slot] !== this.generation) this.load(slot);
    return this.texts[slot];
  }

  /** `text`, lowercased, for case-insensitive matching. */
  lower(slot: number): string | null {
    if (this.lowered[slot] !== this.generation) {
      const t = this.text(slot);
      // Consecutive events often share a value (a process's Image): lowercase it once for the run of them.
      if (t !== this.lowerOf[slot] || t === null) {
        this.lowers[slot] = t === null ? null : fold(t);
        this.lowerOf[slot] = t;
      }
      this.lowered[slot] = this.generation;
    }
    return this.lowers[slot];
  }

  private load(slot: number): void {
    const v = this.view!.get(this.names[slot]);
    this.raws[slot] = v;
    this.texts[slot] = v === undefined || v === null || typeof v === 'object' ? null : typeof v === 'string' ? v : String(v);
    this.loaded[slot] = this.generation;
  }
}

/** Scalar to text as Sigma compares it: numbers and booleans by their printed form. */
export function scalarText(v: SigmaScalar): string {
  return typeof v === 'string' ? v : String(v);
}
