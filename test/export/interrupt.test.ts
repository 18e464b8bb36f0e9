/**
 * An export stopped by SIGINT or SIGTERM (a responder's Ctrl-C, a job's
 * timeout): it stops at its next frame, keeps no file of its run (finished or
 * not: a dataset never holds part of a run, which a later --append would
 * count twice), leaves another run's files as they were, says so in one line
 * and exits 130 or 143. The same for a failure (a full disk): no file of the
 * run is left. An NDJSON file cut short is removed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_BIN, REPO_ROOT, runReplayCli } from '../support/golden.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-interrupt-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A capture of `n` events, mostly opens of many paths (as writer-thread.test.ts's). */
function capture(path: string, n: number, host: string): string {
  const records: Uint8Array[] = [];
  let ts = 1_000_000_000_000n;
  for (let i = 0; records.length < n; i++) {
    const pid = 1000 + (i % 300);
    const id = { ts: (ts += 1000n), pid, ppid: 1, comm: 'make' };
    if (i % 500 === 0) {
      records.push(forkRecord({ ...id, pid: 1, comm: 'init' }, pid));
      records.push(execRecord({ ...id, ts: (ts += 1000n) }, '/usr/bin/cc', ['cc', '-c', `file${i}.c`]));
    }
    if (i % 13 === 0) records.push(connectRecord({ ...id, ts: (ts += 1000n) }, 2, [10, 0, (i >> 8) & 255, i & 255], 443, 0));
    records.push(openRecord({ ...id, ts: (ts += 1000n) }, `/src/dir${i % 37}/file${i % 2053}.c`, 0, 3 + (i % 40)));
    if (i % 500 === 499) records.push(exitRecord({ ...id, ts: (ts += 1000n) }, id.ts, 0));
  }
  writeFileSync(path, writeSynthetic({
    records,
    manifest: syntheticManifest({ host: { hostname: host, kernel_release: 'k', machine: 'x86_64', boot_id: `boot-${host}` }, segment: { capture_id: `cap-${host}`, index: 0, previous_sha256: null } }),
  }));
  return path;
}

interface Stopped { status: number | null; signal: NodeJS.Signals | null; stderr: string; sawFinished: boolean }

/**
 * Runs `rg-replay export ARGS` and sends `signal` once `ready(dir)` holds (a file of the run exists), or
 * after 20 s; waits for the end (killed after 60 s).
 */
function exportAndSignal(args: string[], signal: NodeJS.Signals, ready: () => boolean, env: NodeJS.ProcessEnv = {}): Promise<Stopped> {
  return replayAndSignal(['export', ...args], signal, ready, env);
}

/** As exportAndSignal, for any rg-replay command line. */
function replayAndSignal(args: string[], signal: NodeJS.Signals, ready: () => boolean, env: NodeJS.ProcessEnv = {}): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REPLAY_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    let sent = false;
    let sawFinished = false;
    const started = Date.now();
    const poll = setInterval(() => {
      if (sent) return;
      if (ready() || Date.now() - started > 20_000) {
        sawFinished = ready();
        sent = true;
        child.kill(signal);
      }
    }, 5);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status, sig) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ status, signal: sig, stderr, sawFinished });
    });
  });
}

const runFiles = (dir: string) => existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => /(^|\/)\.?part-/.test(f)) : [];
const finishedFiles = (dir: string) => runFiles(dir).filter((f) => f.endsWith('.parquet'));

describe('export: stopped by a signal', () => {
  let inputs: string[];
  beforeAll(() => {
    const d = scratch();
    // Four captures (hosts) of 150k events: a run of seconds, long enough to be stopped in its middle.
    inputs = ['a', 'b', 'c', 'd'].map((h) => capture(join(d, `${h}.rgc`), 150_000, `host-${h}`));
  }, 120_000);

  for (const [threads, signal, code] of [[null, 'SIGINT', 130], ['1', 'SIGTERM', 143], ['2', 'SIGINT', 130]] as const) {
    it(`${threads === null ? 'default' : `--threads ${threads}`}, ${signal}: exit ${code}, one line, no file of the run left, the dataset's earlier run untouched`, async () => {
      const lake = join(scratch(), 'lake');
      // An earlier, complete run in the lake.
      expect(runReplayCli(['export', 'captures/demo.rgc', '-o', lake]).status).toBe(0);
      const before = new Map(finishedFiles(lake).map((f) => [f, readFileSync(join(lake, f))]));
      expect(before.size).toBeGreaterThan(0);
      const args = [...inputs, '-o', lake, '--append', ...(threads === null ? [] : ['--threads', threads])];
      // Small files (RG_EXPORT_BATCH_ROWS): some of the run's files are finished when the signal comes.
      const r = await exportAndSignal(args, signal, () => finishedFiles(lake).length > before.size, { RG_EXPORT_BATCH_ROWS: '20000' });
      expect(r.sawFinished, 'a file of the run was finished before the signal').toBe(true);
      expect(r.status, r.stderr).toBe(code);
      expect(r.stderr).toBe(`rg-replay: interrupted (${signal}): the export stopped; no file of it was kept in ${lake}\n`);
      expect(runFiles(lake).sort()).toEqual([...before.keys()].sort());
      for (const [f, bytes] of before) expect(readFileSync(join(lake, f)).equals(bytes), f).toBe(true);
      // The lake reads as before: the earlier run's rows only.
      expect(runReplayCli(['sql', lake, 'select count(*) n from events', '--json']).stdout.toString()).toBe('{"n":"4106"}\n');
    }, 90_000);
  }

  it('into a new directory: the directory is left empty, and the same command can run again', async () => {
    const lake = join(scratch(), 'lake');
    const r = await exportAndSignal([...inputs, '-o', lake], 'SIGINT', () => runFiles(lake).length > 0);
    expect(r.status, r.stderr).toBe(130);
    expect(readdirSync(lake)).toEqual([]);
    expect(runReplayCli(['export', 'captures/demo.rgc', '-o', lake]).status).toBe(0);
  }, 90_000);

  it('sql over captures: the signal ends it at once, and its scratch dataset is removed', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const tmp = scratch();
      // The scratch dataset is made in TMPDIR: signalled once the export for the query has written a file there.
      const written = () => readdirSync(tmp, { recursive: true }).map(String).some((f) => /\.?part-/.test(f));
      const r = await replayAndSignal(['sql', ...inputs, 'SELECT count(*) FROM events'], signal, written, { TMPDIR: tmp });
      expect(r.sawFinished).toBe(true);
      // The signal's own action ends it (a process.exit() would wait for DuckDB's threads).
      expect(r.signal, r.stderr).toBe(signal);
      expect(r.stderr).toBe(`rg-replay: interrupted (${signal}): the query stopped\n`);
      expect(readdirSync(tmp)).toEqual([]);
    }
  }, 90_000);

  it('sql over a dataset: a signal during a long query ends it at once', async () => {
    const lake = join(scratch(), 'lake');
    expect(runReplayCli(['export', 'captures/demo.rgc', '-o', lake]).status).toBe(0);
    const started = Date.now();
    // Minutes of work for DuckDB's threads; the signal comes 1.5 s in, while they run it.
    const r = await replayAndSignal(['sql', lake, 'SELECT sum(x * x) FROM range(1000000000000) t(x)'], 'SIGINT', () => Date.now() - started > 1500);
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stderr).toBe('rg-replay: interrupted (SIGINT): the query stopped\n');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 90_000);

  it('an NDJSON file cut short is removed', async () => {
    const out = join(scratch(), 'events.ndjson');
    const r = await exportAndSignal([...inputs, '--format', 'ocsf', '-o', out], 'SIGTERM', () => existsSync(out) && readFileSync(out).length > 0);
    expect(r.status, r.stderr).toBe(143);
    expect(r.stderr).toBe(`rg-replay: interrupted (SIGTERM): the export stopped; ${out} was removed\n`);
    expect(existsSync(out)).toBe(false);
  }, 90_000);
});
