/**
 * Replay throughput and memory on a REAL capture of >= 1M events:
 * rg-replay --json and --stats, side by side with `zstd -dc` on the same file
 * and, when available, `sysdig -r PEER.scap -j` on a comparable .scap. All of
 * them run interleaved in every round, so a noisy neighbour slows them alike;
 * ratios are medians of the per-round ratios. Output goes to /dev/null.
 * --json runs twice a round: as is, and pinned to one CPU (the target is
 * "on one core"; unpinned, V8 compiles and collects on a second one).
 */
import { rmSync, statSync } from 'node:fs';
import { median, measureNode, PIN_CPU, type RunMeasure, timeCommand } from './measure.js';
import { REPLAY_CLI } from './workloads.js';

export interface ReplayInput { path: string; events: number }
export interface PeerScap { path: string; lines: number }

export interface ReplayBenchResult {
  file: string; events: number; file_bytes: number;
  json_ms: number; json_cpu_ms: number; json_events_per_s: number; json_cpu_events_per_s: number;
  zstd_ms: number; json_vs_zstd: number;
  /** --json pinned to one CPU (null without taskset): the rate and its ratio to zstd -dc (single-threaded). */
  pinned: null | { cpu: number; json_ms: number; json_events_per_s: number; json_vs_zstd: number };
  stats_ms: number; stats_events_per_s: number; stats_cpu_events_per_s: number;
  json_peak_rss_mb: number; stats_peak_rss_mb: number;
  ndjson_bytes: number; ndjson_ratio: number;
  peer: null | { file: string; file_bytes: number; events: number; sysdig_ms: number; sysdig_events_per_s: number; rg_vs_sysdig: number };
  raw: { zstd_ms: number[]; json: RunMeasure[]; json_pinned: RunMeasure[]; stats: RunMeasure[]; sysdig_ms: number[] };
}

export function benchReplay(input: ReplayInput, runs: number, peer: PeerScap | null, ndjsonPath: string): ReplayBenchResult {
  const { path, events } = input;
  const zstd: number[] = [], json: RunMeasure[] = [], jsonPinned: RunMeasure[] = [], stats: RunMeasure[] = [], sysdig: number[] = [];
  for (let i = 0; i < runs; i++) {
    zstd.push(timeCommand('zstd', ['-dc', '-q', path]));
    json.push(replay(path, '--json'));
    if (PIN_CPU !== null) jsonPinned.push(replay(path, '--json', undefined, PIN_CPU));
    stats.push(replay(path, '--stats'));
    if (peer !== null) sysdig.push(timeCommand('sysdig', ['-r', peer.path, '-j']));
  }
  const ndjsonBytes = ndjsonSize(path, ndjsonPath);
  const fileBytes = statSync(path).size;
  const jsonMs = median(json.map((r) => r.wall_ms));
  const jsonRate = events / (jsonMs / 1000);
  let peerResult: ReplayBenchResult['peer'] = null;
  if (peer !== null) {
    const sysdigMs = median(sysdig);
    peerResult = {
      file: peer.path, file_bytes: statSync(peer.path).size, events: peer.lines,
      sysdig_ms: sysdigMs, sysdig_events_per_s: peer.lines / (sysdigMs / 1000),
      rg_vs_sysdig: median(json.map((r, i) => (events / r.wall_ms) / (peer.lines / sysdig[i]))),
    };
  }
  return {
    file: path, events, file_bytes: fileBytes,
    json_ms: jsonMs, json_cpu_ms: median(json.map((r) => r.cpu_ms)),
    json_events_per_s: jsonRate, json_cpu_events_per_s: events / (median(json.map((r) => r.cpu_ms)) / 1000),
    zstd_ms: median(zstd), json_vs_zstd: median(json.map((r, i) => r.wall_ms / zstd[i])),
    pinned: PIN_CPU === null ? null : {
      cpu: PIN_CPU,
      json_ms: median(jsonPinned.map((r) => r.wall_ms)),
      json_events_per_s: events / (median(jsonPinned.map((r) => r.wall_ms)) / 1000),
      json_vs_zstd: median(jsonPinned.map((r, i) => r.wall_ms / zstd[i])),
    },
    stats_ms: median(stats.map((r) => r.wall_ms)),
    stats_events_per_s: events / (median(stats.map((r) => r.wall_ms)) / 1000),
    stats_cpu_events_per_s: events / (median(stats.map((r) => r.cpu_ms)) / 1000),
    json_peak_rss_mb: Math.max(...json.map((r) => r.max_rss_mb)), stats_peak_rss_mb: Math.max(...stats.map((r) => r.max_rss_mb)),
    ndjson_bytes: ndjsonBytes, ndjson_ratio: ndjsonBytes / fileBytes,
    peer: peerResult,
    raw: { zstd_ms: zstd, json, json_pinned: jsonPinned, stats, sysdig_ms: sysdig },
  };
}

export interface ReplayMemoryResult {
  file: string; events: number; file_bytes: number;
  json_peak_rss_mb: number; stats_peak_rss_mb: number; json_events_per_s: number; stats_events_per_s: number;
  raw: { json: RunMeasure[]; stats: RunMeasure[] };
}

/** Peak RSS (and, for the record, throughput) of --json and --stats on a larger capture. */
export function benchReplayMemory(input: ReplayInput, runs: number): ReplayMemoryResult {
  const json: RunMeasure[] = [], stats: RunMeasure[] = [];
  for (let i = 0; i < runs; i++) {
    json.push(replay(input.path, '--json'));
    stats.push(replay(input.path, '--stats'));
  }
  return {
    file: input.path, events: input.events, file_bytes: statSync(input.path).size,
    json_peak_rss_mb: Math.max(...json.map((r) => r.max_rss_mb)), stats_peak_rss_mb: Math.max(...stats.map((r) => r.max_rss_mb)),
    json_events_per_s: input.events / (median(json.map((r) => r.wall_ms)) / 1000),
    stats_events_per_s: input.events / (median(stats.map((r) => r.wall_ms)) / 1000),
    raw: { json, stats },
  };
}

function replay(path: string, mode: '--json' | '--stats', stdoutPath?: string, pinCpu: number | null = null): RunMeasure {
  const r = measureNode(REPLAY_CLI, [path, mode], stdoutPath, undefined, pinCpu);
  if (r.exit_code !== 0 && r.exit_code !== undefined) throw new Error(`bench: rg-replay ${path} ${mode} exited with ${r.exit_code}`);
  return r;
}

/** Bytes of the NDJSON the capture replays to (written to a scratch file, then removed). */
function ndjsonSize(path: string, ndjsonPath: string): number {
  try {
    replay(path, '--json', ndjsonPath);
    return statSync(ndjsonPath).size;
  } finally {
    rmSync(ndjsonPath, { force: true });
  }
}
