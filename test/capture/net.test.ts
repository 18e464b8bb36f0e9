/**
 * Network records against what the kernel really did: a program in the
 * network lab prints what getsockname, getpeername, errno and its own pids
 * say (test/capture/programs/net_truth.py); the capture must say the same,
 * with every address from the kernel (no from_user_memory) except where the
 * kernel held none (a refused bind).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { captureInLab, type Lab, type LabCapture, startLab } from '../support/net-lab.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('net');
type Ev = Record<string, unknown>;
type Truth = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.skipIf(!runKernelTests)('network records (real eBPF, network lab)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-net-'));
  let lab: Lab;
  let cap: LabCapture;
  const truth = new Map<string, Truth>();
  const of = (type: string, where: (e: Ev) => boolean = () => true) => cap.events.filter((e) => e.event_type === type && where(e));
  const step = (name: string) => {
    const t = truth.get(name);
    if (t === undefined) throw new Error(`net_truth.py printed no ${name} step; stdout: ${cap.stdout}`);
    return t;
  };

  beforeAll(async () => {
    lab = await startLab();
    cap = captureInLab(lab, join(work, 'net.rgc'), ['/usr/bin/python3', `${REPO_ROOT}test/capture/programs/net_truth.py`]);
    for (const line of cap.stdout.trim().split('\n')) {
      const t = JSON.parse(line) as Truth;
      truth.set(t.step, t);
    }
    expect(cap.status).toBe(0);
  }, 120_000);

  afterAll(() => {
    lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('records a listener with the port the kernel chose, and the accept with both ends from the new socket', () => {
    const l = step('listen');
    const bind = of('net_bind', (e) => e.pid === l.pid && e.port === l.port);
    expect(bind).toEqual([expect.objectContaining({ fd: l.fd, result: 0, family: 'AF_INET', addr: '10.66.0.1', protocol: 6, from_user_memory: false })]);
    const listen = of('net_listen', (e) => e.pid === l.pid && e.port === l.port);
    expect(listen).toEqual([expect.objectContaining({ fd: l.fd, result: 0, backlog: 5, addr: '10.66.0.1' })]);
    const a = step('accept');
    const accept = of('net_accept', (e) => e.pid === l.pid);
    expect(accept).toEqual([expect.objectContaining({
      fd: a.fd, result: a.new_fd, addr: a.local.addr, port: a.local.port, peer_addr: a.peer.addr, peer_port: a.peer.port,
    })]);
    // The accepted socket's cookie joins its accept and its TCP outcome records.
    const cookie = accept[0].sock_cookie;
    expect(cookie).not.toBe(0);
    expect(of('net_tcp_state', (e) => e.sock_cookie === cookie).map((e) => e.outcome)).toEqual(['in_established', 'closed']);
  });

  it('records both sides of a connection established and closed, with the bytes each way', () => {
    const c = step('connect');
    const out = of('net_tcp_state', (e) => e.port === c.local.port && e.peer_port === c.peer.port);
    expect(out.map((e) => e.outcome)).toEqual(['out_established', 'closed']);
    expect(out[1]).toMatchObject({ bytes_sent: 1000, bytes_received: 300, result: 0, addr: c.local.addr, peer_addr: c.peer.addr });
    const a = step('accept');
    const incoming = of('net_tcp_state', (e) => e.port === a.local.port && e.peer_port === a.peer.port);
    expect(incoming.map((e) => e.outcome)).toEqual(['in_established', 'closed']);
    expect(incoming[1]).toMatchObject({ bytes_sent: 300, bytes_received: 1000 });
    // The listener side changes state in softirq: attributed to the listening process, not whoever ran then.
    expect(incoming[0]).toMatchObject({ pid: step('listen').pid, owner: 'listener' });
    for (const e of [...out, ...incoming]) expect(Number(e.sock_cookie)).toBeGreaterThan(0);
  });

  it('turns a non-blocking connect\'s EINPROGRESS into the kernel\'s refusal', () => {
    expect(step('refused').error).toBe(111);
    expect(of('net_connect', (e) => e.port === 1)).toEqual([expect.objectContaining({ result: -115, error: 'EINPROGRESS' })]);
    expect(of('net_tcp_state', (e) => e.peer_port === 1)).toEqual([expect.objectContaining({ outcome: 'out_failed', result: -111, error: 'ECONNREFUSED', peer_addr: '10.66.0.1' })]);
  });

  it('records a refused bind with the address asked for, marked as read from the caller\'s memory', () => {
    const b = step('bind_failed');
    expect(of('net_bind', (e) => e.result !== 0)).toEqual([expect.objectContaining({
      fd: b.fd, result: -b.errno, error: 'EADDRNOTAVAIL', addr: '10.99.0.1', port: 7777, from_user_memory: true,
    })]);
  });

  it('records the first UDP datagram to a destination and counts the repeats', () => {
    const u = step('udp');
    const sends = of('net_udp_send', (e) => e.port === 9999);
    expect(sends).toEqual([
      expect.objectContaining({ fd: u.fd, result: u.size, datagram_size: u.size, repeats: 0, summary: 0, addr: '10.66.0.2', connected: 0, from_user_memory: false }),
      expect.objectContaining({ fd: u.fd, repeats: u.count - 1, summary: 1, addr: '10.66.0.2' }),
    ]);
    const c = step('udp_connected');
    const connected = of('net_udp_send', (e) => e.port === 9998);
    expect(connected[0]).toMatchObject({ fd: c.fd, result: c.results[0], connected: 1, addr: '10.66.0.3', repeats: 0 });
    expect(connected.reduce((n, e) => n + (e.summary === 1 ? Number(e.repeats) : 1), 0)).toBe(c.results.length);
  });

  it('records sendto(MSG_FASTOPEN) as the connect it is', () => {
    const f = step('fastopen');
    expect(of('net_connect', (e) => e.fastopen === true)).toEqual([expect.objectContaining({
      fd: f.fd, result: 0, addr: f.peer.addr, port: f.peer.port, family: 'AF_INET',
    })]);
  });

  it('records Unix socket bind, connect and accept with the path and the peer pid the kernel keeps', () => {
    const u = step('unix');
    const records = of('net_unix', (e) => e.path === u.path);
    expect(records.map((e) => [e.op, e.pid, e.peer_pid])).toEqual([
      ['bind', u.server_pid, 0], ['connect', u.client_pid, u.server_pid], ['accept', u.server_pid, u.client_pid],
    ]);
    expect(records[1]).toMatchObject({ fd: u.fd, result: 0, from_user_memory: false, abstract: 0 });
    const a = step('unix_abstract');
    expect(of('net_unix', (e) => e.path === `@${a.name}`).map((e) => [e.op, e.abstract, e.fd])).toEqual([['bind', 1, expect.any(Number)], ['connect', 1, a.fd]]);
  });

  it('shows an abstract name whole: one with more behind a NUL is another socket, not the name before its NUL', () => {
    const h = step('unix_hidden');
    expect(h.name).toBe('rg-truth-abstract\u0000c2');
    expect(of('net_unix', (e) => e.path === `@${h.name}`).map((e) => [e.op, e.abstract, e.fd, e.path_size_invalid])).toEqual([
      ['bind', 1, expect.any(Number), false], ['connect', 1, h.fd, false],
    ]);
    // Only the two records of the name without the NUL read as it.
    expect(of('net_unix', (e) => e.path === `@${step('unix_abstract').name}`)).toHaveLength(2);
    const text = runReplayCli([join(work, 'net.rgc'), '--kind', 'unix']).stdout.toString();
    expect(text).toMatch(/ op=connect .* abstract=1 path="@rg-truth-abstract\\u0000c2" /);
  });

  it('records glibc\'s parallel A and AAAA queries and their answers', () => {
    const pid = step('listen').pid;
    const dns = of('net_dns', (e) => e.pid === pid);
    expect(dns.map((e) => e.direction)).toEqual(['query', 'query', 'response', 'response']);
    // The queries' bytes are the packets the kernel queued; the answers are read from the receiver's buffer.
    for (const q of dns.slice(0, 2)) expect(q).toMatchObject({ addr: '127.0.0.53', port: 53, protocol: 17, from_user_memory: false, payload_truncated: false });
    for (const r of dns.slice(2)) expect(r).toMatchObject({ addr: '127.0.0.53', from_user_memory: true });
    expect(step('resolved').addrs).toEqual(['10.66.0.1', 'fd00:66::1']);
  });

  it('records DNS over TCP, both ways', () => {
    const pid = step('dns_tcp').pid;
    const dns = of('net_dns', (e) => e.pid === pid);
    expect(dns.every((e) => e.protocol === 6 && e.addr === '127.0.0.53' && e.port === 53)).toBe(true);
    expect(dns.filter((e) => e.direction === 'query').length).toBeGreaterThanOrEqual(1);
    expect(dns.filter((e) => e.direction === 'response').length).toBeGreaterThanOrEqual(1);
  });

  it('loses nothing and writes nothing the dispatcher rejects', () => {
    const stats = JSON.parse(runReplayCli([join(work, 'net.rgc'), '--stats', '--json']).stdout.toString());
    expect(stats.lost).toMatchObject({ kernel: 0, user: 0 });
    expect(stats.invalid.total).toBe(0);
  });
});
