/**
 * What rg-replay costs before it reads anything: whole processes, pinned,
 * beside `node -e 0` (the floor: Node itself starting and exiting).
 */
import { measureProcess, median, nodeCommand, type RunMeasure } from './measure.js';
import { type BenchContext, fmt, type Row, type Section, type SectionResult } from './section.js';
import { REPLAY_CLI, REPLAY_LAUNCHER } from './workloads.js';

interface StartupCase { id: string; what: string; command(ctx: BenchContext): [string, string[]] }

// rg-replay as users start it (package.json bin: the start-up snapshot's launcher), and the bundle without the snapshot beside it.
const CASES: StartupCase[] = [
  { id: 'node', what: '`node -e 0` (Node alone, the floor)', command: () => [process.execPath, ['-e', '0']] },
  { id: 'version', what: '`rg-replay --version`', command: () => [REPLAY_LAUNCHER, ['--version']] },
  { id: 'version-bundle', what: '`rg-replay --version`, the bundle without the snapshot', command: () => nodeCommand(REPLAY_CLI, ['--version']) },
  { id: 'tiny-json', what: '`rg-replay TINY --json`', command: (ctx) => [REPLAY_LAUNCHER, [ctx.inputs.tiny.path, '--json']] },
  { id: 'tiny-json-bundle', what: '`rg-replay TINY --json`, the bundle without the snapshot', command: (ctx) => nodeCommand(REPLAY_CLI, [ctx.inputs.tiny.path, '--json']) },
  { id: 'tiny-text', what: '`rg-replay TINY` (text)', command: (ctx) => [REPLAY_LAUNCHER, [ctx.inputs.tiny.path]] },
  { id: 'tiny-alerts', what: '`rg-replay TINY --alerts`', command: (ctx) => [REPLAY_LAUNCHER, [ctx.inputs.tiny.path, '--alerts']] },
];

/** Start-up is short and noisy: a few more runs than the long measurements. */
const MIN_RUNS = 9;

export const startupSection: Section = {
  id: 'replay-startup',
  title: 'Replay: start-up',
  columns: ['wall, median', 'CPU, median', 'peak RSS'],
  run(ctx: BenchContext): SectionResult {
    const runs = Math.max(ctx.runs, MIN_RUNS);
    const raw: Record<string, RunMeasure[]> = {};
    for (const c of CASES) raw[c.id] = [];
    // Interleaved: each round runs every case once.
    for (let i = 0; i < runs; i++) {
      for (const c of CASES) {
        const [cmd, args] = c.command(ctx);
        raw[c.id].push(measureProcess(cmd, args, { pinCpu: ctx.pinCpu }));
      }
    }
    const rows: Row[] = CASES.map((c) => ({
      what: c.what,
      cells: [fmt.ms(median(raw[c.id].map((r) => r.wall_ms))), fmt.ms(median(raw[c.id].map((r) => r.cpu_ms))), fmt.mb(Math.max(...raw[c.id].map((r) => r.max_rss_mb)))],
      target: '', pass: null,
    }));
    return {
      rows,
      notes: [`Whole processes pinned to CPU ${ctx.pinCpu}, median of ${runs} interleaved rounds. TINY is a real capture of ${ctx.inputs.tiny.events} events. Start-up is in every replay figure; these rows show how much of a small replay it is.`],
      data: raw,
    };
  },
};
