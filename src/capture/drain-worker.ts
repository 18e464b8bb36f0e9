/**
 * The drain worker: walks the mmapped ring buffer, appends each record
 * verbatim to the capture writer, seals a frame at least every second, and
 * writes stats and the end record when told. It owns the output file so the
 * main thread's event loop never waits on compression or disk.
 */
import { createPrivateKey } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { recordKind, recordPid } from '../abi/header-access.js';
import { canaryOf, forkKinds } from './programs.js';
import { SegmentedOutput } from './segments.js';
import { type DrainWorkerData, type FromWorker, type ToWorker } from './drain-protocol.js';
import { errnoText, makeThreadRealtime } from './libc.js';
import { fallbackWaitMs, RingBufferReader } from './ringbuf.js';

const port = parentPort!;
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);

/**
 * The drain thread runs SCHED_FIFO at the lowest real-time priority, as `perf
 * record --realtime` does and for the same reason. At the openat loop's peak
 * (~780 MB/s of records) the default 8 MiB ring fills in ~11 ms, and on a busy
 * host an ordinary thread waits longer than that for a CPU: measured at load
 * 6-8 on this 2-CPU VM, the worker sat 50-110 ms on the run queue in the
 * middle of a drain, and a 2M-open loop lost 2k-420k records in most runs;
 * real-time, the ring never held more than 4 MiB and none were lost. It sleeps
 * between passes and does work in proportion to the records, so it takes no
 * more CPU than before, only sooner.
 */
const DRAIN_RT_PRIORITY = 1;
const rtError = makeThreadRealtime(DRAIN_RT_PRIORITY);
if (rtError !== 0) {
  post({ type: 'notice', message: `the drain thread runs at normal priority (SCHED_FIFO: ${errnoText(rtError)}): on a busy host the ring buffer may overflow` });
}

/**
 * The capture's settings (ring, output, manifest) arrive once the main thread
 * has loaded and attached the programs: this thread is started before that,
 * so it loads its modules while the main thread loads the BPF object.
 */
const data = await new Promise<DrainWorkerData>((resolve) => {
  const onStart = (m: ToWorker) => {
    if (m.type !== 'start') return;
    port.off('message', onStart);
    resolve(m.data);
  };
  port.on('message', onStart);
});

/** Until the canary is seen the capture is not ready: drain often. */
const READY_WAIT_MS = 2;
/**
 * A stream that brings less than this in one fallback wait is slow: the worker
 * then sleeps until the kernel wakes it or the wait ends, instead of every
 * 2 ms (see RingBufferReader.waitSync). Half the default wakeup_bytes, so at
 * that rate the kernel's wake-up would not come first; 13 MB/s with the default
 * 10 ms wait: a fork/exec loop (~2.7 MB/s) is slow, an openat loop (~780 MB/s)
 * is not.
 */
const SLOW_STREAM_BYTES = 128 << 10;
const PROGRESS_MS = 250;
const LIVE_BATCH_BYTES = 256 << 10;
const canary = canaryOf();
const FORK_KINDS = forkKinds();
const marker = Buffer.from(data.canaryMarker);

const ring = new RingBufferReader(data.ringFd, data.ringBytes);
const waitMs = fallbackWaitMs(data.ringBytes);
const output = new SegmentedOutput(data.plan, data.outputFd, data.manifest, {
  compressionLevel: data.compressionLevel,
  signingKey: data.signingKeyPem ? createPrivateKey(data.signingKeyPem) : undefined,
  notice: (message) => post({ type: 'notice', message }),
});

let ready = false;
let writeFailed = false;
let lostUser = 0;
let frameOpenedAt = 0;
let pendingStats: number[] | null = null;
/** Latest cumulative kernel loss per CPU from the main thread (it owns the map). */
let lostKernel: number[] = [];
let sizeLimitReported = false;
let stop: Extract<ToWorker, { type: 'stop' }> | null = null;
let live = data.liveJson ? new Uint8Array(LIVE_BATCH_BYTES + 4096) : null;
let liveUsed = 0;

port.on('message', (m: ToWorker) => {
  if (m.type === 'stats') {
    pendingStats = m.lostKernelByCpu;
    lostKernel = m.lostKernelByCpu;
  } else if (m.type === 'stop') {
    stop = m;
  }
});

/** Recognises rg-capture's own canary open; everything else from rg-capture is dropped. */
function sawCanary(bytes: Uint8Array, offset: number, length: number): boolean {
  if (length < canary.field.offset + marker.length) return false;
  if (recordKind(bytes, offset) !== canary.kind) return false;
  const path = bytes.subarray(offset + canary.field.offset, offset + canary.field.offset + canary.field.size);
  return Buffer.from(path.buffer, path.byteOffset, path.length).indexOf(marker) >= 0;
}

function onRecord(bytes: Uint8Array, offset: number, length: number): void {
  // rg-capture's own records are canaries, except the fork of the command (its birth: see the fork program).
  if (recordPid(bytes, offset) === data.selfTgid && !FORK_KINDS.has(recordKind(bytes, offset))) {
    if (!ready && sawCanary(bytes, offset, length)) {
      ready = true;
      post({ type: 'ready' });
    }
    return;
  }
  if (writeFailed) {
    lostUser++;
    return;
  }
  const writer = output.writer;
  if (writer.pendingBytes === 0) frameOpenedAt = Date.now();
  try {
    writer.append(bytes, offset, length);
  } catch (e) {
    failWrite(e);
    lostUser++;
    return;
  }
  if (live !== null) appendLive(bytes, offset, length);
}

function appendLive(bytes: Uint8Array, offset: number, length: number): void {
  if (liveUsed + 4 + length > live!.length) flushLive();
  const b = live!;
  b[liveUsed] = length & 0xff; b[liveUsed + 1] = (length >>> 8) & 0xff; b[liveUsed + 2] = (length >>> 16) & 0xff; b[liveUsed + 3] = length >>> 24;
  b.set(bytes.subarray(offset, offset + length), liveUsed + 4);
  liveUsed += 4 + length;
}

function flushLive(): void {
  if (live === null || liveUsed === 0) return;
  const batch = live.slice(0, liveUsed);
  post({ type: 'records', batch }, [batch.buffer]);
  liveUsed = 0;
}

function failWrite(e: unknown): void {
  if (writeFailed) return;
  writeFailed = true;
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ENOSPC' ? 'disk full' : err.code === 'EPIPE' ? 'output pipe closed' : err.code ?? err.message;
  post({ type: 'write_error', message: `writing the capture failed: ${reason}` });
}

/** Runs a writer step, turning an I/O failure into a reported stop instead of a crash. */
function guarded(step: () => void): void {
  if (writeFailed) return;
  try {
    step();
  } catch (e) {
    failWrite(e);
  }
}

async function run(): Promise<void> {
  let lastProgress = 0;
  let lastPassAt = Date.now();
  let lastConsumed = ring.consumedBytes;
  let slow = false;
  for (;;) {
    ring.waitSync(ready ? waitMs : READY_WAIT_MS, slow);
    ring.drain(onRecord);
    const passAt = Date.now();
    // Bytes per ms since the last pass, projected over a fallback wait.
    slow = ((ring.consumedBytes - lastConsumed) * waitMs) / Math.max(1, passAt - lastPassAt) < SLOW_STREAM_BYTES;
    lastPassAt = passAt;
    lastConsumed = ring.consumedBytes;
    flushLive();
    const now = Date.now();
    if (output.writer.pendingBytes > 0 && now - frameOpenedAt >= data.frameMaxAgeMs) guarded(() => output.writer.flush());
    guarded(() => output.maybeRotate(lostKernel, lostUser + output.writer.droppedRecords));
    if (pendingStats !== null) {
      pendingStats = null;
      guarded(() => output.writeStats(lostKernel, lostUser + output.writer.droppedRecords));
    }
    if (output.writer.full && !sizeLimitReported) {
      sizeLimitReported = true;
      post({ type: 'size_limit' });
    }
    if (now - lastProgress >= PROGRESS_MS) {
      lastProgress = now;
      post({ type: 'progress', records: output.recordsAppended, bytes: output.bytesWritten, lostUser: lostUser + output.writer.droppedRecords });
    }
    if (stop !== null) break;
    // Yield so stop/stats messages are delivered.
    await new Promise((r) => setImmediate(r));
  }
  // The programs are detached: what is in the ring now is all there will be.
  while (ring.drain(onRecord) > 0);
  flushLive();
  const final = stop;
  const dropped = () => lostUser + output.writer.droppedRecords;
  guarded(() => output.writer.flush());
  guarded(() => output.finish(final.reason, final.lostKernelByCpu, dropped()));
  ring.close();
  post({ type: 'done', records: output.recordsAppended, bytes: output.bytesWritten, frames: output.framesWritten, lostUser: dropped() });
}

void run();
