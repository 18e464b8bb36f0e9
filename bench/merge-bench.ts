/**
 * Merged replay at fleet scale (issue 11): rg-replay --json over many
 * captures at once, against one capture alone, in the same rounds.
 *   - 5 captures of 1M events merged: peak RSS < 150 MB;
 *   - 10 captures of 1M events merged: >= 0.8x the events/s of one capture, peak RSS < 200 MB;
 *   - 100 small captures (10k events each) merged: peak RSS < 250 MB.
 * The captures are synthetic hosts (bench/work/merge/, built once): each its
 * own boot id and clock, all covering the same second, so every input is in
 * the merge window (and open) at once. A host's events come in bursts, as a
 * process's do (64 events 300 ns apart, a burst every 64 µs), and the hosts'
 * bursts overlap, so the merge interleaves them in runs of a few dozen
 * records. Shown besides, not judged: the worst case, 10 hosts whose records
 * alternate one by one (every turn a single record). Runs are pinned to one
 * CPU like the replay benchmark (PIN_CPU), output to /dev/null.
 *
 * Runs on its own too: `node dist/bench/merge-bench.js [rounds]`.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PID_OFFSET, TID_OFFSET, TS_NS_OFFSET } from '../src/abi/header-access.js';
import { describeSchema } from '../src/abi/manifest-schema.js';
import { FORMAT_VERSION } from '../src/rgc/format.js';
import { RgcWriter } from '../src/rgc/writer.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord, type Identity } from '../test/support/records.js';
import { measureNode, median, PIN_CPU, type RunMeasure } from './measure.js';

const WORK = fileURLToPath(new URL('../../bench/work/merge/', import.meta.url));
const REPLAY = fileURLToPath(new URL('../bin/rg-replay.mjs', import.meta.url));
const BIG = 1_000_000;
const SMALL = 10_000;

export interface MergeBenchResult {
  /** One capture of 1M events alone: the rate merged replay is judged against. */
  single: { events: number; wall_ms: number; events_per_s: number; peak_rss_mb: number };
  five: { events: number; wall_ms: number; events_per_s: number; peak_rss_mb: number };
  /** vs_single: by wall-clock time (judged); vs_single_cpu: by CPU time, steadier on a shared machine. */
  ten: { events: number; wall_ms: number; events_per_s: number; peak_rss_mb: number; vs_single: number; vs_single_cpu: number };
  hundred_small: { files: number; events: number; wall_ms: number; events_per_s: number; peak_rss_mb: number };
  /** The worst case, measured in the first round only: 10 hosts alternating record by record, against one of them alone. */
  alternating: { events: number; wall_ms: number; events_per_s: number; peak_rss_mb: number; vs_single: number; vs_single_cpu: number };
  pinned_cpu: number | null;
  raw: Record<'single' | 'five' | 'ten' | 'hundred_small' | 'alternating' | 'alternating_single', RunMeasure[]>;
}

/** Measures the three targets over `rounds` interleaved rounds (medians; peak RSS: the maximum). */
export function benchMerge(rounds: number): MergeBenchResult {
  const big = Array.from({ length: 10 }, (_, i) => ensureHostCapture(join(WORK, `bursts-${i}-1m.rgc`), i, BIG, 'bursts'));
  const small = Array.from({ length: 100 }, (_, i) => ensureHostCapture(join(WORK, `bursts-small-${String(i).padStart(3, '0')}.rgc`), i, SMALL, 'bursts'));
  const alternating = Array.from({ length: 10 }, (_, i) => ensureHostCapture(join(WORK, `alternating-${i}-1m.rgc`), i, BIG, 'alternating'));
  const raw: MergeBenchResult['raw'] = { single: [], five: [], ten: [], hundred_small: [], alternating: [], alternating_single: [] };
  for (let r = 0; r < rounds; r++) {
    raw.single.push(replay(big.slice(0, 1)));
    raw.ten.push(replay(big));
    raw.five.push(replay(big.slice(0, 5)));
    raw.hundred_small.push(replay(small));
    if (r === 0) {
      raw.alternating_single.push(replay(alternating.slice(0, 1)));
      raw.alternating.push(replay(alternating));
    }
  }
  const summary = (runs: RunMeasure[], events: number) => {
    const wall = median(runs.map((m) => m.wall_ms));
    return { events, wall_ms: wall, events_per_s: events / (wall / 1000), peak_rss_mb: Math.max(...runs.map((m) => m.max_rss_mb)) };
  };
  const single = summary(raw.single, BIG);
  // The ratio of each round, then the median: a noisy neighbour slows a round's runs alike.
  const vsSingle = median(raw.ten.map((m, i) => (10 * BIG / m.wall_ms) / (BIG / raw.single[i].wall_ms)));
  const vsSingleCpu = median(raw.ten.map((m, i) => (10 * BIG / m.cpu_ms) / (BIG / raw.single[i].cpu_ms)));
  const alternatingVs = (10 * BIG / raw.alternating[0].wall_ms) / (BIG / raw.alternating_single[0].wall_ms);
  const alternatingVsCpu = (10 * BIG / raw.alternating[0].cpu_ms) / (BIG / raw.alternating_single[0].cpu_ms);
  return {
    single, five: summary(raw.five, 5 * BIG), ten: { ...summary(raw.ten, 10 * BIG), vs_single: vsSingle, vs_single_cpu: vsSingleCpu },
    hundred_small: { files: small.length, ...summary(raw.hundred_small, 100 * SMALL) },
    alternating: { ...summary(raw.alternating, 10 * BIG), vs_single: alternatingVs, vs_single_cpu: alternatingVsCpu }, pinned_cpu: PIN_CPU, raw,
  };
}

/** Table rows for bench/run.ts. */
export function mergeRows(m: MergeBenchResult): { what: string; measured: string; target: string; pass: boolean | null }[] {
  const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  const pinned = m.pinned_cpu === null ? 'not pinned' : 'pinned to one CPU';
  return [
    { what: 'merged replay: 5 x 1M', measured: `peak RSS ${m.five.peak_rss_mb.toFixed(0)} MB (--json, ${M(m.five.events_per_s)} events/s)`, target: '< 150 MB', pass: m.five.peak_rss_mb < 150 },
    {
      what: 'merged replay: 10 x 1M',
      measured: `${m.ten.vs_single.toFixed(2)}x one capture's rate (${M(m.ten.events_per_s)} vs ${M(m.single.events_per_s)} events/s, ${pinned}; by CPU time ${m.ten.vs_single_cpu.toFixed(2)}x); peak RSS ${m.ten.peak_rss_mb.toFixed(0)} MB`,
      target: '>= 0.8x, < 200 MB', pass: m.ten.vs_single >= 0.8 && m.ten.peak_rss_mb < 200,
    },
    { what: 'merged replay: 100 small', measured: `peak RSS ${m.hundred_small.peak_rss_mb.toFixed(0)} MB (100 x 10k events, ${M(m.hundred_small.events_per_s)} events/s)`, target: '< 250 MB', pass: m.hundred_small.peak_rss_mb < 250 },
    {
      what: 'merged replay: 10 x 1M alternating (worst case)',
      measured: `${m.alternating.vs_single.toFixed(2)}x one capture's rate (by CPU time ${m.alternating.vs_single_cpu.toFixed(2)}x; every turn one record; one round); peak RSS ${m.alternating.peak_rss_mb.toFixed(0)} MB`,
      target: 'none (shown)', pass: null,
    },
  ];
}

function replay(paths: string[]): RunMeasure {
  const r = measureNode(REPLAY, [...paths, '--json'], undefined, undefined, PIN_CPU);
  if (r.exit_code !== 0) throw new Error(`bench: rg-replay of ${paths.length} captures exited with ${r.exit_code}`);
  return r;
}

/**
 * A synthetic host's capture (built once): a busy host's mix, mostly opens,
 * with its own boot id, capture id and clock. Records are made from a few
 * templates per kind with the time, pid and tid patched in: building each
 * from the ABI took ~15 s per million.
 */
function ensureHostCapture(path: string, host: number, events: number, pattern: 'bursts' | 'alternating'): string {
  if (existsSync(path) && statSync(path).size > 0) return path;
  mkdirSync(WORK, { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const writer = new RgcWriter({ write: (b) => { writeSync(fd, b); } }, {
    format: 'rgc', format_version: FORMAT_VERSION, tool: { name: 'rand-guard', version: 'merge-bench' }, byte_order: 'little',
    schema: describeSchema(), host: { hostname: `bench-host-${host}`, kernel_release: 'synthetic', machine: 'x86_64', boot_id: `merge-bench-${host}` },
    // Each host's clock pair differs (its monotonic time starts elsewhere), but their records cover the same wall-clock second.
    clock: { source: 'CLOCK_MONOTONIC', realtime_ns: 1767323045_000000000n, monotonic_ns: 1000_000000000n + BigInt(host) * 7_919_000_000n },
    capture: { synthetic: true }, bpf_object_sha256: null, segment: { capture_id: `merge-bench-${host}`, index: 0, previous_sha256: null },
  });
  const id: Identity = { ts: 0n, pid: 1, ppid: 1, uid: 1000, gid: 1000, auid: 1000, comm: 'cc1' };
  const templates = [
    ...['/etc/ld.so.cache', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/proc/self/status', '/home/alice/.bashrc', '/tmp/build/obj/file.o']
      .flatMap((p) => [openRecord(id, p, 0o2000000, 3), openRecord(id, `${p}.new`, 0o1101, 4), openRecord(id, `${p}.x`, 0, -2)]),
    execRecord(id, '/usr/bin/cc1', ['cc1', '-quiet', '-O2', 'src/file.c', '-o', '/tmp/cc.s'], 4242n),
    forkRecord(id, 2), exitRecord(id, 0n, 0), connectRecord(id, 2, [10, 0, 0, host], 443, 0),
  ];
  // Both patterns average one event per microsecond per host over the same second.
  const start = 1000_000000000n + BigInt(host) * 7_919_000_000n;
  let ts = start;
  for (let i = 0; i < events; i++) {
    if (pattern === 'alternating') ts = start + BigInt(i * 997 + host * 131);
    else ts = start + BigInt(Math.floor(i / 64) * 64_000 + host * 6_400 + (i % 64) * 300);
    const t = templates[i % 20 < 16 ? i % 15 : 15 + (i % 20) - 16];
    const pid = 1000 + ((pattern === 'alternating' ? i : i >> 6) % 500);
    const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
    view.setBigUint64(TS_NS_OFFSET, ts, true);
    view.setUint32(PID_OFFSET, pid, true);
    view.setUint32(TID_OFFSET, pid, true);
    writer.append(t, 0, t.length);
  }
  writer.end('synthetic', [0, 0], 0, ts);
  closeSync(fd);
  renameSync(tmp, path);
  return path;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = Math.max(1, Number(process.argv[2] ?? 3) || 3);
  const result = benchMerge(rounds);
  for (const row of mergeRows(result)) process.stdout.write(`| ${row.what} | ${row.measured} | ${row.target} | ${row.pass === null ? 'skip' : row.pass ? 'pass' : 'FAIL'} |\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
