/**
 * REAL captures for the replay benchmarks: rg-capture (default settings,
 * whole host) recording bench/workloads/mixed-loop.c, a busy host in
 * miniature (varied opens, TCP/UDP connects, fork + exec), plus whatever else
 * runs on the machine meanwhile. Recorded once into bench/work/ and reused
 * while `rg-replay --stats` still reads it completely with enough events.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURE_CLI, compile, parseStopped, REPLAY_CLI, WORK } from './workloads.js';

/** mixed-loop emits ~8.5 events per round (8 opens, 3 connects every 8th round, fork + exec + exit and the loader's opens every 64th). */
const EVENTS_PER_ROUND = 8.5;
const STATS_TIMEOUT_MS = 300_000;

export interface RealCapture {
  path: string;
  events: number;
  bytes: number;
  lost: number;
  /** event counts by kind, from rg-replay --stats */
  kinds: Record<string, number>;
  /** recorded in this run (false: reused from an earlier one) */
  recorded: boolean;
  /** seconds the recording took, when recorded now */
  record_s: number | null;
}

/** Returns a capture of at least `minEvents` at `path`, recording it if missing or unreadable. */
export function ensureRealCapture(path: string, minEvents: number): RealCapture {
  const existing = existsSync(path) ? inspect(path) : null;
  if (existing !== null && existing.events >= minEvents) return { ...existing, recorded: false, record_s: null };
  if (existing !== null) process.stderr.write(`bench: ${path} has ${existing.events} events, fewer than ${minEvents}: recording again\n`);
  const loop = compile('mixed-loop');
  let rounds = Math.ceil((minEvents * 1.03) / EVENTS_PER_ROUND);
  for (let attempt = 1; attempt <= 3; attempt++) {
    process.stderr.write(`bench: recording ${path} (mixed-loop ${rounds} rounds, ~${(rounds * EVENTS_PER_ROUND / 1e6).toFixed(1)}M events)...\n`);
    const t0 = process.hrtime.bigint();
    const got = record(loop, rounds, path);
    const recordS = Number(process.hrtime.bigint() - t0) / 1e9;
    const result = inspect(path);
    if (result === null) throw new Error(`bench: rg-replay --stats cannot read the capture just recorded (${path})`);
    if (result.events >= minEvents) return { ...result, lost: got.lost_kernel + got.lost_user, recorded: true, record_s: recordS };
    rounds = Math.ceil(rounds * (minEvents / result.events) * 1.05);
  }
  throw new Error(`bench: could not record ${minEvents} events into ${path}`);
}

function record(loop: string, rounds: number, path: string) {
  const scratch = mkdtempSync(join(WORK, 'scratch-'));
  const tmp = `${path}.recording`;
  try {
    const timeout = Math.max(120_000, Math.round(rounds * 0.5)); // ~20 us per round traced, with room to spare
    const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', tmp, '--force', '--', loop, String(rounds), scratch],
      { cwd: WORK, encoding: 'utf8', timeout, killSignal: 'SIGINT', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`bench: rg-capture -- mixed-loop failed (${r.status ?? r.signal}): ${(r.error?.message ?? '') + r.stderr.slice(-500)}`);
    const stopped = parseStopped(r.stderr);
    renameSync(tmp, path);
    return stopped;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
}

/** What rg-replay --stats says about a capture, or null when it cannot read it to its end record. */
export function inspect(path: string): Omit<RealCapture, 'recorded' | 'record_s'> | null {
  const s = spawnSync(process.execPath, [REPLAY_CLI, path, '--stats'], { encoding: 'utf8', timeout: STATS_TIMEOUT_MS });
  if (s.status !== 0) {
    process.stderr.write(`bench: rg-replay --stats ${path} failed (${s.status ?? s.signal}): ${s.stderr.trim().slice(-300)}\n`);
    return null;
  }
  const events = /^events:\s+(\d+)/m.exec(s.stdout);
  const lost = /^lost:\s+(\d+) in kernel, (\d+) in user space/m.exec(s.stdout);
  if (events === null || lost === null || !/: complete,/.test(s.stdout)) return null;
  const kinds: Record<string, number> = {};
  for (const m of s.stdout.matchAll(/^ {2}(\w+)\s+(\d+)$/gm)) kinds[m[1]] = Number(m[2]);
  return { path, events: Number(events[1]), bytes: statSync(path).size, lost: Number(lost[1]) + Number(lost[2]), kinds };
}
