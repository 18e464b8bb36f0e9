/**
 * Timing whole processes, the same way for every tool: bench/workloads/proc-time.c
 * forks the command, starts the clock just before fork() and stops it when
 * wait4() returns, so start-up and exit are inside every figure; CPU time and
 * peak RSS come from wait4's rusage. rg-replay is run as its users run it:
 * the bin file itself, through its `#!/usr/bin/env -S node ...` line.
 *
 * Ratios between two tools are taken per round (A and B back to back, their
 * order swapped every other round) and summarised by the median of the
 * per-round ratios: a slow spell of this shared machine hits both sides of a
 * round alike.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { cpus } from 'node:os';
import { compile } from './workloads.js';

export interface RunMeasure {
  exit_code: number;
  /** the signal that ended the command, or 0 */
  signal: number;
  wall_ms: number;
  cpu_ms: number;
  user_ms: number;
  sys_ms: number;
  max_rss_mb: number;
  /** bytes read from the command's stdout (pipe and pty modes; 0 for a file) */
  out_bytes: number;
  /** lines read from the command's stdout (pipe and pty modes) */
  out_lines: number;
}

/** Where the command's stdout goes: a file (default /dev/null), a pipe or a raw pty drained by proc-time. */
export type Stdout = { file: string } | 'pipe' | 'pty';

export interface MeasureOptions {
  stdout?: Stdout;
  /** the command's stdin (default /dev/null) */
  stdin?: string;
  /** run on this CPU alone (null: wherever the scheduler puts it) */
  pinCpu?: number | null;
  /** kill the run (SIGKILL) after this long; default 10 minutes */
  timeoutMs?: number;
  /** may the command exit non-zero (rg-replay --alerts exits 0 either way; verify may not)? */
  allowFailure?: boolean;
  /** exit codes that are a verdict, not a failure (rg-replay audit: 8, the capture's schema differs from this build's) */
  okExitCodes?: readonly number[];
}

/** No single measured run on this machine should take this long; a hung one is killed. */
const RUN_TIMEOUT_MS = 600_000;

/**
 * The CPU single-core measurements are pinned to (the last one). Pinned, V8's
 * compiler and GC threads share the core with the program instead of running
 * beside it; every tool is pinned the same way.
 */
export const PIN_CPU: number = cpus().length - 1;

let procTime: string | null = null;

/** Runs `cmd args` as a whole process under proc-time and returns what it measured. */
export function measureProcess(cmd: string, args: string[], o: MeasureOptions = {}): RunMeasure {
  procTime ??= compile('proc-time');
  const stdout = o.stdout ?? { file: '/dev/null' };
  const flags = [
    ...(o.pinCpu === null || o.pinCpu === undefined ? [] : ['-c', String(o.pinCpu)]),
    ...(o.stdin ? ['-i', o.stdin] : []),
    ...(stdout === 'pipe' ? ['-p'] : stdout === 'pty' ? ['-t'] : ['-o', stdout.file]),
  ];
  const r = spawnSync(procTime, [...flags, '--', cmd, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: o.timeoutMs ?? RUN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 24 });
  const report = /^\{.*\}$/m.exec(r.stdout ?? '')?.[0];
  if (report === undefined) {
    throw new Error(`measured run of ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message}): ${r.stderr?.slice(-500)}`);
  }
  const m = JSON.parse(report) as RunMeasure;
  if ((m.exit_code !== 0 || m.signal !== 0) && !o.allowFailure && !(m.signal === 0 && (o.okExitCodes ?? []).includes(m.exit_code))) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${m.signal ? `signal ${m.signal}` : m.exit_code}: ${r.stderr?.trim().slice(-500)}`);
  }
  return m;
}

/**
 * Runs a Node CLI module the way its users' shells do: the file itself when it
 * is executable (its #! line picks node and the flags), else `node FILE`.
 * The signature of the in-process timer it replaces is kept for callers.
 */
export function measureNode(moduleFile: string, args: string[], stdoutPath = '/dev/null', input?: string, pinCpu: number | null = null): RunMeasure {
  const [cmd, argv] = nodeCommand(moduleFile, args);
  return measureProcess(cmd, argv, { stdout: { file: stdoutPath }, stdin: input, pinCpu });
}

/** The command line that runs a Node CLI module as its users run it. */
export function nodeCommand(moduleFile: string, args: string[]): [string, string[]] {
  let executable = true;
  try {
    accessSync(moduleFile, constants.X_OK);
  } catch {
    executable = false;
  }
  return executable ? [moduleFile, args] : [process.execPath, [moduleFile, ...args]];
}

/** Wall time (ms) of an external command, stdout to /dev/null, timed like every other run. */
export function timeCommand(cmd: string, args: string[], pinCpu: number | null = null): number {
  return measureProcess(cmd, args, { pinCpu }).wall_ms;
}

/** The median: the middle value, or the mean of the two middle values of an even count. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a and b back to back, a first in even rounds and b first in odd ones (so neither always runs warm). */
export function backToBack<A, B>(round: number, a: () => A, b: () => B): [A, B] {
  if (round % 2 === 0) {
    const x = a();
    return [x, b()];
  }
  const y = b();
  return [a(), y];
}

/** The median over rounds of f(a[i], b[i]): a ratio taken within each round. */
export function medianRatio<T>(a: T[], b: T[], f: (a: T, b: T) => number): number {
  return median(a.map((x, i) => f(x, b[i])));
}
