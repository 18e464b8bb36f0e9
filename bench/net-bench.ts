/**
 * What network capture costs, through the CLI with default settings (all
 * events): a UDP sendto loop (and send() on a connected socket) and a localhost TCP request/response loop (one
 * keep-alive connection, 64 bytes each way), each with and without
 * `rg-capture -o FILE -- ./loop`, interleaved, overhead = median over rounds
 * of traced/untraced; and a DNS-heavy load (10k queries and answers) that
 * must lose no event: every query and answer is a net_dns record. The C
 * loops are bench/workloads/{udp-loop,tcp-echo-loop,dns-loop}.c. Needs root
 * (BPF; dns-loop runs in a network namespace of its own) and `cc`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './measure.js';
import { type Section } from './section.js';
import { CAPTURE_CLI, type LoopResult, parseLoop, parseStopped, REPLAY_CLI, SOURCES, WORK } from './workloads.js';

export interface NetBench {
  /** ns per sendto, untraced and traced, and the median traced/untraced ratio minus 1 (target <= 0.30) */
  udp_ns_base: number;
  udp_ns_traced: number;
  udp_overhead: number;
  udp_overhead_cpu: number;
  /** the same for send() on a connected socket (its datagrams to its own peer) */
  udp_connected_ns_base: number;
  udp_connected_ns_traced: number;
  udp_connected_overhead: number;
  /** request/response round trips per second, untraced and traced; the loss of rate (target <= 0.15) */
  tcp_rps_base: number;
  tcp_rps_traced: number;
  tcp_rate_loss: number;
  /** CPU per round trip (client and server), traced/untraced minus 1: steadier than the rate on a shared machine */
  tcp_overhead_cpu: number;
  /** the DNS load: queries made, net_dns records in its capture (2 per query), events lost */
  dns_queries: number;
  dns_records: number;
  dns_lost: number;
  raw: { udp_base: LoopResult[]; udp_traced: LoopResult[]; udp_connected_base: LoopResult[]; udp_connected_traced: LoopResult[]; tcp_base: LoopResult[]; tcp_traced: LoopResult[] };
}

const UDP_SENDS = 300_000; // ~0.6 s untraced
const TCP_REQUESTS = 40_000; // ~0.5 s untraced
const DNS_QUERIES = 10_000;
const RUN_TIMEOUT_MS = 120_000;

type NetWorkload = 'udp-loop' | 'tcp-echo-loop' | 'dns-loop';

export async function benchNet(runs = Number(process.env.BENCH_RUNS ?? 5)): Promise<NetBench> {
  if (process.geteuid?.() !== 0) throw new Error('bench net: needs root (rg-capture loads BPF programs)');
  const udp = compileNet('udp-loop');
  const tcp = compileNet('tcp-echo-loop');
  const dns = compileNet('dns-loop');
  const tmp = mkdtempSync(join(tmpdir(), 'rg-bench-net-'));
  try {
    const capture = join(tmp, 'net.rgc');
    const ub: LoopResult[] = [], ut: LoopResult[] = [], cb: LoopResult[] = [], ct: LoopResult[] = [], tb: LoopResult[] = [], tt: LoopResult[] = [];
    for (let i = 0; i < runs; i++) {
      ub.push(run([udp, String(UDP_SENDS)]));
      ut.push(runTraced([udp, String(UDP_SENDS)], capture).loop);
      cb.push(run([udp, String(UDP_SENDS), 'connected']));
      ct.push(runTraced([udp, String(UDP_SENDS), 'connected'], capture).loop);
      tb.push(run([tcp, String(TCP_REQUESTS)]));
      tt.push(runTraced([tcp, String(TCP_REQUESTS)], capture).loop);
    }
    const dnsRun = runTraced(['unshare', '--net', dns, String(DNS_QUERIES)], capture, true);
    const wall = (r: LoopResult) => r.elapsed_ns / r.count;
    const cpu = (r: LoopResult) => r.cpu_ns / r.count;
    const ratio = (traced: LoopResult[], base: LoopResult[], per: (r: LoopResult) => number) => median(traced.map((t, i) => per(t) / per(base[i])));
    const rps = (rs: LoopResult[]) => median(rs.map((r) => r.count / (r.elapsed_ns / 1e9)));
    return {
      udp_ns_base: median(ub.map(wall)),
      udp_ns_traced: median(ut.map(wall)),
      udp_overhead: ratio(ut, ub, wall) - 1,
      udp_overhead_cpu: ratio(ut, ub, cpu) - 1,
      udp_connected_ns_base: median(cb.map(wall)),
      udp_connected_ns_traced: median(ct.map(wall)),
      udp_connected_overhead: ratio(ct, cb, wall) - 1,
      tcp_rps_base: rps(tb),
      tcp_rps_traced: rps(tt),
      tcp_rate_loss: 1 - 1 / ratio(tt, tb, wall),
      tcp_overhead_cpu: ratio(tt, tb, cpu) - 1,
      dns_queries: dnsRun.loop.count,
      dns_records: dnsRun.dnsRecords,
      dns_lost: dnsRun.lost,
      raw: { udp_base: ub, udp_traced: ut, udp_connected_base: cb, udp_connected_traced: ct, tcp_base: tb, tcp_traced: tt },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The table rows run.ts prints for this section. */
export function netRows(n: NetBench): { what: string; measured: string; target: string; pass: boolean | null }[] {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  return [
    {
      what: 'overhead: UDP sendto loop',
      measured: `${pct(n.udp_overhead)} (${n.udp_ns_base.toFixed(0)} -> ${n.udp_ns_traced.toFixed(0)} ns/send; by CPU ${pct(n.udp_overhead_cpu)})`,
      target: '<= +30%', pass: n.udp_overhead <= 0.3,
    },
    {
      what: 'overhead: UDP send() loop on a connected socket',
      measured: n.udp_connected_ns_base === undefined ? 'not measured in this run'
        : `${pct(n.udp_connected_overhead)} (${n.udp_connected_ns_base.toFixed(0)} -> ${n.udp_connected_ns_traced.toFixed(0)} ns/send)`,
      target: '', pass: null,
    },
    {
      what: 'overhead: TCP localhost requests/s',
      measured: `${pct(-n.tcp_rate_loss)} (${(n.tcp_rps_base / 1e3).toFixed(1)}k -> ${(n.tcp_rps_traced / 1e3).toFixed(1)}k round trips/s, keep-alive, 64 B each way; CPU per round trip ${pct(n.tcp_overhead_cpu)})`,
      target: '<= 15% fewer', pass: n.tcp_rate_loss <= 0.15,
    },
    {
      what: 'DNS-heavy load',
      measured: `${n.dns_queries} queries: ${n.dns_records} net_dns records (query and answer each), ${n.dns_lost} lost`,
      target: '0 lost', pass: n.dns_lost === 0 && n.dns_records === 2 * n.dns_queries,
    },
  ];
}

function compileNet(name: NetWorkload): string {
  mkdirSync(WORK, { recursive: true });
  const source = join(SOURCES, `${name}.c`);
  const out = join(WORK, name);
  const newest = Math.max(statSync(source).mtimeMs, statSync(join(SOURCES, 'loop-clock.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return out;
  const r = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', out, source], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`bench net: cannot run cc: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bench net: cc ${name}.c failed: ${r.stderr.slice(0, 500)}`);
  return out;
}

function run(argv: string[]): LoopResult {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: WORK, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`bench net: ${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return parseLoop(r.stdout, argv[0]);
}

/** The loop under rg-capture; with `countDns`, the net_dns records its capture holds (rg-replay --stats). */
function runTraced(argv: string[], capture: string, countDns = false): { loop: LoopResult; lost: number; dnsRecords: number } {
  const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', capture, '--force', '--', ...argv],
    { cwd: WORK, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, killSignal: 'SIGINT', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench net: rg-capture -- ${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-500)}`);
  const stopped = parseStopped(r.stderr);
  let dnsRecords = 0;
  if (countDns) {
    const stats = spawnSync(process.execPath, [REPLAY_CLI, capture, '--stats', '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    dnsRecords = (JSON.parse(stats.stdout) as { by_kind: Record<string, number> }).by_kind.net_dns ?? 0;
  }
  rmSync(capture, { force: true });
  return { loop: parseLoop(r.stdout, `rg-capture -- ${argv[0]}`), lost: stopped.lost_kernel + stopped.lost_user, dnsRecords };
}

/** The network capture costs as a bench section (bench/section.ts). */
export const netSection: Section = {
  id: 'net',
  title: 'Capture: network (UDP sends, TCP round trips, DNS bursts)',
  async run(ctx) {
    const r = await benchNet(ctx.runs);
    return {
      rows: netRows(r).map((x) => ({ what: x.what, cells: [x.measured], target: x.target, pass: x.pass })),
      notes: ['Loops of bench/workloads/{udp-loop,tcp-echo-loop,dns-loop}.c, untraced vs under `rg-capture` (all kinds), back to back per round; the machine is shared.'],
      data: r,
    };
  },
};
