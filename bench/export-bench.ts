/**
 * `rg-replay export --format parquet` (by default with its writer thread;
 * `--threads 1` and `--threads 2` beside it) against `rg-replay --json` on the same
 * capture, interleaved in every round (the machine is shared and noisy; the
 * target is a ratio): events/s of each, their ratio (target >= 0.5x), the
 * same ratio and the export's peak RSS at 1M and 10M events of one kind of
 * capture (targets: >= 0.5x; memory flat), and the dataset's size beside
 * DuckDB's Parquet writer (zstd) given the same rows.
 * Run alone: `npm run build && node dist/bench/export-bench.js [capture] [large capture]`.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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
  /** `--threads 2` (opt-in) in the same rounds: events/s and the median of per-round ratios to --json. */
  threads2: { events_per_s: number; ratio: number; peak_rss_mb: number };
  /** `--threads 1` (one thread: no writer thread) in the same rounds, as threads2. */
  threads1?: { events_per_s: number; ratio: number; peak_rss_mb: number };
  parquet_peak_rss_mb: number;
  json_peak_rss_mb: number;
  /**
   * Two sizes of the same kind of capture (the loop capture at ~1M and at ~10M events), each export beside one
   * --json in every round: the export's peak RSS (the most of its rounds), events/s of both (medians) and the
   * median of per-round ratios. The judged capture's own RSS is parquet_peak_rss_mb.
   */
  large: null | {
    base_events: number; base_peak_rss_mb: number; events: number; parquet_events_per_s: number; parquet_peak_rss_mb: number;
    base_json_events_per_s?: number; base_parquet_events_per_s?: number; base_ratio?: number; json_events_per_s?: number; ratio?: number;
  };
  /** Bytes of our dataset, and of DuckDB's COPY ... (FORMAT parquet, COMPRESSION zstd) of the same rows per class (null: no DuckDB). */
  size: { ours_bytes: number; duckdb_bytes: number | null; duckdb_error: string | null };
  raw: {
    json: RunMeasure[]; parquet: RunMeasure[]; threads2: RunMeasure[]; threads1?: RunMeasure[]; large: RunMeasure[]; base: RunMeasure[];
    largeJson?: RunMeasure[]; baseJson?: RunMeasure[];
  };
}

function exportOnce(path: string, keep?: (dataset: string) => void, extra: string[] = []): RunMeasure {
  const out = mkdtempSync(join(tmpdir(), 'rg-export-bench-'));
  try {
    const r = measureNode(REPLAY_CLI, ['export', path, '--format', 'parquet', '-o', join(out, 'lake'), ...extra]);
    if (r.exit_code !== 0) throw new Error(`bench: export of ${path} exited with ${r.exit_code}`);
    keep?.(join(out, 'lake'));
    return r;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function parquetBytes(dir: string): number {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** DuckDB's Parquet writer (zstd) given our dataset's rows, class by class: the size a DuckDB-written dataset would have. */
async function duckdbBytes(dataset: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' });
  const conn = await db.connect();
  const out = mkdtempSync(join(tmpdir(), 'rg-export-bench-duck-'));
  try {
    const classes = new Set(readdirSync(dataset, { recursive: true }).map(String).flatMap((f) => /class_uid=(\d+)$/.exec(f)?.[1] ?? []));
    for (const c of classes) {
      await conn.run(`COPY (SELECT * FROM read_parquet('${dataset}/*/*/class_uid=${c}/*.parquet', hive_partitioning = false))
        TO '${join(out, `${c}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
    }
    return parquetBytes(out);
  } finally {
    conn.closeSync();
    db.closeSync();
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchExport(input: { path: string; events: number }, runs: number, large: { path: string; events: number } | null,
  base: { path: string; events: number } | null = null): Promise<ExportBenchResult> {
  const json: RunMeasure[] = [];
  const parquet: RunMeasure[] = [];
  const threads2: RunMeasure[] = [];
  const threads1: RunMeasure[] = [];
  for (let i = 0; i < runs; i++) {
    json.push(measureNode(REPLAY_CLI, [input.path, '--json']));
    parquet.push(exportOnce(input.path));
    threads2.push(exportOnce(input.path, undefined, ['--threads', '2']));
    threads1.push(exportOnce(input.path, undefined, ['--threads', '1']));
  }
  const memoryBase = base ?? input;
  // The two sizes, rounds as above (each export beside one --json): ratio and memory at 1M and 10M events.
  const baseRuns: RunMeasure[] = [];
  const baseJson: RunMeasure[] = [];
  const largeRuns: RunMeasure[] = [];
  const largeJson: RunMeasure[] = [];
  for (let i = 0; large !== null && i < runs; i++) {
    baseJson.push(measureNode(REPLAY_CLI, [memoryBase.path, '--json']));
    baseRuns.push(exportOnce(memoryBase.path));
    largeJson.push(measureNode(REPLAY_CLI, [large.path, '--json']));
    largeRuns.push(exportOnce(large.path));
  }
  // The size comparison, after the timed rounds: one more export whose dataset DuckDB rewrites.
  const size: ExportBenchResult['size'] = { ours_bytes: 0, duckdb_bytes: null, duckdb_error: null };
  const keepDir = mkdtempSync(join(tmpdir(), 'rg-export-bench-keep-'));
  try {
    const kept = join(keepDir, 'lake');
    exportOnce(input.path, (d) => cpSync(d, kept, { recursive: true }));
    size.ours_bytes = parquetBytes(kept);
    try {
      size.duckdb_bytes = await duckdbBytes(kept);
    } catch (e) {
      size.duckdb_error = e instanceof Error ? e.message : String(e);
    }
  } finally {
    rmSync(keepDir, { recursive: true, force: true });
  }
  const rate = (events: number, rs: RunMeasure[]) => events / (median(rs.map((r) => r.wall_ms)) / 1000);
  const ratioOf = (exports: RunMeasure[], jsons: RunMeasure[]) => median(exports.map((p, i) => jsons[i].wall_ms / p.wall_ms));
  return {
    events: input.events,
    json_events_per_s: rate(input.events, json),
    parquet_events_per_s: rate(input.events, parquet),
    ratio: median(parquet.map((p, i) => json[i].wall_ms / p.wall_ms)),
    threads2: {
      events_per_s: rate(input.events, threads2),
      ratio: median(threads2.map((p, i) => json[i].wall_ms / p.wall_ms)),
      peak_rss_mb: Math.max(...threads2.map((r) => r.max_rss_mb)),
    },
    threads1: {
      events_per_s: rate(input.events, threads1),
      ratio: median(threads1.map((p, i) => json[i].wall_ms / p.wall_ms)),
      peak_rss_mb: Math.max(...threads1.map((r) => r.max_rss_mb)),
    },
    parquet_peak_rss_mb: Math.max(...parquet.map((r) => r.max_rss_mb)),
    json_peak_rss_mb: Math.max(...json.map((r) => r.max_rss_mb)),
    large: large === null ? null : {
      base_events: memoryBase.events, base_peak_rss_mb: Math.max(...baseRuns.map((r) => r.max_rss_mb)),
      base_json_events_per_s: rate(memoryBase.events, baseJson), base_parquet_events_per_s: rate(memoryBase.events, baseRuns), base_ratio: ratioOf(baseRuns, baseJson),
      events: large.events, parquet_events_per_s: rate(large.events, largeRuns), parquet_peak_rss_mb: Math.max(...largeRuns.map((r) => r.max_rss_mb)),
      json_events_per_s: rate(large.events, largeJson), ratio: ratioOf(largeRuns, largeJson),
    },
    size,
    raw: { json, parquet, threads2, threads1, large: largeRuns, base: baseRuns, largeJson, baseJson },
  };
}

/**
 * The per-round ratios the judged one is the median of (each export beside one --json): at a
 * ratio near its target, the spread says how far one run can be trusted (and the median has three
 * decimals: 0.498 is not 0.5).
 */
function perRound(r: ExportBenchResult): string {
  return perRoundOf(r.raw?.parquet ?? [], r.raw?.json ?? []);
}

function perRoundOf(parquet: readonly RunMeasure[], json: readonly RunMeasure[]): string {
  if (json.length < 2 || json.length !== parquet.length) return '';
  return `per round ${parquet.map((p, i) => (json[i].wall_ms / p.wall_ms).toFixed(2)).join(', ')}: median `;
}

/** The table rows bench/run.ts prints. */
export function exportRows(r: ExportBenchResult): { what: string; measured: string; target: string; pass: boolean | null }[] {
  const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  const rows = [{
    what: 'export --format parquet',
    measured: `${M(r.parquet_events_per_s)} events/s vs --json ${M(r.json_events_per_s)}/s (medians); ${perRound(r)}${r.ratio.toFixed(3)}x (${M(r.events)} events); peak RSS ${r.parquet_peak_rss_mb.toFixed(0)} MB`,
    target: '>= 0.5x --json', pass: r.ratio >= 0.5 as boolean | null,
  }];
  if (r.threads1 !== undefined) {
    rows.push({
      what: 'export --format parquet --threads 1 (no writer thread)',
      measured: `${M(r.threads1.events_per_s)} events/s: ${r.threads1.ratio.toFixed(2)}x --json (same rounds); peak RSS ${r.threads1.peak_rss_mb.toFixed(0)} MB`,
      target: '', pass: null,
    });
  }
  if (r.threads2 !== undefined) {
    rows.push({
      what: 'export --format parquet --threads 2 (opt-in)',
      measured: `${M(r.threads2.events_per_s)} events/s: ${r.threads2.ratio.toFixed(2)}x --json (same rounds); peak RSS ${r.threads2.peak_rss_mb.toFixed(0)} MB`,
      target: '', pass: null,
    });
  }
  const l = r.large;
  if (l !== null && l.base_ratio !== undefined && l.ratio !== undefined && l.base_parquet_events_per_s !== undefined && l.base_json_events_per_s !== undefined
    && l.json_events_per_s !== undefined) {
    rows.push({
      what: 'export --format parquet at 1M and 10M events (loop capture)',
      measured: `${M(l.base_events)} events: ${M(l.base_parquet_events_per_s)} events/s vs --json ${M(l.base_json_events_per_s)}/s; `
        + `${perRoundOf(r.raw?.base ?? [], r.raw?.baseJson ?? [])}${l.base_ratio.toFixed(3)}x. ${M(l.events)} events: ${M(l.parquet_events_per_s)} events/s vs `
        + `--json ${M(l.json_events_per_s)}/s; ${perRoundOf(r.raw?.large ?? [], r.raw?.largeJson ?? [])}${l.ratio.toFixed(3)}x`,
      target: '>= 0.5x --json', pass: l.base_ratio >= 0.5 && l.ratio >= 0.5,
    });
  }
  if (r.large !== null) {
    rows.push({
      what: 'export peak RSS',
      measured: `${M(r.large.base_events)} events: ${r.large.base_peak_rss_mb.toFixed(0)} MB; ${M(r.large.events)} events: ${r.large.parquet_peak_rss_mb.toFixed(0)} MB `
        + `(${M(r.large.parquet_events_per_s)} events/s); judged capture: ${r.parquet_peak_rss_mb.toFixed(0)} MB`,
      target: 'flat', pass: r.large.parquet_peak_rss_mb <= r.large.base_peak_rss_mb * 1.25,
    });
  }
  const MB = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  rows.push({
    what: 'export dataset size',
    measured: r.size.duckdb_bytes === null
      ? `${MB(r.size.ours_bytes)} (DuckDB's writer not measured: ${r.size.duckdb_error ?? 'not installed'})`
      : `${MB(r.size.ours_bytes)}; DuckDB's writer (zstd), same rows: ${MB(r.size.duckdb_bytes)} (${(r.size.ours_bytes / r.size.duckdb_bytes).toFixed(2)}x)`,
    target: '', pass: null,
  });
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, largePath] = process.argv.slice(2);
  const events = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const r = await benchExport({ path: path ?? 'bench/work/real-1m.rgc', events }, Number(process.env.BENCH_RUNS ?? 3), largePath ? { path: largePath, events: Number(process.env.BENCH_LARGE_EVENTS ?? 10_000_000) } : null);
  process.stdout.write(`${JSON.stringify({ ...r, raw: undefined }, null, 2)}\n`);
  for (const row of exportRows(r)) process.stdout.write(`| ${row.what} | ${row.measured} | ${row.target} | ${row.pass === null ? 'skip' : row.pass ? 'pass' : 'FAIL'} |\n`);
}
