/**
 * The replay headline, per capture: rg-replay --json against `zstd -dc` on the
 * same file (the floor: decompressing and nothing else) and `sysdig -r -j` on
 * a comparable .scap, plus --stats, output size and memory. Every tool is one
 * whole process timed from spawn to exit (measure.ts), pinned to the same CPU;
 * --json also runs unpinned and into a pipe, shown beside it. Each round runs
 * --json and zstd back to back (order swapped every other round); ratios are
 * medians of the per-round ratios.
 */
import { type CaptureInput } from './inputs.js';
import { backToBack, measureProcess, median, medianRatio, type RunMeasure } from './measure.js';
import { type BenchContext, fmt, type Row, type Section, type SectionResult } from './section.js';
import { REPLAY_LAUNCHER } from './workloads.js';

export interface ReplayCaptureResult {
  capture: string;
  events: number;
  file_bytes: number;
  json_ms: number;
  json_events_per_s: number;
  zstd_ms: number;
  /** median over rounds of json_ms / zstd_ms (both pinned) */
  json_vs_zstd: number;
  json_vs_zstd_rounds: number[];
  free_json_ms: number;
  free_json_events_per_s: number;
  free_json_cpu_events_per_s: number;
  pipe_json_events_per_s: number;
  stats_events_per_s: number;
  ndjson_bytes: number;
  ndjson_lines: number;
  json_peak_rss_mb: number;
  stats_peak_rss_mb: number;
  /** only for the judged capture, when sysdig and the peer file are there */
  peer: null | { file: string; lines: number; sysdig_ms: number; sysdig_events_per_s: number; rg_vs_sysdig: number; rounds: number[] };
  raw: { json: RunMeasure[]; zstd: RunMeasure[]; free_json: RunMeasure[]; pipe_json: RunMeasure[]; stats: RunMeasure[]; sysdig: RunMeasure[] };
}

/** rg-replay ARGS as one measured process, started as users start it: package.json's bin, the snapshot's launcher. */
export function replay(args: string[], o: Parameters<typeof measureProcess>[2] = {}): RunMeasure {
  return measureProcess(REPLAY_LAUNCHER, args, o);
}

export function benchReplayCapture(c: CaptureInput, ctx: BenchContext, peer: { path: string; lines: number } | null): ReplayCaptureResult {
  const pin = ctx.pinCpu;
  const free: RunMeasure[] = [], pipe: RunMeasure[] = [], stats: RunMeasure[] = [], sysdig: RunMeasure[] = [];
  const json: RunMeasure[] = [], zstd: RunMeasure[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    ctx.log(`replay ${c.id}: round ${i + 1}/${ctx.runs}`);
    const [j, z] = backToBack(i, () => replay([c.path, '--json'], { pinCpu: pin }), () => measureProcess('zstd', ['-dc', '-q', c.path], { pinCpu: pin }));
    json.push(j);
    zstd.push(z);
    if (peer !== null) sysdig.push(measureProcess('sysdig', ['-r', peer.path, '-j'], { pinCpu: pin }));
    free.push(replay([c.path, '--json']));
    pipe.push(replay([c.path, '--json'], { pinCpu: pin, stdout: 'pipe' }));
    stats.push(replay([c.path, '--stats'], { pinCpu: pin }));
  }
  const rate = (rs: RunMeasure[]) => c.events / (median(rs.map((r) => r.wall_ms)) / 1000);
  const jsonMs = median(json.map((r) => r.wall_ms));
  const ratioRounds = json.map((r, i) => r.wall_ms / zstd[i].wall_ms);
  let peerResult: ReplayCaptureResult['peer'] = null;
  if (peer !== null) {
    const rounds = json.map((r, i) => (c.events / r.wall_ms) / (peer.lines / sysdig[i].wall_ms));
    const sysdigMs = median(sysdig.map((r) => r.wall_ms));
    peerResult = { file: peer.path, lines: peer.lines, sysdig_ms: sysdigMs, sysdig_events_per_s: peer.lines / (sysdigMs / 1000), rg_vs_sysdig: median(rounds), rounds };
  }
  return {
    capture: c.id, events: c.events, file_bytes: c.bytes,
    json_ms: jsonMs, json_events_per_s: rate(json),
    zstd_ms: median(zstd.map((r) => r.wall_ms)),
    json_vs_zstd: medianRatio(json, zstd, (a, b) => a.wall_ms / b.wall_ms), json_vs_zstd_rounds: ratioRounds,
    free_json_ms: median(free.map((r) => r.wall_ms)), free_json_events_per_s: rate(free),
    free_json_cpu_events_per_s: c.events / (median(free.map((r) => r.cpu_ms)) / 1000),
    pipe_json_events_per_s: rate(pipe),
    stats_events_per_s: rate(stats),
    ndjson_bytes: pipe[0].out_bytes, ndjson_lines: pipe[0].out_lines,
    json_peak_rss_mb: Math.max(...[...json, ...free, ...pipe].map((r) => r.max_rss_mb)),
    stats_peak_rss_mb: Math.max(...stats.map((r) => r.max_rss_mb)),
    peer: peerResult,
    raw: { json, zstd, free_json: free, pipe_json: pipe, stats, sysdig },
  };
}

export const replaySection: Section = {
  id: 'replay',
  title: 'Replay: --json against zstd -dc and sysdig',
  run(ctx: BenchContext): SectionResult {
    const results = ctx.inputs.captures.map((c) => benchReplayCapture(c, ctx, c.judged ? ctx.inputs.peer : null));
    return { columns: captureColumns(ctx.inputs.captures), rows: replayRows(ctx.inputs.captures, results), notes: replayNotes(ctx, results), data: results };
  },
};

/** Column headers: one per capture, the judged one first. */
export function captureColumns(captures: CaptureInput[]): string[] {
  return captures.map((c) => `${c.label} capture (${fmt.M(c.events)} events${c.lost > 0 ? `, ${c.lost} lost` : ''})${c.judged ? ', judged' : ''}`);
}

function replayRows(captures: CaptureInput[], rs: ReplayCaptureResult[]): Row[] {
  const judged = rs[captures.findIndex((c) => c.judged)];
  const row = (what: string, cell: (r: ReplayCaptureResult) => string, target: string, pass: ((r: ReplayCaptureResult) => boolean) | null): Row =>
    ({ what, cells: rs.map(cell), target, pass: pass === null || judged === undefined ? null : pass(judged) });
  const rows: Row[] = [
    row('`--json`, pinned', (r) => `${fmt.M(r.json_events_per_s)} events/s (${fmt.ms(r.json_ms)})`, '>= 1.5 M/s on one CPU', (r) => r.json_events_per_s >= 1.5e6),
    row('`--json` / `zstd -dc` time, both pinned', (r) => `${fmt.x(r.json_vs_zstd)} (${fmt.ms(r.json_ms)} vs ${fmt.ms(r.zstd_ms)}); rounds ${fmt.list(r.json_vs_zstd_rounds)}`, '<= 5x', (r) => r.json_vs_zstd <= 5),
    row('`--json`, not pinned', (r) => `${fmt.M(r.free_json_events_per_s)} events/s; ${fmt.M(r.free_json_cpu_events_per_s)} per CPU-second`, '', null),
    row('`--json` into a pipe, pinned', (r) => `${fmt.M(r.pipe_json_events_per_s)} events/s`, '', null),
    row('`--stats`, pinned', (r) => `${fmt.M(r.stats_events_per_s)} events/s`, '>= 4 M/s', (r) => r.stats_events_per_s >= 4e6),
    row('NDJSON / capture size', (r) => `${(r.ndjson_bytes / r.file_bytes).toFixed(1)}x (${fmt.mib(r.ndjson_bytes)} / ${fmt.mib(r.file_bytes)})`, '>= 8x', (r) => r.ndjson_bytes / r.file_bytes >= 8),
    row('peak RSS', (r) => `${fmt.mb(r.json_peak_rss_mb)} --json, ${fmt.mb(r.stats_peak_rss_mb)} --stats`, '< 150 MB', (r) => Math.max(r.json_peak_rss_mb, r.stats_peak_rss_mb) < 150),
  ];
  if (judged?.peer) {
    const p = judged.peer;
    rows.push(row('`--json` / `sysdig -r -j` events/s, both pinned',
      (r) => (r.peer ? `${fmt.x(r.peer.rg_vs_sysdig)}: sysdig ${fmt.M(r.peer.sysdig_events_per_s)}/s on ${fmt.M(r.peer.lines)} output lines; rounds ${fmt.list(r.peer.rounds, 1)}` : '-'),
      '>= 5x', () => p.rg_vs_sysdig >= 5));
  }
  return rows;
}

function replayNotes(ctx: BenchContext, rs: ReplayCaptureResult[]): string[] {
  const notes = [
    `Every figure is a whole process, spawn to exit (start-up included), output to /dev/null unless it says pipe; pinned means alone on CPU ${ctx.pinCpu} (sched_setaffinity). Times and rates are medians of ${ctx.runs} rounds; ratios are the median of the per-round ratios (the two runs of a ratio are back to back in each round, their order swapped every other round).`,
    'events/s counts the events in the capture; a capture\'s lost events (in its column header) are events the recording never had, not events replay skipped.',
  ];
  if (rs.some((r) => r.peer)) notes.push('sysdig prints a syscall\'s enter and exit as two lines: its rate counts lines, so per syscall it is about half that.');
  return notes;
}
