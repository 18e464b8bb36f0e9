/**
 * Replay memory: peak RSS of --json and --stats on the loop capture at ~1M
 * and at ~10M events. Flat means the 10x longer capture needs at most 25%
 * more. Whole processes, pinned; peak RSS is wait4's ru_maxrss, the maximum
 * over the runs.
 */
import { type CaptureInput } from './inputs.js';
import { median, type RunMeasure } from './measure.js';
import { replay } from './replay-bench.js';
import { type BenchContext, fmt, type Section, type SectionResult } from './section.js';

interface MemoryRuns { capture: string; events: number; json: RunMeasure[]; stats: RunMeasure[] }

export const memorySection: Section = {
  id: 'replay-memory',
  title: 'Replay: memory',
  columns: ['--json', '--stats'],
  run(ctx: BenchContext): SectionResult {
    const large = ctx.inputs.large;
    const small = ctx.inputs.captures.find((c) => c.id === 'loop') ?? ctx.inputs.captures[0];
    if (large === null) throw new Error(`no 10M-event capture: ${ctx.inputs.missing['large loop capture'] ?? 'not root'}`);
    const runs = Math.min(ctx.runs, 3);
    const measure = (c: CaptureInput): MemoryRuns => {
      const m: MemoryRuns = { capture: c.id, events: c.events, json: [], stats: [] };
      for (let i = 0; i < runs; i++) {
        ctx.log(`memory ${c.label}: round ${i + 1}/${runs}`);
        m.json.push(replay([c.path, '--json'], { pinCpu: ctx.pinCpu }));
        m.stats.push(replay([c.path, '--stats'], { pinCpu: ctx.pinCpu }));
      }
      return m;
    };
    const a = measure(small), b = measure(large);
    const peak = (rs: RunMeasure[]) => Math.max(...rs.map((r) => r.max_rss_mb));
    const rate = (m: MemoryRuns, rs: RunMeasure[]) => m.events / (median(rs.map((r) => r.wall_ms)) / 1000);
    const cell = (m: MemoryRuns, rs: RunMeasure[]) => `${fmt.mb(peak(rs))} (${fmt.M(rate(m, rs))} events/s)`;
    const flat = (pick: (m: MemoryRuns) => RunMeasure[]) => peak(pick(b)) < 150 && peak(pick(b)) <= peak(pick(a)) * 1.25;
    return {
      rows: [
        { what: `peak RSS, ${small.label} capture, ${fmt.M(small.events)} events`, cells: [cell(a, a.json), cell(a, a.stats)], target: '< 150 MB', pass: Math.max(peak(a.json), peak(a.stats)) < 150 },
        { what: `peak RSS, ${large.label} capture, ${fmt.M(large.events)} events`, cells: [cell(b, b.json), cell(b, b.stats)], target: '< 150 MB, at most +25% over 1M', pass: flat((m) => m.json) && flat((m) => m.stats) },
      ],
      notes: [`Maximum over ${runs} runs of each; whole processes pinned to CPU ${ctx.pinCpu}.`],
      data: { small: a, large: b },
    };
  },
};
