/**
 * Real kernel: credentials, ptrace, process_vm, signals, kernel modules, BPF
 * loads and memfd_create. Each workload is a small C program
 * (test/capture/intruder/intruder.c) that prints what it passed and what the
 * kernel answered; every field of every record is compared with that, and
 * with the kernel's own view (/proc/self/status, BPF_OBJ_GET_INFO_BY_FD,
 * fstat, the victim's memory).
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecodedFields, EVENT_FLAG_EXE_DELETED, EventKind } from '../../src/abi/index.js';
import {
  BPF_FROM_KERNEL, CRED_OLD_UNKNOWN, CRED_SETID_EXEC, MEMFD_NAME_FROM_KERNEL, TARGET_RESOLVED,
} from '../../src/abi/kinds-files-processes.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { announceSkip, runKernelTests } from './privilege.js';
import { buildProgram, LiveCapture, runJson, text } from './live-ring.js';

announceSkip('process-access');

const KINDS = [
  EventKind.ProcessExec, EventKind.ProcessFork, EventKind.ProcessExit, EventKind.ProcessCred, EventKind.ProcessPtrace,
  EventKind.ProcessVm, EventKind.ProcessSignal, EventKind.KernelModule, EventKind.BpfProgLoad, EventKind.MemfdCreate,
];
/** The `call` field holds the schema's call id (src/abi/syscalls.ts), not the syscall number. */
const NR = {
  execve: SyscallCall.Execve, setuid: SyscallCall.Setuid, setgid: SyscallCall.Setgid, setreuid: SyscallCall.Setreuid, setregid: SyscallCall.Setregid,
  setresuid: SyscallCall.Setresuid, setresgid: SyscallCall.Setresgid, setfsuid: SyscallCall.Setfsuid, setfsgid: SyscallCall.Setfsgid, capset: SyscallCall.Capset,
  kill: SyscallCall.Kill, tgkill: SyscallCall.Tgkill, pidfd_send_signal: SyscallCall.PidfdSendSignal,
  process_vm_readv: SyscallCall.ProcessVmReadv, process_vm_writev: SyscallCall.ProcessVmWritev,
  init_module: SyscallCall.InitModule, delete_module: SyscallCall.DeleteModule, finit_module: SyscallCall.FinitModule,
} as const;
const PTRACE_ATTACH = 16, PTRACE_POKEDATA = 5, PTRACE_DETACH = 17, PTRACE_SEIZE = 0x4206;
const ESRCH = 3, ENOSYS = 38, EINVAL = 22, EPERM = 1;
const U32_UNCHANGED = 0xffffffff;

type Out = Record<string, unknown>;
const ids = (f: DecodedFields, prefix: 'old' | 'new') => ({
  uid: ['uid', 'euid', 'suid', 'fsuid'].map((k) => f[`${prefix}_${k}`]),
  gid: ['gid', 'egid', 'sgid', 'fsgid'].map((k) => f[`${prefix}_${k}`]),
  caps: ['effective', 'permitted', 'inheritable'].map((k) => Number(f[`${prefix}_cap_${k}`] as bigint)),
});

/** A victim process: its pid and the address of a buffer it prints back when told to. */
async function startVictim(bin: string) {
  const child = spawn(bin, ['victim'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = JSON.parse((await lines.next()).value as string) as { pid: number; addr: number };
  return {
    pid: first.pid, addr: first.addr,
    async finish(): Promise<string> {
      child.stdin!.end('go\n');
      const last = JSON.parse((await lines.next()).value as string) as { buffer: string };
      await new Promise((r) => child.on('exit', r));
      return last.buffer;
    },
  };
}

describe.skipIf(!runKernelTests)('what one process does to another, and to the kernel (real eBPF)', () => {
  let live: LiveCapture;
  let bin: string;
  const work = mkdtempSync(join(tmpdir(), 'rg-access-'));
  // Started before the capture: its credentials come from the seeding iterator.
  let early: ReturnType<typeof spawn>;
  let earlyPid = 0;

  beforeAll(async () => {
    bin = buildProgram('intruder.c', work);
    early = spawn(bin, ['later-creds'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: early.stdout! })[Symbol.asyncIterator]();
    earlyPid = (JSON.parse((await lines.next()).value as string) as { pid: number }).pid;
    live = await LiveCapture.start(KINDS);
  }, 60_000);

  afterAll(() => {
    early?.kill();
    live?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('set*id and capset: old and new real, effective, saved and fs ids and capabilities, as /proc saw them', async () => {
    const run = await runJson(bin, ['creds']);
    await live.barrier();
    const recs = live.of(EventKind.ProcessCred, (f) => f.pid === run.pid);
    expect(recs.map((f) => f.call)).toEqual([NR.setresgid, NR.setresuid, NR.setuid, NR.setreuid, NR.setfsuid, NR.setgid, NR.setregid, NR.setfsgid, NR.capset, NR.setuid]);
    expect(recs.map((f) => f.result)).toEqual(run.out.map((o) => o.result));
    // Root with every capability before the first call (copied at fork).
    const root = { uid: [0, 0, 0, 0], gid: [0, 0, 0, 0], caps: run.out[0].caps as number[] };
    root.caps = [root.caps[0], root.caps[1], 0];
    let before = root;
    recs.forEach((f, i) => {
      const o = run.out[i];
      const args = (o.args as number[]).map((a) => (a < 0 ? U32_UNCHANGED : a));
      const used = { setuid: 1, setgid: 1, setfsuid: 1, setfsgid: 1, setreuid: 2, setregid: 2, setresuid: 3, setresgid: 3, capset: 0 }[o.call as string]!;
      expect([f.arg1, f.arg2, f.arg3], `${o.call} args`).toEqual([0, 1, 2].map((j) => (j < used ? args[j] : 0)));
      expect(f.status).toBe(0);
      expect(ids(f, 'old'), `${o.call} old`).toEqual(before);
      const after = { uid: o.uid, gid: o.gid, caps: o.caps } as typeof root;
      expect(ids(f, 'new'), `${o.call} new`).toEqual(after);
      expect(f.uid).toBe(after.uid[0]); // the header's uid is the real uid after the call
      before = after;
    });
    // Non-root (euid 1000) becoming root through its saved uid: the third call.
    expect(ids(recs[2], 'old').uid).toEqual([1000, 1000, 0, 1000]);
    expect(ids(recs[2], 'new').uid).toEqual([1000, 0, 0, 0]);
    expect(recs[9].result).toBe(-EPERM);
  });

  it('a process that started before the capture: its old credentials come from the seeding iterator', async () => {
    early.stdin!.end('go\n');
    await new Promise((r) => early.on('exit', r));
    await live.barrier();
    const recs = live.of(EventKind.ProcessCred, (f) => f.pid === earlyPid);
    expect(recs).toHaveLength(10);
    expect((recs[0].status as number) & CRED_OLD_UNKNOWN).toBe(0);
    expect(ids(recs[0], 'old').uid).toEqual([0, 0, 0, 0]);
    expect(ids(recs[0], 'old').gid).toEqual([0, 0, 0, 0]);
  });

  it('glibc setresuid in a threaded process: one record per thread, each with its own tid and credentials', async () => {
    const run = await runJson(bin, ['threads-setresuid', '1001']);
    expect(run.out[0]).toMatchObject({ result: 0, threads: 4 });
    await live.barrier();
    const recs = live.of(EventKind.ProcessCred, (f) => f.pid === run.pid);
    expect(recs).toHaveLength(4);
    expect(new Set(recs.map((f) => f.tid)).size).toBe(4);
    expect(recs.map((f) => f.tid)).toContain(run.pid);
    for (const f of recs) {
      expect([f.call, f.result, f.arg1, f.arg2, f.arg3, f.status]).toEqual([NR.setresuid, 0, 1001, 1001, 1001, 0]);
      expect(ids(f, 'old').uid).toEqual([0, 0, 0, 0]);
      expect(ids(f, 'new').uid).toEqual([1001, 1001, 1001, 1001]);
    }
  });

  it('a set-user-id exec: recorded after the exec, old ids the dropped user, new effective and saved ids root', async () => {
    const suid = join(work, 'suid-intruder');
    copyFileSync(bin, suid);
    chmodSync(suid, 0o4755);
    chmodSync(work, 0o755);
    const run = await runJson(bin, ['drop-exec', '65534', suid, 'whoami']);
    await live.barrier();
    const who = run.out.find((o) => o.call === 'whoami')!;
    expect(who.uid).toEqual([65534, 0, 0, 0]);
    const events = live.events.filter((e) => e.f.pid === run.pid && (e.kind === EventKind.ProcessCred || e.kind === EventKind.ProcessExec));
    // Its own exec, the two drops, the set-user-id exec, and the credential change that exec made.
    expect(events.map((e) => e.kind)).toEqual([EventKind.ProcessExec, EventKind.ProcessCred, EventKind.ProcessCred, EventKind.ProcessExec, EventKind.ProcessCred]);
    const exec = events[4].f;
    expect(exec.call).toBe(NR.execve);
    expect(exec.status).toBe(CRED_SETID_EXEC);
    expect(text(exec.comm)).toBe('suid-intruder');
    expect(ids(exec, 'old')).toEqual({ uid: [65534, 65534, 65534, 65534], gid: [65534, 65534, 65534, 65534], caps: [0, 0, 0] });
    expect(ids(exec, 'new')).toEqual({ uid: who.uid, gid: who.gid, caps: who.caps });
  });

  it('ptrace: request, target as passed and as the kernel found it, addr and data; a refused seize', async () => {
    const victim = await startVictim(bin);
    const run = await runJson(bin, ['ptrace', String(victim.pid), String(victim.addr)]);
    expect(await victim.finish()).toBe('PTRACED!');
    await live.barrier();
    const recs = live.of(EventKind.ProcessPtrace, (f) => f.pid === run.pid);
    expect(recs.map((f) => [f.request, f.target_pid, f.result])).toEqual(run.out.map((o) => [o.request, o.pid, o.result]));
    expect(recs.map((f) => f.request)).toEqual([PTRACE_ATTACH, PTRACE_POKEDATA, PTRACE_DETACH, PTRACE_SEIZE]);
    for (const f of recs.slice(0, 3)) {
      expect([f.status, f.target_tgid, text(f.target_comm)]).toEqual([TARGET_RESOLVED, victim.pid, 'intruder']);
    }
    expect([recs[1].addr, recs[1].data]).toEqual([BigInt(victim.addr), BigInt(run.out[1].data as string)]);
    expect([recs[3].result, recs[3].status, recs[3].target_tgid, text(recs[3].target_comm)]).toEqual([-ESRCH, 0, 0, '']);
  });

  it('process_vm_writev and readv: target, bytes copied, where in the target', async () => {
    const victim = await startVictim(bin);
    const run = await runJson(bin, ['vm', String(victim.pid), String(victim.addr)]);
    expect(await victim.finish()).toBe('VMWRITE!');
    await live.barrier();
    const recs = live.of(EventKind.ProcessVm, (f) => f.pid === run.pid);
    expect(recs.map((f) => [f.call, f.target_pid, f.result, f.local_iovcnt, f.remote_iovcnt, f.remote_addr, f.remote_len, f.status, f.target_tgid, text(f.target_comm)]))
      .toEqual([NR.process_vm_writev, NR.process_vm_readv].map((nr) => [nr, victim.pid, 8, 1, 1, BigInt(victim.addr), 8n, TARGET_RESOLVED, victim.pid, 'intruder']));
  });

  it('signals to another process by kill, tgkill and pidfd; none for signals to itself; a missing target', async () => {
    const victim = await startVictim(bin);
    const run = await runJson(bin, ['signal', String(victim.pid)]);
    await victim.finish();
    await live.barrier();
    const recs = live.of(EventKind.ProcessSignal, (f) => f.pid === run.pid);
    const pidfd = run.out.find((o) => o.call === 'pidfd_send_signal')!.pidfd as number;
    expect(recs.map((f) => [f.call, f.signal, f.target_pid, f.target_tid, f.result, f.status, f.target_tgid, text(f.target_comm)])).toEqual([
      [NR.kill, 0, victim.pid, 0, 0, TARGET_RESOLVED, victim.pid, 'intruder'],
      [NR.kill, 18, victim.pid, 0, 0, TARGET_RESOLVED, victim.pid, 'intruder'],
      [NR.tgkill, 18, victim.pid, victim.pid, 0, TARGET_RESOLVED, victim.pid, 'intruder'],
      [NR.pidfd_send_signal, 18, pidfd, 0, 0, TARGET_RESOLVED, victim.pid, 'intruder'],
      [NR.kill, 15, 0x3fffffff, 0, -ESRCH, 0, 0, ''],
    ]);
  });

  it('kernel modules: each attempt with its arguments, refused with ENOSYS by this kernel', async () => {
    const run = await runJson(bin, ['module', '/usr/bin/true']);
    await live.barrier();
    const recs = live.of(EventKind.KernelModule, (f) => f.pid === run.pid);
    expect(recs.map((f) => [f.call, f.result, f.module_flags, f.fd, f.image_len, text(f.name), text(f.params)])).toEqual([
      [NR.init_module, -ENOSYS, 0, -1, 64n, '', 'rg_param=1'],
      [NR.finit_module, -ENOSYS, 0, run.out[1].fd, 0n, '', 'rg_param=2'],
      [NR.delete_module, -ENOSYS, 0o4000, -1, 0n, 'rg_rootkit', ''],
    ]);
    expect(text(recs[1].path)).toBe('/usr/bin/true');
  });

  it('bpf(BPF_PROG_LOAD): a loaded program as the kernel holds it (id, tag, name), a refused one as passed', async () => {
    const run = await runJson(bin, ['bpf']);
    await live.barrier();
    const recs = live.of(EventKind.BpfProgLoad, (f) => f.pid === run.pid);
    const [ok, bad] = run.out;
    expect(recs).toHaveLength(2);
    expect([recs[0].result, recs[0].prog_type, recs[0].insn_cnt, recs[0].prog_id, text(recs[0].prog_name), recs[0].status])
      .toEqual([ok.result, 1, 2, ok.id, 'rg_probe', BPF_FROM_KERNEL]);
    expect(Buffer.from(recs[0].tag as Uint8Array).toString('hex')).toBe(ok.tag);
    expect([recs[1].result, recs[1].prog_type, recs[1].insn_cnt, recs[1].prog_id, text(recs[1].prog_name), recs[1].status])
      .toEqual([-EINVAL, 1, 1, 0, 'rg_broken', 0]);
    expect(bad.result).toBe(-EINVAL);
  });

  it('a thread rewriting the attr during loads cannot change the recorded name: it is the kernel\'s', async () => {
    // Which name each load copies depends on scheduling: rounds of 200 loads until both names were taken (at most 8).
    const names = new Set<string>();
    for (let round = 0; round < 8 && names.size < 2; round++) {
      const run = await runJson(bin, ['bpf-race', '200']);
      await live.barrier();
      const recs = new Map(live.of(EventKind.BpfProgLoad, (f) => f.pid === run.pid).map((f) => [f.prog_id, f]));
      expect(recs.size).toBe(200);
      for (const o of run.out) {
        const f = recs.get(o.id as number)!;
        expect(text(f.prog_name), `prog ${o.id}`).toBe(o.name);
        expect(f.status).toBe(BPF_FROM_KERNEL);
        names.add(o.name as string);
      }
    }
    // The race was real: the kernel took both names, and each record still named the one it took.
    expect(names.size).toBeGreaterThan(1);
  }, 60_000);

  it('memfd_create: the kernel\'s name and inode; its exec has that inode and no links', async () => {
    const run = await runJson(bin, ['memfd', 'rg-payload', '/usr/bin/true']);
    expect(run.code).toBe(0);
    await live.barrier();
    const [m] = live.of(EventKind.MemfdCreate, (f) => f.pid === run.pid);
    const o = run.out[0];
    expect([text(m.name), m.memfd_flags, m.result, m.ino, m.status]).toEqual(['memfd:rg-payload', o.flags, o.result, BigInt(o.ino as number), MEMFD_NAME_FROM_KERNEL]);
    const execs = live.of(EventKind.ProcessExec, (f) => f.pid === run.pid);
    expect(execs).toHaveLength(2); // the intruder itself, then the memfd
    const exec = execs[1];
    expect(exec.exe_ino).toBe(m.ino);
    expect((exec.flags as number) & EVENT_FLAG_EXE_DELETED).toBe(EVENT_FLAG_EXE_DELETED);
  });

  it('loses nothing and rejects nothing', () => {
    expect(live.invalid).toBe(0);
    expect(live.lost()).toBe(0n);
  });
});
