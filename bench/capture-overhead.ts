/**
 * What capture costs the traced workload, measured end to end through the CLI
 * with default settings (8 MiB ring, wakeup at 256 KiB, all events): two small
 * C loops (bench/workloads/*.c, compiled here into bench/work/) run with and
 * without `rg-capture -o FILE -- ./loop`, interleaved, median of several runs.
 * The loops time themselves, so CLI start-up and tear-down are not counted.
 * Overheads are medians of each round's traced/untraced ratio: a round's two
 * runs are seconds apart, so a slow spell of this shared machine cancels out.
 * Needs root (the capture loads BPF) and `cc`. The sustained rate and the
 * capture's own CPU are measured in capture-lifecycle.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backToBack, median } from './measure.js';
import { type BenchContext, fmt, type Row, type Section, type SectionResult } from './section.js';
import { CAPTURE_CLI, compile, type LoopResult, parseLoop, parseStopped, WORK } from './workloads.js';

export interface CaptureOverhead {
  /** ns per openat + close, untraced */
  openat_ns_base: number;
  /** ns per openat + close under capture */
  openat_ns_traced: number;
  /** median over rounds of traced / base, minus 1 (target <= 0.30) */
  openat_overhead: number;
  /** the same ratio by the loop's CPU time (user + system), steadier on a shared machine */
  openat_overhead_cpu: number;
  /** us per fork + execve(/bin/true) + waitpid, untraced */
  forkexec_us_base: number;
  forkexec_us_traced: number;
  /** target <= 0.05 */
  forkexec_overhead: number;
  forkexec_overhead_cpu: number;
  /** the fork/exec pair with neither run traced: the median per-round ratio minus 1 that noise alone gives */
  forkexec_control: number;
  /** events the traced fork/exec runs recorded per exec (the loop's own: fork, exec, exit and the loader's 2 opens) */
  forkexec_events_per_exec: number;
  /** ns per getppid() untraced and traced, and the overhead: what syscalls that are not recorded pay (no target) */
  syscall_ns_base: number;
  syscall_ns_traced: number;
  syscall_overhead: number;
  /** events lost (kernel + user space) over every traced run (target 0) */
  lost: number;
  /** every run, for the record */
  raw: {
    openat_base: LoopResult[]; openat_traced: TracedResult[]; forkexec_base: LoopResult[]; forkexec_traced: TracedResult[];
    forkexec_control_a: LoopResult[]; forkexec_control_b: LoopResult[]; syscall_base: LoopResult[]; syscall_traced: TracedResult[];
  };
}

const OPENAT_ROUNDS = 150_000; // x4 paths: ~1 s untraced
const FORKEXEC_ROUNDS = 1_500; // ~1 s untraced
const SYSCALL_CALLS = 3_000_000; // ~0.5 s untraced
const RUN_TIMEOUT_MS = 120_000;

export interface TracedResult extends LoopResult { events: number; lost: number }

export async function benchCaptureOverhead(runs = Number(process.env.BENCH_RUNS ?? 5)): Promise<CaptureOverhead> {
  if (process.geteuid?.() !== 0) throw new Error('bench capture-overhead: needs root (rg-capture loads BPF programs)');
  const openat = compile('openat-loop');
  const forkexec = compile('forkexec-loop');
  const syscalls = compile('syscall-loop');
  const tmp = mkdtempSync(join(tmpdir(), 'rg-bench-'));
  try {
    const capture = join(tmp, 'bench.rgc');
    const ob: LoopResult[] = [], ot: TracedResult[] = [], fb: LoopResult[] = [], ft: TracedResult[] = [], sb: LoopResult[] = [], st: TracedResult[] = [];
    const fa: LoopResult[] = [], fa2: LoopResult[] = [];
    // Interleaved: each loop's two runs back to back (order swapped every other round), so drift on
    // this shared machine hits both sides alike.
    const pair = <T extends LoopResult>(i: number, base: LoopResult[], traced: T[], untracedRun: () => LoopResult, tracedRun: () => T) => {
      const [b, t] = backToBack(i, untracedRun, tracedRun);
      base.push(b);
      traced.push(t);
    };
    for (let i = 0; i < runs; i++) {
      pair(i, ob, ot, () => runLoop(openat, OPENAT_ROUNDS), () => runTraced(openat, OPENAT_ROUNDS, capture));
      pair(i, fb, ft, () => runLoop(forkexec, FORKEXEC_ROUNDS), () => runTraced(forkexec, FORKEXEC_ROUNDS, capture));
      // The control: the same pair with nothing traced, so the table shows what this machine's noise alone does to a ratio.
      pair(i, fa, fa2, () => runLoop(forkexec, FORKEXEC_ROUNDS), () => runLoop(forkexec, FORKEXEC_ROUNDS));
      pair(i, sb, st, () => runLoop(syscalls, SYSCALL_CALLS), () => runTraced(syscalls, SYSCALL_CALLS, capture));
    }
    const perOp = (rs: LoopResult[], unit: number) => median(rs.map((r) => r.elapsed_ns / r.count / unit));
    const wall = (r: LoopResult) => r.elapsed_ns / r.count;
    const cpu = (r: LoopResult) => r.cpu_ns / r.count;
    const overhead = (traced: LoopResult[], base: LoopResult[], per: (r: LoopResult) => number) => median(traced.map((t, i) => per(t) / per(base[i]))) - 1;
    return {
      openat_ns_base: perOp(ob, 1),
      openat_ns_traced: perOp(ot, 1),
      openat_overhead: overhead(ot, ob, wall),
      openat_overhead_cpu: overhead(ot, ob, cpu),
      forkexec_us_base: perOp(fb, 1e3),
      forkexec_us_traced: perOp(ft, 1e3),
      forkexec_overhead: overhead(ft, fb, wall),
      forkexec_overhead_cpu: overhead(ft, fb, cpu),
      forkexec_control: overhead(fa2, fa, wall),
      forkexec_events_per_exec: median(ft.map((t) => t.events / t.count)),
      syscall_ns_base: perOp(sb, 1),
      syscall_ns_traced: perOp(st, 1),
      syscall_overhead: overhead(st, sb, wall),
      lost: [...ot, ...ft].reduce((n, r) => n + r.lost, 0),
      raw: { openat_base: ob, openat_traced: ot, forkexec_base: fb, forkexec_traced: ft, forkexec_control_a: fa, forkexec_control_b: fa2, syscall_base: sb, syscall_traced: st },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function runLoop(bin: string, rounds: number): LoopResult {
  const r = spawnSync(bin, [String(rounds)], { cwd: WORK, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`bench capture-overhead: ${bin} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return parseLoop(r.stdout, bin);
}

/** The loop under `rg-capture -o FILE -- ./loop`, and what the capture says it recorded. */
function runTraced(bin: string, rounds: number, capture: string): TracedResult {
  const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', capture, '--force', '--', bin, String(rounds)],
    { cwd: WORK, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, killSignal: 'SIGINT', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    throw new Error(`bench capture-overhead: rg-capture -- ${bin} failed (${r.status ?? r.signal}): ${r.stderr.slice(-500)}`);
  }
  const loop = parseLoop(r.stdout, `rg-capture -- ${bin}`);
  const stopped = parseStopped(r.stderr);
  rmSync(capture, { force: true });
  return { ...loop, events: stopped.events, lost: stopped.lost_kernel + stopped.lost_user };
}

/** Per-round traced/untraced ratios of one loop, as the table shows them. */
function roundRatios(traced: LoopResult[], base: LoopResult[]): number[] {
  return traced.map((t, i) => (t.elapsed_ns / t.count) / (base[i].elapsed_ns / base[i].count));
}

export const captureOverheadSection: Section = {
  id: 'capture-overhead',
  title: 'Capture: what the traced workload pays',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const oh = await benchCaptureOverhead(ctx.runs);
    const rounds = (t: LoopResult[], b: LoopResult[]) => `rounds x${fmt.list(roundRatios(t, b))}`;
    const rows: Row[] = [
      {
        what: 'openat loop',
        cells: [`${fmt.pct(oh.openat_overhead)} (${oh.openat_ns_base.toFixed(0)} -> ${oh.openat_ns_traced.toFixed(0)} ns/open; by CPU ${fmt.pct(oh.openat_overhead_cpu)}); ${rounds(oh.raw.openat_traced, oh.raw.openat_base)}`],
        target: '<= +30%', pass: oh.openat_overhead <= 0.3,
      },
      {
        what: 'fork/exec loop',
        cells: [`${fmt.pct(oh.forkexec_overhead)} (${oh.forkexec_us_base.toFixed(0)} -> ${oh.forkexec_us_traced.toFixed(0)} µs/exec; by CPU ${fmt.pct(oh.forkexec_overhead_cpu)}); ${rounds(oh.raw.forkexec_traced, oh.raw.forkexec_base)}; ${oh.forkexec_events_per_exec.toFixed(1)} events recorded per exec (the loop's own: 5)`],
        target: '<= +5%', pass: oh.forkexec_overhead <= 0.05,
      },
      {
        what: 'fork/exec loop, neither run traced (the noise)',
        cells: [`${fmt.pct(oh.forkexec_control)}; ${rounds(oh.raw.forkexec_control_b, oh.raw.forkexec_control_a)}`],
        target: '', pass: null,
      },
      // No target: the price of tracing every syscall exit, paid by syscalls that are not recorded.
      {
        what: 'other syscalls (getppid loop)',
        cells: [`${fmt.pct(oh.syscall_overhead)} (${oh.syscall_ns_base.toFixed(0)} -> ${oh.syscall_ns_traced.toFixed(0)} ns/call); ${rounds(oh.raw.syscall_traced, oh.raw.syscall_base)}`],
        target: '', pass: null,
      },
    ];
    return {
      rows,
      notes: [
        `Each loop untraced and under \`rg-capture -o FILE -- LOOP\` back to back in each of ${ctx.runs} rounds (order swapped every other round); the loops time themselves (capture start-up and stop are not counted). The overhead is the median of the per-round ratios, minus 1; every round's ratio is listed. rg-capture records the whole host: on a busy machine the traced run also records, and pays for, everything else that runs (events recorded per exec above the loop's own).`,
        `Events lost over all traced runs: ${oh.lost}.`,
      ],
      data: oh,
    };
  },
};
