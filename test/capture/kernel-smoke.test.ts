/**
 * Real-kernel smoke test: load bpf/rg.bpf.o, prove readiness with the canary,
 * run a small process tree and check each action comes back exactly once
 * with the right fields. Needs root (or CAP_BPF + CAP_PERFMON); skipped with a
 * visible reason otherwise, except in CI (CI=true), where it must run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARGS_LEN, EVENT_FLAG_ARGS_TRUNCATED, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_FROM_USER_MEMORY, EVENT_FLAG_OPENAT2, EVENT_FLAG_USER_READ_FAILED, EventKind, PATH_LEN,
  classifyRecord, cString,
  decodeRecord, encodeCaptureConfig, encodeFileFilterConfig, type DecodedFields,
} from '../../src/abi/index.js';
import { BpfCapture } from '../../src/capture/libbpf.js';
import { runKernelChecks, hasBpfPrivileges } from '../../src/capture/kernel-checks.js';
import { RingBufferReader } from '../../src/capture/ringbuf.js';

/** The repo this file is in, whether run from test/ or a compiled copy under dist/. */
function findRepo(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('kernel-smoke: no package.json above the test');
}
const REPO = findRepo();
/** RG_BPF_OBJECT runs the suite against another build (e.g. to show a test catches an old bug). */
const OBJECT = process.env.RG_BPF_OBJECT ?? join(REPO, 'bpf/rg.bpf.o');
const inCI = process.env.CI === 'true';
const privileged = hasBpfPrivileges();
if (!privileged && !inCI) console.warn('kernel-smoke: SKIPPED, needs root or CAP_BPF + CAP_PERFMON (set CI=true to force)');

interface Ev { kind: number; f: DecodedFields }
/** A tgid no process has (pid_max is at most 2^22): as self_tgid, it makes no process rg-capture. */
const NO_SUCH_TGID = 0x7fffffff;
const ALL_KINDS = [EventKind.ProcessExec, EventKind.ProcessFork, EventKind.ProcessExit, EventKind.FileOpen, EventKind.NetConnect];
const text = (v: unknown): string => Buffer.from(cString(v as Uint8Array)).toString('utf8');
const argv = (f: DecodedFields): string[] =>
  Buffer.from((f.args as Uint8Array).subarray(0, f.args_size as number)).toString('utf8').split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
/** Every byte after the string's NUL is zero: records must not carry stale kernel memory. */
const zeroTail = (v: unknown): boolean => {
  const b = v as Uint8Array;
  const end = b.indexOf(0);
  return end < 0 || b.subarray(end).every((x) => x === 0);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => new Promise<number | null>((r) => c.on('exit', r));

/**
 * A child that makes openat, openat2 and connect calls whose path, open_how
 * and sockaddr sit in pages it has mapped but never touched. Opens and connects
 * are read only at sys_exit, with arguments from the task's saved registers: by
 * then the kernel's own copy has faulted those pages in (bpf_probe_read_user
 * cannot fault, so a read at sys_enter would fail on them).
 * Page 0 of `pagesFile`: the openat path; page 1: open_how, openat2 path at +64;
 * page 2: the sockaddr_in.
 */
const UNTOUCHED_PAGES_CHILD = `
import koffi from 'koffi';
import { openSync } from 'node:fs';
const libc = koffi.load('libc.so.6');
const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)');
const open = libc.func('int open(void *path, int flags)');
const syscall = libc.func('long syscall(long nr, ...)');
const socket = libc.func('int socket(int domain, int type, int protocol)');
const connect = libc.func('int connect(int fd, void *addr, uint32_t len)');
const fd = openSync(process.env.RG_PAGES, 'r');
// one fresh PROT_READ, MAP_PRIVATE mapping per call: no page table entry until the kernel touches it
const page = (i) => mmap(null, 4096, 1, 2, fd, i * 4096);
open(page(0), 0);
const how = page(1);
syscall(437, 'int', -100, 'void *', koffi.address(how) + 64n, 'void *', how, 'size_t', 24);
connect(socket(2, 1, 0), page(2), 16);
`;

/** The pages UNTOUCHED_PAGES_CHILD reads: `path` twice, open_how { O_CLOEXEC }, 127.0.0.1:port. */
function untouchedPages(path: string, port: number): Buffer {
  const buf = Buffer.alloc(3 * 4096);
  buf.write(`${path}\0`, 0);
  buf.writeBigUInt64LE(0x80000n, 4096); // open_how.flags = O_CLOEXEC; mode and resolve 0
  buf.write(`${path}\0`, 4096 + 64);
  buf.writeUInt16LE(2, 8192); // AF_INET
  buf.writeUInt16BE(port, 8194);
  Buffer.from([127, 0, 0, 1]).copy(buf, 8196);
  return buf;
}

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe.skipIf(!privileged && !inCI)('kernel smoke (real eBPF)', () => {
  let cap: BpfCapture;
  let ring: RingBufferReader;
  const events: Ev[] = [];
  let invalid = 0;
  const collect = () => ring.drain((bytes, offset, length) => {
    const kind = classifyRecord(bytes, offset, length);
    if (kind < 0) { invalid++; return; }
    // copy out: the mapped bytes are reused once the consumer position moves
    events.push({ kind, f: decodeRecord(bytes.slice(offset, offset + length), 0, kind).fields });
  });
  const config = (canaryArmed: boolean) => encodeCaptureConfig({
    selfTgid: process.pid, eventsMask: ALL_KINDS.reduce((m, k) => m | (1 << k), 0), follow: false,
    wakeupBytes: 256 * 1024, canaryArmed,
  });

  beforeAll(async () => {
    runKernelChecks();
    cap = BpfCapture.open({ objectPath: OBJECT, ringBytes: 8 << 20 });
    cap.setConfig(config(true));
    cap.setFileFilter(encodeFileFilterConfig([]));
    cap.attachAll(new Set(ALL_KINDS));
    ring = new RingBufferReader(cap.ringFd, cap.ringBytes);
    // Readiness: our own open of a unique missing path must come back before the workload starts.
    const marker = join(tmpdir(), `rg-canary-${process.pid}-${Date.now()}`);
    const deadline = Date.now() + 5000;
    for (;;) {
      try { closeSync(openSync(marker, 'r')); } catch { /* ENOENT is the point */ }
      collect();
      if (events.some((e) => e.kind === EventKind.FileOpen && text(e.f.path) === marker)) break;
      if (Date.now() > deadline) throw new Error('canary never seen: programs not attached?');
      await sleep(5);
    }
    cap.setConfig(config(false));
    events.length = 0;
  }, 30_000);

  afterAll(() => {
    ring?.close();
    cap?.close();
  });

  it('records exec, fork, exit, opens and connects of a child tree exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-smoke-'));
    const bin = join(dir, `rgbin-${process.pid}`);
    copyFileSync('/bin/cat', bin);
    const exist = join(dir, 'exists.txt');
    writeFileSync(exist, 'x');
    const missing = join(dir, 'missing.txt');
    // Paths of PATH_LEN-1 (fits), PATH_LEN and 300 bytes (cut); distinct from their first byte after dir.
    const long = (tag: string, len: number) => (join(dir, tag) + '/').padEnd(len, 'p');
    const p255 = long('a', PATH_LEN - 1), p256 = long('b', PATH_LEN), p300 = long('c', 300);
    const [v4, v6, closed] = await Promise.all([listen('127.0.0.1'), listen('::1'), listen('127.0.0.1')]);
    const [port4, port6, closedPort] = [portOf(v4), portOf(v6), portOf(closed)];
    await new Promise((r) => closed.close(r));

    const script = [
      '"$BIN" -u "$EXIST"', '"$BIN" "$MISSING"', '"$BIN" "$P255" "$P256" "$P300"',
      'bash -c \'exec 3<>/dev/tcp/127.0.0.1/$P4\'', 'bash -c \'exec 3<>/dev/tcp/::1/$P6\'',
      'bash -c \'exec 3<>/dev/tcp/127.0.0.1/$PX\'', 'exit 7',
    ].join('; ');
    const env = { PATH: '/usr/bin:/bin', BIN: bin, EXIST: exist, MISSING: missing, P255: p255, P256: p256, P300: p300,
      P4: String(port4), P6: String(port6), PX: String(closedPort) };
    const child = spawn('/bin/sh', ['-c', script], { env, stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(7);
    v4.close(); v6.close();

    // NO_WAKEUP submissions: poll until the sh exit (the last event of the tree) has arrived.
    const shPid = child.pid!;
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.kind === EventKind.ProcessExit && e.f.pid === shPid) && Date.now() < deadline) {
      collect();
      await sleep(10);
    }
    collect();
    rmSync(dir, { recursive: true, force: true });

    expect(invalid).toBe(0);
    expect(cap.readLostPerCpu().reduce((a, b) => a + b, 0n)).toBe(0n);
    const uid = process.getuid!();
    const of = (kind: number, pred: (f: DecodedFields) => boolean) => events.filter((e) => e.kind === kind && pred(e.f)).map((e) => e.f);
    const one = (kind: number, pred: (f: DecodedFields) => boolean) => {
      const found = of(kind, pred);
      expect(found).toHaveLength(1);
      return found[0];
    };

    // The shell: started by us (its fork is ours, so not recorded), exits with 7.
    const sh = one(EventKind.ProcessExec, (f) => f.pid === shPid);
    expect(text(sh.filename)).toBe('/bin/sh');
    expect(sh.ppid).toBe(process.pid);
    expect(sh.uid).toBe(uid);
    expect(argv(sh)).toEqual(['/bin/sh', '-c', script]);
    expect(one(EventKind.ProcessExit, (f) => f.pid === shPid).exit_status).toBe(7 << 8);

    // The copied binary, three runs: each forked by sh, exec'd with its argv, exited.
    const runs = of(EventKind.ProcessExec, (f) => text(f.filename) === bin);
    expect(runs.map(argv).slice(0, 2)).toEqual([[bin, '-u', exist], [bin, missing]]);
    // The third command line is longer than ARGS_LEN: cut to exactly ARGS_LEN bytes and flagged.
    const full = Buffer.from([bin, p255, p256, p300].join('\0') + '\0');
    expect(runs[2].args_size).toBe(ARGS_LEN);
    expect(Buffer.from(runs[2].args as Uint8Array).equals(full.subarray(0, ARGS_LEN))).toBe(true);
    expect((runs[2].flags as number) & EVENT_FLAG_ARGS_TRUNCATED).toBe(EVENT_FLAG_ARGS_TRUNCATED);
    expect((runs[0].flags as number) & EVENT_FLAG_ARGS_TRUNCATED).toBe(0);
    for (const run of runs) {
      expect(run.ppid).toBe(shPid);
      expect(run.uid).toBe(uid);
      expect(text(run.comm)).toBe(`rgbin-${process.pid}`.slice(0, 15));
      const fork = one(EventKind.ProcessFork, (f) => f.child_pid === run.pid);
      expect(fork.pid).toBe(shPid);
      expect(fork.child_tid).toBe(run.pid);
    }
    expect(runs.map((r) => r.argc)).toEqual([3, 2, 4]);
    expect(runs.map((r) => one(EventKind.ProcessExit, (f) => f.pid === r.pid).exit_status)).toEqual([0, 1 << 8, 1 << 8]);

    // File opens by those runs.
    const opened = (path: string) => one(EventKind.FileOpen, (f) => text(f.path) === path);
    const ok = opened(exist);
    expect(ok.pid).toBe(runs[0].pid);
    expect(ok.ppid).toBe(shPid);
    expect(ok.uid).toBe(uid);
    expect(ok.result).toBeGreaterThanOrEqual(0);
    expect(ok.dirfd).toBe(-100);
    expect((ok.open_flags as number) & 3).toBe(0); // O_RDONLY
    expect((ok.flags as number) & (EVENT_FLAG_FILENAME_TRUNCATED | EVENT_FLAG_USER_READ_FAILED)).toBe(0);
    expect(opened(missing).result).toBe(-2); // ENOENT
    const exact = opened(p255);
    expect((exact.flags as number) & EVENT_FLAG_FILENAME_TRUNCATED).toBe(0);
    expect(exact.result).toBe(-2);
    for (const p of [p256, p300]) {
      const cut = opened(p.slice(0, PATH_LEN - 1));
      expect((cut.flags as number) & EVENT_FLAG_FILENAME_TRUNCATED).toBe(EVENT_FLAG_FILENAME_TRUNCATED);
      expect(cut.pid).toBe(runs[2].pid);
    }

    // No stale bytes anywhere in the records we made.
    for (const e of events.filter((e) => e.f.pid === shPid || runs.some((r) => r.pid === e.f.pid))) {
      expect(zeroTail(e.f.comm)).toBe(true);
      if (e.kind === EventKind.FileOpen) expect(zeroTail(e.f.path)).toBe(true);
      if (e.kind === EventKind.ProcessExec) {
        expect(zeroTail(e.f.filename)).toBe(true);
        expect((e.f.args as Uint8Array).subarray(e.f.args_size as number).every((x) => x === 0)).toBe(true);
      }
    }

    // Connects: IPv4 and IPv6 to our listeners, and one refused.
    const conn = (port: number) => one(EventKind.NetConnect, (f) => f.port === port);
    const c4 = conn(port4);
    expect([c4.family, c4.result, c4.protocol, c4.sock_type]).toEqual([2, 0, 6, 1]); // AF_INET, TCP, SOCK_STREAM
    expect(Buffer.from(c4.addr as Uint8Array).toString('hex')).toBe('7f000001' + '00'.repeat(12));
    expect(c4.ppid).toBe(shPid);
    const c6 = conn(port6);
    expect([c6.family, c6.result, c6.protocol, c6.sock_type]).toEqual([10, 0, 6, 1]);
    expect(Buffer.from(c6.addr as Uint8Array).toString('hex')).toBe('00'.repeat(15) + '01');
    expect(conn(closedPort).result).toBe(-111); // ECONNREFUSED
  }, 30_000);

  /** Runs UNTOUCHED_PAGES_CHILD over pages naming `path` and 127.0.0.1:port; returns its pid. */
  async function runUntouched(dir: string, path: string, port: number): Promise<number> {
    const pages = join(dir, `pages-${Math.random().toString(36).slice(2)}`);
    writeFileSync(pages, untouchedPages(path, port));
    const child = spawn(process.execPath, ['--input-type=module', '-e', UNTOUCHED_PAGES_CHILD],
      { cwd: REPO, env: { PATH: '/usr/bin:/bin', RG_PAGES: pages }, stdio: 'ignore' });
    expect(await exited(child)).toBe(0);
    return child.pid!;
  }

  /** After a config change: lets records made under the old config land, then drops them. */
  async function forgetOldRecords(): Promise<void> {
    await sleep(20);
    collect();
    events.length = 0;
  }

  /** Collects until `done` holds (NO_WAKEUP submissions arrive on our schedule) or 5 s pass. */
  async function collectUntil(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!done() && Date.now() < deadline) {
      collect();
      await sleep(10);
    }
    collect();
  }

  it('reads paths and sockaddrs in pages not faulted in before the syscall: read at sys_exit alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-unread-'));
    const target = join(dir, 'target');
    writeFileSync(target, 'x');
    const server = await listen('127.0.0.1');
    try {
      events.length = 0;
      const pid = await runUntouched(dir, target, portOf(server));
      // ls opens /usr/lib/locale/locale-archive from a string in libc's .rodata, a page not yet
      // touched by the fresh process: the field case that showed `path_unreadable` (1-2 per run).
      const ls = spawn('/bin/ls', ['/nonexistent-rg'], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, stdio: 'ignore' });
      await exited(ls);
      await collectUntil(() => events.some((e) => e.kind === EventKind.ProcessExit && e.f.pid === ls.pid));

      const mine = (kind: number) => events.filter((e) => e.kind === kind && e.f.pid === pid).map((e) => e.f);
      const opens = mine(EventKind.FileOpen).filter((f) => text(f.path) === target);
      // open_how in a page not faulted in cannot be read at sys_enter: read at exit, and said so.
      expect(opens.map((f) => [f.flags, f.open_flags, (f.result as number) >= 0]))
        .toEqual([[0, 0, true], [EVENT_FLAG_OPENAT2 | EVENT_FLAG_FROM_USER_MEMORY, 0x80000, true]]);
      expect(opens.every((f) => zeroTail(f.path))).toBe(true);
      const conns = mine(EventKind.NetConnect);
      expect(conns.map((f) => [f.flags, f.family, f.port, f.result])).toEqual([[0, 2, portOf(server), 0]]);
      expect(Buffer.from(conns[0].addr as Uint8Array).toString('hex')).toBe('7f000001' + '00'.repeat(12));

      const lsOpens = events.filter((e) => e.kind === EventKind.FileOpen && e.f.pid === ls.pid).map((e) => e.f);
      expect(lsOpens.length).toBeGreaterThan(5);
      expect(lsOpens.filter((f) => ((f.flags as number) & EVENT_FLAG_USER_READ_FAILED) !== 0 || text(f.path) === '')).toEqual([]);

      // With FILE_FILTER active, the filter judges such a path once sys_exit could read it.
      cap.setFileFilter(encodeFileFilterConfig([join(dir, 'keep')]));
      const keep = join(dir, 'keep-1'), drop = join(dir, 'drop-1');
      writeFileSync(keep, 'x');
      writeFileSync(drop, 'x');
      events.length = 0;
      const kept = await runUntouched(dir, keep, portOf(server));
      const dropped = await runUntouched(dir, drop, portOf(server));
      await collectUntil(() => events.some((e) => e.kind === EventKind.ProcessExit && e.f.pid === dropped));
      const filtered = events.filter((e) => e.kind === EventKind.FileOpen && text(e.f.path).startsWith(dir));
      expect(filtered.map((e) => [e.f.pid, text(e.f.path), e.f.flags])).toEqual([[kept, keep, 0], [kept, keep, EVENT_FLAG_OPENAT2 | EVENT_FLAG_FROM_USER_MEMORY]]);
    } finally {
      cap.setFileFilter(encodeFileFilterConfig([]));
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('applies FILE_FILTER prefixes and follows only FOLLOWED process trees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-follow-'));
    const keep = join(dir, 'keep-1'), drop = join(dir, 'drop-1');
    cap.setFileFilter(encodeFileFilterConfig([join(dir, 'nomatch'), join(dir, 'keep')]));
    // Not our pid as self_tgid: the kernel follows self_tgid's children by itself (next test),
    // and here both children are ours but only the one named with followTgid may appear.
    cap.setConfig(encodeCaptureConfig({
      selfTgid: NO_SUCH_TGID, eventsMask: 1 << EventKind.FileOpen, follow: true, wakeupBytes: 0, canaryArmed: false,
    }));
    await forgetOldRecords();
    try {
      // The followed shell waits for a line on stdin, so it is in FOLLOWED before it does anything.
      const followed = spawn('/bin/sh', ['-c', 'read x; cat "$K" "$D" 2>/dev/null; exit 0'],
        { env: { PATH: '/usr/bin:/bin', K: keep, D: drop }, stdio: ['pipe', 'ignore', 'ignore'] });
      cap.followTgid(followed.pid!);
      const other = spawn('/bin/cat', [keep], { stdio: 'ignore' }); // not followed: must not appear
      followed.stdin!.end('go\n');
      await Promise.all([followed, other].map((c) => new Promise((r) => c.on('exit', r))));
      events.length = 0;
      for (let i = 0; i < 5; i++) { collect(); await sleep(10); }
      const opens = events.filter((e) => e.kind === EventKind.FileOpen && text(e.f.path).startsWith(dir));
      expect(opens.map((e) => [text(e.f.path), e.f.ppid])).toEqual([[keep, followed.pid]]); // cat, forked by the followed sh
      expect(events.every((e) => e.kind === EventKind.FileOpen)).toBe(true);
    } finally {
      cap.setFileFilter(encodeFileFilterConfig([]));
      cap.setConfig(config(false));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('follows the children of self_tgid from their fork: the first exec and every descendant, nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-follow-'));
    const mark = join(dir, 'mark');
    writeFileSync(mark, 'x');
    const env = { PATH: '/usr/bin:/bin', M: mark };
    // Forked before follow is on, so not followed; it runs its cat while the followed tree runs.
    const other = spawn('/bin/sh', ['-c', 'read x; cat "$M"; cat "$M"'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    const otherDone = exited(other);
    await new Promise((r) => other.once('spawn', r));
    cap.setConfig(encodeCaptureConfig({
      selfTgid: process.pid, eventsMask: ALL_KINDS.reduce((m, k) => m | (1 << k), 0), follow: true,
      wakeupBytes: 256 * 1024, canaryArmed: false,
    }));
    await forgetOldRecords();
    try {
      // No followTgid: the kernel must follow it from the fork, before it execs /bin/sh.
      const script = 'cat "$M"; sh -c \'cat "$M" & wait\'; exit 3';
      const followed = spawn('/bin/sh', ['-c', script], { env, stdio: 'ignore' });
      const followedDone = exited(followed);
      other.stdin!.end('go\n');
      expect(await followedDone).toBe(3);
      await otherDone;
      await collectUntil(() => events.some((e) => e.kind === EventKind.ProcessExit && e.f.pid === followed.pid));

      const sh = followed.pid!;
      // Nothing of sh is missed, not even what its pid did before its first exec: libuv's opens of
      // /dev/null for stdio 'ignore' in the forked copy of us, then the exec of /bin/sh.
      const ofSh = events.filter((e) => e.f.pid === sh);
      const firstExec = ofSh.findIndex((e) => e.kind === EventKind.ProcessExec);
      expect(ofSh.slice(0, firstExec).map((e) => [e.kind, text(e.f.path), e.f.result]))
        .toEqual([0, 1, 2].map((fd) => [EventKind.FileOpen, '/dev/null', fd]));
      const exec = ofSh[firstExec].f;
      expect([text(exec.filename), argv(exec), exec.ppid]).toEqual(['/bin/sh', ['/bin/sh', '-c', script], process.pid]);
      // Of ours, only the fork of sh is recorded (it is the command's birth); nothing of the unrelated tree appears.
      const ours = events.filter((e) => e.f.pid === process.pid);
      expect(ours.map((e) => [e.kind, e.f.child_pid])).toEqual([[EventKind.ProcessFork, sh]]);
      const pids = new Set(events.filter((e) => e.f.pid !== process.pid).map((e) => e.f.pid as number));
      expect(pids.has(other.pid!)).toBe(false);
      // The tree: sh forks cat and sh -c, which forks a cat of its own; every one is followed.
      const forks = events.filter((e) => e.kind === EventKind.ProcessFork && e.f.pid !== process.pid).map((e) => [e.f.pid, e.f.child_pid] as [number, number]);
      const tree = new Set([sh, ...forks.map(([, child]) => child)]);
      expect(forks.every(([parent]) => tree.has(parent))).toBe(true);
      expect(tree.size).toBe(4);
      expect([...pids].sort()).toEqual([...tree].sort());
      for (const pid of tree) {
        expect(events.filter((e) => e.kind === EventKind.ProcessExec && e.f.pid === pid)).toHaveLength(1);
        expect(events.filter((e) => e.kind === EventKind.ProcessExit && e.f.pid === pid)).toHaveLength(1);
      }
      const catOpens = events.filter((e) => e.kind === EventKind.FileOpen && text(e.f.path) === mark);
      expect(catOpens.map((e) => tree.has(e.f.pid as number))).toEqual([true, true]);
    } finally {
      cap.setConfig(config(false));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
