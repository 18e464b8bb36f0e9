/**
 * The bench's C workloads (bench/workloads/*.c, compiled into bench/work/)
 * and what rg-capture says about a run on stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: this file runs from dist/bench/ (npm run bench) or from bench/ (the tests, through vitest). */
const ROOT = new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url);
export const SOURCES = fileURLToPath(new URL('bench/workloads/', ROOT));
export const WORK = fileURLToPath(new URL('bench/work/', ROOT));
export const CAPTURE_CLI = fileURLToPath(new URL('dist/src/capture/cli.js', ROOT));
/** The file the `rg-replay` bin runs (the bundle). */
export const REPLAY_CLI = fileURLToPath(new URL('dist/bin/rg-replay.mjs', ROOT));
/** What `rg-replay` runs (package.json bin): the launcher of the start-up snapshot, itself a shell script (scripts/bundle-replay.ts). */
export const REPLAY_LAUNCHER = fileURLToPath(new URL('dist/bin/rg-replay', ROOT));

export type Workload = 'openat-loop' | 'forkexec-loop' | 'mixed-loop' | 'syscall-loop' | 'proc-time';

/** cc -O2 bench/workloads/NAME.c -o bench/work/NAME (skipped when the binary is newer than it and loop-clock.h); returns the binary's path. */
export function compile(name: Workload): string {
  mkdirSync(WORK, { recursive: true });
  const source = join(SOURCES, `${name}.c`);
  const out = join(WORK, name);
  const newestInput = Math.max(statSync(source).mtimeMs, statSync(join(SOURCES, 'loop-clock.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= newestInput) return out;
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, source], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`bench: cannot run cc: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bench: cc ${name}.c failed: ${r.stderr.slice(0, 500)}`);
  return out;
}

export interface LoopResult { count: number; elapsed_ns: number; cpu_ns: number }

/** A workload's own report: "<count> <elapsed_ns> <cpu_ns>" as its last stdout line. */
export function parseLoop(stdout: string, what: string): LoopResult {
  const m = /(\d+) (\d+) (\d+)\s*$/.exec(stdout);
  if (m === null) throw new Error(`bench: ${what} printed no "<count> <elapsed_ns> <cpu_ns>" line: ${stdout.slice(-200)}`);
  return { count: Number(m[1]), elapsed_ns: Number(m[2]), cpu_ns: Number(m[3]) };
}

export interface CaptureSummary { events: number; lost_kernel: number; lost_user: number }

/** rg-capture's last words: "stopped (...): N events in F frames, SIZE; lost K in the kernel, U in user space". */
export function parseStopped(stderr: string): CaptureSummary {
  const m = /stopped \([^)]*\): (\d+) events in \d+ frames, [^;]*; lost (\d+) in the kernel, (\d+) in user space/.exec(stderr);
  if (m === null) throw new Error(`bench: rg-capture printed no "stopped ..." line: ${stderr.slice(-500)}`);
  return { events: Number(m[1]), lost_kernel: Number(m[2]), lost_user: Number(m[3]) };
}
