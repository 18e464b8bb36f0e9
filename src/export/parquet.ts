/**
 * `export --format parquet`: an OCSF Parquet dataset, Hive-partitioned as
 * DIR/host=H/day=YYYY-MM-DD/class_uid=N/part-RUN-SEQ.parquet (zstd pages),
 * written by our own Parquet writer (src/export/parquet/), no DuckDB.
 *
 * Each event goes to its partition's builder (partition.ts) as a few small
 * keys and the record's numbers; a builder writes a row group when it holds
 * ROW_GROUP_ROWS rows and starts a new file after `fileRows`. Memory is
 * bounded by the open partitions' row groups (and a budget across them), not
 * by the capture: a 10M-event export holds what a 1M one does.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type ProcessNode } from '../replay/process-table.js';
import { type Alert } from '../replay/rules/alerts.js';
import { clean, datasetIoError, dayText, makeDirs, partitionValue, prepareOutDir } from './dataset-layout.js';
import { type ExportInput, type ExportWriter, type Provenance } from './driver.js';
import { FINDING_SCHEMA, findingRow } from './finding-rows.js';
import { DETECTION_FINDING } from './ocsf-map.js';
import { capturePart, ProcessView, ProcessViews } from './ocsf-parts.js';
import { attemptedProcessOf } from './ocsf-json.js';
import { bytesToText, splitArgv } from '../abi/values.js';
import { cStringEnd, storableText } from './text-bytes.js';
import { type ClassTable, eventTables, type KindPlan, type TranslatedPlan, translatedPlan } from './ocsf-table.js';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { SIZE_OFFSET, VERSION_OFFSET } from '../abi/header-access.js';
import { olderRecordHeader } from './event-facts.js';
import { ColumnEncoder } from './parquet/column-encoder.js';
import { PARQUET_CREATED_BY, ParquetFileWriter } from './parquet/file-writer.js';
import { type Row, RowShredder } from './parquet/shred.js';
import { PageCompressor } from './parquet/zstd-pages.js';
import { sameAsBytes } from './parquet/keyed-column.js';
import { type EventContext, PartitionBuilder } from './partition.js';
import { ProcessIdentities } from './process-identity.js';
import { RowGroupThread, type ThreadFile } from './row-group-thread.js';
import { type WallClock } from '../output/wall-clock.js';

/** Rows per row group: big enough for long dictionary runs and good compression, small enough that a few open partitions stay in tens of MB. */
export const ROW_GROUP_ROWS = 65_536;
/** Rows per file before a partition starts its next part file. */
export const FILE_ROWS = 2_097_152;
/**
 * A row group's estimated bytes (PartitionBuilder.heldBytes: values, keys,
 * strings, processes) before it is written early, checked every
 * HELD_CHECK_ROWS rows. Bounds each open partition's memory whatever the
 * capture's length: a class with few rows per event (process activity)
 * otherwise gathered rows, and the processes they name, for the whole of a
 * long capture before reaching ROW_GROUP_ROWS (measured on the loop capture:
 * its process row group grew from 5.7k rows at 1M events to 57k at 10M, most
 * of the growth of the export's peak RSS from 176 MB to 385 MB).
 */
const ROW_GROUP_BYTES = 16 << 20;
const HELD_CHECK_ROWS = 256;
/**
 * Rows of a file's first row group (then ROW_GROUP_ROWS). The writer thread
 * starts at the first row group handed over, and its code is cold there:
 * a first row group of 65,536 file rows took it ~0.43 s, the next ones
 * ~0.06 s. A small first group warms that code for less, and a class that
 * never fills a row group (network activity: 41k rows of the work capture)
 * has one written along the way instead of all of it after the last event.
 * Work capture, 10 interleaved rounds: -0.07 s wall (median; 9 of 10
 * rounds faster), -0.05 s CPU; the dataset 41.02 -> 40.94 MB. The same on
 * one thread (--threads 1): the files are the bytes either way.
 */
const FIRST_ROW_GROUP_ROWS = 8192;
/**
 * Rows of the later row groups of a class with endpoints (Network and DNS
 * Activity), instead of ROW_GROUP_ROWS. Their rows cost the writer ~3x a
 * file row (work capture: ~3 us against ~1 us; each row's endpoints are a
 * key of their own), and such a class fills slowly: what it gathered since
 * its last row group is written after the last event, while the export
 * waits (work capture: 32.7k network rows, ~0.09 s of the writer thread's
 * ~0.2 s after the last event). In row groups of 16,384 that end is 16.4k
 * rows. Work capture, 10 interleaved rounds: -0.04 s wall (median, 7 of 10
 * rounds faster), -0.05 s CPU.
 */
const ENDPOINT_ROW_GROUP_ROWS = 16_384;
/** Row group buffers of all open partitions together; past it the largest are written and let go. */
const BUFFER_BYTES = 128 << 20;
/** Partitions with a file open at once; past it (many hosts or days) every file is finished before the next input. */
const MAX_OPEN_PARTITIONS = 64;
const BUDGET_CHECK_EVENTS = 8192;
const NS_PER_DAY = 86_400_000_000_000;

export interface ParquetOptions {
  outDir: string;
  append: boolean;
  /** Rows per file (RG_EXPORT_BATCH_ROWS: tests ask for small files). */
  fileRows?: number;
  /** The run's id in file names (part-RUN-...): one per export, shared by its parallel parts. */
  run?: string;
  /** A parallel part's name in its file names (part-RUN-w1-SEQ), so the parts' files never collide. */
  part?: string;
  /**
   * Write event row groups on a thread of their own (row-group-thread.ts) while the next are gathered
   * (default true). It starts at the first event row group handed over (a partition's first
   * FIRST_ROW_GROUP_ROWS rows): a small export never starts it. False: every row group on this thread
   * (`--threads 1`, and each part of a `--threads N` export).
   */
  writerThread?: boolean;
  /** Process views the writer thread keeps before it starts over (SentViews; RG_EXPORT_SENT_VIEWS: tests ask for few). */
  sentViews?: number;
}

/** A builder of event rows, or of Detection Finding rows (alerts: few, shredded from row objects). */
interface Builder {
  readonly rows: number;
  readonly bytes: number;
  writeRowGroup(file: ParquetFileWriter, enc: ColumnEncoder): void;
}

class FindingBuilder implements Builder {
  readonly shredder = new RowShredder(FINDING_SCHEMA);
  get rows(): number { return this.shredder.rows; }
  get bytes(): number { return this.shredder.bytes; }
  writeRowGroup(file: ParquetFileWriter, enc: ColumnEncoder): void { this.shredder.writeRowGroup(file, enc); }
}

interface Partition {
  readonly dir: string;
  readonly classUid: number;
  /** The event table (null: the Detection Finding partition), and its index in the writer's tables. */
  readonly table: ClassTable | null;
  readonly tableIndex: number;
  builder: Builder | null;
  /** The builder's number (its twin on the writer thread is named by it). */
  builderId: number;
  /** The open file: written on this thread, or on the writer thread (an event partition's, once that has started). */
  file: ParquetFileWriter | null;
  threadFile: ThreadFile | null;
  /** Rows of its next row group: FIRST_ROW_GROUP_ROWS for a file's first, then `wholeRows` (both at most a file's rows). */
  rowLimit: number;
  /** Rows of a row group after a file's first: ROW_GROUP_ROWS, or ENDPOINT_ROW_GROUP_ROWS for a class with endpoints. */
  readonly wholeRows: number;
}

export class ParquetWriter implements ExportWriter {
  readonly wantsDrain = false;
  warming = false;
  private readonly filePrefix: string;
  private fileSeq = 0;
  private readonly tables: ClassTable[];
  /** By kind id: its plan and its table's index. */
  private readonly kinds: ({ plan: KindPlan; table: number } | undefined)[] = [];
  private readonly partitions = new Map<string, Partition>();
  /** Per table (and one more for findings): the partition its last row went to, for which input and day. */
  private readonly lastPartition: ({ input: number; day: number; partition: Partition } | undefined)[] = [];
  private readonly enc = new ColumnEncoder();
  private readonly compressor = new PageCompressor();
  private readonly ids: ProcessIdentities;
  private readonly views: ProcessViews;
  private readonly attempted = new AttemptedViews();
  private inputIndex = -1;
  private host = '';
  private capture: Row = {};
  private readonly ctx: EventContext;
  private clockRef: unknown = undefined;
  private clock: WallClock | null = null;
  private offLo = 0;
  private offHi = 0;
  /** realtime - monotonic (signed), exact and as a double: the range check of a row's wall time. */
  private offExact = 0n;
  private offApprox = 0;
  /** Rows (and findings) whose wall time a TIMESTAMP(NANOS) cannot hold (past 2262): written with time null, in day=unknown. */
  outOfRangeTimes = 0;
  private lastNode: ProcessNode | null = null;
  private sinceBudgetCheck = 0;
  private readonly rowsPerTable: number[] = [];
  private findingRows = 0;
  private readonly fileRows: number;
  private readonly rowGroupRows: number;
  private readonly firstRowGroupRows: number;
  readonly filesWritten: string[] = [];
  /** Strings of the capture stored without deduplication (their hashes crowded the table: string-pool.ts's MAX_PROBES). */
  private readonly strings = { unindexed: 0 };
  /** The writer thread, once started (flush). */
  private thread: RowGroupThread | null = null;
  private nextBuilderId = 0;
  /** Plans for records of older schemas, by kind and the fields their file lacked (translatedEvent). */
  private readonly translatedPlans = new Map<string, TranslatedPlan>();
  /** A translated record, its header's version and size set back to its file's. */
  private record = new Uint8Array(0);
  /** Set by the caller: the session's process table (a fork's child is looked up there). */
  table: { lookup(host: string, pid: number): ProcessNode | undefined } | null = null;

  private constructor(private readonly opts: ParquetOptions, clockFor: (host: string) => WallClock | null) {
    this.ids = new ProcessIdentities(clockFor);
    this.views = new ProcessViews(this.ids);
    this.filePrefix = `part-${opts.run ?? newRunId()}-${opts.part === undefined ? '' : `${opts.part}-`}`;
    this.fileRows = opts.fileRows ?? FILE_ROWS;
    this.rowGroupRows = Math.min(ROW_GROUP_ROWS, this.fileRows);
    this.firstRowGroupRows = Math.min(FIRST_ROW_GROUP_ROWS, this.rowGroupRows);
    this.tables = eventTables();
    this.tables.forEach((table, i) => {
      this.rowsPerTable.push(0);
      for (const k of table.kinds) this.kinds[k.id] = { plan: table.plans[k.id]!, table: i };
    });
    this.ctx = { capture: {}, actor: null, noUser: false, target: null, hasTime: false, timeLo: 0, timeHi: 0, frameSeq: 0, recordIndex: 0, hostname: null };
  }

  static open(opts: ParquetOptions, clockFor: (host: string) => WallClock | null): ParquetWriter {
    prepareOutDir(opts.outDir, opts.append);
    return new ParquetWriter(opts, clockFor);
  }

  /** A writer into a dataset directory another writer of the same export opened (a parallel part). */
  static join(opts: ParquetOptions, clockFor: (host: string) => WallClock | null): ParquetWriter {
    return new ParquetWriter(opts, clockFor);
  }

  /** Rows written per class_uid (events and findings). */
  get rowsByClass(): Map<number, number> {
    const out = new Map<number, number>();
    this.tables.forEach((t, i) => { if (this.rowsPerTable[i] > 0) out.set(t.cls.uid, this.rowsPerTable[i]); });
    if (this.findingRows > 0) out.set(DETECTION_FINDING.uid, this.findingRows);
    return out;
  }

  /** Strings the row groups' pools stored without looking them up (string-pool.ts, MAX_PROBES): 0 unless crafted to collide. */
  get unindexedStrings(): number {
    return this.strings.unindexed;
  }

  beginInput(input: ExportInput): void {
    // Many hosts or days: finish the files of those done so far, so open files (and their buffers) stay few.
    if ([...this.partitions.values()].filter((p) => p.file !== null || p.builder !== null).length > MAX_OPEN_PARTITIONS) this.finishAll();
    this.inputIndex = input.index;
    this.host = input.manifest?.host.hostname ?? '';
    this.capture = capturePart(input);
    this.ctx.capture = this.capture;
    this.ctx.hostname = input.manifest === null ? null : new TextEncoder().encode(input.manifest.host.hostname);
    this.ids.captureId = input.manifest?.segment.capture_id ?? input.sha256;
    this.views.beginInput();
    this.lastNode = null;
  }

  event(kindId: number, raw: Uint8Array, at: number, node: ProcessNode, p: Provenance): void {
    const k = this.kinds[kindId]!;
    const plan = k.plan;
    if (p.clock !== this.clockRef) this.setClock(p.clock);
    const ctx = this.ctx;
    let day = NaN;
    if (this.clock !== null) {
      // Wall clock = ts_ns + the capture's realtime - monotonic offset (mod 2^64), without BigInt.
      const tsLo = u32(raw, at + 8);
      const tsHi = u32(raw, at + 12);
      let lo = tsLo + this.offLo;
      let carry = 0;
      if (lo > 0xffffffff) { lo -= 4294967296; carry = 1; }
      const hi = (tsHi + this.offHi + carry) >>> 0;
      // A TIMESTAMP(NANOS) is a signed INT64: a wall time past 2262-04-11 (or before 1677) has no value there, and
      // the sum above would wrap to a plausible wrong date. One comparison of doubles per row; the exact check
      // only within 2^20 ns of the limits.
      if (inInt64(tsHi * 4294967296 + tsLo + this.offApprox, tsLo, tsHi, this.offExact)) {
        ctx.hasTime = true;
        ctx.timeLo = lo;
        ctx.timeHi = hi;
        day = dayOf(lo, hi);
      } else {
        // As a record without a wall clock: time null, day=unknown; unmapped.ts_ns keeps the exact ns.
        ctx.hasTime = false;
        if (!this.warming) this.outOfRangeTimes++;
      }
    } else {
      ctx.hasTime = false;
    }
    ctx.frameSeq = p.frameSeq;
    ctx.recordIndex = p.recordIndex;
    // A header pid of 0 names no process (a zeroed header: a TCP change whose owner the kernel did not know): no actor,
    // no user (its uid 0 is no root); a parent actor with ppid 0 likewise. Nothing is made up for pid 0 (event-facts.ts).
    ctx.noUser = node.pid === 0;
    if (ctx.noUser) ctx.actor = null;
    else if (plan.actorIsParent) ctx.actor = node.parent !== null ? this.views.of(node.parent) : node.ppid === 0 ? null : this.views.unseenOf(node.host, node.ppid);
    else ctx.actor = this.views.of(node);
    if (plan.target === 'self') {
      ctx.target = this.views.of(node);
    } else if (plan.target === 'attempted') {
      ctx.target = this.attempted.of(plan, raw, at, node.pid);
    } else if (plan.target !== 'none') {
      const childPid = u32(raw, at + plan.target);
      // 0: the kernel did not resolve the target (target_tgid): no process, unmapped keeps the pid asked for.
      const child = childPid === 0 ? undefined : this.table?.lookup(node.host, childPid);
      ctx.target = child !== undefined ? this.views.of(child) : childPid === 0 ? null : this.views.unseenOf(node.host, childPid);
    }
    this.lastNode = node;
    if (this.warming) return;
    const part = this.partitionFor(k.table, day);
    const b = (part.builder ??= this.newBuilder(part)) as PartitionBuilder;
    if (plan.translated === true) b.addTranslated(plan, raw, at, ctx);
    else b.add(plan, raw, at, ctx);
    this.rowsPerTable[k.table]++;
    if (b.rows >= part.rowLimit) this.flush(part);
    else if (b.rows % HELD_CHECK_ROWS === 0 && b.heldBytes >= ROW_GROUP_BYTES) this.flush(part);
    if (++this.sinceBudgetCheck >= BUDGET_CHECK_EVENTS) this.keepBudget();
  }

  /**
   * A record of an older schema, rebuilt by replay in this build's layout (the fields its file lacked zeroed):
   * added by its kind's translated plan, which leaves those fields null, with the header's version and size
   * set back to its file's (the rebuilt header says this build's). A kind whose row needs a field the file
   * lacked cannot be exported: one line and exit 4 (nothing of the run is kept).
   */
  translatedEvent(kindId: number, raw: Uint8Array, at: number, node: ProcessNode, p: Provenance, unavailable: readonly string[]): void {
    const k = this.kinds[kindId]!;
    const key = `${kindId}\u0000${unavailable.join(',')}`;
    let plan = this.translatedPlans.get(key);
    if (plan === undefined) {
      const t = translatedPlan(k.plan, unavailable);
      if (typeof t === 'string') {
        throw new CliError(`${p.input.path}: its ${k.plan.kind.name} records are of an older schema and cannot be exported: ${t}, and the file does not record it (rg-replay FILE --json shows them)`, ExitCode.NotCapture);
      }
      plan = t;
      this.translatedPlans.set(key, plan);
    }
    const size = plan.kind.layout.size;
    if (this.record.length < size) this.record = new Uint8Array(size);
    const rec = this.record;
    rec.set(raw.subarray(at, at + size));
    const file = olderRecordHeader(p.input, kindId);
    if (file !== null) {
      rec[VERSION_OFFSET] = file.version & 0xff;
      rec[VERSION_OFFSET + 1] = file.version >>> 8;
      new DataView(rec.buffer, rec.byteOffset, rec.byteLength).setUint32(SIZE_OFFSET, file.size, true);
    }
    this.kinds[kindId] = { plan, table: k.table };
    try {
      this.event(kindId, rec, 0, node, p);
    } finally {
      this.kinds[kindId] = k;
    }
  }

  alert(a: Alert, p: Provenance): void {
    let timeNs = p.clock === null ? null : p.clock.realtimeNs(BigInt(a.source.ts_ns));
    if (timeNs !== null && (timeNs > INT64_MAX || timeNs < INT64_MIN)) {
      timeNs = null;
      this.outOfRangeTimes++;
    }
    const day = timeNs === null ? NaN : Math.floor(Number(timeNs / 1_000_000n) / 86_400_000);
    const part = this.partitionFor(this.tables.length, day);
    const b = (part.builder ??= new FindingBuilder()) as FindingBuilder;
    b.shredder.add(findingRow(a, {
      capture: this.capture, frameSeq: p.frameSeq, recordIndex: p.recordIndex, timeNs,
      actor: this.lastNode === null ? null : this.views.of(this.lastNode),
    }));
    this.findingRows++;
    if (b.rows >= part.rowLimit) this.flush(part);
  }

  async drain(): Promise<void> {}

  async finish(): Promise<void> {
    this.finishAll(true);
    this.thread?.finish();
  }

  async abort(): Promise<void> {
    for (const p of this.partitions.values()) p.file?.abort();
    this.partitions.clear();
    this.thread?.abort();
  }

  private newBuilder(p: Partition): PartitionBuilder {
    p.builderId = this.nextBuilderId++;
    return new PartitionBuilder(p.table!, p.dir, this.strings);
  }

  /** Lets a partition's builder go (its twin on the writer thread too). */
  private dropBuilder(p: Partition): void {
    if (p.builder !== null && p.table !== null) this.thread?.forget(p.builderId);
    p.builder = null;
  }

  private setClock(clock: WallClock | null): void {
    this.clockRef = clock;
    this.clock = clock;
    if (clock === null) return;
    this.offExact = clock.realtimeNs(0n);
    this.offApprox = Number(this.offExact);
    const off = BigInt.asUintN(64, this.offExact);
    this.offLo = Number(off & 0xffffffffn);
    this.offHi = Number(off >> 32n);
  }

  /** The partition of table `t` (findings: tables.length) for the current input's host and `day` (NaN: no clock). */
  private partitionFor(t: number, day: number): Partition {
    const last = this.lastPartition[t];
    if (last !== undefined && last.input === this.inputIndex && (last.day === day || (Number.isNaN(day) && Number.isNaN(last.day)))) return last.partition;
    const table = t < this.tables.length ? this.tables[t] : null;
    const classUid = table === null ? DETECTION_FINDING.uid : table.cls.uid;
    const key = `${classUid}\u0000${this.host}\u0000${day}`;
    let partition = this.partitions.get(key);
    if (partition === undefined) {
      const dir = join(this.opts.outDir, `host=${partitionValue(this.host)}`, `day=${Number.isNaN(day) ? 'unknown' : dayText(day)}`, `class_uid=${classUid}`);
      const wholeRows = table !== null && table.keyColumns.some((c) => c.name === 'net') ? Math.min(ENDPOINT_ROW_GROUP_ROWS, this.rowGroupRows) : this.rowGroupRows;
      partition = { dir, classUid, table, tableIndex: t, builder: null, builderId: -1, file: null, threadFile: null, rowLimit: Math.min(this.firstRowGroupRows, wholeRows), wholeRows };
      this.partitions.set(key, partition);
    }
    this.lastPartition[t] = { input: this.inputIndex, day, partition };
    return partition;
  }

  /**
   * Writes a partition's gathered rows as a row group (opening its next file if need be); finishes the file
   * when it is full. An event partition's go to the writer thread, started here unless `atEnd` (the export's
   * last row groups: a small export's only ones).
   */
  private flush(p: Partition, atEnd = false): void {
    const b = p.builder;
    if (b === null || b.rows === 0) return;
    // The file's next row groups are whole ones (closeFile starts over).
    p.rowLimit = p.wholeRows;
    try {
      if (p.table !== null && p.file === null && (this.thread !== null || (!atEnd && this.opts.writerThread !== false))) {
        this.flushToThread(p, b as PartitionBuilder, atEnd);
        return;
      }
      if (p.file === null) {
        p.file = ParquetFileWriter.create(this.nextFilePath(p), p.table === null ? FINDING_SCHEMA : p.table.schema, {
          createdBy: PARQUET_CREATED_BY, compressor: this.compressor,
        });
      }
      b.writeRowGroup(p.file, this.enc);
      if (p.file.rows >= this.fileRows) this.closeFile(p);
    } catch (e) {
      throw datasetIoError(this.opts.outDir, e);
    }
  }

  /** `last`: the builder's last row group (the export's end). */
  private flushToThread(p: Partition, b: PartitionBuilder, last = false): void {
    const thread = (this.thread ??= RowGroupThread.start(this.opts.outDir, this.opts.sentViews));
    p.threadFile ??= thread.open(this.nextFilePath(p), p.tableIndex);
    thread.write(p.threadFile, b, p.builderId, p.tableIndex, last);
    if (p.threadFile.rows >= this.fileRows) this.closeFile(p);
  }

  /** The path of partition `p`'s next file (its directory made). */
  private nextFilePath(p: Partition): string {
    makeDirs(p.dir);
    return join(p.dir, `${this.filePrefix}${String(this.fileSeq++).padStart(5, '0')}.parquet`);
  }

  private closeFile(p: Partition): void {
    p.rowLimit = Math.min(this.firstRowGroupRows, p.wholeRows);
    if (p.threadFile !== null) {
      const f = p.threadFile;
      p.threadFile = null;
      this.thread!.close(f);
      this.filesWritten.push(f.path);
      return;
    }
    if (p.file === null) return;
    const f = p.file;
    p.file = null;
    try {
      f.close();
    } catch (e) {
      // A full disk while the footer is written: no longer the partition's, so abort() would not find it.
      f.abort();
      throw e;
    }
    this.filesWritten.push(f.path);
  }

  /** Writes and closes every partition's file; `atEnd`: the export's end (finish). */
  private finishAll(atEnd = false): void {
    for (const p of this.partitions.values()) {
      this.flush(p, atEnd);
      try {
        this.closeFile(p);
      } catch (e) {
        throw datasetIoError(this.opts.outDir, e);
      }
      this.dropBuilder(p);
    }
    this.partitions.clear();
    this.lastPartition.length = 0;
  }

  /** Over the memory budget: write the largest partitions' row groups early and let their buffers go. */
  private keepBudget(): void {
    this.sinceBudgetCheck = 0;
    let total = 0;
    const open: Partition[] = [];
    for (const p of this.partitions.values()) {
      if (p.builder === null) continue;
      total += p.builder.bytes;
      open.push(p);
    }
    if (total <= BUFFER_BYTES) return;
    open.sort((a, b) => b.builder!.bytes - a.builder!.bytes);
    for (const p of open) {
      if (total <= BUFFER_BYTES / 2) break;
      total -= p.builder!.bytes;
      this.flush(p);
      this.dropBuilder(p);
    }
  }
}

/**
 * A failed launch's `process`: the program its record says was attempted (one view each). A shell's PATH
 * search tries each folder with the same argv (work capture: 10.8k failed launches, 6.6 us each with the
 * argv split, decoded and joined every time): the last argv is kept, by its bytes. Strings are made
 * storable here (lone surrogates as U+FFFD, as cleanDeep does), and a file's name and folder come from its
 * path, so the drawn part needs no walk of its own.
 */
class AttemptedViews {
  private lastArgs = new Uint8Array(0);
  private lastCmdLine: string | null = null;

  of(plan: KindPlan, raw: Uint8Array, at: number, pid: number): ProcessView {
    const a = plan.attempted!;
    const pathFrom = at + a.path.offset;
    const path = clean(storableText(bytesToText(raw.subarray(pathFrom, cStringEnd(raw, pathFrom, a.path.size)))));
    const used = a.argsSize === null ? a.args.size : Math.min(a.args.size, u32(raw, at + a.argsSize.offset));
    return ProcessView.drawn(pid, attemptedProcessOf(pid, path === '' ? null : path, this.cmdLine(raw, at + a.args.offset, at + a.args.offset + used)) as Row);
  }

  /** The command line of the argv bytes raw[from, to) (NUL-separated), null for none. */
  private cmdLine(raw: Uint8Array, from: number, to: number): string | null {
    if (!sameAsBytes(raw, from, to, this.lastArgs)) {
      const argv = splitArgv(raw.subarray(from, to), to - from);
      this.lastCmdLine = argv.length === 0 ? null : clean(argv.map((x) => storableText(bytesToText(x))).join(' '));
      this.lastArgs = raw.slice(from, to);
    }
    return this.lastCmdLine;
  }
}

/** An export's id in its file names: --append adds files beside earlier exports' without a clash. */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** 2^63 less a margin far beyond a double's error there (2^11): within it, inInt64 decides exactly. */
const NEAR_INT64 = 9223372036853727232; // 2^63 - 2^20

/**
 * True when ts (u64 as tsHi:tsLo) + off (signed ns), whose sum as a double is `approx`, fits a signed INT64
 * (a TIMESTAMP(NANOS)). O(1): BigInt only within 2^20 ns of a limit.
 */
function inInt64(approx: number, tsLo: number, tsHi: number, off: bigint): boolean {
  if (approx < NEAR_INT64 && approx > -NEAR_INT64) return true;
  const exact = (BigInt(tsHi) << 32n) + BigInt(tsLo) + off;
  return exact <= INT64_MAX && exact >= INT64_MIN;
}

/** Days since the epoch of wall-clock ns (hi:lo, signed), exact near midnight too. */
function dayOf(lo: number, hi: number): number {
  const approx = (hi | 0) * 4294967296 + lo;
  const day = Math.floor(approx / NS_PER_DAY);
  const rest = approx - day * NS_PER_DAY;
  // A double holds these ns to within ~256: close to midnight, decide exactly.
  if (rest > 4096 && rest < NS_PER_DAY - 4096) return day;
  const exact = (BigInt(hi | 0) << 32n) + BigInt(lo);
  const d = exact / BigInt(NS_PER_DAY);
  return Number(exact < 0n && d * BigInt(NS_PER_DAY) !== exact ? d - 1n : d);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
