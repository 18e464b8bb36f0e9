/**
 * Several independent captures (other hosts, other boots, or captures to
 * compare) replayed as one stream in wall-clock order, through one session
 * and so one process table; ties keep command-line order. Each capture's
 * rotated segments are one input, read in sequence.
 *
 * Built for many inputs: an input is opened only when the merge reaches its
 * first record (found beforehand by a peek that keeps nothing), holds one
 * frame while open (no copies: its reader pauses on it; in a merge of many,
 * compacted), and is closed at its end. Turns are runs, not single records:
 * the earliest input replays until its next record is later than the next
 * input's (a heap orders the inputs), through the same frame replayer as
 * sequential replay.
 */
import { classifyRecord } from '../abi/dispatch.js';
import { recordTsNsHi, recordTsNsLo } from '../abi/header-access.js';
import { MAX_FRAME_RAW_BYTES } from '../rgc/format.js';
import { type Manifest } from '../rgc/manifest.js';
import { RecordCursor, RgcReader } from '../rgc/reader.js';
import { FrameDecompressor } from '../rgc/zstd.js';
import { BEFORE_ALL, CaptureInput, UNLIMITED } from './capture-input.js';
import { canReread, closeInput, openInput, readChunk } from './input.js';
import { rememberOpenFileLimit } from '../common/io-error.js';
import { foldTimeRange, type ReplayHooks, type ReplayTotals } from './replay.js';
import { type ManifestSchemaTranslator, translatorFor } from './schema-audit.js';
import { type ReplaySession } from './session.js';

const WORD = 4294967296;
/**
 * Read size of merged inputs: one buffer for all (reads are synchronous). Each
 * push is copied into the input's reader, whose buffer grows to a compressed
 * frame plus a push: small pushes keep a hundred open inputs small.
 */
const MERGE_CHUNK = 32 << 10;
/**
 * From this many inputs, each holds its frame compacted (compact-frame.ts)
 * and one decompressor serves them all: a frame held whole is ~1 MB per
 * input. Fewer inputs hold theirs whole: ten frames are only ~10 MB, and
 * compacting and expanding every record costs CPU time (~3%: 100 small
 * captures merged, 2.64 -> 2.71 s).
 */
const COMPACT_FROM = 16;

/** Replays the inputs (each a capture: its segment paths in order) merged by wall-clock time. */
export function replayMerged(chains: readonly (readonly string[])[], session: ReplaySession, totals: ReplayTotals, hooks: ReplayHooks = {}): void {
  rememberOpenFileLimit();
  const chunk = new Uint8Array(MERGE_CHUNK);
  const shared = chains.length >= COMPACT_FROM ? new FrameDecompressor(MAX_FRAME_RAW_BYTES) : null;
  const inputs = chains.map((paths, order) => ({ order, input: new CaptureInput(paths, session, hooks, chunk, shared) }));
  const heap = startingOrder(inputs, session, chunk, shared ?? new FrameDecompressor(MAX_FRAME_RAW_BYTES));
  while (heap.size > 0) {
    // The earliest input runs until its next record is later than the second earliest's (the root's child).
    const entry = heap.top();
    const next = heap.second();
    let limHi = UNLIMITED, limLo = 0;
    if (next !== null) {
      // At equal times, the input earlier on the command line goes first.
      limHi = next.input.headHi;
      limLo = next.input.headLo;
      if (entry.order > next.order) {
        if (limLo > 0) limLo--;
        else { limHi--; limLo = WORD - 1; }
      }
    }
    if (entry.input.run(limHi, limLo)) heap.siftTop();
    else heap.pop();
  }
  session.options.sink.flush();
  for (const { input } of inputs) {
    for (const r of input.reports) {
      foldTimeRange(totals, r.range);
      totals.files.push(r.report);
    }
  }
}

/**
 * The inputs in a heap by their first record, peeked without opening them
 * for good. An input with something before its first record (rejected
 * records, damage) or without records is read up to its first record now,
 * in command-line order, so what it reports comes where it always has: first;
 * so is an input that cannot be read twice (a pipe).
 * One decompressor serves every peek (the inputs' shared one, when they
 * share one; otherwise garbage once the peeks are done).
 */
function startingOrder(inputs: readonly HeapEntry[], session: ReplaySession, chunk: Uint8Array, decompressor: FrameDecompressor): InputHeap {
  const heap = new InputHeap();
  for (const entry of inputs) {
    // A pipe or FIFO gives its bytes once: it is not peeked but read up to its first record, and held.
    const path = entry.input.paths[0];
    const head = canReread(path) ? peekFirstRecord(path, session, chunk, decompressor) : null;
    if (head !== null) {
      entry.input.headHi = head.hi;
      entry.input.headLo = head.lo;
      heap.push(entry);
    } else if (entry.input.run(BEFORE_ALL)) {
      heap.push(entry);
    }
  }
  return heap;
}

interface HeapEntry {
  readonly order: number;
  readonly input: CaptureInput;
}

/** A binary min-heap of inputs by (head time, command-line order). */
class InputHeap {
  private readonly items: HeapEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest entry (the heap must not be empty). */
  top(): HeapEntry {
    return this.items[0];
  }

  /** The second earliest entry: a child of the root. */
  second(): HeapEntry | null {
    const a = this.items;
    if (a.length < 3) return a[1] ?? null;
    return before(a[1], a[2]) ? a[1] : a[2];
  }

  /** Restores heap order after the top entry's time grew (one sift, where a pop and a push took two). */
  siftTop(): void {
    this.siftDown(0);
  }

  push(e: HeapEntry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      const swap = a[i];
      a[i] = a[parent];
      a[parent] = swap;
      i = parent;
    }
  }

  pop(): HeapEntry {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < a.length && before(a[l], a[m])) m = l;
      if (r < a.length && before(a[r], a[m])) m = r;
      if (m === i) return;
      const swap = a[i];
      a[i] = a[m];
      a[m] = swap;
      i = m;
    }
  }
}

function before(x: HeapEntry, y: HeapEntry): boolean {
  const a = x.input, b = y.input;
  if (a.headHi !== b.headHi) return a.headHi < b.headHi;
  if (a.headLo !== b.headLo) return a.headLo < b.headLo;
  return x.order < y.order;
}

/**
 * The wall-clock time of a capture's first record, classified as replay will
 * classify it, or null when anything comes before it (a rejected record,
 * damage, an unreadable manifest) or it has none: such an input is read at
 * the start instead, as merged replay always did. Reads only as far as that
 * record, keeps nothing and reports nothing.
 */
function peekFirstRecord(path: string, session: ReplaySession, chunk: Uint8Array, decompressor: FrameDecompressor): { hi: number; lo: number } | null {
  let manifest: Manifest | null = null;
  let translator: ManifestSchemaTranslator | null = null;
  let clean = true;
  let found: { hi: number; lo: number } | null = null;
  const cursor = new RecordCursor();
  const reader = new RgcReader({
    manifest: (m) => {
      manifest = m;
      translator = translatorFor(m.schema, session.schema, session.options.decodeBy);
    },
    frame: (_h, raw) => {
      cursor.reset(raw);
      while (clean && found === null && cursor.next()) {
        const { offset, length } = cursor;
        const t = translator as ManifestSchemaTranslator | null;
        if (t === null) {
          if (classifyRecord(raw, offset, length, session.schema) > 0) found = { hi: recordTsNsHi(raw, offset), lo: recordTsNsLo(raw, offset) };
          else clean = false;
        } else {
          const verdict = t.classify(raw, offset, length);
          if (typeof verdict !== 'number') clean = false;
          else {
            const { record } = t.translate(verdict, raw, offset);
            found = { hi: recordTsNsHi(record, 0), lo: recordTsNsLo(record, 0) };
          }
        }
      }
      return false;
    },
    damage: () => { clean = false; },
  }, { decompressor, source: path });
  const fd = openInput(path);
  try {
    for (;;) {
      reader.resume();
      if (found !== null || !clean) break;
      const n = readChunk(path, fd, chunk);
      if (n === 0) return null;
      reader.push(chunk.subarray(0, n));
      if (found !== null || !clean) break;
    }
  } finally {
    closeInput(path, fd);
  }
  const m = manifest as Manifest | null;
  if (!clean || found === null || m === null) return null;
  const mono = found as { hi: number; lo: number };
  const offset = m.clock.realtime_ns - m.clock.monotonic_ns;
  const lo = mono.lo + Number(offset & 0xffffffffn);
  const carry = lo >= WORD ? 1 : 0;
  return { hi: mono.hi + Number(offset >> 32n) + carry, lo: lo - carry * WORD };
}
