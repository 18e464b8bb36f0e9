/**
 * io_uring requests submitted with IOSQE_CQE_SKIP_SUCCESS: the kernel posts
 * no completion when they succeed, so io_uring_complete never fires for them.
 * rand-guard recorded io_uring operations at their completion, so such an open
 * of a secret file, a connect or a bind shell's listen left no record at all,
 * and the capture said "lost 0". Now they are recorded at their submission,
 * flagged result_unseen (result null in --json, status Unknown in OCSF), and
 * a failure, which the kernel still reports, is recorded again with its error.
 * Each case is checked against what the process itself saw (/proc/self/fd,
 * getpeername, getsockname, the completions it was posted).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AF_INET, EventKind, PATH_FLAG_FD_LATE, PATH_FLAG_LEXICAL, PATH_FLAG_UNRESOLVED } from '../../src/abi/constants.js';
import { EVENT_FLAG_IO_URING, EVENT_FLAG_RESULT_UNSEEN, EVENT_FLAG_SUBMISSION_UNSEEN } from '../../src/abi/schema.js';
import { runReplayCli } from '../support/golden.js';
import { program, readRecords, type Rec, runCapture, text } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('uring-skip');

type Json = Record<string, unknown>;
const lines = (out: Buffer): Json[] => out.toString().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
const uring = (recs: Rec[], kind: number): Rec[] => recs.filter((r) => r.kind === kind && ((r.f.flags as number) & EVENT_FLAG_IO_URING) !== 0);
const unseen = (r: Rec): boolean => ((r.f.flags as number) & EVENT_FLAG_RESULT_UNSEEN) !== 0;

/** The program's output lines: "open FD PATH", "cqe RES", ... */
async function run(out: string, args: string[]): Promise<string[][]> {
  const r = await runCapture(['-o', out, '--follow', '--', program('uring-skip'), ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => l.split(' '));
}

describe.skipIf(!runKernelTests)('io_uring requests whose success the kernel does not report (IOSQE_CQE_SKIP_SUCCESS, real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-uring-skip-')));
  const secret = join(work, 'secret');
  writeFileSync(secret, 'x');
  const log = join('/var/log', `rg-uring-skip-${process.pid}.log`);
  afterAll(() => rmSync(log, { force: true }));

  it('an OPENAT that succeeds without a completion is recorded at its submission, its result unknown', async () => {
    const out = join(work, 'open.rgc');
    const said = await run(out, ['open', secret]);
    // The truth: the file is open in the process, and the kernel posted no completion.
    const fd = Number(said.find((l) => l[0] === 'open')![1]);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(said.filter((l) => l[0] === 'cqe')).toEqual([]);
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((r) => [text(r.f.path), text(r.f.path_arg), r.f.result, unseen(r), ((r.f.flags as number) & EVENT_FLAG_SUBMISSION_UNSEEN) !== 0]))
      .toEqual([[secret, secret, 0, true, false]]);
    const json = lines(runReplayCli([out, '--json', '--kind', 'file_open']).stdout).filter((e) => e.io_uring === true);
    expect(json.map((e) => [e.path, e.result, 'error' in e, e.result_unseen])).toEqual([[secret, null, false, true]]);
    const txt = runReplayCli([out, '--no-color', '--kind', 'file_open']).stdout.toString().split('\n').filter((l) => l.includes(' io_uring'));
    expect(txt).toHaveLength(1);
    expect(txt[0]).toContain(' result=unseen ');
    expect(txt[0]).toMatch(/ io_uring result_unseen( |$)/);
    // OCSF: the outcome is Unknown (0), not Success; ECS likewise.
    const ocsf = lines(runReplayCli(['export', out, '--format', 'ocsf', '--kind', 'file_open']).stdout).filter((e) => (e.unmapped as Json).io_uring === true);
    expect(ocsf.map((e) => [e.status_id, (e.file as Json).path])).toEqual([[0, secret]]);
    // ECS bulk lines: an action line before each document.
    const ecs = lines(runReplayCli(['export', out, '--format', 'ecs', '--kind', 'file_open']).stdout)
      .filter((e) => e.event !== undefined && ((e.rand_guard as Json).file_open as Json).io_uring === true);
    expect(ecs.map((e) => [(e.event as Json).outcome, 'result' in ((e.rand_guard as Json).file_open as Json)])).toEqual([['unknown', false]]);
  }, 60_000);

  it('an OPENAT that fails still posts a completion: recorded at submission and again with its error', async () => {
    const out = join(work, 'absent.rgc');
    const absent = join(work, 'absent');
    const said = await run(out, ['open', absent]);
    expect(said.find((l) => l[0] === 'open')![1]).toBe('-1');
    const cqes = said.filter((l) => l[0] === 'cqe').map((l) => Number(l[1]));
    expect(cqes).toEqual([-2]);
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((r) => [text(r.f.path_arg), unseen(r), unseen(r) ? 0 : r.f.result])).toEqual([[absent, true, 0], [absent, false, cqes[0]]]);
  }, 60_000);

  it('a log truncated through a skipped OPENAT still raises defense_evasion.log_wipe', async () => {
    writeFileSync(log, 'evidence\n');
    const out = join(work, 'wipe.rgc');
    const said = await run(out, ['open', log, 'trunc']);
    expect(Number(said.find((l) => l[0] === 'open')![1])).toBeGreaterThanOrEqual(0);
    const alerts = lines(runReplayCli([out, '--alerts', '--json']).stdout);
    const wipe = alerts.filter((a) => a.rule_id === 'defense_evasion.log_wipe');
    expect(wipe.map((a) => [a.path, a.io_uring, a.result_unseen, 'result' in a]), JSON.stringify(alerts)).toEqual([[log, true, true, false]]);
  }, 60_000);

  it('a skipped success leaves nothing a later request is taken for: 64 NOPs where the unlink was are not recorded as unlinks', async () => {
    const victim = join(work, 'victim');
    writeFileSync(victim, 'x');
    const out = join(work, 'ghost.rgc');
    const said = await run(out, ['ghost', victim]);
    expect(said.find((l) => l[0] === 'ghost')![1]).toBe('0'); // the file is gone
    expect(said.filter((l) => l[0] === 'cqe')).toEqual([]);
    // One record: the unlink at its submission. The NOPs' completions (the same request addresses) are none.
    const deletes = uring(readRecords(out), EventKind.FileDelete);
    expect(deletes.map((r) => [text(r.f.path), unseen(r)])).toEqual([[victim, true]]);
  }, 60_000);

  it('--watch-prefix keeps a skipped open whose path was joined past a symlink (lexical: it may be under the prefix)', async () => {
    const real = join(work, 'real');
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, 'job'), 'x');
    rmSync(join(work, 'sw'), { force: true });
    symlinkSync(real, join(work, 'sw'));
    const out = join(work, 'prefix.rgc');
    const r = await runCapture(['-o', out, '--watch-prefix', `${real}/`, '--follow', '--', program('uring-skip'), 'open', join(work, 'sw', 'job')]);
    expect(r.status, r.stderr).toBe(0);
    expect(Number(r.stdout.split('\n').find((l) => l.startsWith('open '))!.split(' ')[1])).toBeGreaterThanOrEqual(0);
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((x) => [text(x.f.path), unseen(x), ((x.f.path_flags as number) & PATH_FLAG_LEXICAL) !== 0])).toEqual([[join(work, 'sw', 'job'), true, true]]);
  }, 60_000);

  it('an OPENAT into a fixed-file slot (no fd to read the file from) names the directory joined with the name, not nothing', async () => {
    const out = join(work, 'fixed.rgc');
    const said = await run(out, ['fixed', secret]);
    expect(said.find((l) => l[0] === 'fixed')![1]).toBe('0');
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((r) => [text(r.f.path), text(r.f.path_arg), r.f.result, ((r.f.path_flags as number) & PATH_FLAG_UNRESOLVED) !== 0])).toEqual([[secret, secret, 0, false]]);
  }, 60_000);

  it('an OPENAT2 with RESOLVE_IN_ROOT: "/job" is the dirfd\'s, which the join is not, so the path says lexical (and --watch-prefix keeps it)', async () => {
    const jail = join(work, 'jail');
    mkdirSync(jail, { recursive: true });
    const out = join(work, 'inroot.rgc');
    const r = await runCapture(['-o', out, '--watch-prefix', `${jail}/`, '--follow', '--', program('uring-skip'), 'inroot', jail, '/job']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('inroot 1'); // the kernel made jail/job
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((x) => [text(x.f.path_arg), unseen(x), ((x.f.path_flags as number) & PATH_FLAG_LEXICAL) !== 0])).toEqual([['/job', true, true]]);
  }, 60_000);

  it('a CONNECT whose success is not reported is recorded with the address io_uring copied', async () => {
    const out = join(work, 'connect.rgc');
    const said = await run(out, ['connect']);
    const [, fd, peerPort] = said.find((l) => l[0] === 'connect')!.map(Number);
    expect(peerPort).toBeGreaterThan(0); // getpeername: connected
    expect(said.filter((l) => l[0] === 'cqe')).toEqual([]);
    const connects = uring(readRecords(out), EventKind.NetConnect);
    expect(connects.map((r) => [r.f.fd, r.f.family, r.f.port, [...(r.f.addr as Uint8Array).subarray(0, 4)], unseen(r)]))
      .toEqual([[fd, AF_INET, peerPort, [127, 0, 0, 1], true]]);
    const json = lines(runReplayCli([out, '--json', '--kind', 'net_connect']).stdout).filter((e) => e.io_uring === true);
    expect(json.map((e) => [e.result, e.result_unseen, e.port])).toEqual([[null, true, peerPort]]);
  }, 60_000);

  it('a BIND and LISTEN linked, neither reported: both recorded, the bind with the address asked for', async () => {
    const out = join(work, 'listen.rgc');
    const port = 20000 + (process.pid % 20000);
    const said = await run(out, ['listen', String(port)]);
    const [, fd, bound, listening] = said.find((l) => l[0] === 'listen')!.map(Number);
    expect([bound, listening]).toEqual([port, 1]); // getsockname, SO_ACCEPTCONN
    expect(said.filter((l) => l[0] === 'cqe')).toEqual([]);
    const recs = readRecords(out);
    expect(uring(recs, EventKind.NetBind).map((r) => [r.f.fd, r.f.port, [...(r.f.addr as Uint8Array).subarray(0, 4)], unseen(r)]))
      .toEqual([[fd, port, [127, 0, 0, 1], true]]);
    expect(uring(recs, EventKind.NetListen).map((r) => [r.f.fd, r.f.backlog, unseen(r)])).toEqual([[fd, 16, true]]);
  }, 60_000);
});

describe.skipIf(!runKernelTests)('io_uring completions io_uring_complete does not report with their request (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-uring-cq-')));
  const secret = join(work, 'secret');
  writeFileSync(secret, 'x');

  it('an OPENAT whose CQE overflows a full CQ ring is recorded (it left no record, "lost 0")', async () => {
    const out = join(work, 'overflow.rgc');
    const said = await run(out, ['overflow', secret]);
    const fd = Number(said.find((l) => l[0] === 'overflow')![1]);
    expect(fd).toBeGreaterThanOrEqual(0); // opened, its CQE in the overflow list
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((r) => [text(r.f.path), r.f.result, unseen(r)])).toEqual([[secret, fd, false]]);
  }, 60_000);

  it('a ring that defers its completions (DEFER_TASKRUN): an fd swapped before the wait is flagged fd_late, not taken as the kernel\'s', async () => {
    const decoy = join(work, 'decoy');
    writeFileSync(decoy, 'd');
    const out = join(work, 'deferred.rgc');
    const said = await run(out, ['deferred', secret, decoy]);
    const fd = Number(said.find((l) => l[0] === 'deferred')![1]);
    expect(said.filter((l) => l[0] === 'cqe').map((l) => Number(l[1]))).toEqual([fd]);
    // The record is made at the CQE, after the dup2: the fd then names the decoy, and the record says it read it late.
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((r) => [text(r.f.path_arg), r.f.result, ((r.f.path_flags as number) & PATH_FLAG_FD_LATE) !== 0])).toEqual([[secret, fd, true]]);
    const json = runReplayCli([out, '--json', '--kind', 'file_open']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Json).filter((e) => e.io_uring === true);
    expect((json[0].path_flags as string).split('|')).toContain('fd_late');
  }, 60_000);

  it('a batch whose CQEs are posted at its end: an OPENAT whose fd a CLOSE and another OPENAT of the batch reuse is flagged fd_late', async () => {
    const decoy = join(work, 'decoy');
    writeFileSync(decoy, 'd');
    const out = join(work, 'batch.rgc');
    const said = await run(out, ['batch', secret, decoy]);
    const fd = Number(said.find((l) => l[0] === 'batch')![1]);
    expect(said.filter((l) => l[0] === 'cqe').map((l) => Number(l[1]))).toEqual([fd, 0, fd]);
    const opens = uring(readRecords(out), EventKind.FileOpen);
    expect(opens.map((r) => [text(r.f.path_arg), r.f.result, ((r.f.path_flags as number) & PATH_FLAG_FD_LATE) !== 0])).toEqual([[secret, fd, true], [decoy, fd, true]]);
  }, 60_000);

  it('a multishot ACCEPT: every connection it accepts is recorded (its CQEs after the first come without the request)', async () => {
    const out = join(work, 'mshot.rgc');
    const said = await run(out, ['mshot', '3']);
    const accepted = said.filter((l) => l[0] === 'accepted').map((l) => [Number(l[1]), Number(l[2])]);
    expect(accepted).toHaveLength(3);
    const recs = uring(readRecords(out), EventKind.NetAccept);
    expect(recs.map((r) => [r.f.result, r.f.peer_port])).toEqual(accepted);
  }, 60_000);
});
