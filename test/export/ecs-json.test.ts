/**
 * The ECS export's meaning, per kind: event.category/event.type pairs ECS
 * allows, process.* as the process the event is about (a pid never paired
 * with another process's thread), one JSON type per rand_guard path (what
 * Elasticsearch's dynamic mapping needs), no endpoint without an address, and
 * 64-bit integers as exact JSON numbers. Run on the built CLI over the
 * shipped captures and one crafted here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/constants.js';
import { KINDS } from '../../src/abi/schema.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { runReplayCli } from '../support/golden.js';
import { kindRecord } from '../support/intrusion-records.js';
import { dnsRecord, tcpStateRecord, v4 } from '../support/net-records.js';
import { execRecord, forkRecord, type Identity } from '../support/records.js';
import { writeSynthetic } from '../support/synthetic.js';
import { writeDnsMessage } from '../support/dns-wire.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * ECS 9.4.0's event.category values and the event.type values each expects
 * (schemas/event.yml, `expected_event_types`, github.com/elastic/ecs tag v9.4.0).
 */
const ECS_EXPECTED_TYPES: Record<string, readonly string[]> = {
  api: ['access', 'admin', 'allowed', 'change', 'creation', 'deletion', 'denied', 'end', 'info', 'start', 'user'],
  authentication: ['start', 'end', 'info'],
  configuration: ['access', 'change', 'creation', 'deletion', 'info'],
  database: ['access', 'change', 'info', 'error'],
  driver: ['change', 'end', 'info', 'start'],
  email: ['info'],
  file: ['access', 'change', 'creation', 'deletion', 'info'],
  host: ['access', 'change', 'end', 'info', 'start'],
  iam: ['admin', 'change', 'creation', 'deletion', 'group', 'info', 'user'],
  intrusion_detection: ['allowed', 'denied', 'info'],
  library: ['start'],
  malware: ['info'],
  network: ['access', 'allowed', 'connection', 'denied', 'end', 'info', 'protocol', 'start'],
  package: ['access', 'change', 'deletion', 'info', 'installation', 'start'],
  process: ['access', 'change', 'end', 'info', 'start'],
  registry: ['access', 'change', 'creation', 'deletion'],
  session: ['start', 'end', 'info'],
  threat: ['indicator'],
  vulnerability: ['info'],
  web: ['access', 'error', 'info'],
};
const allowed = (category: string, types: readonly string[]) => types.every((t) => ECS_EXPECTED_TYPES[category]?.includes(t) === true);

const lines = (b: Buffer) => b.toString().split('\n').filter((l) => l !== '');
const documents = (text: string[]) => text.filter((_, i) => i % 2 === 1);

function exportEcs(capture: string): string[] {
  const r = runReplayCli(['export', capture, '--format', 'ecs', '--detect']);
  expect(r.status, r.stderr).toBe(0);
  return documents(lines(r.stdout));
}

/** A capture with what the shipped ones lack: 64-bit counts past 2^53 and past 2^63, a ptrace whose data is 2^64 - 1. */
function craftedCapture(): Uint8Array {
  let ts = 1_000_000_000_000n;
  const at = (pid: number, comm: string, o: Partial<Identity> = {}): Identity => ({ ts: (ts += 1_000_000n), pid, ppid: 1, comm, ...o });
  const local = v4(10, 0, 0, 5);
  const peer = v4(198, 51, 100, 7);
  const nx = writeDnsMessage({ id: 7, response: true, rcode: 3, questions: [{ name: 'nope.example', type: 28 }] });
  return writeSynthetic({
    records: [
      execRecord(at(300, 'srv'), '/usr/bin/srv', ['srv']),
      forkRecord(at(300, 'srv', { tid: 301 }), 302),
      tcpStateRecord(at(300, 'srv'), 1, local, 40000, peer, 443, { sent: (1n << 62n) + 3n, received: (1n << 64n) - 1n }),
      tcpStateRecord(at(300, 'srv'), 4, local, 40000, peer, 443, { oldState: 1, newState: 7, sent: 5n, received: 7n }),
      dnsRecord(at(300, 'srv'), 2, { family: 0, addr: [] }, nx),
      kindRecord(EventKind.ProcessPtrace, at(300, 'srv', { tid: 303 }), {
        request: 4, target_pid: 302, result: 0, status: 1, addr: (1n << 60n) + 1n, data: (1n << 64n) - 1n, target_tgid: 302, target_comm: 'srv',
      }),
      kindRecord(EventKind.ProcessVm, at(300, 'srv'), {
        call: SyscallCall.ProcessVmWritev, status: 1, target_pid: 302, result: 8, local_iovcnt: 1, remote_iovcnt: 1, remote_addr: 0x7ff0n, remote_len: 8n,
        target_tgid: 302, target_comm: 'srv',
      }),
    ],
  });
}

describe('export --format ecs: meaning per kind', () => {
  let dir = '';
  const raw: Record<string, string[]> = {};
  const docs: Record<string, Doc[]> = {};
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rg-ecs-'));
    writeFileSync(join(dir, 'crafted.rgc'), craftedCapture());
    for (const [name, path] of [['demo', 'captures/demo.rgc'], ['all', 'captures/synthetic-all-kinds.rgc'], ['crafted', join(dir, 'crafted.rgc')]]) {
      raw[name] = exportEcs(path);
      docs[name] = raw[name].map((l) => JSON.parse(l) as Doc);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const every = () => [...docs.demo, ...docs.all, ...docs.crafted];
  const events = (action: string) => every().filter((d) => d.event.kind === 'event' && d.event.action === action);

  it('categorises every kind of this build by the ecs part of its registry entry, each pair one ECS 9.4 allows', () => {
    for (const k of KINDS) {
      const row = k.ecs!;
      expect(row, k.name).toBeDefined();
      const types = [row.type, ...Object.values(row.typeByActivity ?? {}), ...Object.values(row.typeByCall ?? {})];
      for (const t of types) expect(allowed(row.category, t), `${k.name}: ${row.category} ${t}`).toBe(true);
    }
    for (const d of every()) expect(allowed(d.event.category[0], d.event.type), `${d.event.action}: ${d.event.category} ${d.event.type}`).toBe(true);
  });

  it('a failed exec is the program that failed to start (its path and argv, in the caller\'s pid), the caller its parent', () => {
    const failed = docs.demo.filter((d) => d.event?.action === 'exec_failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const d of failed) {
      expect(d.event.outcome).toBe('failure');
      expect(d.process.executable).toBe(d.rand_guard.exec_failed.path);
      expect(d.process.command_line).toBe(d.rand_guard.exec_failed.argv.join(' '));
      expect(d.process.entity_id).toBeUndefined();
      expect(d.process.parent.pid).toBe(d.process.pid);
      expect(d.process.parent.executable).not.toBe(d.process.executable);
    }
  });

  it('counts only launches as process starts; changes, reads and signals are what they are', () => {
    const starts = new Set(every().filter((d) => d.event.category.includes('process') && d.event.type.includes('start')).map((d) => d.event.action));
    expect([...starts].sort()).toEqual(['exec_failed', 'process_fork', 'process_start']);
    const pair = (action: string) => [...new Set(events(action).map((d) => `${d.event.category.join()}/${d.event.type.join()}`))].sort();
    expect(pair('process_ptrace')).toEqual(['process/access']);
    expect(pair('process_vm')).toEqual(['process/access', 'process/change']); // readv, writev
    expect(pair('process_cred')).toEqual(['process/change']);
    expect(pair('process_signal')).toEqual(['process/info']);
    expect(pair('kernel_module')).toEqual(['driver/end', 'driver/start']); // delete_module; init and finit_module
    expect(pair('bpf_prog_load')).toEqual(['driver/start']);
    for (const a of ['file_chmod', 'file_chown', 'fs_mount']) expect(pair(a), a).toEqual(['file/change']);
  });

  it('puts the acting process in process.* for ptrace, process_vm and signal, its target under rand_guard.target.process', () => {
    for (const a of ['process_ptrace', 'process_vm', 'process_signal']) {
      const all = events(a);
      expect(all.length, a).toBeGreaterThan(0);
      for (const d of all) {
        expect(d.process.pid, a).toBe(d.rand_guard.pid);
        expect(d.process.thread.id, a).toBe(d.rand_guard.tid);
        // A target the kernel did not resolve (target_tgid 0) is not made up.
        if (d.rand_guard[a].target_tgid === 0) expect(d.rand_guard.target, a).toBeUndefined();
        else expect(d.rand_guard.target.process.pid, a).toBe(d.rand_guard[a].target_tgid);
      }
    }
    // The demo's intruder ptraces its victim: the attacker is the process, with its own program and command line.
    const ptrace = events('process_ptrace').find((d) => d.rand_guard.capture.file === 'demo.rgc' && d.rand_guard.pid === 11381)!;
    expect(ptrace.process).toMatchObject({ pid: 11381, executable: expect.stringMatching(/\/intruder$/), thread: { id: 11381 } });
    expect(ptrace.rand_guard.target.process).toMatchObject({ pid: 11376, command_line: expect.stringMatching(/intruder victim$/) });
  });

  it('gives a fork the child as process.* with the child thread, and the forking thread as its parent', () => {
    const forks = events('process_fork');
    expect(forks.length).toBeGreaterThan(80);
    for (const d of forks) {
      const f = d.rand_guard.process_fork;
      expect(d.process.pid).toBe(f.child_pid);
      expect(d.process.thread.id).toBe(f.child_tid);
      expect(d.process.parent.pid).toBe(d.rand_guard.pid);
      expect(d.process.parent.thread.id).toBe(d.rand_guard.tid);
    }
    const crafted = docs.crafted.find((d) => d.event.action === 'process_fork')!;
    expect(crafted.process).toMatchObject({ pid: 302, thread: { id: 302 }, parent: { pid: 300, thread: { id: 301 } } });
  });

  it('never pairs a pid with a thread of another process', () => {
    for (const d of every()) {
      if (d.event.kind !== 'event' || d.process?.thread === undefined) continue;
      const own = d.event.action === 'process_fork' ? d.rand_guard.process_fork.child_pid : d.rand_guard.pid;
      expect(d.process.pid, d.event.action).toBe(own);
    }
  });

  it('gives every rand_guard path one JSON type across all kinds and alerts', () => {
    const types = new Map<string, Set<string>>();
    const walk = (v: unknown, path: string, where: string) => {
      if (v === null) return;
      if (Array.isArray(v)) {
        for (const x of v) walk(x, path, where);
        return;
      }
      if (typeof v === 'object') {
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${path}.${k}`, where);
        return;
      }
      const t = typeof v;
      if (!types.has(path)) types.set(path, new Set());
      types.get(path)!.add(`${t} (${where})`);
    };
    for (const d of every()) walk(d.rand_guard, 'rand_guard', d.event.action);
    const conflicts = [...types].filter(([, s]) => new Set([...s].map((x) => x.split(' ')[0])).size > 1).map(([p, s]) => `${p}: ${[...s].slice(0, 4).join(', ')}`);
    expect(conflicts).toEqual([]);
    expect(types.has('rand_guard.process_ptrace.addr') && types.has('rand_guard.net_connect.addr')).toBe(true);
  });

  it('leaves out an endpoint whose address the record does not hold', () => {
    for (const d of every()) {
      for (const end of [d.source, d.destination]) if (end !== undefined) expect(end.ip, `${d.event.action} ${JSON.stringify(end)}`).toBeDefined();
    }
    const unknownServer = [...docs.demo, ...docs.crafted].filter((d) => d.event.action === 'net_dns' && d.rand_guard.net_dns.family === 0);
    expect(unknownServer.length).toBe(2);
    for (const d of unknownServer) expect(d.destination).toBeUndefined();
  });

  it('writes 64-bit counts as exact JSON numbers, and leaves out of ECS fields what a long cannot hold', () => {
    const open = raw.crafted.find((l) => l.includes('"action":"net_tcp_state"'))!;
    // 2^62 + 3 sent: the source's bytes, exact; 2^64 - 1 received: no long holds it, so the destination has none.
    expect(open).toMatch(/"source":\{[^}]*"bytes":4611686018427387907\}/);
    expect(open).not.toMatch(/"destination":\{[^}]*"bytes"/);
    expect(open).toMatch(/"bytes_sent":4611686018427387907,"bytes_received_u64":"18446744073709551615"/);
    const ptrace = raw.crafted.find((l) => l.includes('"action":"process_ptrace"'))!;
    expect(ptrace).toMatch(/"addr":1152921504606846977,"data_u64":"18446744073709551615"/);
    // No typed ECS field is ever a string of digits.
    for (const d of every()) for (const end of [d.source, d.destination]) if (end?.bytes !== undefined) expect(typeof end.bytes).toBe('number');
  });

  it('OCSF NDJSON too: traffic bytes (long_t) are exact numbers, and one a long cannot hold is left out, kept in unmapped', () => {
    const r = runReplayCli(['export', join(dir, 'crafted.rgc'), '--format', 'ocsf']);
    expect(r.status, r.stderr).toBe(0);
    const open = lines(r.stdout).find((l) => l.includes('"event_type":"net_tcp_state"') && l.includes('4611686018427387907'))!;
    expect(open).toMatch(/"traffic":\{"bytes_out":4611686018427387907\}/);
    expect(open).toMatch(/"bytes_received":"18446744073709551615"/);
  });
});
