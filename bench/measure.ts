/** Spawns measured runs and summarises them (median of several, since this machine is shared and noisy). */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface RunMeasure { exit_code: number; wall_ms: number; cpu_ms: number; user_ms: number; sys_ms: number; max_rss_mb: number }

const CHILD = fileURLToPath(new URL('./measure-child.js', import.meta.url));
/** No single measured run on this machine should take this long; a hung one is killed. */
const RUN_TIMEOUT_MS = 600_000;

/**
 * Node flags from the module's `#!/usr/bin/env -S node FLAGS` line: a measured
 * run starts the CLI with the flags its users' shells start it with.
 */
export function shebangFlags(moduleFile: string): string[] {
  const first = readFileSync(moduleFile, 'utf8').split('\n', 1)[0];
  const flags = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first)?.[1] ?? '';
  return flags.split(' ').filter((f) => f !== '');
}

/**
 * The CPU that single-core measurements are pinned to with taskset (the last
 * one), or null without taskset. Pinned, V8's compiler and GC threads share
 * the core with the program instead of running beside it.
 */
export const PIN_CPU: number | null = spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? cpus().length - 1 : null;

/**
 * Runs `node <module> args` with stdout to /dev/null (or `stdoutPath`),
 * returning its own measurements; on CPU `pinCpu` alone when given.
 */
export function measureNode(moduleFile: string, args: string[], stdoutPath = '/dev/null', input?: string, pinCpu: number | null = null): RunMeasure {
  const out = openSync(stdoutPath, 'w');
  const inFd = input ? openSync(input, 'r') : 'ignore';
  const node = [...shebangFlags(moduleFile), CHILD, moduleFile, ...args];
  const [cmd, argv] = pinCpu === null ? [process.execPath, node] : ['taskset', ['-c', String(pinCpu), process.execPath, ...node]];
  try {
    const r = spawnSync(cmd, argv, { stdio: [inFd, out, 'pipe', 'pipe'], maxBuffer: 1 << 26, timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' });
    const report = r.output[3]?.toString() ?? '';
    if (!report) throw new Error(`measured run of ${moduleFile} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr?.toString().slice(0, 500)}`);
    return JSON.parse(report) as RunMeasure;
  } finally {
    closeSync(out);
    if (typeof inFd === 'number') closeSync(inFd);
  }
}

/** Wall time of an external command, stdout to /dev/null. */
export function timeCommand(cmd: string, args: string[]): number {
  const out = openSync('/dev/null', 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', out, 'pipe'], timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal ?? r.error?.message}): ${r.stderr?.toString().slice(0, 300)}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    closeSync(out);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
