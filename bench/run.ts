/**
 * npm run bench: measures everything the performance issue asks for in one
 * run on this machine, side by side where it compares (the machine is shared
 * and noisy), median of BENCH_RUNS runs (default 5). Prints the machine and one
 * table; writes bench/results.json (every raw number) and bench/results.md
 * (the table for the README's Performance section).
 *
 * Generated inputs live in bench/work/ (gitignored) and are reused: the real
 * captures (recorded once with rg-capture, needs root) and the peer .scap.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchCaptureLifecycle, type CaptureLifecycle } from './capture-lifecycle.js';
import { benchCaptureOverhead, type CaptureOverhead } from './capture-overhead.js';
import { ensurePeerScap } from './peer-bench.js';
import { ensureRealCapture, type RealCapture } from './real-capture.js';
import { benchReplay, benchReplayMemory, type ReplayBenchResult, type ReplayMemoryResult } from './replay-bench.js';
import { ensureSyntheticCapture } from './synthetic-capture.js';
import { benchSigma, sigmaRow } from './sigma-bench.js';
import { benchMerge, mergeRows } from './merge-bench.js';
import { WORK } from './workloads.js';
import { benchExport, exportRows } from './export-bench.js';

const RESULTS_JSON = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const RESULTS_MD = fileURLToPath(new URL('../../bench/results.md', import.meta.url));
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);
const memoryRuns = Math.min(runs, 3);

const REAL_EVENTS = 1_000_000;
const LARGE_EVENTS = 10_000_000;
const PEER_EVENTS = 1_000_000;

const version = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }).stdout?.split('\n')[0].trim() || 'absent';
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, `
  + `Node ${process.version}, ${version('zstd', ['--version']).replace(/^\*+\s*/, '').replace(/,.*$/, '')}, ${version('/usr/bin/sysdig', ['--version'])}`;
const loadAtStart = loadavg()[0];
const started = Date.now();
process.stderr.write(`bench: ${machine}; load ${loadAtStart.toFixed(2)}; median of ${runs} runs\n`);

type Row = { what: string; measured: string; target: string; pass: boolean | null };
const rows: Row[] = [];
const skipped: Record<string, string> = {};
const timings: Record<string, number> = {};
const results: Record<string, unknown> = {};

/** Runs one section; a failure becomes a skip message and the table goes on. */
async function section<T>(name: string, f: () => T | Promise<T>): Promise<T | null> {
  const t0 = Date.now();
  process.stderr.write(`bench: ${name}...\n`);
  try {
    return await f();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    skipped[name] = message;
    process.stderr.write(`bench: ${name} SKIPPED: ${message}\n`);
    return null;
  } finally {
    timings[name] = (Date.now() - t0) / 1000;
  }
}

const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
const k = (x: number) => `${(x / 1e3).toFixed(0)}k`;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const mb = (x: number) => `${x.toFixed(0)} MB`;
const mib = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;

// Inputs: two real captures (or, without root, a synthetic one so replay still gets measured).
const isRoot = process.geteuid?.() === 0;
let real = await section('real capture (1M)', () => isRoot ? ensureRealCapture(`${WORK}real-1m.rgc`, REAL_EVENTS) : null);
let inputLabel = 'real capture';
if (real === null) {
  const path = `${WORK}synthetic-1m.rgc`;
  ensureSyntheticCapture(path, REAL_EVENTS);
  real = { path, events: REAL_EVENTS, bytes: 0, lost: 0, kinds: {}, recorded: false, record_s: null } satisfies RealCapture;
  inputLabel = `SYNTHETIC capture (${isRoot ? 'recording failed' : 'not root: cannot record'})`;
}
const large = isRoot ? await section('real capture (10M)', () => ensureRealCapture(`${WORK}real-10m.rgc`, LARGE_EVENTS)) : null;
const peer = await section('peer .scap', () => {
  const p = ensurePeerScap(`${WORK}peer-1m.scap`, PEER_EVENTS);
  if ('skipped' in p) throw new Error(p.skipped);
  return p;
});
results.inputs = { real, large, peer };

const replay = await section('replay (--json, --stats, zstd -dc, sysdig)', () => benchReplay(real, runs, peer, `${WORK}replay.ndjson`));
const memory = large === null ? null : await section('replay memory (10M)', () => benchReplayMemory(large, memoryRuns));
const lifecycle = await section('capture lifecycle (ready, sustained, CPU, stop)', () => benchCaptureLifecycle(runs));
const overhead = await section('capture overhead (openat, fork/exec)', () => benchCaptureOverhead(runs));
Object.assign(results, { replay, replay_memory: memory, capture_lifecycle: lifecycle, capture_overhead: overhead });
const sigma = await section('sigma (--sigma rules/sigma --alerts vs --json)', () => benchSigma(real!, runs));
results.sigma = sigma;

addReplayRows(replay, memory);
addCaptureRows(lifecycle, overhead);
if (sigma !== null) rows.push(sigmaRow(sigma));
// Export (issue 16): parquet vs --json on the same capture, and export memory at 10x.
const exported = await section('export --format parquet', () => benchExport(real!, Math.min(runs, 3), large));
results.export = exported;
if (exported !== null) rows.push(...exportRows(exported));

// Merged replay at fleet scale (issue 11): its own inputs and rows, see merge-bench.ts.
const merge = await section('merged replay (5 x 1M, 10 x 1M, 100 small)', () => benchMerge(memoryRuns));
results.merged_replay = merge;
if (merge !== null) rows.push(...mergeRows(merge));

function addReplayRows(r: ReplayBenchResult | null, mem: ReplayMemoryResult | null): void {
  const input = `${inputLabel}, ${M(real!.events)} events`;
  if (r === null) {
    rows.push({ what: 'replay', measured: `skipped: ${skipped['replay (--json, --stats, zstd -dc, sysdig)']}`, target: '', pass: null });
    return;
  }
  // Judged pinned to one CPU ("on one core"); the unpinned figure is shown beside it.
  const p = r.pinned;
  const free = `unpinned ${M(r.json_events_per_s)}/s (${M(r.json_cpu_events_per_s)}/s per CPU-second)`;
  rows.push({
    what: 'replay --json',
    measured: p !== null ? `${M(p.json_events_per_s)} events/s pinned to one CPU; ${free}; ${input}` : `${M(r.json_events_per_s)} events/s, not pinned (no taskset); ${input}`,
    target: '>= 1.5 M/s on one core', pass: p !== null ? p.json_events_per_s >= 1.5e6 : null,
  });
  rows.push({
    what: 'replay --json vs zstd -dc',
    measured: p !== null ? `${p.json_vs_zstd.toFixed(2)}x pinned (${p.json_ms.toFixed(0)} ms vs ${r.zstd_ms.toFixed(0)} ms); unpinned ${r.json_vs_zstd.toFixed(2)}x` : `${r.json_vs_zstd.toFixed(2)}x unpinned (${r.json_ms.toFixed(0)} ms vs ${r.zstd_ms.toFixed(0)} ms)`,
    target: '<= 5x', pass: (p?.json_vs_zstd ?? r.json_vs_zstd) <= 5,
  });
  rows.push({ what: 'replay --stats', measured: `${M(r.stats_events_per_s)} events/s`, target: '>= 4 M/s', pass: r.stats_events_per_s >= 4e6 });
  if (mem !== null) {
    const small = Math.max(r.json_peak_rss_mb, r.stats_peak_rss_mb);
    const big = Math.max(mem.json_peak_rss_mb, mem.stats_peak_rss_mb);
    rows.push({
      what: 'replay peak RSS',
      measured: `${M(r.events)} events: ${mb(r.json_peak_rss_mb)} --json, ${mb(r.stats_peak_rss_mb)} --stats; `
        + `${M(mem.events)} events: ${mb(mem.json_peak_rss_mb)} --json, ${mb(mem.stats_peak_rss_mb)} --stats`,
      target: '< 150 MB, flat',
      pass: big < 150 && big <= small * 1.25,
    });
  } else {
    rows.push({ what: 'replay peak RSS', measured: `${mb(r.json_peak_rss_mb)} --json, ${mb(r.stats_peak_rss_mb)} --stats (no 10x capture: ${skipped['real capture (10M)'] ?? 'not root'})`, target: '< 150 MB, flat', pass: null });
  }
  if (r.peer !== null) {
    rows.push({
      what: 'peer: sysdig -r -j',
      measured: `rg-replay --json ${M(r.json_events_per_s)}/s vs sysdig ${M(r.peer.sysdig_events_per_s)}/s (${M(r.peer.events)} events = output lines, sysdig prints a syscall's enter and exit apart; ${mib(r.peer.file_bytes)} .scap): ${r.peer.rg_vs_sysdig.toFixed(1)}x`,
      target: '>= 5x', pass: r.peer.rg_vs_sysdig >= 5,
    });
  } else {
    rows.push({ what: 'peer: sysdig -r -j', measured: `skipped: ${skipped['peer .scap'] ?? 'no peer file'}`, target: '>= 5x', pass: null });
  }
  rows.push({ what: 'NDJSON / capture size', measured: `${r.ndjson_ratio.toFixed(1)}x (${mib(r.ndjson_bytes)} / ${mib(r.file_bytes)})`, target: '>= 8x', pass: r.ndjson_ratio >= 8 });
}

function addCaptureRows(lc: CaptureLifecycle | null, oh: CaptureOverhead | null): void {
  if (lc !== null) {
    rows.push({
      what: 'capture sustained rate',
      measured: `${k(lc.sustained_events_per_s)} events/s, ${lc.lost} lost${lc.complete ? '' : ', SOME OPENS MISSING'} (openat loop, 2M opens)`,
      target: '>= 300k/s, 0 lost', pass: lc.sustained_events_per_s >= 300e3 && lc.lost === 0 && lc.complete,
    });
    rows.push({
      what: 'capture CPU per event',
      measured: `${lc.cpu_us_per_event.toFixed(2)} µs after ready (${lc.cpu_total_us_per_event.toFixed(2)} µs with ${lc.cpu_startup_ms.toFixed(0)} ms start-up)`,
      target: '<= 0.5 µs', pass: lc.cpu_us_per_event <= 0.5,
    });
  } else {
    rows.push({ what: 'capture', measured: `skipped: ${skipped['capture lifecycle (ready, sustained, CPU, stop)']}`, target: '', pass: null });
  }
  if (oh !== null) {
    rows.push({ what: 'overhead: openat loop', measured: `${pct(oh.openat_overhead)} (${oh.openat_ns_base.toFixed(0)} -> ${oh.openat_ns_traced.toFixed(0)} ns/open; by CPU ${pct(oh.openat_overhead_cpu)})`, target: '<= +30%', pass: oh.openat_overhead <= 0.3 });
    rows.push({ what: 'overhead: fork/exec loop', measured: `${pct(oh.forkexec_overhead)} (${oh.forkexec_us_base.toFixed(0)} -> ${oh.forkexec_us_traced.toFixed(0)} µs/exec; by CPU ${pct(oh.forkexec_overhead_cpu)})`, target: '<= +5%', pass: oh.forkexec_overhead <= 0.05 });
    // No target: the price of tracing every syscall exit, paid by syscalls that are not recorded.
    rows.push({ what: 'overhead: other syscalls (getppid loop)', measured: `${pct(oh.syscall_overhead)} (${oh.syscall_ns_base.toFixed(0)} -> ${oh.syscall_ns_traced.toFixed(0)} ns/call)`, target: 'none (shown)', pass: null });
  } else {
    rows.push({ what: 'overhead', measured: `skipped: ${skipped['capture overhead (openat, fork/exec)']}`, target: '', pass: null });
  }
  if (lc !== null) {
    rows.push({ what: 'start: time to ready', measured: `${lc.ready_ms.toFixed(0)} ms`, target: '<= 1 s', pass: lc.ready_ms <= 1000 });
    rows.push({ what: 'stop: SIGINT to exit', measured: `${lc.stop_ms.toFixed(0)} ms`, target: '<= 1 s', pass: lc.stop_ms <= 1000 });
  }
}

const verdict = (p: boolean | null) => (p === null ? 'skip' : p ? 'pass' : 'FAIL');
const table = ['| what | measured | target | result |', '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.what} | ${r.measured} | ${r.target} | ${verdict(r.pass)} |`)].join('\n');
const date = new Date().toISOString();
const header = `Machine: ${machine}; load average ${loadAtStart.toFixed(2)} at start (shared). `
  + `${date.slice(0, 10)}, median of ${runs} runs (peak RSS: the maximum), \`npm run bench\`.`;
process.stdout.write(`${header}\n\n${table}\n`);
for (const [name, why] of Object.entries(skipped)) process.stdout.write(`skipped ${name}: ${why}\n`);
writeFileSync(RESULTS_MD, `${header}\n\n${table}\n`);
writeFileSync(RESULTS_JSON, JSON.stringify({
  machine, date, runs, load_at_start: loadAtStart, load_at_end: loadavg()[0], duration_s: (Date.now() - started) / 1000,
  section_seconds: timings, skipped, rows, ...results,
}, null, 2) + '\n');
process.stderr.write(`bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results.json and bench/results.md\n`);
