/**
 * Where capture's cost on a fork/exec loop comes from: an experiment, not a
 * bench section (root; `node dist/bench/capture-cost.js [ROUNDS] [VARIANT...]`).
 * Each round runs the loop untraced, then under each variant of a running
 * `rg-capture -o FILE` (whole host, started and ready before the loop, stopped
 * after it), order reversed every other round; per variant it prints the
 * median of the per-round traced/untraced ratios with every round, and what
 * rg-capture's threads did during the loop (CPU time, voluntary and forced
 * context switches, from /proc/PID/task/TID) and, with bpf_stats on, what
 * each BPF program cost (run_cnt, run_time_ns from `bpftool prog show`).
 *
 * Variants:
 *   default        rg-capture as shipped, both CPUs free to both
 *   split          rg-capture on CPU 0, the loop on CPU 1 (no competition for a core)
 *   shared         rg-capture and the loop both on CPU 1 (all competition)
 *   procs-only     --events exec,fork,exit (the sys_exit program stays: the canary needs opens)
 *   bpf-stats      default, with kernel.bpf_stats_enabled=1 (adds two clock reads per program run)
 *   follow         --follow -- LOOP: only the loop's own events are recorded (the programs still run for all)
 *   untraced       the control: a second untraced run in place of the traced one, so the spread of
 *                  its ratios is what this machine's noise alone does to a ratio
 *   other          default, with the rg-capture at CAPTURE_COST_OTHER_CLI (another build, to compare two)
 * CAPTURE_COST_EXECS sets the loop's length (default 1000 execs: under 0.95 s of one CPU, the real-time budget); CAPTURE_COST_RT=1 runs the loop
 * SCHED_FIFO on both sides (chrt -f 10), so other users of the machine cannot preempt it
 * (CAPTURE_COST_RT_HOW=nice: nice -20 instead, which autogroups make useless here).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './measure.js';
import { CAPTURE_CLI, compile, type LoopResult, parseLoop, parseStopped, WORK } from './workloads.js';

const ROUNDS_PER_LOOP = Number(process.env.CAPTURE_COST_EXECS ?? 1000);

interface Variant { name: string; captureCpu: number | null; loopCpu: number | null; args: string[]; bpfStats: boolean; follow?: boolean; untraced?: boolean; cli?: string }

const RT = process.env.CAPTURE_COST_RT === '1';
const VARIANTS: Record<string, Variant> = {
  default: { name: 'default', captureCpu: null, loopCpu: null, args: [], bpfStats: false },
  split: { name: 'split', captureCpu: 0, loopCpu: 1, args: [], bpfStats: false },
  shared: { name: 'shared', captureCpu: 1, loopCpu: 1, args: [], bpfStats: false },
  'procs-only': { name: 'procs-only', captureCpu: null, loopCpu: null, args: ['--events', 'exec,fork,exit'], bpfStats: false },
  'bpf-stats': { name: 'bpf-stats', captureCpu: null, loopCpu: null, args: [], bpfStats: true },
  follow: { name: 'follow', captureCpu: null, loopCpu: null, args: [], bpfStats: false, follow: true },
  other: { name: 'other', captureCpu: null, loopCpu: null, args: [], bpfStats: false, cli: process.env.CAPTURE_COST_OTHER_CLI },
  untraced: { name: 'untraced', captureCpu: null, loopCpu: null, args: [], bpfStats: false, untraced: true },
};

interface ThreadStat { comm: string; cpu_ms: number; voluntary: number; forced: number }
interface TracedRun { loop: LoopResult; threads: Record<string, ThreadStat>; programs: Record<string, { run_cnt: number; run_time_ns: number }>; events: number; lost: number }

const rounds = Number(process.argv[2] ?? 5);
const names = process.argv.length > 3 ? process.argv.slice(3) : ['default', 'split', 'shared'];
const loopBin = compile('forkexec-loop');
const tmp = mkdtempSync(join(tmpdir(), 'rg-cost-'));
const base: Record<string, LoopResult[]> = {};
const traced: Record<string, TracedRun[]> = {};
const bpfStatsBefore = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();

try {
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const v = VARIANTS[name];
      if (v === undefined) throw new Error(`unknown variant ${name}: ${Object.keys(VARIANTS).join(', ')}`);
      // Each variant is paired with an untraced run on the same CPUs, right before or after it.
      const pair = [() => (base[name] ??= []).push(runLoop(v.loopCpu)), async () => (traced[name] ??= []).push(await runTraced(v))];
      if (i % 2 === 0) { pair[0](); await pair[1](); } else { await pair[1](); pair[0](); }
      const b = base[name].at(-1)!, t = traced[name].at(-1)!.loop;
      process.stderr.write(`round ${i + 1} ${name}: x${(perExec(t) / perExec(b)).toFixed(3)} (${(perExec(b) / 1e3).toFixed(0)} -> ${(perExec(t) / 1e3).toFixed(0)} us/exec); load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}\n`);
    }
  }
} finally {
  writeFileSync('/proc/sys/kernel/bpf_stats_enabled', bpfStatsBefore);
  rmSync(tmp, { recursive: true, force: true });
}

const summary = names.map((name) => {
  const ratios = traced[name].map((t, i) => perExec(t.loop) / perExec(base[name][i]));
  const threads: Record<string, { cpu_ms_per_s: number; wakeups_per_s: number; forced_per_s: number }> = {};
  for (const t of traced[name]) {
    const s = t.loop.elapsed_ns / 1e9;
    for (const [tid, th] of Object.entries(t.threads)) {
      const key = `${th.comm}#${Object.keys(t.threads).indexOf(tid)}`;
      const acc = (threads[key] ??= { cpu_ms_per_s: 0, wakeups_per_s: 0, forced_per_s: 0 });
      acc.cpu_ms_per_s += th.cpu_ms / s / traced[name].length;
      acc.wakeups_per_s += th.voluntary / s / traced[name].length;
      acc.forced_per_s += th.forced / s / traced[name].length;
    }
  }
  const programs: Record<string, { runs_per_exec: number; ns_per_run: number; ns_per_exec: number }> = {};
  for (const t of traced[name]) {
    for (const [p, st] of Object.entries(t.programs)) {
      const acc = (programs[p] ??= { runs_per_exec: 0, ns_per_run: 0, ns_per_exec: 0 });
      const n = traced[name].length;
      acc.runs_per_exec += st.run_cnt / t.loop.count / n;
      acc.ns_per_run += (st.run_cnt ? st.run_time_ns / st.run_cnt : 0) / n;
      acc.ns_per_exec += st.run_time_ns / t.loop.count / n;
    }
  }
  const cpuRatios = traced[name].map((t, i) => (t.loop.cpu_ns / t.loop.count) / (base[name][i].cpu_ns / base[name][i].count));
  return {
    variant: name, median_ratio: median(ratios), rounds: ratios.map((r) => Number(r.toFixed(3))),
    median_cpu_ratio: median(cpuRatios), cpu_rounds: cpuRatios.map((r) => Number(r.toFixed(3))),
    events_per_exec: median(traced[name].map((t) => t.events / t.loop.count)),
    base_us: median(base[name].map(perExec)) / 1e3, traced_us: median(traced[name].map((t) => perExec(t.loop))) / 1e3,
    lost: traced[name].reduce((n, t) => n + t.lost, 0), threads, programs,
  };
});
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');

function perExec(r: LoopResult): number {
  return r.elapsed_ns / r.count;
}

function taskset(cpu: number | null, argv: string[]): string[] {
  return cpu === null ? argv : ['taskset', '-c', String(cpu), ...argv];
}

function loopCommand(cpu: number | null): string[] {
  const loop = taskset(cpu, [loopBin, String(ROUNDS_PER_LOOP)]);
  return RT ? (process.env.CAPTURE_COST_RT_HOW === 'nice' ? ['nice', '-n', '-20', ...loop] : ['chrt', '-f', '10', ...loop]) : loop;
}

function runLoop(cpu: number | null): LoopResult {
  const [cmd, ...args] = loopCommand(cpu);
  const r = spawnSync(cmd, args, { cwd: WORK, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`forkexec-loop failed: ${r.stderr}`);
  return parseLoop(r.stdout, 'forkexec-loop');
}

async function runTraced(v: Variant): Promise<TracedRun> {
  if (v.untraced) return { loop: runLoop(v.loopCpu), threads: {}, programs: {}, events: 0, lost: 0 };
  if (v.follow) return runFollowed(v);
  writeFileSync('/proc/sys/kernel/bpf_stats_enabled', v.bpfStats ? '1' : bpfStatsBefore);
  const out = join(tmp, 'cost.rgc');
  const before = new Set(Object.keys(programStats(null)));
  const [cmd, ...args] = taskset(v.captureCpu, [process.execPath, v.cli ?? CAPTURE_CLI, '-o', out, '--force', ...v.args]);
  const capture = spawn(cmd, args, { cwd: WORK, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  capture.stderr!.setEncoding('utf8');
  const exited = new Promise<void>((resolve) => capture.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    capture.stderr!.on('data', (s: string) => { stderr += s; if (/\bready\b/.test(stderr)) resolve(); });
    void exited.then(() => reject(new Error(`rg-capture exited before ready: ${stderr}`)));
  });
  const pid = capture.pid!;
  // Ours are the programs loaded since: other sessions on this machine may have captures running too.
  const ours = new Set(Object.keys(programStats(null)).filter((id) => !before.has(id)));
  const t0 = threadStats(pid), p0 = programStats(ours);
  const loop = runLoop(v.loopCpu);
  const t1 = threadStats(pid), p1 = programStats(ours);
  capture.kill('SIGINT');
  await exited;
  const stopped = parseStopped(stderr);
  const threads: Record<string, ThreadStat> = {};
  for (const [tid, a] of Object.entries(t1)) {
    const b = t0[tid] ?? { comm: a.comm, cpu_ms: 0, voluntary: 0, forced: 0 };
    threads[tid] = { comm: a.comm, cpu_ms: a.cpu_ms - b.cpu_ms, voluntary: a.voluntary - b.voluntary, forced: a.forced - b.forced };
  }
  const programs: TracedRun['programs'] = {};
  for (const [id, a] of Object.entries(p1)) {
    const b = p0[id] ?? a;
    programs[a.name] = { run_cnt: a.run_cnt - b.run_cnt, run_time_ns: a.run_time_ns - b.run_time_ns };
  }
  return { loop, threads, programs, events: stopped.events, lost: stopped.lost_kernel + stopped.lost_user };
}

/** The loop as rg-capture's command, --follow: it starts when the capture is ready and rg-capture stops when it exits. */
function runFollowed(v: Variant): TracedRun {
  const out = join(tmp, 'cost.rgc');
  const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', out, '--force', '--follow', ...v.args, '--', ...loopCommand(v.loopCpu)],
    { cwd: WORK, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`rg-capture --follow failed: ${r.stderr}`);
  const stopped = parseStopped(r.stderr);
  return { loop: parseLoop(r.stdout, 'forkexec-loop'), threads: {}, programs: {}, events: stopped.events, lost: stopped.lost_kernel + stopped.lost_user };
}

/** CPU time and context switches of every thread of pid. */
function threadStats(pid: number): Record<string, ThreadStat> {
  const out: Record<string, ThreadStat> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // schedstat: ns on CPU, ns waiting on a run queue, time slices
      const [onCpuNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      out[tid] = {
        comm: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
        cpu_ms: onCpuNs / 1e6,
        voluntary: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0),
        forced: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0),
      };
    } catch {
      // a thread that ended between readdir and read
    }
  }
  return out;
}

/** name, run_cnt and run_time_ns of loaded handle_* programs by id (all of them, or those in `ids`); run_time_ns needs bpf_stats_enabled. */
function programStats(ids: Set<string> | null): Record<string, { name: string; run_cnt: number; run_time_ns: number }> {
  const r = spawnSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const out: Record<string, { name: string; run_cnt: number; run_time_ns: number }> = {};
  for (const p of JSON.parse(r.stdout) as { id: number; name?: string; run_cnt?: number; run_time_ns?: number }[]) {
    if (p.name?.startsWith('handle_') && (ids === null || ids.has(String(p.id)))) {
      out[String(p.id)] = { name: p.name, run_cnt: p.run_cnt ?? 0, run_time_ns: p.run_time_ns ?? 0 };
    }
  }
  return out;
}
