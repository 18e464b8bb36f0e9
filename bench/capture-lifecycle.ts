/**
 * One capture's life, timed from outside with default settings: spawn
 * `rg-capture -o FILE` (under proc-time, which reports the process's CPU time
 * and peak RSS from wait4 at exit), wait for its `ready` line, run the openat
 * loop as a separate process at full speed, then SIGINT and wait for the exit.
 *
 * - time to ready: spawn to the stderr line containing `ready` (node start-up,
 *   BPF load and attach, the canary round trip);
 * - sustained rate: the loop's opens per second while traced, all of them in
 *   the capture (events >= opens) and 0 lost;
 * - CPU per event: the capture process's CPU time (main thread + drain worker)
 *   from `ready` to exit, over the events it wrote; start-up CPU is reported
 *   apart, since a long capture pays it once;
 * - stop: SIGINT to process exit (detach, drain, end record, fsync).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, nodeCommand } from './measure.js';
import { type BenchContext, fmt, type Row, type Section, type SectionResult } from './section.js';
import { CAPTURE_CLI, compile, type LoopResult, parseLoop, parseStopped, WORK } from './workloads.js';
const OPENAT_ROUNDS = 500_000; // x4 paths = 2M opens
const READY_TIMEOUT_MS = 30_000;
const LOOP_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
/** /proc/<pid>/stat counts CPU time in clock ticks: sysconf(_SC_CLK_TCK), 100 on Linux. */
const CLK_TCK = 100;

export interface LifecycleRun {
  ready_ms: number;
  stop_ms: number;
  opens: number;
  loop_s: number;
  opens_per_s: number;
  events: number;
  lost: number;
  cpu_startup_ms: number;
  cpu_after_ready_ms: number;
  cpu_total_ms: number;
  /** of cpu_after_ready_ms: user and system time */
  cpu_user_after_ready_ms: number;
  cpu_sys_after_ready_ms: number;
  cpu_us_per_event: number;
  cpu_total_us_per_event: number;
  max_rss_mb: number;
}

export interface CaptureLifecycle {
  ready_ms: number;
  stop_ms: number;
  sustained_events_per_s: number;
  /** over every run (target 0) */
  lost: number;
  /** every run captured at least as many events as the loop opened files */
  complete: boolean;
  cpu_us_per_event: number;
  cpu_total_us_per_event: number;
  cpu_startup_ms: number;
  max_rss_mb: number;
  runs: LifecycleRun[];
}

/** `extraArgs`: more rg-capture options, for experiments (the bench uses the defaults). */
export async function benchCaptureLifecycle(runs: number, extraArgs: string[] = []): Promise<CaptureLifecycle> {
  if (process.geteuid?.() !== 0) throw new Error('bench capture-lifecycle: needs root (rg-capture loads BPF programs)');
  const loop = compile('openat-loop');
  const tmp = mkdtempSync(join(tmpdir(), 'rg-bench-'));
  const all: LifecycleRun[] = [];
  try {
    for (let i = 0; i < runs; i++) all.push(await oneRun(loop, join(tmp, 'lifecycle.rgc'), extraArgs));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const med = (f: (r: LifecycleRun) => number) => median(all.map(f));
  return {
    ready_ms: med((r) => r.ready_ms),
    stop_ms: med((r) => r.stop_ms),
    sustained_events_per_s: med((r) => r.opens_per_s),
    lost: all.reduce((n, r) => n + r.lost, 0),
    complete: all.every((r) => r.events >= r.opens),
    cpu_us_per_event: med((r) => r.cpu_us_per_event),
    cpu_total_us_per_event: med((r) => r.cpu_total_us_per_event),
    cpu_startup_ms: med((r) => r.cpu_startup_ms),
    max_rss_mb: Math.max(...all.map((r) => r.max_rss_mb)),
    runs: all,
  };
}

async function oneRun(loopBin: string, output: string, extraArgs: string[]): Promise<LifecycleRun> {
  const started = process.hrtime.bigint();
  const [cmd, args] = nodeCommand(CAPTURE_CLI, ['-o', output, '--force', ...extraArgs]);
  const capture = spawn(compile('proc-time'), ['--', cmd, ...args], { cwd: WORK, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let report = '';
  capture.stderr!.setEncoding('utf8');
  capture.stdout!.setEncoding('utf8');
  capture.stdout!.on('data', (s: string) => { report += s; });
  const exited = new Promise<number | string>((resolve) => capture.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench capture-lifecycle: no "ready" within ${READY_TIMEOUT_MS} ms: ${stderr.slice(-500)}`)), READY_TIMEOUT_MS);
      capture.stderr!.on('data', (s: string) => {
        stderr += s;
        if (/\bready\b/.test(stderr)) {
          clearTimeout(timer);
          resolve(Number(process.hrtime.bigint() - started) / 1e6);
        }
      });
      void exited.then((status) => { clearTimeout(timer); reject(new Error(`bench capture-lifecycle: rg-capture exited (${status}) before ready: ${stderr.slice(-500)}`)); });
    });
    const capturePid = Number(/^pid (\d+)$/m.exec(report)?.[1]);
    if (!(capturePid > 0)) throw new Error(`bench capture-lifecycle: proc-time did not say which pid rg-capture has: ${report}`);
    const atReady = processCpuMs(capturePid);
    const cpuAtReadyMs = atReady.user + atReady.sys;
    const loop = await runLoop(loopBin, OPENAT_ROUNDS);
    const sigint = process.hrtime.bigint();
    capture.kill('SIGINT');
    const status = await withTimeout(exited, STOP_TIMEOUT_MS, 'rg-capture did not exit after SIGINT');
    const stopMs = Number(process.hrtime.bigint() - sigint) / 1e6;
    // proc-time's last line may trail its exit event by a tick.
    await new Promise((r) => setImmediate(r));
    const json = /^\{.*\}$/m.exec(report)?.[0];
    if (status !== 0 || json === undefined) throw new Error(`bench capture-lifecycle: proc-time exited with ${status}: ${stderr.slice(-500)}`);
    const usage = JSON.parse(json) as { exit_code: number; cpu_ms: number; user_ms: number; sys_ms: number; max_rss_mb: number };
    if (usage.exit_code !== 0) throw new Error(`bench capture-lifecycle: rg-capture exited with ${usage.exit_code}: ${stderr.slice(-500)}`);
    const stopped = parseStopped(stderr);
    const events = stopped.events;
    return {
      ready_ms: readyMs,
      stop_ms: stopMs,
      opens: loop.count,
      loop_s: loop.elapsed_ns / 1e9,
      opens_per_s: loop.count / (loop.elapsed_ns / 1e9),
      events,
      lost: stopped.lost_kernel + stopped.lost_user,
      cpu_startup_ms: cpuAtReadyMs,
      cpu_after_ready_ms: usage.cpu_ms - cpuAtReadyMs,
      cpu_total_ms: usage.cpu_ms,
      cpu_user_after_ready_ms: usage.user_ms - atReady.user,
      cpu_sys_after_ready_ms: usage.sys_ms - atReady.sys,
      cpu_us_per_event: ((usage.cpu_ms - cpuAtReadyMs) * 1000) / events,
      cpu_total_us_per_event: (usage.cpu_ms * 1000) / events,
      max_rss_mb: usage.max_rss_mb,
    };
  } finally {
    killIfRunning(capture);
    rmSync(output, { force: true });
  }
}

/** User and system CPU time (ms) of a live process, from /proc/<pid>/stat (fields 14 and 15). */
function processCpuMs(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return { user: (Number(fields[11]) * 1000) / CLK_TCK, sys: (Number(fields[12]) * 1000) / CLK_TCK };
}

function runLoop(bin: string, rounds: number): Promise<LoopResult> {
  const child = spawn(bin, [String(rounds)], { cwd: WORK, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const done = new Promise<LoopResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) reject(new Error(`bench capture-lifecycle: ${bin} failed (${code ?? signal}): ${err.slice(-300)}`));
      else resolve(parseLoop(out, bin));
    });
  });
  return withTimeout(done, LOOP_TIMEOUT_MS, `${bin} ran longer than ${LOOP_TIMEOUT_MS} ms`).finally(() => killIfRunning(child));
}

function killIfRunning(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`bench: ${message}`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const captureLifecycleSection: Section = {
  id: 'capture-lifecycle',
  title: 'Capture: start, sustained rate, CPU, stop',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const lc = await benchCaptureLifecycle(ctx.runs);
    const rows: Row[] = [
      {
        what: 'sustained rate (openat loop, 2M opens)',
        cells: [`${fmt.k(lc.sustained_events_per_s)} events/s, ${lc.lost} lost${lc.complete ? '' : ', SOME OPENS MISSING'}`],
        target: '>= 300k/s, 0 lost', pass: lc.sustained_events_per_s >= 300e3 && lc.lost === 0 && lc.complete,
      },
      {
        what: 'capture CPU per event',
        cells: [`${lc.cpu_us_per_event.toFixed(2)} µs after ready (${lc.cpu_total_us_per_event.toFixed(2)} µs with ${fmt.ms(lc.cpu_startup_ms)} of start-up CPU)`],
        target: '<= 0.5 µs', pass: lc.cpu_us_per_event <= 0.5,
      },
      { what: 'time to ready', cells: [fmt.ms(lc.ready_ms)], target: '<= 1 s', pass: lc.ready_ms <= 1000 },
      { what: 'stop: SIGINT to exit', cells: [fmt.ms(lc.stop_ms)], target: '<= 1 s', pass: lc.stop_ms <= 1000 },
    ];
    return { rows, notes: [`rg-capture with default settings, whole host, median of ${ctx.runs} runs; its CPU time is wait4's rusage (main thread and drain worker), from ready to exit over the events it wrote.`], data: lc };
  },
};
