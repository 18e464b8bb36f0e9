/**
 * Replay throughput and memory: rg-replay --json and --stats on a capture of
 * >= 1M events, side by side with `zstd -dc` on the same file.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { measureNode, median, timeCommand } from './measure.js';

const REPLAY = fileURLToPath(new URL('../src/replay/cli.js', import.meta.url));

export interface ReplayBenchResult {
  file: string; events: number; file_bytes: number;
  json_events_per_s: number; json_cpu_events_per_s: number; stats_events_per_s: number;
  zstd_ms: number; json_ms: number; json_vs_zstd: number;
  json_peak_rss_mb: number; stats_peak_rss_mb: number; ndjson_bytes: number; ndjson_ratio: number;
}

export function benchReplay(file: string, events: number, runs: number): ReplayBenchResult {
  const json: number[] = [], jsonCpu: number[] = [], stats: number[] = [], zstd: number[] = [], rssJson: number[] = [], rssStats: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so a noisy neighbour slows all three alike.
    zstd.push(timeCommand('zstd', ['-dc', '-q', file]));
    const j = measureNode(REPLAY, [file, '--json']);
    json.push(j.wall_ms); jsonCpu.push(j.cpu_ms); rssJson.push(j.max_rss_mb);
    const s = measureNode(REPLAY, [file, '--stats']);
    stats.push(s.wall_ms); rssStats.push(s.max_rss_mb);
  }
  const ndjsonPath = `${file}.ndjson`;
  measureNode(REPLAY, [file, '--json'], ndjsonPath);
  const ndjsonBytes = statSync(ndjsonPath).size;
  const fileBytes = statSync(file).size;
  return {
    file, events, file_bytes: fileBytes,
    json_events_per_s: events / (median(json) / 1000),
    json_cpu_events_per_s: events / (median(jsonCpu) / 1000),
    stats_events_per_s: events / (median(stats) / 1000),
    zstd_ms: median(zstd), json_ms: median(json), json_vs_zstd: median(json) / median(zstd),
    json_peak_rss_mb: Math.max(...rssJson), stats_peak_rss_mb: Math.max(...rssStats),
    ndjson_bytes: ndjsonBytes, ndjson_ratio: ndjsonBytes / fileBytes,
  };
}
