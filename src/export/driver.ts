/**
 * The export loop: every input in turn, file bytes -> RgcReader -> replay's
 * frame replayer (dispatcher, session: process table, filters, detections)
 * -> an ExportWriter, with each record's provenance (capture, frame sequence
 * number, record index). Inputs are read in 64 KiB chunks, and between
 * chunks the loop awaits the writer when it asks (the Parquet writer's
 * DuckDB COPY of the previous batch runs on another thread meanwhile), so
 * memory holds at most two batches whatever the capture's length.
 *
 * Inputs replay one after another, not merged by time: rows need no order
 * (every query orders by time), and one process table keyed by boot id still
 * links the segments of a capture.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { type Manifest } from '../rgc/manifest.js';
import { RgcReader } from '../rgc/reader.js';
import { WallClock } from '../output/wall-clock.js';
import { describeIoError, expandInputs, noteOnStderr, requireRereadable, sha256File } from '../replay/input.js';
import { readManifestOnly } from '../replay/manifest-peek.js';
import { processHostKey, sharedBootNotes } from '../replay/hosts.js';
import { type ProcessNode, type ProcessTable } from '../replay/process-table.js';
import { FileState, newTotals, type ReplayHooks } from '../replay/replay.js';
import { type Alert } from '../replay/rules/alerts.js';
import { type InputContext, ReplaySession } from '../replay/session.js';
import { FrameReplayer, NO_LIMIT } from '../replay/frame-replayer.js';
import { type AlertLine, type EventSink, type RejectedRecord } from '../output/sinks.js';
import { buildStats, type StatsReport } from '../replay/stats.js';
import { compileFilter, type FilterOptions } from '../replay/filters.js';
import { buildAlertEngine } from '../replay/rules/setup.js';

const CHUNK = 64 << 10;
/** Chunks read between two turns of the event loop (16 x 64 KB of a capture: ~40 MB of records, ~60 ms of an export). */
const YIELD_CHUNKS = 16;

export interface ExportInput {
  readonly index: number;
  readonly path: string;
  readonly fileName: string;
  /** SHA-256 (hex) of the whole file: what `rg-replay verify` prints. */
  readonly sha256: string;
  readonly manifest: Manifest | null;
}

/** Where the current record came from. */
export interface Provenance {
  input: ExportInput;
  frameSeq: number;
  recordIndex: number;
  clock: WallClock | null;
}

export interface ExportWriter {
  /**
   * Set while the replay goes through frames before its range (a parallel
   * export's worker catching up): the writer keeps the state its rows depend
   * on (process GUIDs fixed at first sight, the last event's process) and
   * writes no row.
   */
  warming?: boolean;
  beginInput(input: ExportInput): void;
  event(kindId: number, raw: Uint8Array, offset: number, node: ProcessNode, at: Provenance): void;
  /**
   * A record of an older schema, rebuilt by replay in this build's layout (schema-audit.ts): `unavailable` are the
   * fields its file did not record (zeroed in `raw`), to be written as null, never as the zeros. A writer whose
   * rows cannot leave one of them out (it decides the row's class, outcome or process) throws a CliError.
   */
  translatedEvent(kindId: number, raw: Uint8Array, offset: number, node: ProcessNode, at: Provenance, unavailable: readonly string[]): void;
  /** A detection's alert, right after its source event. */
  alert(a: Alert, at: Provenance): void;
  /** True when the writer wants `drain()` awaited before more records. */
  readonly wantsDrain: boolean;
  drain(): Promise<void>;
  finish(): Promise<void>;
  /** Drops partial output after a failure. */
  abort(): Promise<void>;
}

export interface ExportRunOptions extends FilterOptions {
  detect?: boolean;
  rules?: string[];
  sigma?: string[];
  alertPort?: string[];
  alertCidr?: string[];
}

/**
 * Which frames a run writes rows for: frames are numbered 0, 1, 2, ... in
 * the order the reader hands them over, across all inputs. Frames before
 * `first` are replayed for state only (the process table, detections' state,
 * the writer's GUIDs), so the rows of the range are those a whole run writes;
 * the run stops reading at frame `end`.
 */
export interface FrameRange {
  readonly first: number;
  /** Infinity: to the end of the last input. */
  readonly end: number;
  /** Non-zero once a party of a parallel export failed, or a signal asked the export to stop: the run stops at its next frame. */
  readonly stop: Int32Array | null;
}

export const WHOLE_STREAM: FrameRange = { first: 0, end: Infinity, stop: null };

/** Thrown inside a run that stopped because another party of its parallel export failed, or a signal asked it to. */
export class ExportStopped extends Error {
  constructor() {
    super('export stopped: another part of this export failed');
    this.name = 'ExportStopped';
  }
}

export interface ExportResult {
  readonly stats: StatsReport;
  readonly events: number;
  readonly alerts: number;
  /** Events and alerts replayed before the range (state only, no row): a later range's run counts the whole stream's so far. */
  readonly warmEvents: number;
  readonly warmAlerts: number;
  /** Records of the range's frames the dispatcher accepted and rejected (the whole run's without a range). */
  readonly rangeAccepted: number;
  readonly rangeRejected: number;
  /** Events of an older schema (rebuilt from their file's manifest, the fields it lacked null): counted among `events` too, and said. */
  readonly olderSchemaEvents: number;
  readonly inputs: readonly ExportInput[];
  /** What the detections let go of (AlertEngine.limitWarnings), for the stream read so far. */
  readonly limitWarnings: readonly string[];
}

/** Each input's clock, keyed as the replay session keys processes (boot id, or the file for captures without one). */
export function clocksByHost(inputs: readonly ExportInput[]): (host: string) => WallClock | null {
  const clocks = new Map<string, WallClock>();
  for (const i of inputs) {
    const m = i.manifest;
    if (m === null) continue;
    const host = processHostKey(m, i.path);
    if (!clocks.has(host)) clocks.set(host, new WallClock(m.clock.realtime_ns, m.clock.monotonic_ns));
  }
  return (host) => clocks.get(host) ?? null;
}

/** Reads each input's manifest and hashes it; an unreadable input fails before any output. */
export async function prepareInputs(paths: readonly string[]): Promise<ExportInput[]> {
  const files = expandInputs(paths);
  if (files.includes('-')) throw new CliError('export reads files, not stdin (-): the SHA-256 of each capture goes into every row', ExitCode.Usage);
  // A pipe would be used up by its hash, and the export would find it empty.
  requireRereadable(files, 'each capture is read twice (its SHA-256 goes into every row, then its events)');
  const out: ExportInput[] = [];
  const bySha = new Map<string, string>();
  for (const path of files) {
    const sha256 = sha256File(path);
    // A copy of a capture already given (the same bytes under another name): its rows would be in the dataset twice.
    const first = bySha.get(sha256);
    if (first !== undefined) {
      noteOnStderr(`${path} holds the same bytes as ${first} (SHA-256 ${sha256}): exported once`);
      continue;
    }
    bySha.set(sha256, path);
    out.push({ index: out.length, path, fileName: basename(path), sha256, manifest: readManifestOnly(path) });
  }
  // Captures claiming one boot id from several hosts are kept apart (hosts.ts): said, as replay says it.
  for (const note of sharedBootNotes(out)) noteOnStderr(note);
  return inSegmentOrder(out);
}

/**
 * The segments of one capture in segment order, where the first of them was given; other inputs as given.
 * The export replays inputs one after another (not merged by time, as replay merges them): a segment given
 * before the one it continues would meet its processes before their exec and fork, and name them otherwise.
 */
export function inSegmentOrder(inputs: readonly ExportInput[]): ExportInput[] {
  const byCapture = new Map<string, ExportInput[]>();
  for (const i of inputs) {
    const id = i.manifest?.segment.capture_id;
    if (id === undefined) continue;
    let group = byCapture.get(id);
    if (group === undefined) byCapture.set(id, (group = []));
    group.push(i);
  }
  const out: ExportInput[] = [];
  for (const i of inputs) {
    const id = i.manifest?.segment.capture_id;
    if (id === undefined) {
      out.push(i);
      continue;
    }
    const group = byCapture.get(id);
    if (group === undefined) continue; // placed with the first of its capture
    byCapture.delete(id);
    out.push(...[...group].sort((a, b) => a.manifest!.segment.index - b.manifest!.segment.index));
  }
  return out.map((i, index) => ({ ...i, index }));
}

/** Forwards what the session shows to the writer, with the current provenance. */
class WriterSink implements EventSink<ProcessNode> {
  readonly at: Provenance;
  /** False while frames before the run's range replay (state only). */
  own = true;
  events = 0;
  alerts = 0;
  olderSchemaEvents = 0;
  warmEvents = 0;
  warmAlerts = 0;
  constructor(private readonly writer: ExportWriter, input: ExportInput) {
    this.at = { input, frameSeq: 0, recordIndex: 0, clock: null };
  }
  begin(clock: WallClock | null): void { this.at.clock = clock; }
  event(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null): void {
    if (this.own) this.events++;
    else this.warmEvents++;
    // Warming, the writer keeps its state from the event and writes no row.
    this.writer.event(kindId, bytes, offset, node!, this.at);
  }
  /** The session hands its rules' alerts (rules/alerts.ts) to sinks as AlertLine, their printable part. */
  alert(a: AlertLine): void {
    if (!this.own) {
      this.warmAlerts++;
      return;
    }
    this.alerts++;
    this.writer.alert(a as Alert, this.at);
  }
  // Rejected records are counted by the session (and shown in the summary); they have no OCSF row.
  rejected(_r: RejectedRecord): void {}
  /**
   * A record of an older schema, rebuilt in this build's layout with the fields its file did not record
   * zeroed: the writer writes those as null (rg-replay --json prints them so), never as the zeros.
   */
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null, unavailable: readonly string[]): void {
    if (this.own) {
      this.events++;
      this.olderSchemaEvents++;
    } else {
      this.warmEvents++;
    }
    this.writer.translatedEvent(kindId, bytes, offset, node!, this.at, unavailable);
  }
  flush(): void {}
}

/**
 * The replay session, numbering each record within its frame as the shared
 * frame replayer hands it over (accepted or rejected, in frame order): the
 * record index of a row's provenance.
 */
class ProvenanceSession extends ReplaySession {
  constructor(options: ConstructorParameters<typeof ReplaySession>[0], private readonly at: Provenance) {
    super(options);
  }

  override accept(ctx: InputContext, code: number, raw: Uint8Array, offset: number, unavailable: readonly string[] | null = null): void {
    super.accept(ctx, code, raw, offset, unavailable);
    this.at.recordIndex++;
  }

  override reject(code: number, raw: Uint8Array, offset: number, length: number, frameSeq: number, index: number): void {
    super.reject(code, raw, offset, length, frameSeq, index);
    this.at.recordIndex++;
  }
}

/**
 * Replays `inputs` into `writer`. With a range (a parallel export's part:
 * parallel-export.ts), frames before it replay for state only and reading
 * stops at its end; the stats then cover what this run read. `bindTable`
 * receives the session's process table (writers look up a fork's child there).
 */
export async function runExport(inputs: readonly ExportInput[], opts: ExportRunOptions, writer: ExportWriter, hooks: ReplayHooks = {},
  bindTable: (table: ProcessTable) => void = () => {}, range: FrameRange = WHOLE_STREAM): Promise<ExportResult> {
  const filter = compileFilter(opts);
  const alertEngine = await buildAlertEngine(opts);
  const sink = new WriterSink(writer, inputs[0]);
  const session = new ProvenanceSession({
    sink, filter, withProcesses: true, keepProcessHistory: false, alerts: alertEngine,
    alertsOnly: false, withSourceEvents: false, decodeBy: 'build',
  }, sink.at);
  const replayer = new FrameReplayer(session);
  bindTable(session.table!);
  const totals = newTotals();
  let frames = 0;
  let pastRange = false;
  const { first, end, stop } = range;
  const counts = session.counts;
  let acceptedBefore = 0;
  let rejectedBefore = 0;
  const warming = (on: boolean) => {
    sink.own = !on;
    writer.warming = on;
  };
  if (first > 0) warming(true);
  try {
    for (const input of inputs) {
      sink.at.input = input;
      writer.beginInput(input);
      // A segment after the one before it on the list (inSegmentOrder) must continue it.
      const before = totals.files.at(-1);
      const file = new FileState(input.path, session, hooks, before === undefined ? null : { path: before.path, manifest: before.manifest, sha256: before.summary.sha256 });
      const reader = new RgcReader({
        manifest: (m) => file.onManifest(m),
        frame(h, raw) {
          if (frames >= end) {
            // The next range's first frame: pause the reader, and read no further.
            pastRange = true;
            return false;
          }
          if (stop !== null && Atomics.load(stop, 0) !== 0) throw new ExportStopped();
          if (frames++ === first && first > 0) {
            warming(false);
            acceptedBefore = counts.acceptedTotal;
            rejectedBefore = counts.rejectedTotal;
          }
          sink.at.frameSeq = h.seq;
          sink.at.recordIndex = 0;
          replayer.begin(file, h, raw);
          replayer.run(NO_LIMIT, NO_LIMIT);
          return true;
        },
        stats: file.onStats,
        end: file.onEnd,
        damage: file.recordDamage,
      }, { source: input.path });
      sink.begin(null);
      await readChunks(input.path, (chunk) => { reader.push(chunk); return !reader.isPaused; }, writer);
      if (pastRange) break;
      totals.files.push(file.report(reader.finish()));
    }
    if (frames <= first && first > 0) {
      // The inputs end before the range: it is empty.
      acceptedBefore = counts.acceptedTotal;
      rejectedBefore = counts.rejectedTotal;
    }
    warming(false);
    // The end of the stream (not of a range the next part continues): alerts only decided now (a Sigma
    // correlation's fixed window still open) are findings too, named by the last record read, where they
    // were decided, as a window closed by a later event is named by that event.
    if (!pastRange) session.finish();
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return {
    stats: buildStats(totals, session.counts), events: sink.events, alerts: sink.alerts, olderSchemaEvents: sink.olderSchemaEvents, inputs,
    warmEvents: sink.warmEvents, warmAlerts: sink.warmAlerts,
    rangeAccepted: counts.acceptedTotal - acceptedBefore, rangeRejected: counts.rejectedTotal - rejectedBefore,
    limitWarnings: alertEngine?.limitWarnings(session.table, session.net) ?? [],
  };
}

/** Feeds the file to `onChunk` until its end, or until `onChunk` returns false. */
async function readChunks(path: string, onChunk: (chunk: Uint8Array) => boolean, writer: ExportWriter): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CliError(`cannot open ${path}: ${describeIoError(e)}`, ExitCode.Io);
  }
  const buf = new Uint8Array(CHUNK);
  try {
    for (let chunks = 1; ; chunks++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw new CliError(`cannot read ${path}: ${describeIoError(e)}`, ExitCode.Io);
      }
      if (n === 0) break;
      if (!onChunk(buf.subarray(0, n))) break;
      if (writer.wantsDrain) await writer.drain();
      // The event loop's turn now and then (a writer that never waits would not give it one): a signal's handler runs then.
      else if (chunks % YIELD_CHUNKS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
}
