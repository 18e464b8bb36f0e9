/**
 * `rg-replay export --format parquet` against `rg-replay --json` on the same
 * capture, interleaved in every round (the machine is shared and noisy; the
 * target is a ratio): events/s of each, their ratio (target >= 0.5x), and
 * peak RSS of the export at 1M and 10M events (target: flat).
 * Run alone: `npm run build && node dist/bench/export-bench.js [capture] [large capture]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureNode, median, type RunMeasure } from './measure.js';
import { REPLAY_CLI } from './workloads.js';

export interface ExportBenchResult {
  events: number;
  json_events_per_s: number;
  parquet_events_per_s: number;
  /** Median of the per-round ratios parquet/json. */
  ratio: number;
  parquet_peak_rss_mb: number;
  json_peak_rss_mb: number;
  large: null | { events: number; parquet_events_per_s: number; parquet_peak_rss_mb: number };
  raw: { json: RunMeasure[]; parquet: RunMeasure[]; large: RunMeasure[] };
}

function exportOnce(path: string): RunMeasure {
  const out = mkdtempSync(join(tmpdir(), 'rg-export-bench-'));
  try {
    const r = measureNode(REPLAY_CLI, ['export', path, '--format', 'parquet', '-o', join(out, 'lake')]);
    if (r.exit_code !== 0) throw new Error(`bench: export of ${path} exited with ${r.exit_code}`);
    return r;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function benchExport(input: { path: string; events: number }, runs: number, large: { path: string; events: number } | null): ExportBenchResult {
  const json: RunMeasure[] = [];
  const parquet: RunMeasure[] = [];
  for (let i = 0; i < runs; i++) {
    json.push(measureNode(REPLAY_CLI, [input.path, '--json']));
    parquet.push(exportOnce(input.path));
  }
  const largeRuns = large === null ? [] : [exportOnce(large.path)];
  const rate = (events: number, rs: RunMeasure[]) => events / (median(rs.map((r) => r.wall_ms)) / 1000);
  return {
    events: input.events,
    json_events_per_s: rate(input.events, json),
    parquet_events_per_s: rate(input.events, parquet),
    ratio: median(parquet.map((p, i) => json[i].wall_ms / p.wall_ms)),
    parquet_peak_rss_mb: Math.max(...parquet.map((r) => r.max_rss_mb)),
    json_peak_rss_mb: Math.max(...json.map((r) => r.max_rss_mb)),
    large: large === null ? null : { events: large.events, parquet_events_per_s: rate(large.events, largeRuns), parquet_peak_rss_mb: Math.max(...largeRuns.map((r) => r.max_rss_mb)) },
    raw: { json, parquet, large: largeRuns },
  };
}

/** The table rows bench/run.ts prints. */
export function exportRows(r: ExportBenchResult): { what: string; measured: string; target: string; pass: boolean | null }[] {
  const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  const rows = [{
    what: 'export --format parquet',
    measured: `${M(r.parquet_events_per_s)} events/s vs --json ${M(r.json_events_per_s)}/s: ${r.ratio.toFixed(2)}x (${M(r.events)} events)`,
    target: '>= 0.5x --json', pass: r.ratio >= 0.5 as boolean | null,
  }];
  if (r.large !== null) {
    rows.push({
      what: 'export peak RSS',
      measured: `${M(r.events)} events: ${r.parquet_peak_rss_mb.toFixed(0)} MB; ${M(r.large.events)} events: ${r.large.parquet_peak_rss_mb.toFixed(0)} MB (${M(r.large.parquet_events_per_s)} events/s)`,
      target: 'flat', pass: r.large.parquet_peak_rss_mb <= r.parquet_peak_rss_mb * 1.25,
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, largePath] = process.argv.slice(2);
  const events = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const r = benchExport({ path: path ?? 'bench/work/real-1m.rgc', events }, Number(process.env.BENCH_RUNS ?? 3), largePath ? { path: largePath, events: Number(process.env.BENCH_LARGE_EVENTS ?? 10_000_000) } : null);
  process.stdout.write(`${JSON.stringify({ ...r, raw: undefined }, null, 2)}\n`);
  for (const row of exportRows(r)) process.stdout.write(`| ${row.what} | ${row.measured} | ${row.target} | ${row.pass === null ? 'skip' : row.pass ? 'pass' : 'FAIL'} |\n`);
}
