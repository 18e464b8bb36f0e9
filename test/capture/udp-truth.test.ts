/**
 * Where a datagram really went, when the sender tries to make the capture say
 * otherwise (an exploratory tester's findings; test/capture/programs/udp_truth.py
 * prints what the receivers got): sendto() on a connected UDP socket, a
 * datagram whose second IP fragment is shaped as a DNS query, a corked query
 * sent by setsockopt beside a send held for ARP, and a TCP close finished
 * after its process exited (under --follow). Real eBPF, in a private network
 * namespace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { runCapture } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('udp-truth');
type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.skipIf(!runKernelTests)('UDP destinations and TCP closes as the kernel made them (real eBPF)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-udp-truth-'));
  const truth = new Map<string, Ev>();
  let events: Ev[] = [];
  const step = (name: string): Ev => {
    const t = truth.get(name);
    if (t === undefined) throw new Error(`udp_truth.py printed no ${name} step`);
    return t;
  };
  const names = (e: Ev): string[] => (e.dns ?? []).flatMap((m: Ev) => (m.questions ?? []).map((q: Ev) => q.name));
  const sends = () => events.filter((e) => e.event_type === 'net_udp_send' && !e.summary);
  const dns = () => events.filter((e) => e.event_type === 'net_dns');

  beforeAll(async () => {
    const out = join(work, 'udp.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', '/usr/bin/unshare', '--net', '/usr/bin/python3', `${REPO_ROOT}test/capture/programs/udp_truth.py`]);
    expect(run.status, run.stderr).toBe(0);
    for (const line of run.stdout.trim().split('\n')) {
      const t = JSON.parse(line) as Ev;
      truth.set(t.step, t);
    }
    const replay = runReplayCli([out, '--json']);
    expect(replay.status, replay.stderr).toBe(0);
    events = replay.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Ev);
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a connected socket\'s sendto() elsewhere: the datagram to B where B got it, the query as net_dns, from the packet', () => {
    const t = step('connected');
    expect([t.a_got, t.b_got, t.dns_got]).toEqual([0, 'to-B-not-A', expect.any(Number)]);
    const mine = sends().filter((e) => e.sock_cookie === t.cookie);
    expect(mine.map((e) => [e.addr, e.port, e.datagram_size, e.from_user_memory])).toEqual([['127.0.0.1', t.b_port, 10, false]]);
    expect(mine.some((e) => e.port === t.peer_port)).toBe(false);
    const q = dns().filter((e) => e.sock_cookie === t.cookie);
    expect(q.map((e) => names(e))).toEqual([['connected.example.org']]);
    expect(q.map((e) => [e.fd, e.addr, e.port, e.direction, e.message_size, e.from_user_memory])).toEqual([[t.fd, '127.0.0.1', 53, 'query', t.dns_got, false]]);
  });

  it('a connected socket\'s sendto() to a neighbour not yet resolved: not its peer, the address asked for, from the caller\'s memory', () => {
    const t = step('connected-arp');
    expect([t.sent, t.a_got]).toEqual([12, 0]);
    const mine = sends().filter((e) => e.sock_cookie === t.cookie);
    expect(mine.map((e) => [e.addr, e.port, e.connected, e.from_user_memory])).toEqual([['10.9.0.3', 4444, 1, true]]);
  });

  it('connect(AF_UNSPEC) is recorded as the disconnect it is: family AF_UNSPEC, no address, from the caller\'s memory', () => {
    const t = step('unspec');
    expect([t.result, t.connected_after]).toEqual([0, false]);
    const conns = events.filter((e) => e.event_type === 'net_connect' && e.pid === step('connected').pid && e.fd === t.fd);
    const last = conns.at(-1);
    expect([last?.result, last?.family, last?.addr, last?.port, last?.addr_flags]).toEqual([0, 'AF_UNSPEC', '', 0, 'unverified']);
  });

  it('a datagram with a loose source route: to the destination the route ends at, not its first hop', () => {
    const t = step('lsrr');
    // On the wire (an AF_PACKET socket on lo): the header names the first hop, the route ends at the destination.
    expect([t.sent, t.header_daddr, t.route_end]).toEqual([8, '10.77.0.1', '10.66.0.1']);
    const mine = sends().filter((e) => e.sock_cookie === t.cookie);
    expect(mine.map((e) => [e.addr, e.port, e.datagram_size, e.from_user_memory])).toEqual([['10.66.0.1', 4445, 8, false]]);
  });

  it('a datagram larger than the MTU: recorded from its first fragment (port 4444, its whole size), its payload never read as a DNS query', () => {
    for (const [name, addr] of [['frag4', '127.0.0.1'], ['frag6', '::1']] as const) {
      const t = step(name);
      expect(t.received, name).toBe(t.sent);
      const mine = sends().filter((e) => e.sock_cookie === t.cookie);
      expect(mine.map((e) => [e.addr, e.port, e.datagram_size, e.from_user_memory]), name).toEqual([[addr, 4444, t.sent, false]]);
      expect(dns().filter((e) => e.sock_cookie === t.cookie), name).toEqual([]);
    }
    expect(dns().flatMap(names).filter((n) => n.includes('forged'))).toEqual([]);
  });

  it('a send held for ARP is not paired with the corked query setsockopt sent: it is to 10.9.0.2:4444, from the caller\'s memory', () => {
    const t = step('cork');
    expect(t.sent).toBe(12);
    const corked = dns().filter((e) => e.sock_cookie === t.cookie);
    expect(corked.map(names)).toEqual([['corked.example.org']]);
    // The corked query, recorded at its sendto (nothing was queued then: from the caller's memory), once.
    expect(corked.map((e) => [e.fd, e.addr, e.port, e.from_user_memory])).toEqual([[t.fd, '127.0.0.1', 53, true]]);
    const beacon = sends().filter((e) => e.sock_cookie === t.cookie);
    expect(beacon.map((e) => [e.addr, e.port, e.from_user_memory, e.datagram_size])).toEqual([['10.9.0.2', 4444, true, 0]]);
  });

  it('--follow keeps the closed record of a connection whose process exited before it finished closing', () => {
    const t = step('close');
    expect(t.server_received).toBe(100);
    const closed = events.filter((e) => e.event_type === 'net_tcp_state' && e.outcome === 'closed');
    const child = closed.filter((e) => e.port === t.child_port);
    expect(child.map((e) => [e.pid, e.owner, e.old_state, e.new_state, e.bytes_sent])).toEqual([[t.child, 'last_task', 'fin_wait2', 'close', 100]]);
    // The server's end too (its owner still lives).
    expect(closed.filter((e) => e.peer_port === t.child_port).map((e) => e.pid)).toEqual([step('connected').pid]);
  });
});
