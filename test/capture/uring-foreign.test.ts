/**
 * io_uring completions that are not the request's own completion in its
 * process (an exploratory tester's findings, test/capture/programs/uring-foreign.c):
 * a CQE made up by IORING_OP_MSG_RING with a pending request's user_data was
 * recorded as that request's completion (its result, in whoever sent it), and
 * the completions a kernel worker posts when a DEFER_TASKRUN ring is torn down
 * after its process exited were recorded as the kworker's, their names joined
 * to the kworker's cwd (an unlink in the test's directory recorded as `/NAME`),
 * and dropped by --watch-prefix. Checked against the filesystem and the CQEs.
 * Also: a ring whose requests outlive the command, and a TCP Fast Open made by
 * IORING_OP_SENDMSG (no connect() and no sendto() to see it by).
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/constants.js';
import { EVENT_FLAG_FASTOPEN, EVENT_FLAG_IO_URING } from '../../src/abi/schema.js';
import { program, readRecords, type Rec, runCapture, text } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('uring-foreign');

const uring = (recs: Rec[]): Rec[] => recs.filter((r) => ((r.f.flags as number) & EVENT_FLAG_IO_URING) !== 0 && r.kind !== EventKind.IoUringSetup);

describe.skipIf(!runKernelTests)('io_uring completions not posted by the request itself (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-uring-foreign-')));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a CQE made up by IORING_OP_MSG_RING with a pending unlink\'s user_data is not recorded as the unlink; the real one is, with its path', async () => {
    const dir = join(work, 'forge');
    mkdirSync(dir);
    writeFileSync(join(dir, '.bash_history'), 'x');
    const out = join(work, 'forge.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('uring-foreign'), 'forge', dir, '.bash_history']);
    expect(run.status, run.stderr).toBe(0);
    // The truth: the made-up CQE (user_data 7, res -2) came first, then the real delete's (0), and the file is gone.
    const cqes = run.stdout.split('\n').filter((l) => l.startsWith('cqe ')).map((l) => l.slice(4));
    expect(cqes.indexOf('7 -2')).toBeGreaterThanOrEqual(0);
    expect(cqes.indexOf('7 -2')).toBeLessThan(cqes.indexOf('7 0'));
    expect(run.stdout).toContain('gone 1');
    expect(existsSync(join(dir, '.bash_history'))).toBe(false);
    const deletes = uring(readRecords(out)).filter((r) => r.kind === EventKind.FileDelete);
    expect(deletes.map((r) => [text(r.f.path), text(r.f.path_arg), r.f.result])).toEqual([[join(dir, '.bash_history'), '.bash_history', 0]]);
  });

  it('a DEFER_TASKRUN ring torn down after its process exited: the kworker\'s CQEs are recorded as the process\'s, names unresolved, kept by --watch-prefix', async () => {
    for (const watch of [false, true]) {
      const dir = join(work, watch ? 'defer-watch' : 'defer');
      mkdirSync(dir);
      writeFileSync(join(dir, 'victim'), 'x');
      const out = join(work, `defer-${watch}.rgc`);
      const run = await runCapture(['-o', out, ...(watch ? ['--watch-prefix', `${dir}/`] : []), '--follow', '--', program('uring-foreign'), 'defer', dir, 'victim']);
      expect(run.status, run.stderr).toBe(0);
      // The capture waited for those completions (a kworker posts them after the exit), and none was left.
      expect(run.stderr).not.toContain('still in flight');
      const pid = Number(/^pid (\d+)$/m.exec(run.stdout)?.[1]);
      expect(pid).toBeGreaterThan(0);
      // io-wq ran both: the file is gone, the new one exists.
      expect([existsSync(join(dir, 'victim')), existsSync(join(dir, 'victim.created'))]).toEqual([false, true]);
      const recs = uring(readRecords(out)).filter((r) => r.kind === EventKind.FileDelete || r.kind === EventKind.FileOpen);
      const row = (r: Rec) => [r.kind === EventKind.FileDelete ? 'delete' : 'open', r.f.pid, text(r.f.comm), text(r.f.path), text(r.f.path_arg), r.f.result];
      const rows = recs.map(row);
      expect(rows).toContainEqual(['delete', pid, 'uring-foreign', '', 'victim', 0]);
      const open = rows.find((x) => x[0] === 'open');
      expect(open?.slice(0, 5)).toEqual(['open', pid, 'uring-foreign', '', 'victim.created']);
      expect(open?.[5] as number).toBeGreaterThanOrEqual(0);
      // No record of these operations names a kernel thread or the kworker's cwd.
      for (const r of recs) {
        expect(r.f.pid).toBe(pid);
        expect(text(r.f.path)).not.toBe('/victim');
      }
    }
  });

  it('a request that outlives the command (a child keeps the ring) holds the capture open 1 s at most, and is said to be in flight', async () => {
    const out = join(work, 'linger.rgc');
    const run = await runCapture(['-o', out, '--events', 'connect,accept', '--follow', '--', program('uring-foreign'), 'linger']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^child \d+$/m);
    expect(run.stderr).toMatch(/rg-capture: 1 io_uring request\(s\) still in flight 1000 ms after \S*uring-foreign exited: their completions, if any come, are not in the capture/);
  });

  it('a TCP Fast Open made by IORING_OP_SENDMSG is recorded as the connect it is: the socket\'s destination, fastopen and io_uring', async () => {
    const out = join(work, 'fastopen.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('uring-fastopen')]);
    expect(run.status, run.stderr).toBe(0);
    const m = /^fd (\d+) res (-?\d+) peer (\d+) listener (\d+)$/m.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    const [, res, peer, listener] = m!.slice(1).map(Number);
    expect(peer).toBe(listener);
    const conns = readRecords(out).filter((r) => r.kind === EventKind.NetConnect);
    expect(conns.map((r) => [r.f.fd, r.f.result, r.f.port, Buffer.from(r.f.addr as Uint8Array).subarray(0, 4).toString('hex'),
      ((r.f.flags as number) & (EVENT_FLAG_FASTOPEN | EVENT_FLAG_IO_URING)) === (EVENT_FLAG_FASTOPEN | EVENT_FLAG_IO_URING)]))
      .toEqual([[-1, res, listener, '7f000001', true]]);
  });
});
