/**
 * `export --format parquet --threads N`: the frames cut into ranges, each
 * exported by a thread of its own after replaying the frames before it for
 * state only. Read back by the real DuckDB, the dataset is the one-thread
 * export's row for row, on captures where processes started in one range act
 * (and are parents, exit, reuse pids, connect and resolve) in the next; over
 * segments of one capture and several hosts; with filters and detections.
 * The summary says the same counts, and a part's failure is the same one
 * line and exit code, with no file of the run left behind.
 *
 * RG_EXPORT_WORKER_START_RECORDS=0 lets these small captures be split (a
 * real run keeps a capture too small to pay for a thread on one thread).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, REPLAY_BIN, REPLAY_LAUNCHER } from '../support/golden.js';
import { execRecord, exitRecord, forkRecord, openRecord, type Identity } from '../support/records.js';
import { dnsRecord, tcpConnectRecord, v4 } from '../support/net-records.js';
import { writeDnsMessage } from '../support/dns-wire.js';
import { SYNTHETIC_MONOTONIC_NS, SYNTHETIC_REALTIME_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';
import { frameRecordCounts, planRanges } from '../../src/export/frame-ranges.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-split-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

type Doc = Record<string, unknown>;
interface Run { status: number | null; stderr: string; dir: string }

function exportRun(args: string[], threads: number | string, bin = REPLAY_BIN): Run {
  const dir = join(scratch(), 'lake');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', RG_EXPORT_WORKER_START_RECORDS: '0' };
  const argv = ['export', ...args, '-o', dir, '--threads', String(threads)];
  const r = bin === REPLAY_BIN ? spawnSync(process.execPath, [bin, ...argv], { cwd: REPO_ROOT, env }) : spawnSync(bin, argv, { cwd: REPO_ROOT, env: { ...env, NODE_OPTIONS: '' } });
  return { status: r.status, stderr: r.stderr.toString(), dir };
}

function parquetFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'));
}

/** The parts that wrote files (w0, w1, ...; none for a one-thread export). */
function partsOf(dir: string): string[] {
  return [...new Set(parquetFiles(dir).flatMap((f) => /part-[0-9a-f]{8}-(w\d+)-\d{5}\.parquet$/.exec(f)?.[1] ?? []))].sort();
}

/**
 * Every row of the dataset as DuckDB reads it, per class, ordered by the
 * capture, frame sequence number and record index, then by every column.
 */
async function datasetRows(dataset: string): Promise<Map<string, Doc[]>> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  const out = new Map<string, Doc[]>();
  try {
    const classes = [...new Set(parquetFiles(dataset).flatMap((f) => /class_uid=(\d+)/.exec(f)?.[1] ?? []))].sort();
    for (const c of classes) {
      const r = await conn.runAndReadAll(`SELECT unmapped.capture_sha256 AS k_sha, unmapped.frame_seq AS k_seq, unmapped.record_index AS k_index, *
        FROM read_parquet('${dataset}/*/*/class_uid=${c}/*.parquet', hive_partitioning = false) ORDER BY ALL`);
      out.set(c, r.getRowObjectsJson() as Doc[]);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return out;
}

/** The summary and warnings, without the number of files (parts write files of their own). */
const summary = (run: Run) => run.stderr.replace(run.dir, 'DIR').replace(/\(\d+ files;/, '(N files;').split('\n').filter((l) => l !== '');

/** Exports `args` on one thread and on each of `threads`, and checks that every dataset and summary is the one-thread one. */
async function expectSameAsOneThread(args: string[], threads: number[], minParts: (t: number) => number = () => 2): Promise<Map<string, Doc[]>> {
  const one = exportRun(args, 1);
  expect(one.status, one.stderr).not.toBeNull();
  expect(partsOf(one.dir)).toEqual([]);
  const expected = await datasetRows(one.dir);
  for (const t of threads) {
    const many = exportRun(args, t);
    expect(many.status, many.stderr).toBe(one.status);
    expect(summary(many)).toEqual(summary(one));
    const parts = partsOf(many.dir);
    expect(parts.length, `--threads ${t}: parts ${parts.join(',')}`).toBeGreaterThanOrEqual(minParts(t));
    expect(parts.length).toBeLessThanOrEqual(t);
    const got = await datasetRows(many.dir);
    expect([...got.keys()]).toEqual([...expected.keys()]);
    for (const [c, rows] of expected) {
      const other = got.get(c)!;
      expect(other.length, `class ${c}, --threads ${t}`).toBe(rows.length);
      for (let i = 0; i < rows.length; i++) expect(other[i], `class ${c} row ${i}, --threads ${t}`).toEqual(rows[i]);
    }
  }
  return expected;
}

const at = (ts: bigint, pid: number, ppid: number, comm: string, uid = 1000): Identity => ({ ts, pid, ppid, comm, uid });
const MINING_POOL = v4(10, 9, 9, 9);

/**
 * A capture of `frames` frames of about 40 records where every process lives
 * across frames: forked in one, exec'd and acting in the next ones, exiting
 * later; a shell (pid 100) that predates the capture acts throughout and
 * exits in the last frame (its start time is learnt only then, after its
 * GUID was fixed); pids reused; connects followed by a shell (a stateful
 * detection); a mining pool resolved, then connected to; an exec from /tmp.
 */
function crossingRecords(frames: number, t0 = SYNTHETIC_MONOTONIC_NS + 1_000_000_000n, pidBase = 1000): { records: Uint8Array[]; frameBreaks: number[] } {
  const records: Uint8Array[] = [];
  const frameBreaks: number[] = [];
  let ts = t0;
  const next = () => (ts += 1_000_003n);
  const shell = 100;
  /** The pid forked in each frame: every fourth from frame 8 on reuses the pid of frame f-8, which exited in frame f-5. */
  const pidOf: number[] = [];
  const started = new Map<number, bigint>();
  for (let f = 0; f < frames; f++) {
    const pid = f >= 8 && f % 4 === 0 ? pidOf[f - 8] : pidBase + f;
    pidOf.push(pid);
    const fork = next();
    started.set(pid, fork);
    records.push(forkRecord(at(fork, shell, 1, 'bash'), pid));
    records.push(openRecord(at(next(), shell, 1, 'bash'), `/home/u/.history-${f}`, 0o1101, 3));
    // Daemons that predate the capture: each acts in frame 0, then only exits, in frame k; its exit is the first
    // time the capture learns its start, after its GUID was fixed (whichever frame a range starts at, one such
    // daemon's exit is its first event there).
    if (f === 0) for (let k = 1; k < frames; k++) records.push(openRecord(at(next(), 300 + k, 1, 'daemon'), '/var/log/daemon.log', 0o2001, 4));
    else records.push(exitRecord(at(next(), 300 + f, 1, 'daemon'), SYNTHETIC_MONOTONIC_NS - BigInt(f) * 1_000_000_000n, 0));
    if (f > 0) {
      // The previous frame's child, exec'd and at work in this frame.
      const prev = pidOf[f - 1];
      const tool = `tool${f % 7}`;
      records.push(execRecord(at(next(), prev, shell, 'bash'), f % 5 === 0 ? `/tmp/drop${f}` : `/usr/bin/${tool}`, [tool, `--frame=${f}`, 'x'.repeat(f % 30)]));
      for (let i = 0; i < 12; i++) records.push(openRecord(at(next(), prev, shell, tool), `/var/lib/app/${f % 11}/file${i % 5}.db`, i % 3 === 0 ? 0o101 : 0, i % 7 === 0 ? -13 : 3 + i));
      records.push(tcpConnectRecord(at(next(), prev, shell, tool), v4(192, 0, 2, f % 250), 443, f % 6 === 0 ? -111 : 0));
      // Its child, forked here: a shell in the next frame, right after its parent connected out (reverse_shell).
      const child = 50_000 + f;
      const forked = next();
      started.set(child, forked);
      records.push(forkRecord(at(forked, prev, shell, tool), child));
      if (f % 3 === 0) {
        records.push(dnsRecord(at(next(), prev, shell, tool), 2, v4(127, 0, 0, 53), writeDnsMessage({
          id: f, response: true, questions: [{ name: 'eu.supportxmr.com', type: 1 }],
          answers: [{ name: 'eu.supportxmr.com', type: 1, data: Uint8Array.from(MINING_POOL.addr.slice(0, 4)) }],
        })));
      }
    }
    if (f > 1) {
      const grandchild = 50_000 + f - 1;
      const parent = pidOf[f - 2];
      records.push(execRecord(at(next(), grandchild, parent, 'tool'), '/bin/sh', ['sh', '-i']));
      records.push(openRecord(at(next(), grandchild, parent, 'sh'), '/etc/passwd', 0, 3));
      records.push(tcpConnectRecord(at(next(), grandchild, parent, 'sh'), MINING_POOL, 3333));
      records.push(exitRecord(at(next(), grandchild, parent, 'sh'), started.get(grandchild)!, 0));
    }
    if (f > 2) {
      // The child of three frames ago exits (its start: the fork the capture saw).
      const old = pidOf[f - 3];
      records.push(exitRecord(at(next(), old, shell, `tool${(f - 2) % 7}`), started.get(old)!, f % 4, f % 9 === 0 ? 9 : 0));
    }
    while (records.length % 40 !== 0) records.push(openRecord(at(next(), shell, 1, 'bash'), '/proc/self/status', 0, 3));
    frameBreaks.push(records.length - 1);
  }
  // The shell that predates the capture exits last: only now does the capture learn its start time.
  records.push(exitRecord(at(next(), shell, 1, 'bash'), SYNTHETIC_MONOTONIC_NS - 5_000_000_000n, 0));
  // Records that fail schema checks (cut short), in the first and in the last frame: counted, no row.
  records.splice(5, 0, openRecord(at(t0 + 5n, shell, 1, 'bash'), '/cut', 0, 3).subarray(0, 48));
  records.push(openRecord(at(next(), shell, 1, 'bash'), '/cut', 0, 3).subarray(0, 60));
  return { records, frameBreaks: frameBreaks.map((b) => b + 1) };
}

function writeCrossing(dir: string, name: string, frames: number, manifest = syntheticManifest(), t0?: bigint, pidBase?: number, noEnd = false): string {
  const path = join(dir, name);
  writeFileSync(path, writeSynthetic({ ...crossingRecords(frames, t0, pidBase), manifest, lostKernelByCpu: [3, 4], noEnd }));
  return path;
}

describe('export --format parquet --threads N, read back by DuckDB', () => {
  it('writes the one-thread dataset row for row with 2, 3 and 8 threads: process context, parents, GUIDs and detections across ranges', async () => {
    const d = scratch();
    const capture = writeCrossing(d, 'crossing.rgc', 24);
    expect(frameRecordCounts([capture]).length).toBe(25);
    const rows = await expectSameAsOneThread([capture, '--detect'], [2, 3, 8], (t) => Math.min(t, 5));
    // More threads than frames: as many parts as frames at most.
    await expectSameAsOneThread([writeCrossing(d, 'three.rgc', 2), '--detect'], [8], () => 2);
    // What the comparison covered: rows of every class, findings from the stateful detection, GUIDs of reused pids.
    expect([...rows.keys()]).toEqual(['1001', '1007', '2004', '4001', '4003']);
    const findings = rows.get('2004')!.map((r) => ((r.finding_info as Doc).uid as string));
    expect(findings.some((f) => f.includes('network.reverse_shell'))).toBe(true);
    const procs = rows.get('1007')!;
    const guidsOfPid = (pid: number) => new Set(procs.map((r) => ((r.actor as Doc).process as Doc)).filter((p) => p.pid === pid).map((p) => p.uid));
    expect(guidsOfPid(1000).size).toBeGreaterThan(1);
    // Exit rows name a process that predates the capture by the GUID fixed at its first event (before its start was known).
    expect(guidsOfPid(100).size).toBe(1);
    expect(guidsOfPid(305).size).toBe(1);
  }, 120_000);

  it('says the same over segments of one capture and a second host, with filters', async () => {
    const d = scratch();
    const seg = (index: number) => syntheticManifest({ segment: { capture_id: 'cap-a', index, previous_sha256: null } });
    const first = writeCrossing(d, 'a-000.rgc', 9, seg(0));
    // The second segment goes on with the first one's processes (pids 1000..) on the same boot.
    const second = writeCrossing(d, 'a-001.rgc', 9, seg(1), SYNTHETIC_MONOTONIC_NS + 2_000_000_000_000n, 1003);
    const other = writeCrossing(d, 'b.rgc', 6, syntheticManifest({
      host: { hostname: 'other-host', kernel_release: 'k', machine: 'x86_64', boot_id: '11111111-0000-4000-8000-000000000000' },
      segment: { capture_id: 'cap-b', index: 0, previous_sha256: null },
    }), undefined, undefined, true);
    const inputs = [first, second, other];
    await expectSameAsOneThread(inputs, [2, 3]);
    await expectSameAsOneThread([...inputs, '--kind', 'file_open,process_start,net_connect'], [3]);
    await expectSameAsOneThread([...inputs, '--pid', '1001', '--tree'], [3]);
    const since = new Date(Number((SYNTHETIC_REALTIME_NS + 1_000_000_000n + 200_000_000n) / 1_000_000n)).toISOString();
    await expectSameAsOneThread([...inputs, '--since', since, '--detect'], [2]);
  }, 180_000);

  it('runs from the start-up snapshot (the launcher) as from the bundle', async () => {
    const d = scratch();
    const capture = writeCrossing(d, 'c.rgc', 6);
    const viaBundle = exportRun([capture], 2);
    const viaLauncher = exportRun([capture], 2, REPLAY_LAUNCHER);
    expect(viaLauncher.status, viaLauncher.stderr).toBe(0);
    expect(partsOf(viaLauncher.dir)).toEqual(['w0', 'w1']);
    expect(await datasetRows(viaLauncher.dir)).toEqual(await datasetRows(viaBundle.dir));
  }, 60_000);
});

describe('export --threads N: failures', () => {
  it('a part that meets a file that is not a capture: the one-thread line and exit code, and no file of the run left', () => {
    const d = scratch();
    const capture = writeCrossing(d, 'good.rgc', 8);
    writeFileSync(join(d, 'not.rgc'), 'hello, not a capture');
    const one = exportRun([capture, join(d, 'not.rgc')], 1);
    const two = exportRun([capture, join(d, 'not.rgc')], 2);
    expect(one.status).toBe(4);
    expect(two.status).toBe(4);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(two.dir, { recursive: true }).map(String).filter((f) => /part-/.test(f))).toEqual([]);
  });

  it('--threads must be a whole number from 1 to 64', () => {
    for (const bad of ['0', '2.5', 'many', '65']) {
      const r = exportRun(['captures/demo.rgc'], bad);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`rg-replay: --threads must be a whole number from 1 to 64, got "${bad}"`]);
    }
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk (a small tmpfs) while parts write: one line, exit 3, as on one thread; no file of the run left', () => {
    const d = scratch();
    const capture = writeCrossing(d, 'big.rgc', 40);
    const results: Run[] = [];
    for (const threads of [1, 2]) {
      const mnt = join(d, `full${threads}`);
      mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
      try {
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', RG_EXPORT_WORKER_START_RECORDS: '0' };
        const r = spawnSync(process.execPath, [REPLAY_BIN, 'export', capture, '-o', join(mnt, 'lake'), '--threads', String(threads)], { cwd: REPO_ROOT, env });
        results.push({ status: r.status, stderr: r.stderr.toString().replace(mnt, 'MNT'), dir: join(mnt, 'lake') });
        expect(readdirSync(join(mnt, 'lake'), { recursive: true }).map(String).filter((f) => /part-.*\.tmp$/.test(f))).toEqual([]);
        if (threads > 1) expect(readdirSync(join(mnt, 'lake'), { recursive: true }).map(String).filter((f) => /part-/.test(f))).toEqual([]);
      } finally {
        execFileSync('umount', [mnt]);
      }
    }
    expect(results[0].status).toBe(3);
    expect(results[1].status).toBe(3);
    expect(results[1].stderr).toBe(results[0].stderr);
    expect(results[1].stderr).toMatch(/^rg-replay: writing Parquet to MNT\/lake failed: (ENOSPC|.*no space)/);
    expect(results[1].stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('frame ranges', () => {
  it('gives the first part the most frames and every part some, fewer parts than frames allow none empty', () => {
    const even = Array.from({ length: 100 }, () => 1000);
    const two = planRanges(even, 2, 0.1, 0);
    expect(two).toHaveLength(2);
    // Part 0: T; part 1: 0.1 * T + (100k - T) = T, so T ~ 52.6k records: frame 53.
    expect(two[1]).toBe(53);
    const three = planRanges(even, 3, 0.1, 0);
    expect(three).toHaveLength(3);
    expect(three[1] - three[0]).toBeGreaterThan(three[2] - three[1]);
    expect(three[2] - three[1]).toBeGreaterThan(100 - three[2]);
    expect(planRanges([5, 5, 5], 8, 0.1, 0).length).toBeLessThanOrEqual(3);
    expect(planRanges([5, 5, 5], 8, 0.1, 0)[0]).toBe(0);
    // A capture too small to pay for a worker's start stays on one thread.
    expect(planRanges(even, 2, 0.1, 200_000)).toEqual([0]);
    expect(planRanges([], 4)).toEqual([0]);
  });
});
