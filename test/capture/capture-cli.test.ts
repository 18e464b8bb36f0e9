/**
 * rg-capture end to end on the real kernel: a workload whose actions are known
 * runs under `rg-capture -o F -- workload`; the replay must show each action
 * exactly once with the right identity and details, and nothing lost.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATH_LEN } from '../../src/abi/constants.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { CAPTURE_BIN, type CaptureRun, runCapture } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('capture-cli');

type Event = Record<string, unknown> & { event_type: string; pid: number; ppid: number; uid: number };

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });
}

function replayJson(file: string): Event[] {
  const r = runReplayCli([file, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Event);
}

describe.skipIf(!runKernelTests)('rg-capture against a known workload (real eBPF)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-capture-'));
  const tag = `rgw${process.pid}x${Date.now().toString(36)}`;
  const EXECS = 5;
  const OPENS = 7;
  const uniqueBin = join(dir, `${tag}-bin`);
  const longDir = join(dir, ...Array.from({ length: 6 }, (_, i) => `${tag}-long-directory-component-${i}`));
  const longPath = join(longDir, 'target-file');
  let v4: Server;
  let v6: Server;
  let run: CaptureRun;
  let events: Event[];
  let workloadPid: number;

  beforeAll(async () => {
    v4 = await listen('127.0.0.1');
    v6 = await listen('::1');
    const p4 = (v4.address() as { port: number }).port;
    const p6 = (v6.address() as { port: number }).port;
    copyFileSync('/bin/true', uniqueBin);
    chmodSync(uniqueBin, 0o755);
    mkdirSync(longDir, { recursive: true });
    writeFileSync(longPath, 'x');
    for (let i = 0; i < OPENS; i++) writeFileSync(join(dir, `${tag}-open-${i}`), 'x');
    chmodSync(dir, 0o777);
    const script = join(dir, 'workload.sh');
    writeFileSync(script, [
      '#!/bin/bash',
      'echo "pid $$"',
      `for i in $(seq 1 ${EXECS}); do ${uniqueBin}; done`,
      `for i in $(seq 0 ${OPENS - 1}); do : < ${dir}/${tag}-open-$i; done`,
      `: > ${dir}/${tag}-written`,
      `: < ${dir}/${tag}-missing 2>/dev/null`,
      `: < ${longPath}`,
      `exec 3<>/dev/tcp/127.0.0.1/${p4}; exec 3<&-`,
      `exec 3<>/dev/tcp/::1/${p6}; exec 3<&-`,
      'exit 7',
    ].join('\n'));
    chmodSync(script, 0o755);
    const out = join(dir, 'workload.rgc');
    // As uid 65534, so uid attribution is checked against a known non-root value.
    // --follow: only the workload is recorded, so unrelated load on the machine cannot crowd the ring buffer.
    run = await runCapture(['-o', out, '--follow', '--', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', script]);
    workloadPid = Number(/pid (\d+)/.exec(run.stdout)?.[1]);
    events = replayJson(out);
  }, 60_000);

  afterAll(() => {
    v4?.close();
    v6?.close();
  });

  const mine = (pred: (e: Event) => boolean) => events.filter(pred);

  it('prints ready, passes stdout through and exits with the command status', () => {
    expect(run.stderr).toMatch(/ready/);
    expect(run.status).toBe(7);
    expect(workloadPid).toBeGreaterThan(0);
  });

  it('records each exec of the unique binary exactly once, as children of the workload', () => {
    const execs = mine((e) => e.event_type === 'process_start' && e.filename === uniqueBin);
    expect(execs.length).toBe(EXECS);
    for (const e of execs) {
      expect(e.ppid).toBe(workloadPid);
      expect(e.uid).toBe(65534);
      expect(e.argv).toEqual([uniqueBin]);
      expect(e.filename_truncated).toBe(false);
    }
    expect(new Set(execs.map((e) => e.pid)).size).toBe(EXECS);
    const forks = mine((e) => e.event_type === 'process_fork' && execs.some((x) => x.pid === e.child_pid));
    expect(forks.length).toBe(EXECS);
    for (const f of forks) expect(f.pid).toBe(workloadPid);
    const exits = mine((e) => e.event_type === 'process_exit' && execs.some((x) => x.pid === e.pid));
    expect(exits.map((e) => e.exit_code)).toEqual(Array(EXECS).fill(0));
  });

  it('records each unique open exactly once with pid, ppid, uid, flags and result', () => {
    for (let i = 0; i < OPENS; i++) {
      const opens = mine((e) => e.event_type === 'file_open' && e.path === join(dir, `${tag}-open-${i}`));
      expect(opens.length, `open ${i}`).toBe(1);
      expect(opens[0]).toMatchObject({ pid: workloadPid, ppid: run.capturePid, uid: 65534, open_flags: 'O_RDONLY', path_arg: join(dir, `${tag}-open-${i}`), path_arg_truncated: false });
      expect(opens[0].result as number).toBeGreaterThanOrEqual(0);
    }
    const written = mine((e) => e.event_type === 'file_open' && e.path === join(dir, `${tag}-written`));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ open_flags: 'O_WRONLY|O_CREAT|O_TRUNC', mode: 0o666 });
  });

  it('records the failing open with -ENOENT', () => {
    const missing = mine((e) => e.event_type === 'file_open' && e.path === join(dir, `${tag}-missing`));
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ result: -2, error: 'ENOENT', pid: workloadPid });
  });

  it('flags a path longer than PATH_LEN as truncated and keeps its first PATH_LEN - 1 bytes, as passed and from the kernel', () => {
    expect(Buffer.byteLength(longPath)).toBeGreaterThan(PATH_LEN);
    const long = mine((e) => e.event_type === 'file_open' && e.path_arg_truncated === true && longPath.startsWith(e.path_arg as string));
    expect(long).toHaveLength(1);
    expect(Buffer.byteLength(long[0].path_arg as string)).toBe(PATH_LEN - 1);
    expect(long[0].path).toBe(long[0].path_arg); // the same file: its kernel path is cut at the same byte
    expect(long[0].path_flags).toBe('from_file|truncated');
    expect(long[0].result as number).toBeGreaterThanOrEqual(0);
  });

  it('records connects to the local listeners over IPv4 and IPv6 with address, port and result', () => {
    const p4 = (v4.address() as { port: number }).port;
    const p6 = (v6.address() as { port: number }).port;
    const c4 = mine((e) => e.event_type === 'net_connect' && e.port === p4);
    const c6 = mine((e) => e.event_type === 'net_connect' && e.port === p6);
    expect(c4).toHaveLength(1);
    expect(c6).toHaveLength(1);
    expect(c4[0]).toMatchObject({ pid: workloadPid, uid: 65534, family: 'AF_INET', addr: '127.0.0.1', result: 0, protocol: 6 });
    expect(c6[0]).toMatchObject({ pid: workloadPid, family: 'AF_INET6', addr: '::1', result: 0 });
  });

  it('lost nothing and the file is complete and intact', () => {
    const r = runReplayCli([join(dir, 'workload.rgc'), '--stats', '--json']);
    expect(r.status).toBe(0);
    const stats = JSON.parse(r.stdout.toString());
    expect(stats).toMatchObject({ complete: true, damaged: false, lost: { kernel: 0, user: 0 }, invalid: { total: 0 } });
    expect(stats.files[0].stop_reason).toBe('command_exit');
  });

  it('records nothing of rg-capture itself (its canary included) but the fork that started the command', () => {
    const own = mine((e) => e.pid === run.capturePid);
    expect(own.map((e) => [e.event_type, e.child_pid])).toEqual([['process_fork', workloadPid]]);
  });
});

describe.skipIf(!runKernelTests)('rg-capture failure modes', () => {
  it('refuses to overwrite an existing file without --force: one line, exit 3 (an output that cannot be written)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-exists-'));
    const out = join(dir, 'x.rgc');
    writeFileSync(out, 'precious');
    const r = spawnSync(process.execPath, [CAPTURE_BIN, '-o', out, '--', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(`rg-capture: ${out} exists; use --force to replace it\n`);
    expect(readFileSync(out, 'utf8')).toBe('precious');
  });

  it('--force through a planted symlink replaces the link, never the file it points to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-link-'));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    const out = join(dir, 'x.rgc');
    symlinkSync(victim, out);
    const r = spawnSync(process.execPath, [CAPTURE_BIN, '-o', out, '--force', '--', 'true'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(runReplayCli([out, '--stats', '--json']).status).toBe(0);
  });

  it('without privileges: one clear line, exit 10, no file left behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-unpriv-'));
    chmodSync(dir, 0o777);
    const out = join(dir, 'x.rgc');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, CAPTURE_BIN, '-o', out, '--duration', '1s'], { encoding: 'utf8' });
    expect(r.status).toBe(10);
    expect(r.stderr.trim()).toBe('rg-capture: needs root or CAP_BPF + CAP_PERFMON');
    expect(spawnSync('test', ['-e', out]).status).not.toBe(0);
  });

  it('stops cleanly on SIGINT with an end record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-sigint-'));
    const out = join(dir, 'x.rgc');
    const child = spawn(process.execPath, [CAPTURE_BIN, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) => child.stderr.on('data', (d) => { stderr += d; if (/ready/.test(stderr)) resolve(); }));
    const t0 = Date.now();
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    const stats = JSON.parse(runReplayCli([out, '--stats', '--json']).stdout.toString());
    expect(stats).toMatchObject({ complete: true, damaged: false });
    expect(stats.files[0].stop_reason).toBe('signal');
  });
});
