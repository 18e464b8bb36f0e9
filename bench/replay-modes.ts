/**
 * Every replay mode at the speed of --json: each mode runs as a whole process,
 * pinned, output to /dev/null (or a raw pty where colour needs a terminal,
 * for both runs of the round),
 * back to back with a --json run on the same capture in every round; its
 * ratio is the median over rounds of json_ms / mode_ms (1.00x: as fast as
 * --json). To add a mode, add an entry to MODES.
 */
import { spawnSync } from 'node:child_process';
import { type CaptureInput } from './inputs.js';
import { backToBack, median, nodeCommand, type RunMeasure } from './measure.js';
import { replay } from './replay-bench.js';
import { type BenchContext, fmt, type Row, type Section, type SectionResult } from './section.js';
import { REPLAY_CLI } from './workloads.js';

/** What a mode's arguments may depend on, found once per capture. */
export interface CaptureFacts {
  capture: CaptureInput;
  rules20: string;
  /** event types present in the capture (so a --kind list can keep every event) */
  eventTypes: string[];
  /** the workload's root process, for --pid P --tree (null if not found) */
  rootPid: number | null;
  /** the comm with the most events, for --comm */
  busyComm: string;
}

export interface ReplayMode {
  id: string;
  /** the row's first column */
  what: string;
  /** rg-replay's arguments for this capture (null: does not apply) */
  args(f: CaptureFacts): string[] | null;
  /** a terminal: colour is on only when stdout is a TTY */
  pty?: boolean;
  /** judged on the ratio to --json: at least `min` (null: shown only) */
  target: { min: number; text: string } | null;
  /** count the lines it prints (one extra, untimed-for-the-table run per capture) */
  countLines?: boolean;
  /** exit codes that are its verdict, not a failure */
  okExitCodes?: readonly number[];
}

const TEXT = { min: 0.8, text: '>= 0.8x --json' };
const DETECT = { min: 0.6, text: '>= 0.6x --json' };
const RULES = { min: 0.5, text: '>= 0.5x --json' };
/** a filter that keeps every event may cost at most 10%: json_ms / mode_ms >= 1 / 1.1 */
const FILTER = { min: 1 / 1.1, text: 'cost <= 10% (>= 0.91x)' };

export const MODES: ReplayMode[] = [
  { id: 'text', what: 'text (default)', args: (f) => [f.capture.path], target: TEXT },
  { id: 'text-no-context', what: 'text `--no-context`', args: (f) => [f.capture.path, '--no-context'], target: TEXT },
  { id: 'text-color-pty', what: 'text, colour on (to a pty)', args: (f) => [f.capture.path], pty: true, target: TEXT },
  { id: 'text-no-color-pty', what: 'text `--no-color` (to a pty)', args: (f) => [f.capture.path, '--no-color'], pty: true, target: TEXT },
  { id: 'alerts', what: '`--alerts`', args: (f) => [f.capture.path, '--alerts'], target: DETECT, countLines: true },
  { id: 'detect', what: '`--detect` (text)', args: (f) => [f.capture.path, '--detect'], target: DETECT },
  { id: 'detect-json', what: '`--detect --json`', args: (f) => [f.capture.path, '--detect', '--json'], target: DETECT },
  { id: 'rules-20', what: '`--rules` (20 rules) `--alerts`', args: (f) => [f.capture.path, '--rules', f.rules20, '--alerts'], target: RULES, countLines: true },
  { id: 'tree', what: '`tree`', args: (f) => ['tree', f.capture.path], target: null },
  // Exit 8: a capture written before some of this build's flags (the bench's own, recorded by an older build) is DIFFERENT.
  { id: 'audit', what: '`audit`', args: (f) => ['audit', f.capture.path], target: null, okExitCodes: [8] },
  { id: 'verify', what: '`verify`', args: (f) => ['verify', f.capture.path], target: null },
  { id: 'stats', what: '`--stats`', args: (f) => [f.capture.path, '--stats'], target: null },
  { id: 'filter-kind-all', what: 'filter `--kind` (every type present: keeps all)', args: (f) => [f.capture.path, '--json', '--kind', f.eventTypes.join(',')], target: FILTER, countLines: true },
  { id: 'filter-uid', what: 'filter `--uid 0`', args: (f) => [f.capture.path, '--json', '--uid', '0'], target: FILTER, countLines: true },
  { id: 'filter-time', what: 'filter `--since 0s --until 24h` (keeps all)', args: (f) => [f.capture.path, '--json', '--since', '0s', '--until', '24h'], target: FILTER, countLines: true },
  { id: 'filter-pid-tree', what: 'filter `--pid ROOT --tree` (the workload\'s tree)', args: (f) => (f.rootPid === null ? null : [f.capture.path, '--json', '--pid', String(f.rootPid), '--tree']), target: FILTER, countLines: true },
  { id: 'filter-kind-open', what: 'filter `--kind file_open` (a subset)', args: (f) => [f.capture.path, '--json', '--kind', 'file_open'], target: null, countLines: true },
  { id: 'filter-comm', what: 'filter `--comm BUSIEST` (a subset)', args: (f) => [f.capture.path, '--json', '--comm', f.busyComm], target: null, countLines: true },
  { id: 'filter-path-prefix', what: 'filter `--path-prefix /usr/` (a subset)', args: (f) => [f.capture.path, '--json', '--path-prefix', '/usr/'], target: null, countLines: true },
];

export interface ModeResult {
  mode: string;
  capture: string;
  args: string[];
  ms: number;
  events_per_s: number;
  json_ms: number;
  /** median over rounds of json_ms / ms */
  ratio: number;
  rounds: number[];
  /** lines printed (countLines modes) */
  lines: number | null;
  raw: { mode: RunMeasure[]; json: RunMeasure[] };
}

/** What each capture's workload looks like: the root process as `tree` shows it, and its busiest comm. */
const WORKLOADS: Record<string, { root: string | null; comm: string }> = {
  work: { root: 'mixed-work.sh', comm: 'cc1' },
  loop: { root: 'mixed-loop', comm: 'mixed-loop' },
  synthetic: { root: null, comm: 'cc1' },
};

export function captureFacts(c: CaptureInput, rules20: string): CaptureFacts {
  const w = WORKLOADS[c.id] ?? { root: null, comm: 'cc1' };
  return {
    capture: c, rules20,
    eventTypes: Object.keys(c.kinds).filter((k) => c.kinds[k] > 0),
    rootPid: w.root === null ? null : findRootPid(c.path, w.root),
    busyComm: w.comm,
  };
}

/** The pid of the first process in `rg-replay tree` whose line names `marker`. */
function findRootPid(path: string, marker: string): number | null {
  const [cmd, args] = nodeCommand(REPLAY_CLI, ['tree', path]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 300_000 });
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^[\s│├└─]*(\d+) (.*)$/.exec(line);
    if (m !== null && m[2].includes(marker)) return Number(m[1]);
  }
  return null;
}

export function benchModes(ctx: BenchContext, modes = MODES): { facts: CaptureFacts[]; results: ModeResult[] } {
  const facts = ctx.inputs.captures.map((c) => captureFacts(c, ctx.inputs.rules20));
  const results: ModeResult[] = [];
  for (const f of facts) {
    for (const m of modes) {
      const args = m.args(f);
      if (args === null) continue;
      const jsonRuns: RunMeasure[] = [], modeRuns: RunMeasure[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        ctx.log(`modes ${f.capture.id}: ${m.id}, round ${i + 1}/${ctx.runs}`);
        const [j, r] = backToBack(i,
          // The same sink on both sides: a pty row's --json run writes to a pty too (the tty layer and its
          // reader cost the same per byte whatever the mode; against /dev/null a pty row measured the pty).
          () => replay([f.capture.path, '--json'], { pinCpu: ctx.pinCpu, stdout: m.pty ? 'pty' : undefined }),
          () => replay(args, { pinCpu: ctx.pinCpu, stdout: m.pty ? 'pty' : undefined, okExitCodes: m.okExitCodes }));
        jsonRuns.push(j);
        modeRuns.push(r);
      }
      const rounds = modeRuns.map((r, i) => jsonRuns[i].wall_ms / r.wall_ms);
      const ms = median(modeRuns.map((r) => r.wall_ms));
      let lines: number | null = null;
      if (m.countLines) lines = replay(args, { pinCpu: ctx.pinCpu, stdout: 'pipe' }).out_lines;
      results.push({
        mode: m.id, capture: f.capture.id, args, ms, events_per_s: f.capture.events / (ms / 1000),
        json_ms: median(jsonRuns.map((r) => r.wall_ms)), ratio: median(rounds), rounds, lines,
        raw: { mode: modeRuns, json: jsonRuns },
      });
    }
  }
  return { facts, results };
}

export const modesSection: Section = {
  id: 'replay-modes',
  title: 'Replay: every mode against --json',
  run(ctx: BenchContext): SectionResult {
    const { facts, results } = benchModes(ctx);
    return { columns: modeColumns(ctx.inputs.captures), rows: modeRows(ctx.inputs.captures, results), notes: modeNotes(ctx, facts), data: { facts: facts.map((f) => ({ ...f, capture: f.capture.id })), results } };
  },
};

function modeColumns(captures: CaptureInput[]): string[] {
  return captures.flatMap((c) => [`${c.label}: events/s, x --json`, `${c.label}: lines out`]);
}

function modeRows(captures: CaptureInput[], results: ModeResult[]): Row[] {
  const judged = captures.find((c) => c.judged)?.id;
  return MODES.filter((m) => results.some((r) => r.mode === m.id)).map((m) => {
    const cells = captures.flatMap((c) => {
      const r = results.find((x) => x.mode === m.id && x.capture === c.id);
      if (r === undefined) return ['-', '-'];
      return [`${fmt.M(r.events_per_s)}/s, ${fmt.x(r.ratio)}`, r.lines === null ? '' : String(r.lines)];
    });
    const j = results.find((x) => x.mode === m.id && x.capture === judged);
    return { what: m.what, cells, target: m.target?.text ?? '', pass: m.target === null || j === undefined ? null : j.ratio >= m.target.min };
  });
}

function modeNotes(ctx: BenchContext, facts: CaptureFacts[]): string[] {
  return [
    `Each mode and a --json run back to back in each of ${ctx.runs} rounds, both pinned to CPU ${ctx.pinCpu}, whole processes, output to /dev/null (pty rows: a raw pseudo-terminal drained by the timer, for the --json run of the round too); x --json is the median of the per-round ratios json_ms / mode_ms; events/s counts every event in the capture, also for filters that print fewer.`,
    `Filters that keep every event are judged on what filtering costs; rows marked "a subset" print fewer events (lines out) and are shown, not judged. --comm picks ${facts.map((f) => `${f.busyComm} (${f.capture.label})`).join(', ')}.`,
    'tree, audit, verify and --stats have no ratio target ("keep their speed"): shown.',
  ];
}
