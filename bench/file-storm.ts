/**
 * A storm of file changes under capture at the default ring size (8 MiB):
 * `rm -rf` of a tree of 100,000 files and `chmod -R` of it, each under
 * `rg-capture -o FILE -- CMD` with all events. Target: 0 events lost, and
 * every delete and chmod in the capture (counted with rg-replay --stats).
 * Also how long each command took with and without capture. Needs root.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './measure.js';
import { type Section } from './section.js';
import { CAPTURE_CLI, parseStopped, REPLAY_CLI } from './workloads.js';

const FILES = Number(process.env.BENCH_STORM_FILES ?? 100_000);
const PER_DIR = 1000;
const TIMEOUT_MS = 600_000;

export interface StormRun {
  /** wall-clock ms of the command, untraced and under capture */
  base_ms: number;
  traced_ms: number;
  /** records of the storm's kind in the capture, and how many the command made */
  recorded: number;
  expected: number;
  lost_kernel: number;
  lost_user: number;
}

export interface FileStorm {
  files: number;
  rm_rf: StormRun[];
  chmod_r: StormRun[];
  /** medians */
  rm_rf_lost: number;
  chmod_r_lost: number;
  rm_rf_slowdown: number;
  chmod_r_slowdown: number;
}

/** FILES files in FILES / PER_DIR directories under a fresh directory; returns the tree's root. */
function makeTree(parent: string): string {
  const root = mkdtempSync(join(parent, 'storm-'));
  for (let d = 0; d < FILES / PER_DIR; d++) {
    const dir = join(root, `d${d}`);
    mkdirSync(dir);
    for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `f${f}`), '');
  }
  return root;
}

/** The command wrapped so it times itself (capture start-up and tear-down are not counted): prints elapsed ns. */
function selfTimed(cmd: string[]): string[] {
  return ['bash', '-c', 't0=$(date +%s%N); "$@" || exit 1; echo $(( $(date +%s%N) - t0 ))', 'storm', ...cmd];
}

function elapsedMs(stdout: string, what: string): number {
  const m = /(\d+)\s*$/.exec(stdout);
  if (m === null) throw new Error(`bench file-storm: ${what} printed no time: ${stdout.slice(-200)}`);
  return Number(m[1]) / 1e6;
}

function timed(cmd: string[]): number {
  const r = spawnSync(selfTimed(cmd)[0], selfTimed(cmd).slice(1), { timeout: TIMEOUT_MS, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench file-storm: ${cmd.join(' ')} failed (${r.status ?? r.signal})`);
  return elapsedMs(r.stdout, cmd.join(' '));
}

/** The command under rg-capture; the capture's count of `eventType` records and its loss. */
function traced(cmd: string[], capture: string, eventType: string): Omit<StormRun, 'base_ms' | 'expected'> {
  const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', capture, '--force', '--', ...selfTimed(cmd)], { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench file-storm: rg-capture -- ${cmd.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-300)}`);
  const traced_ms = elapsedMs(r.stdout, `rg-capture -- ${cmd.join(' ')}`);
  const stopped = parseStopped(r.stderr);
  // The command's own records (by its comm): rg-capture records the whole host, and the shared machine deletes files too.
  const own = spawnSync(process.execPath, [REPLAY_CLI, capture, '--json', '--no-context', '--kind', eventType, '--comm', cmd[0]], { timeout: TIMEOUT_MS, maxBuffer: 1 << 30 });
  if (own.status !== 0) throw new Error(`bench file-storm: rg-replay of the capture failed (${own.status ?? own.signal})`);
  let recorded = 0;
  for (const byte of own.stdout) if (byte === 10) recorded++;
  rmSync(capture, { force: true });
  return { traced_ms, recorded, lost_kernel: stopped.lost_kernel, lost_user: stopped.lost_user };
}

export function benchFileStorm(runs = Number(process.env.BENCH_RUNS ?? 3)): FileStorm {
  if (process.geteuid?.() !== 0) throw new Error('bench file-storm: needs root (rg-capture loads BPF programs)');
  const work = mkdtempSync(join(tmpdir(), 'rg-storm-'));
  const capture = join(work, 'storm.rgc');
  const rm: StormRun[] = [], chmod: StormRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // chmod -R changes every file and directory; a second chmod -R changes them back (mode differs, so each is a call).
      let tree = makeTree(work);
      const entries = FILES + FILES / PER_DIR + 1;
      const chmodBase = timed(['chmod', '-R', '700', tree]);
      chmod.push({ base_ms: chmodBase, expected: entries, ...traced(['chmod', '-R', '755', tree], capture, 'file_chmod') });
      const rmBase = timed(['rm', '-rf', tree]);
      tree = makeTree(work);
      rm.push({ base_ms: rmBase, expected: entries, ...traced(['rm', '-rf', tree], capture, 'file_delete') });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const lost = (rs: StormRun[]) => median(rs.map((r) => r.lost_kernel + r.lost_user + Math.abs(r.expected - r.recorded)));
  const slowdown = (rs: StormRun[]) => median(rs.map((r) => r.traced_ms / r.base_ms)) - 1;
  return { files: FILES, rm_rf: rm, chmod_r: chmod, rm_rf_lost: lost(rm), chmod_r_lost: lost(chmod), rm_rf_slowdown: slowdown(rm), chmod_r_slowdown: slowdown(chmod) };
}

/** The storm as a section of npm run bench (BENCH_ONLY=file-storm; BENCH_STORM_FILES to shrink it while developing). */
export const fileStormSection: Section = {
  id: 'file-storm',
  title: 'File-change storms under capture (default ring, 8 MiB)',
  columns: ['lost', 'recorded', 'command slowdown'],
  run(ctx) {
    if (!ctx.isRoot) throw new Error('needs root (rg-capture loads BPF programs)');
    const s = benchFileStorm(ctx.runs);
    const row = (what: string, rs: StormRun[], lost: number, slowdown: number) => ({
      what,
      cells: [String(lost), `${rs.map((r) => r.recorded).join(', ')} of ${rs[0]?.expected ?? 0}`, `${(slowdown * 100).toFixed(0)}%`],
      target: '0 lost', pass: lost === 0,
    });
    return {
      rows: [
        row(`rm -rf of ${s.files.toLocaleString('en-US')} files`, s.rm_rf, s.rm_rf_lost, s.rm_rf_slowdown),
        row(`chmod -R of ${s.files.toLocaleString('en-US')} files`, s.chmod_r, s.chmod_r_lost, s.chmod_r_slowdown),
      ],
      notes: ['lost: kernel and user-space drops plus records missing from the capture (median of the runs); slowdown: the command timed by itself, traced vs untraced'],
      data: s,
    };
  },
};
