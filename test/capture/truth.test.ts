/**
 * The record says what the kernel did, on the real kernel under the real
 * rg-capture: threads that outlive main() or exec, opens and execs that take
 * other doors (creat, open_by_handle_at, a failed execve, a memfd), every
 * spelling of a path under --watch-prefix. Small C programs print what really
 * happened (/proc/self/fd, /proc/self/exe, exit statuses); the records must
 * agree.
 */
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AF_INET, EventKind, PATH_FLAG_DELETED, PATH_FLAG_DIR_CWD, PATH_FLAG_DIR_ROOT, PATH_FLAG_FROM_FILE, PATH_FLAG_LEXICAL, PATH_FLAG_PSEUDO,
} from '../../src/abi/constants.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { argvOf, devText, program, readRecords, runCapture, text, type Rec } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('truth');
const O_WRONLY = 0o1, O_CREAT = 0o100, O_TRUNC = 0o1000;

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe.skipIf(!runKernelTests)('the record is the kernel\'s (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-truth-')));
  let server: Server;
  beforeAll(async () => { server = await listen(); });
  afterAll(() => server?.close());

  const of = (recs: Rec[], kind: number, pred: (r: Rec) => boolean = () => true) => recs.filter((r) => r.kind === kind && pred(r));

  it('main() calling pthread_exit() is not a process exit: --follow keeps everything its threads and children do', async () => {
    const marker = join(work, 'thread-marker');
    writeFileSync(marker, 'x');
    const out = join(work, 'mte.rgc');
    const port = (server.address() as { port: number }).port;
    const run = await runCapture(['-o', out, '--follow', '--', program('main-thread-exit'), '/etc/hostname', String(port), marker]);
    expect(run.status, run.stderr).toBe(3); // exit(3) from the second thread ends the process
    const recs = readRecords(out);
    const pid = of(recs, EventKind.ProcessExec, (r) => text(r.f.exe_path) === program('main-thread-exit'))[0].f.pid as number;
    const mine = recs.filter((r) => r.f.pid === pid);
    // After main() is gone, the second thread opens, connects and forks; the child opens the marker.
    const open = of(mine, EventKind.FileOpen, (r) => text(r.f.path) === '/etc/hostname');
    expect(open).toHaveLength(1);
    expect(open[0].f.tid).not.toBe(pid);
    const conn = of(mine, EventKind.NetConnect, (r) => r.f.port === port);
    expect(conn.map((r) => [r.f.family, r.f.result, r.f.addr_flags])).toEqual([[AF_INET, 0, 0]]);
    const fork = of(mine, EventKind.ProcessFork);
    expect(fork).toHaveLength(1);
    const child = fork[0].f.child_pid;
    expect(of(recs, EventKind.FileOpen, (r) => r.f.pid === child && text(r.f.path) === marker)).toHaveLength(1);
    // One process_exit, with the status wait(2) saw, and nothing the process did after it. Only its connection may
    // still be closing then: the peer's ACK of the FIN sent at exit changes its state later, in softirq (kept under
    // --follow, as the kernel's closing of the process's socket).
    const exits = of(mine, EventKind.ProcessExit);
    expect(exits.map((r) => r.f.exit_status)).toEqual([3 << 8]);
    const after = mine.slice(mine.indexOf(exits[0]) + 1);
    expect(after.filter((r) => r.kind !== EventKind.NetTcpState || r.f.peer_port !== port)).toEqual([]);
  }, 60_000);

  it('execve from a non-main thread keeps the process: the same pid goes on as the new program, its children followed', async () => {
    const marker = join(work, 'exec-marker');
    writeFileSync(marker, 'x');
    const out = join(work, 'te.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('thread-exec'), marker]);
    expect(run.status, run.stderr).toBe(5);
    const execTid = Number(/^exec-tid (\d+)$/m.exec(run.stdout)![1]);
    const recs = readRecords(out);
    const first = of(recs, EventKind.ProcessExec, (r) => text(r.f.exe_path) === program('thread-exec'))[0];
    const pid = first.f.pid as number;
    expect(execTid).not.toBe(pid);
    const mine = recs.filter((r) => r.f.pid === pid);
    // rg-capture starts its command through /bin/sh, which execs it: from there on.
    const execs = of(mine, EventKind.ProcessExec).filter((r) => r.f.ts_ns >= first.f.ts_ns);
    // The second: /bin/sh as the kernel resolved it, in the thread that took the group's pid.
    expect(execs.map((r) => [text(r.f.exe_path), r.f.old_tid, r.f.tid])).toEqual([
      [program('thread-exec'), pid, pid],
      [realpathSync('/bin/sh'), execTid, pid],
    ]);
    // The old main thread's end during the exec is not the process's: one exit, the new program's.
    expect(of(mine, EventKind.ProcessExit).map((r) => r.f.exit_status)).toEqual([5 << 8]);
    const cat = of(recs, EventKind.ProcessExec, (r) => r.f.ppid === pid && text(r.f.exe_path) === realpathSync('/bin/cat'));
    expect(cat).toHaveLength(1);
    expect(of(recs, EventKind.FileOpen, (r) => r.f.pid === cat[0].f.pid && text(r.f.path) === marker)).toHaveLength(1);
  }, 60_000);

  it('--watch-prefix /etc/ keeps all six spellings of /etc/hostname (and a failed one), and nothing outside /etc', async () => {
    const out = join(work, 'prefix.rgc');
    const script = [
      'cat /etc/hostname //etc/hostname /./etc/hostname /tmp/../etc/hostname',
      '(cd /etc && cat hostname)', '(cd / && cat etc/hostname)',
      'cat /usr/share/common-licenses/GPL //etc/rg-no-such-file',
    ].join('; ');
    const run = await runCapture(['-o', out, '--watch-prefix', '/etc/', '--follow', '--', 'sh', '-c', `${script} > /dev/null 2>&1; exit 0`]);
    expect(run.status, run.stderr).toBe(0);
    const opens = of(readRecords(out), EventKind.FileOpen);
    expect(opens.every((r) => text(r.f.path).startsWith('/etc/'))).toBe(true);
    const hostname = opens.filter((r) => text(r.f.path) === '/etc/hostname');
    expect(hostname.map((r) => text(r.f.path_arg))).toEqual(['/etc/hostname', '//etc/hostname', '/./etc/hostname', '/tmp/../etc/hostname', 'hostname', 'etc/hostname']);
    expect(hostname.every((r) => r.f.path_flags === PATH_FLAG_FROM_FILE)).toBe(true);
    const failed = opens.filter((r) => text(r.f.path) === '/etc/rg-no-such-file');
    expect(failed.map((r) => [text(r.f.path_arg), r.f.result, r.f.path_flags])).toEqual([['//etc/rg-no-such-file', -2, PATH_FLAG_DIR_ROOT | PATH_FLAG_LEXICAL]]);
  }, 60_000);

  it('creat, open_by_handle_at, failed execve and a memfd exec are recorded as the kernel saw them', async () => {
    const dir = join(work, 'doors');
    mkdirSync(dir);
    const out = join(work, 'doors.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('doors'), dir, program('print-exe')]);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const said = (what: string) => lines.filter((l) => l.startsWith(`${what} `)).map((l) => l.slice(what.length + 1).split(' '));
    const recs = readRecords(out);
    const pid = of(recs, EventKind.ProcessExec, (r) => text(r.f.exe_path) === program('doors'))[0].f.pid;
    const opens = of(recs, EventKind.FileOpen, (r) => r.f.pid === pid);

    const [[creatFd, creatPath]] = said('creat');
    const creat = opens.filter((r) => r.f.call === SyscallCall.Creat);
    expect(creat.map((r) => [r.f.result, text(r.f.path), text(r.f.path_arg), r.f.open_flags, r.f.mode, r.f.path_flags]))
      .toEqual([[Number(creatFd), creatPath, join(dir, 'created'), O_CREAT | O_WRONLY | O_TRUNC, 0o600, PATH_FLAG_FROM_FILE]]);

    const [[handleFd, handlePath]] = said('handle');
    const handle = opens.filter((r) => r.f.call === SyscallCall.OpenByHandleAt);
    expect(handle.map((r) => [r.f.result, text(r.f.path), text(r.f.path_arg), r.f.path_flags]))
      .toEqual([[Number(handleFd), handlePath, '', PATH_FLAG_FROM_FILE]]);
    expect(handle[0].f.ino).toBe(creat[0].f.ino);

    const failedExecs = of(recs, EventKind.ExecFailed, (r) => r.f.pid === pid);
    expect(failedExecs.map((r) => [text(r.f.filename), text(r.f.path), r.f.result, r.f.path_flags, argvOf(r.f), r.f.call])).toEqual(
      said('execve').map(([name, result]) => [
        name, name.startsWith('./') ? join(dir, name.slice(2)) : name, Number(result),
        (name.startsWith('./') ? PATH_FLAG_DIR_CWD : PATH_FLAG_DIR_ROOT) | PATH_FLAG_LEXICAL, [name, '-x', 'an argument'], SyscallCall.Execve,
      ]));
    expect(failedExecs.map((r) => r.f.result)).toEqual([-2, -13, -2]);

    // The memfd program printed its own /proc/self/exe, device, inode and cwd.
    const [[exe, , dev, ino]] = said('exe').map((w) => [w.slice(0, -2).join(' '), '', w[w.length - 2], w[w.length - 1]]);
    const [[cwd]] = said('cwd');
    expect(exe).toBe('/memfd:rg-mem (deleted)');
    const memExec = of(recs, EventKind.ProcessExec, (r) => r.f.ppid === pid);
    expect(memExec.map((r) => [text(r.f.exe_path), devText(r.f.exe_dev as number), String(r.f.exe_ino), text(r.f.cwd), r.f.exe_path_flags]))
      .toEqual([[exe, dev, ino, cwd, PATH_FLAG_FROM_FILE | PATH_FLAG_PSEUDO]]);
  }, 60_000);

  it('a program run by any spelling is recorded by its real path, device and inode, with its cwd', async () => {
    const dir = join(work, 'spell');
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    const app = join(dir, 'app');
    copyFileSync(program('print-exe'), app);
    symlinkSync(app, join(sub, 'link'));
    const ways = [`${app}`, `/${app}`, './app', '/proc/self/cwd/app', `${sub}/../app`, 'sub/link'];
    const out = join(work, 'spell.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', 'sh', '-c', `cd ${dir} && ${ways.join(' && ')}`]);
    expect(run.status, run.stderr).toBe(0);
    const printed = run.stdout.trim().split('\n');
    expect(printed).toHaveLength(2 * ways.length);
    const execs = of(readRecords(out), EventKind.ProcessExec, (r) => text(r.f.exe_path) === app);
    expect(execs.map((r) => text(r.f.filename))).toEqual(ways);
    execs.forEach((r, i) => {
      const [, exePath, dev, ino] = printed[2 * i].split(' ');
      expect([text(r.f.exe_path), devText(r.f.exe_dev as number), String(r.f.exe_ino), `cwd ${text(r.f.cwd)}`, r.f.exe_path_flags, r.f.cwd_flags])
        .toEqual([exePath, dev, ino, printed[2 * i + 1], PATH_FLAG_FROM_FILE, 0]);
    });
  }, 60_000);

  it('a deleted file stays named by its path, flagged deleted; a pipe by the name the kernel gives it', async () => {
    const out = join(work, 'pseudo.rgc');
    const gone = join(work, 'gone');
    const run = await runCapture(['-o', out, '--follow', '--', 'sh', '-c',
      `exec 3>${gone}; rm ${gone}; cat /proc/self/fd/3; readlink /proc/self/fd/0 | cat /proc/self/fd/0 > /dev/null; exit 0`]);
    expect(run.status, run.stderr).toBe(0);
    const opens = of(readRecords(out), EventKind.FileOpen);
    const reopened = opens.filter((r) => text(r.f.path_arg) === '/proc/self/fd/3');
    expect(reopened.map((r) => [text(r.f.path), r.f.path_flags])).toEqual([[gone, PATH_FLAG_FROM_FILE | PATH_FLAG_DELETED]]);
    const pipe = opens.filter((r) => text(r.f.path_arg) === '/proc/self/fd/0' && r.f.result as number >= 0);
    expect(pipe).toHaveLength(1);
    expect(text(pipe[0].f.path)).toMatch(/^pipe:\[\d+\]$/);
    expect(text(pipe[0].f.path)).toBe(`pipe:[${pipe[0].f.ino}]`);
    expect(pipe[0].f.path_flags).toBe(PATH_FLAG_FROM_FILE | PATH_FLAG_PSEUDO);
  }, 60_000);

  it('tar writes its archive with creat(): the archive is recorded', async () => {
    const out = join(work, 'tar.rgc');
    const archive = join(work, 'x.tar');
    writeFileSync(join(work, 'tar-input'), 'x');
    const run = await runCapture(['-o', out, '--follow', '--', 'tar', 'cf', archive, '-C', work, 'tar-input']);
    expect(run.status, run.stderr).toBe(0);
    const creat = of(readRecords(out), EventKind.FileOpen, (r) => r.f.call === SyscallCall.Creat);
    expect(creat.map((r) => [text(r.f.path), r.f.open_flags])).toEqual([[archive, O_CREAT | O_WRONLY | O_TRUNC]]);
  }, 60_000);
});
