/**
 * Sigma throughput: `rg-replay --sigma rules/sigma --alerts` (every SigmaHQ
 * Linux rule shipped, plus the built-in detections) against `--json` on the
 * same real capture, both pinned to one CPU and interleaved in every round,
 * so a noisy neighbour slows both alike; the ratio is the median of the
 * per-round ratios of events/s. Target: >= 0.5x.
 *
 * Run alone: `node dist/bench/sigma-bench.js [RUNS]` (records the 1M-event
 * capture first when missing; needs root for that).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, measureNode, PIN_CPU, type RunMeasure } from './measure.js';
import { REPLAY_CLI, WORK } from './workloads.js';

export const SIGMA_RULES = fileURLToPath(new URL('../../rules/sigma', import.meta.url));

export interface SigmaBenchResult {
  file: string;
  events: number;
  rules_loaded: number;
  rules_not_loaded: number;
  /** sigma-check on the rules alone: node start-up plus reading, parsing and compiling them. */
  load_ms: number;
  pinned_cpu: number | null;
  json_ms: number;
  sigma_ms: number;
  sigma_events_per_s: number;
  json_events_per_s: number;
  /** Median of per-round (sigma events/s) / (json events/s). */
  ratio: number;
  raw: { json: RunMeasure[]; sigma: RunMeasure[]; load: RunMeasure[] };
}

export function benchSigma(input: { path: string; events: number }, runs: number, rules = SIGMA_RULES): SigmaBenchResult {
  const json: RunMeasure[] = [];
  const sigma: RunMeasure[] = [];
  const load: RunMeasure[] = [];
  for (let i = 0; i < runs; i++) {
    json.push(measureNode(REPLAY_CLI, [input.path, '--json'], '/dev/null', undefined, PIN_CPU));
    sigma.push(measureNode(REPLAY_CLI, [input.path, '--sigma', rules, '--alerts'], '/dev/null', undefined, PIN_CPU));
    load.push(measureNode(REPLAY_CLI, ['sigma-check', rules], '/dev/null', undefined, PIN_CPU));
  }
  for (const r of [...json, ...sigma]) if (r.exit_code !== 0) throw new Error(`rg-replay exited ${r.exit_code} on ${input.path}`);
  const check = spawnSync(process.execPath, [REPLAY_CLI, 'sigma-check', rules, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const summary = (JSON.parse(check.stdout) as { summary: { loaded: number; notLoaded: number } }).summary;
  const jsonMs = median(json.map((r) => r.wall_ms));
  const sigmaMs = median(sigma.map((r) => r.wall_ms));
  return {
    file: input.path, events: input.events, rules_loaded: summary.loaded, rules_not_loaded: summary.notLoaded,
    load_ms: median(load.map((r) => r.wall_ms)), pinned_cpu: PIN_CPU,
    json_ms: jsonMs, sigma_ms: sigmaMs,
    json_events_per_s: input.events / (jsonMs / 1000), sigma_events_per_s: input.events / (sigmaMs / 1000),
    ratio: median(json.map((r, i) => r.wall_ms / sigma[i].wall_ms)),
    raw: { json, sigma, load },
  };
}

/** The results-table row. */
export function sigmaRow(r: SigmaBenchResult): { what: string; measured: string; target: string; pass: boolean | null } {
  const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  return {
    what: 'replay --sigma --alerts vs --json',
    measured: `${r.ratio.toFixed(2)}x (${M(r.sigma_events_per_s)} vs ${M(r.json_events_per_s)} events/s${r.pinned_cpu !== null ? ', pinned to one CPU' : ''}; `
      + `${r.rules_loaded} SigmaHQ Linux rules loaded, ${r.rules_not_loaded} not; sigma-check alone, start-up and loading them: ${r.load_ms.toFixed(0)} ms)`,
    target: '>= 0.5x', pass: r.ratio >= 0.5,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { ensureRealCapture } = await import('./real-capture.js');
  const runs = Math.max(1, Number(process.argv[2] ?? 5) || 5);
  const input = ensureRealCapture(`${WORK}real-1m.rgc`, 1_000_000);
  const r = benchSigma(input, runs);
  const row = sigmaRow(r);
  process.stdout.write(`${row.what}: ${row.measured} -> ${row.pass ? 'pass' : 'FAIL'}\n`);
  process.stdout.write(`json ms: ${r.raw.json.map((x) => x.wall_ms.toFixed(0)).join(' ')}; sigma ms: ${r.raw.sigma.map((x) => x.wall_ms.toFixed(0)).join(' ')}; load ms: ${r.raw.load.map((x) => x.wall_ms.toFixed(0)).join(' ')}\n`);
}
