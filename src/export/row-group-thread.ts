/**
 * The Parquet export's writer thread, as the main thread sees it. Gathering
 * rows (replay, process context, interning: PartitionBuilder.add) and writing
 * them (dictionaries, levels, pages, zstd: writeRowGroup) each take about
 * half of an export's CPU (work capture: ~1.8 s each); on one thread they
 * run one after the other. Here the main thread gathers a row group and
 * hands it over (PartitionBuilder.handOff: its buffers are SharedArrayBuffers,
 * posted by reference, not copied), and a worker (row-group-worker.ts)
 * writes it while the next is gathered.
 *
 * The worker owns the event partitions' files: it opens, writes and closes
 * them in the order the main thread says, so the dataset is the bytes a
 * one-thread export writes (test/export/writer-thread.test.ts compares them).
 * It gives each row group's emptied buffers back, and the main thread gathers
 * into them again: at most MAX_IN_FLIGHT row groups are on their way (memory
 * stays bounded), and a main thread that far ahead waits.
 *
 * The main thread waits with Atomics.wait on a counter the worker bumps after
 * each reply, and reads replies with receiveMessageOnPort: the replay loop is
 * synchronous, and a wait never depends on the event loop. A failure on the
 * worker (a full disk) comes back as data and is thrown on the main thread at
 * its next hand-over, close or finish, as the one-thread export would throw
 * it; the worker then drops what it is given, still answering each row group.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type ErrorData, errorFrom } from './part-messages.js';
import { type GatheredRowGroup, type PartitionBuilder, SentViews } from './partition.js';

/** Row groups handed over and not yet written: the main thread waits past this many. */
const MAX_IN_FLIGHT = 2;
/**
 * A wait's slice. A worker that has not said it is ready after START_MS did not start (its script could not
 * be loaded: the failure is an event the blocked main thread cannot take); one that has, and then gives no
 * reply for STALL_MS, is taken for dead (a row group takes ~0.1 s).
 */
const WAIT_MS = 200;
const START_MS = 30_000;
const STALL_MS = 300_000;

export type ToWriter =
  | { readonly t: 'open'; readonly file: number; readonly path: string; readonly table: number }
  | { readonly t: 'write'; readonly file: number; readonly builder: number; readonly table: number; readonly g: GatheredRowGroup }
  | { readonly t: 'close'; readonly file: number }
  | { readonly t: 'forget'; readonly builder: number }
  | { readonly t: 'finish' }
  | { readonly t: 'abort' };

export type FromWriter =
  | { readonly t: 'ready' }
  /** A row group written (g: its emptied buffers; null after a failure). */
  | { readonly t: 'written'; readonly table: number; readonly g: GatheredRowGroup | null }
  | { readonly t: 'failed'; readonly error: ErrorData }
  | { readonly t: 'finished' }
  | { readonly t: 'aborted' };

export interface WriterJob {
  readonly outDir: string;
  readonly port: MessagePort;
  /** Int32Array[1]: bumped (and notified) after each reply. */
  readonly replies: SharedArrayBuffer;
}

/** A file the writer thread has open: its rows so far (the main thread decides when it is full). */
export interface ThreadFile {
  readonly id: number;
  readonly path: string;
  rows: number;
}

export class RowGroupThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly replies: Int32Array;
  private inFlight = 0;
  private nextFile = 0;
  /** Emptied buffer sets given back, by table: the next row groups are gathered into them. */
  private readonly free: GatheredRowGroup[][] = [];
  private failure: Error | null = null;
  /** The process views the worker was sent (their parts drawn and copied across once). */
  private readonly sent: SentViews;
  /** Replies seen: the worker has started, finished (every file closed), dropped its files. */
  private ready = false;
  private finished = false;
  private aborted = false;
  private stopped = false;

  private constructor(outDir: string, sentViews: number | undefined) {
    this.sent = new SentViews(sentViews);
    const { port1, port2 } = new MessageChannel();
    const replies = new SharedArrayBuffer(4);
    this.port = port1;
    this.replies = new Int32Array(replies);
    const job: WriterJob = { outDir, port: port2, replies };
    // V8 flags are the process's already; a worker rejects the start-up snapshot's (--snapshot-blob).
    this.worker = new Worker(workerUrl(), { workerData: job, transferList: [port2], execArgv: [], stdout: false, stderr: false });
    // Never what keeps the process alive: finish() and abort() wait for it themselves.
    this.worker.unref();
    this.worker.on('error', (e) => { this.failure ??= new Error(`export: the writer thread failed: ${e instanceof Error ? e.message : String(e)}`); });
  }

  static start(outDir: string, sentViews?: number): RowGroupThread {
    return new RowGroupThread(outDir, sentViews);
  }

  /** Opens `path` (for rows of event table `table`) on the writer thread. */
  open(path: string, table: number): ThreadFile {
    this.check();
    const f: ThreadFile = { id: this.nextFile++, path, rows: 0 };
    this.post({ t: 'open', file: f.id, path, table });
    return f;
  }

  /**
   * Hands `b`'s gathered rows over as the next row group of `f`; `b` goes on with buffers given back, or new
   * ones. `last`: the builder's last row group (the export's end): `b` is left without buffers, and the main
   * thread does not wait for the writer to catch up (nothing more is gathered; it writes what it keeps).
   */
  write(f: ThreadFile, b: PartitionBuilder, builderId: number, table: number, last = false): void {
    this.collect();
    this.check();
    const rows = b.rows;
    const g = last ? b.handOff(null, false, this.sent) : b.handOff(this.free[table]?.pop() ?? null, true, this.sent);
    this.port.postMessage({ t: 'write', file: f.id, builder: builderId, table, g } satisfies ToWriter);
    f.rows += rows;
    this.inFlight++;
    while (!last && this.inFlight > MAX_IN_FLIGHT) this.waitForReply();
    this.check();
  }

  close(f: ThreadFile): void {
    this.check();
    this.post({ t: 'close', file: f.id });
  }

  /** The builder `builderId` is let go on the main thread: its twin on the writer thread (and what it recorded) goes too. */
  forget(builderId: number): void {
    if (this.failure === null) this.post({ t: 'forget', builder: builderId });
  }

  /**
   * Waits until every row group is written and every file closed, and stops the worker; throws the writer
   * thread's failure, if any, leaving the worker to abort() (the export's driver calls it), which drops the
   * files it still has open.
   */
  finish(): void {
    this.check();
    this.post({ t: 'finish' });
    while (!this.finished && this.failure === null) this.waitForReply();
    this.check();
    this.stop();
  }

  /** Drops every file the writer thread has open (their temporary files removed); waits for it to have done so, and stops it. */
  abort(): void {
    if (this.stopped) return;
    this.post({ t: 'abort' });
    try {
      while (!this.aborted) this.waitForReply();
    } catch {
      // A writer thread that stopped answering: its temporary files stay (hidden, .part-...); the export fails anyway.
    }
    this.stop();
  }

  private stop(): void {
    this.stopped = true;
    void this.worker.terminate();
  }

  private post(m: ToWriter): void {
    this.port.postMessage(m);
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Takes every reply there is, without waiting; true when there was one. */
  private collect(): boolean {
    let any = false;
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      any = true;
      this.take(m.message as FromWriter);
    }
    return any;
  }

  private take(m: FromWriter): void {
    switch (m.t) {
      case 'ready':
        this.ready = true;
        return;
      case 'written':
        this.inFlight--;
        if (m.g !== null) (this.free[m.table] ??= []).push(m.g);
        return;
      case 'failed':
        this.failure ??= errorFrom(m.error);
        return;
      case 'finished':
        this.finished = true;
        return;
      case 'aborted':
        this.aborted = true;
    }
  }

  /** Blocks until at least one reply has been taken (the worker bumps `replies` after posting each). */
  private waitForReply(): void {
    let waited = 0;
    for (;;) {
      const seen = Atomics.load(this.replies, 0);
      if (this.collect()) return;
      if (Atomics.wait(this.replies, 0, seen, WAIT_MS) === 'timed-out') {
        waited += WAIT_MS;
        if (!this.ready && waited >= START_MS) throw (this.failure ??= new Error(`export: the writer thread did not start in ${START_MS / 1000} s`));
        if (waited >= STALL_MS) throw (this.failure ??= new Error(`export: the writer thread gave no answer for ${STALL_MS / 1000} s`));
      }
    }
  }
}

/**
 * The worker's script beside this module: the bundle's (dist/bin/row-group-worker.mjs,
 * this code being in dist/bin or dist/bin/chunks), else tsc's (dist/src/export/).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.mjs')) return new URL(/\/chunks\/[^/]+$/.test(here) ? '../row-group-worker.mjs' : './row-group-worker.mjs', here);
  return new URL('./row-group-worker.js', here);
}
