/**
 * What capture costs the traced workload, measured end to end through the CLI
 * with default settings (8 MiB ring, wakeup at 256 KiB, all events): two small
 * C loops (bench/workloads/*.c, compiled here into bench/work/) run with and
 * without `rg-capture -o FILE -- ./loop`, interleaved, median of several runs.
 * The loops time themselves, so CLI start-up and tear-down are not counted.
 * Needs root (the capture loads BPF) and `cc`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './measure.js';

export interface CaptureOverhead {
  /** ns per openat + close, untraced */
  openat_ns_base: number;
  /** ns per openat + close under capture */
  openat_ns_traced: number;
  /** traced / base - 1 (target <= 0.30) */
  openat_overhead: number;
  /** us per fork + execve(/bin/true) + waitpid, untraced */
  forkexec_us_base: number;
  forkexec_us_traced: number;
  /** target <= 0.05 */
  forkexec_overhead: number;
  /** file opens per second of a long traced openat loop, all captured (target >= 300k) */
  sustained_events_per_s: number;
  /** events lost (kernel + user space) over every traced run (target 0) */
  lost: number;
}

/** This file runs from dist/bench/: paths lead back to the repo. */
const SOURCES = fileURLToPath(new URL('../../bench/workloads/', import.meta.url));
const WORK = fileURLToPath(new URL('../../bench/work/', import.meta.url));
const CAPTURE_CLI = fileURLToPath(new URL('../src/capture/cli.js', import.meta.url));
const REPLAY_CLI = fileURLToPath(new URL('../src/replay/cli.js', import.meta.url));

const OPENAT_ROUNDS = 150_000; // x4 paths: ~1 s untraced
const FORKEXEC_ROUNDS = 1_500; // ~1 s untraced
const SUSTAINED_ROUNDS = 500_000; // 2M opens
const RUN_TIMEOUT_MS = 120_000;

interface LoopResult { count: number; elapsed_ns: number; cpu_ns: number }
interface TracedResult extends LoopResult { events: number; file_opens: number; lost: number }

export async function benchCaptureOverhead(runs = Number(process.env.BENCH_RUNS ?? 5)): Promise<CaptureOverhead> {
  if (process.geteuid?.() !== 0) throw new Error('bench capture-overhead: needs root (rg-capture loads BPF programs)');
  const openat = compile('openat-loop');
  const forkexec = compile('forkexec-loop');
  const tmp = mkdtempSync(join(tmpdir(), 'rg-bench-'));
  try {
    const capture = join(tmp, 'bench.rgc');
    const ob: LoopResult[] = [], ot: TracedResult[] = [], fb: LoopResult[] = [], ft: TracedResult[] = [];
    // Interleaved, so drift on this shared machine hits both sides alike.
    for (let i = 0; i < runs; i++) {
      ob.push(runLoop(openat, OPENAT_ROUNDS));
      ot.push(runTraced(openat, OPENAT_ROUNDS, capture));
      fb.push(runLoop(forkexec, FORKEXEC_ROUNDS));
      ft.push(runTraced(forkexec, FORKEXEC_ROUNDS, capture));
    }
    const sustained = runTraced(openat, SUSTAINED_ROUNDS, capture);
    if (sustained.file_opens < sustained.count) {
      throw new Error(`bench capture-overhead: ${sustained.count} opens but ${sustained.file_opens} file_open events captured`);
    }
    const perOp = (rs: LoopResult[], unit: number) => median(rs.map((r) => r.elapsed_ns / r.count / unit));
    const cpuPerOp = (rs: LoopResult[], unit: number) => median(rs.map((r) => r.cpu_ns / r.count / unit));
    const result: CaptureOverhead = {
      openat_ns_base: perOp(ob, 1),
      openat_ns_traced: perOp(ot, 1),
      openat_overhead: perOp(ot, 1) / perOp(ob, 1) - 1,
      forkexec_us_base: perOp(fb, 1e3),
      forkexec_us_traced: perOp(ft, 1e3),
      forkexec_overhead: perOp(ft, 1e3) / perOp(fb, 1e3) - 1,
      sustained_events_per_s: sustained.count / (sustained.elapsed_ns / 1e9),
      lost: [...ot, ...ft, sustained].reduce((n, r) => n + r.lost, 0),
    };
    // CPU time is steadier than wall time when other jobs share the machine.
    process.stderr.write(`bench: capture overhead by CPU time: openat ${pct(cpuPerOp(ot, 1) / cpuPerOp(ob, 1) - 1)}, `
      + `fork/exec ${pct(cpuPerOp(ft, 1e3) / cpuPerOp(fb, 1e3) - 1)}; sustained run ${sustained.events} events\n`);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

/** cc -O2 bench/workloads/NAME.c -o bench/work/NAME; returns the binary's path. */
function compile(name: string): string {
  mkdirSync(WORK, { recursive: true });
  const out = join(WORK, name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(SOURCES, `${name}.c`)], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`bench capture-overhead: cannot run cc: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bench capture-overhead: cc ${name}.c failed: ${r.stderr.slice(0, 500)}`);
  return out;
}

/** The loop's own report: "<count> <elapsed_ns> <cpu_ns>" as its last stdout line. */
function parseLoop(stdout: string, what: string): LoopResult {
  const m = /(\d+) (\d+) (\d+)\s*$/.exec(stdout);
  if (m === null) throw new Error(`bench capture-overhead: ${what} printed no "<count> <elapsed_ns> <cpu_ns>" line: ${stdout.slice(-200)}`);
  return { count: Number(m[1]), elapsed_ns: Number(m[2]), cpu_ns: Number(m[3]) };
}

function runLoop(bin: string, rounds: number): LoopResult {
  const r = spawnSync(bin, [String(rounds)], { cwd: WORK, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`bench capture-overhead: ${bin} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return parseLoop(r.stdout, bin);
}

/** The loop under `rg-capture -o FILE -- ./loop`, and what the capture holds (via rg-replay --stats). */
function runTraced(bin: string, rounds: number, capture: string): TracedResult {
  const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', capture, '--force', '--', bin, String(rounds)],
    { cwd: WORK, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, killSignal: 'SIGINT', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    throw new Error(`bench capture-overhead: rg-capture -- ${bin} failed (${r.status ?? r.signal}): ${r.stderr.slice(-500)}`);
  }
  const loop = parseLoop(r.stdout, `rg-capture -- ${bin}`);
  const s = spawnSync(process.execPath, [REPLAY_CLI, capture, '--stats'], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (s.status !== 0) throw new Error(`bench capture-overhead: rg-replay --stats failed: ${s.stderr.slice(-500)}`);
  const events = /^events:\s+(\d+)/m.exec(s.stdout);
  const opens = /^\s+file_open\s+(\d+)/m.exec(s.stdout);
  const lost = /^lost:\s+(\d+) in kernel, (\d+) in user space/m.exec(s.stdout);
  if (events === null || opens === null || lost === null) {
    throw new Error(`bench capture-overhead: unexpected rg-replay --stats output: ${s.stdout.slice(0, 500)}`);
  }
  rmSync(capture, { force: true });
  return { ...loop, events: Number(events[1]), file_opens: Number(opens[1]), lost: Number(lost[1]) + Number(lost[2]) };
}
