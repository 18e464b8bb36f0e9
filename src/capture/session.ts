/**
 * One capture, start to finish: check the host, load and configure the
 * kernel program, start the drain worker, prove the probes deliver (canary),
 * run the command if any, and stop cleanly: detach, drain everything, write
 * the final stats and end record, report loss.
 */
import { closeSync, fstatSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { createPublicKey, randomBytes } from 'node:crypto';
import { loadSigningKey } from '../common/keys.js';
import { Worker } from 'node:worker_threads';
import { kindMask } from '../abi/constants.js';
import { encodeCaptureConfig, encodeFileFilterConfig } from '../abi/encode.js';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { formatBytes } from '../common/format-bytes.js';
import { type StopReason } from '../rgc/meta-records.js';
import { spawnHeld, type HeldCommand } from './command.js';
import { type DrainWorkerData, type FromWorker, type ToWorker } from './drain-protocol.js';
import { runKernelChecks } from './kernel-checks.js';
import { BpfCapture, followedCapacity } from './libbpf.js';
import { type LiveJsonPrinter } from './live-json.js';
import { buildManifest, newCaptureId } from './manifest-build.js';
import { EVENT_NAMES, type CaptureOptions } from './options.js';
import { StatusLine } from './status-line.js';
import { openOutputFile } from './output-file.js';
import { rotates, segmentPath, type SegmentPlan } from './segment-plan.js';
import { publicKeySha256 } from '../rgc/signing.js';

const READY_TIMEOUT_MS = 5000;
const CANARY_INTERVAL_MS = 5;
const STATS_INTERVAL_MS = 5000;
/** How long a capture that ends with its command waits for io_uring requests still in flight (awaitUringInFlight). */
const URING_SETTLE_MS = 1000;
const URING_SETTLE_STEP_MS = 5;
const URING_COUNT_LIMIT = 8192;
/** Wake the drain worker once this much is unconsumed (bounded by a quarter of the ring). */
const WAKEUP_BYTES = 256 << 10;

export interface Reporter {
  /** One line on stderr, prefixed `rg-capture: `. */
  line(text: string): void;
}

export async function runCapture(o: CaptureOptions, report: Reporter): Promise<number> {
  const { mountedTracefs } = runKernelChecks();
  if (mountedTracefs) report.line('mounted tracefs at /sys/kernel/tracing');
  const signingKey = o.signKeyPath === null ? null : loadSigningKey(o.signKeyPath);
  const plan: SegmentPlan = { output: o.output, rotateBytes: o.rotateBytes, rotateMs: o.rotateMs, keep: o.keep, maxBytes: o.maxBytes, force: o.force };
  const firstPath = rotates(plan) ? segmentPath(o.output, 0) : o.output;
  const outputFd = openOutput(firstPath, o.force);
  let cap: BpfCapture | null = null;
  let worker: Worker | null = null;
  let recording = false;
  try {
    // Only --json needs the NDJSON encoder (~50 ms of start-up to load).
    const LivePrinter = o.liveJson ? (await import('./live-json.js')).LiveJsonPrinter : null;
    // The worker starts first: its thread loads its modules while this one loads the BPF object, and it
    // waits for its settings (the start message). Nothing below yields to the event loop before
    // RunningCapture listens to it, except a failed setup's terminate(): that must not see an unheard error.
    worker = new Worker(new URL('./drain-worker.js', import.meta.url));
    worker.on('error', () => {});
    cap = BpfCapture.open({ objectPath: o.objectPath, ringBytes: o.ringBytes, followedEntries: followedCapacity(o.follow) });
    const config = {
      selfTgid: process.pid,
      eventsMask: kindMask(o.kinds),
      follow: o.follow,
      wakeupBytes: Math.min(WAKEUP_BYTES, o.ringBytes / 4),
      canaryArmed: true,
    };
    cap.setConfig(encodeCaptureConfig(config));
    cap.setFileFilter(encodeFileFilterConfig(o.watchPrefixes));
    const manifest = buildManifest(captureOptionsRecord(o), o.objectPath, { capture_id: newCaptureId(), index: 0, previous_sha256: null },
      signingKey ? publicKeySha256(createPublicKey(signingKey)) : undefined);
    cap.attachAll(o.kinds, { follow: o.follow });
    const marker = `rg-canary-${randomBytes(8).toString('hex')}`;
    const data: DrainWorkerData = {
      ringFd: cap.ringFd, ringBytes: cap.ringBytes, outputFd, plan, manifest, compressionLevel: o.compressionLevel,
      selfTgid: process.pid, canaryMarker: marker, liveJson: o.liveJson, frameMaxAgeMs: 1000,
      signingKeyPem: signingKey ? signingKey.export({ type: 'pkcs8', format: 'pem' }).toString() : null,
    };
    worker.postMessage({ type: 'start', data } satisfies ToWorker);
    const run = new RunningCapture(worker, cap, o, plan, outputFd, report, LivePrinter ? new LivePrinter(manifest.clock) : null);
    await run.waitReady(marker);
    recording = true;
    cap.setConfig(encodeCaptureConfig({ ...config, canaryArmed: false }));
    return await run.untilStopped();
  } catch (e) {
    // Setup failed before anything was recorded (the canary never arrived, at the latest): stop the
    // worker, or it would keep the process alive, and leave no file behind.
    if (!recording) {
      await worker?.terminate();
      if (o.output !== '-') {
        closeSync(outputFd);
        rmSync(firstPath, { force: true });
      }
    }
    throw e;
  } finally {
    cap?.close();
  }
}

/** Opens the output before loading anything: an unwritable path fails fast with a clear message. */
function openOutput(path: string, force: boolean): number {
  return path === '-' ? 1 : openOutputFile(path, force);
}


function captureOptionsRecord(o: CaptureOptions): Record<string, unknown> {
  const names = Object.entries(EVENT_NAMES).filter(([, k]) => o.kinds.has(k)).map(([n]) => n);
  return {
    events: names, watch_prefixes: [...o.watchPrefixes], ring_bytes: o.ringBytes, follow: o.follow,
    command: [...o.command], duration_ms: o.durationMs, compression_level: o.compressionLevel,
    started_at: new Date().toISOString(), max_bytes: o.maxBytes, rotate_bytes: o.rotateBytes, rotate_ms: o.rotateMs, keep: o.keep,
    signed: o.signKeyPath !== null,
    // Who recorded: replay names this process (and its start gate's shell) by pid, not by a command line anyone can copy.
    recorder_pid: process.pid,
  };
}

class RunningCapture {
  private records = 0;
  private bytes = 0;
  private lostUser = 0;
  private ready = false;
  private onReady: (() => void) | null = null;
  private stopRequested: ((reason: StopReason) => void) | null = null;
  private writeError: string | null = null;
  private done: ((m: Extract<FromWorker, { type: 'done' }>) => void) | null = null;
  private workerFailure: Error | null = null;
  private readonly status: StatusLine | null;

  constructor(private readonly worker: Worker, private readonly cap: BpfCapture, private readonly o: CaptureOptions,
    private readonly plan: SegmentPlan, private readonly outputFd: number, private readonly report: Reporter,
    private readonly live: LiveJsonPrinter | null) {
    this.status = process.stderr.isTTY && !o.liveJson ? new StatusLine() : null;
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => {
      this.workerFailure = e;
      this.stopRequested?.('write_error');
      this.onReady?.();
    });
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ready': this.ready = true; this.onReady?.(); break;
      case 'progress': this.records = m.records; this.bytes = m.bytes; this.lostUser = m.lostUser; break;
      case 'records': this.live?.print(m.batch); break;
      case 'write_error': this.writeError = m.message; this.stopRequested?.('write_error'); break;
      case 'notice': this.report.line(m.message); break;
      case 'size_limit': this.stopRequested?.('max_size'); break;
      case 'done': this.done?.(m); break;
    }
  }

  /** Opens the canary path until the worker sees the open come through the ring buffer. */
  async waitReady(marker: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const readyOrTimeout = new Promise<void>((resolve) => { this.onReady = resolve; });
    while (!this.ready && this.workerFailure === null && Date.now() < deadline) {
      try {
        closeSync(openSync(`/${marker}`, 'r'));
      } catch {
        // ENOENT is expected: the open itself is the canary.
      }
      await Promise.race([readyOrTimeout, sleep(CANARY_INTERVAL_MS)]);
    }
    if (this.workerFailure !== null) throw this.workerFailure;
    if (!this.ready) throw new CliError(`the probes did not deliver events within ${READY_TIMEOUT_MS} ms`, ExitCode.Unsupported);
  }

  async untilStopped(): Promise<number> {
    const o = this.o;
    let command: HeldCommand | null = null;
    let commandStatus: number | null = null;
    const stopped = new Promise<StopReason>((resolve) => { this.stopRequested = resolve; });
    const signals = new SignalHandler(() => this.stopRequested?.('signal'), this.report);
    const timers: NodeJS.Timeout[] = [];
    if (o.durationMs !== null) timers.push(setTimeout(() => this.stopRequested?.('duration'), o.durationMs));
    timers.push(setInterval(() => this.post({ type: 'stats', lostKernelByCpu: this.lostByCpu() }), STATS_INTERVAL_MS));
    if (this.status) timers.push(setInterval(() => this.status!.update(this.records, this.lostKernel(), this.lostUser, this.bytes), 1000));
    if (o.command.length > 0) {
      command = await spawnHeld(o.command, o.output === '-');
      if (o.follow) this.cap.followTgid(command.pid);
      void command.exited.then((status) => { commandStatus = status; this.stopRequested?.('command_exit'); });
    }
    this.report.line(`ready: recording ${o.output === '-' ? 'to stdout' : `to ${o.output}`}${command ? `; started ${o.command[0]} (pid ${command.pid})` : '; stop with Ctrl-C'}`);
    command?.release();
    const reason = await stopped;
    if (reason === 'command_exit') await this.awaitUringInFlight();
    for (const t of timers) clearInterval(t);
    this.status?.clear();
    // Detach first so nothing new arrives, then the worker drains what is left and writes the end.
    this.cap.detach();
    // UDP sends counted as repeats since their destination's last record, written as summaries (none without UDP).
    try {
      this.cap.writeUdpSummaries();
    } catch (e) {
      this.report.line(`WARNING: ${(e as Error).message}; repeats since the last record of each UDP destination are not written`);
    }
    const lost = this.lostByCpu();
    const done = new Promise<Extract<FromWorker, { type: 'done' }>>((resolve) => { this.done = resolve; });
    this.post({ type: 'stop', reason, lostKernelByCpu: lost });
    const final = await done;
    signals.dispose();
    await this.worker.terminate();
    this.live?.flush();
    // The size of the file we wrote, through our fd: the name may have been replaced meanwhile.
    const size = o.output === '-' || rotates(this.plan) ? final.bytes : fstatSync(this.outputFd).size;
    finishOutput(o, this.outputFd);
    const lostKernel = lost.reduce((a, b) => a + b, 0);
    this.report.line(`stopped (${reason.replace('_', ' ')}): ${final.records} events in ${final.frames} frames, ${formatBytes(size)}; lost ${lostKernel} in the kernel, ${final.lostUser} in user space`);
    if (reason === 'max_size' && final.lostUser > 0) this.report.line(`${final.lostUser} events arrived after the file reached --max-size and were not written`);
    else if (final.lostUser > 0) this.report.line(`WARNING: ${final.lostUser} events could not be written`);
    if (lostKernel > 0) this.report.line(`WARNING: ${lostKernel} events were lost in the kernel (ring buffer full, or a followed process the kernel program could not keep in scope); a larger --ring-size may help`);
    if (this.writeError !== null) {
      this.report.line(`${this.writeError}; the file replays up to that point`);
      return ExitCode.WriteFailed;
    }
    if (command !== null) {
      if (commandStatus === null) this.report.line(`capture ended; waiting for ${o.command[0]} (pid ${command.pid}) to exit`);
      return commandStatus ?? (await command.exited);
    }
    return ExitCode.Ok;
  }

  /**
   * The command exited, but the kernel may still complete what it left in flight on an io_uring: a ring
   * torn down after its process exited has its completions posted by a kernel worker, a moment later,
   * and they are the command's (io_uring.bpf.h records them as the submitter's). Keep recording until no
   * request is held between submission and completion, for at most URING_SETTLE_MS (a request that never
   * completes, or another process's when not following, must not hold the capture open), and say so.
   */
  private async awaitUringInFlight(): Promise<void> {
    const deadline = Date.now() + URING_SETTLE_MS;
    let pending = this.cap.uringRequestsInFlight(URING_COUNT_LIMIT);
    while (pending > 0 && Date.now() < deadline) {
      await sleep(URING_SETTLE_STEP_MS);
      pending = this.cap.uringRequestsInFlight(URING_COUNT_LIMIT);
    }
    if (pending > 0) {
      const n = pending >= URING_COUNT_LIMIT ? `${URING_COUNT_LIMIT} or more` : String(pending);
      this.report.line(`${n} io_uring request(s) still in flight ${URING_SETTLE_MS} ms after ${this.o.command[0]} exited: their completions, if any come, are not in the capture`);
    }
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private lostByCpu(): number[] {
    return this.cap.readLostPerCpu().map(Number);
  }

  private lostKernel(): number {
    return this.lostByCpu().reduce((a, b) => a + b, 0);
  }
}

/** Flushes the first output file to disk and closes it (later segments are closed by the worker). */
function finishOutput(o: CaptureOptions, fd: number): void {
  if (o.output === '-') return;
  try {
    fsyncSync(fd);
  } catch {
    // best effort: the data is in the page cache either way
  }
  closeSync(fd);
}

/** First SIGINT/SIGTERM stops cleanly; a second one forces an exit (the file stays replayable up to its last frame). */
class SignalHandler {
  private count = 0;
  private readonly handler = () => {
    this.count++;
    if (this.count === 1) {
      this.report.line('stopping: draining the ring buffer and writing the end record (Ctrl-C again to force)');
      this.onStop();
    } else {
      this.report.line('forced exit: the capture has no end record but replays up to its last frame');
      process.exit(130);
    }
  };
  constructor(private readonly onStop: () => void, private readonly report: Reporter) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
