/**
 * The side doors, on the real kernel: file and network actions through
 * io_uring submission entries (no open or connect syscall at all), and a
 * UDP sender racing a thread that rewrites the destination in its own
 * memory. What the programs print (fds, results, what the receivers got) is
 * the truth the capture must match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, captureInLab, type Lab, type LabCapture, startLab } from '../support/net-lab.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('net-doors');
type Ev = Record<string, unknown>;
type Printed = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const lines = (c: LabCapture): Printed[] => c.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Printed);

describe.skipIf(!runKernelTests)('side doors (real eBPF, network lab)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-doors-'));
  let lab: Lab;
  let uring: LabCapture;
  let race: LabCapture;

  beforeAll(async () => {
    const curing = buildProgram('scripts/net/io-uring-curing.c', work);
    const racer = buildProgram('test/capture/programs/udp-dest-race.c', work, ['-pthread']);
    lab = await startLab();
    uring = captureInLab(lab, join(work, 'uring.rgc'), [curing, 'open', '/etc/shadow', 'open', '/nonexistent/rg', 'connect', '10.66.0.1', '4444',
      'connect', '10.66.0.1', '1', 'listen', '0.0.0.0', '5555', 'dns', '127.0.0.53', 'c2.evil.example']);
    race = captureInLab(lab, join(work, 'race.rgc'), [racer, '127.0.0.1', '7001', '7002', '3000']);
  }, 120_000);

  afterAll(() => {
    lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  describe('io_uring', () => {
    const printed = (op: string) => lines(uring).filter((l) => l.op === op);
    const mine = (type: string) => uring.events.filter((e: Ev) => e.event_type === type && e.pid === printed('setup')[0].pid);

    it('records the ring\'s set-up as the kernel made it', () => {
      expect(uring.status).toBe(0);
      expect(mine('io_uring_setup')).toEqual([expect.objectContaining({ result: printed('setup')[0].ring_fd, entries: 8, sq_entries: 8, cq_entries: 16 })]);
    });

    it('records opens made by IORING_OP_OPENAT as file_open: the kernel\'s path, the name from the prepared request, the result', () => {
      const opens = mine('file_open').filter((e) => e.io_uring === true);
      expect(opens.map((e) => [e.path_arg, e.result])).toEqual(printed('open').map((p) => [p.path, p.res]));
      // The opened file's path walked in the kernel; the failure's directory resolved in the kernel, joined with the name.
      expect(opens[0]).toMatchObject({ path: '/etc/shadow', path_flags: 'from_file', call: 'openat' });
      expect(opens[0].ino).toBeGreaterThan(0);
      expect(opens[1]).toMatchObject({ path: '/nonexistent/rg', path_flags: 'dir_root|lexical', error: 'ENOENT', dirfd: -100, call: 'openat' });
      // No syscall made these opens: nothing else records them.
      expect(mine('file_open').filter((e) => e.path === '/etc/shadow' && e.io_uring !== true)).toEqual([]);
    });

    it('records connects made by IORING_OP_CONNECT with the socket\'s destination, and their TCP outcomes', () => {
      const connects = mine('net_connect');
      expect(connects.map((e) => [e.fd, e.result, e.addr, e.port, e.io_uring, e.call])).toEqual(
        printed('connect').map((p, i) => [p.fd, p.res, '10.66.0.1', i === 0 ? 4444 : 1, true, 'connect']));
      // Both destinations are the socket's: a refused connect's socket still holds the one the kernel sent its SYN to.
      expect(connects.map((e) => e.addr_flags)).toEqual(['', '']);
      const outcomes = mine('net_tcp_state').filter((e) => e.outcome === 'out_established' || e.outcome === 'out_failed');
      expect(outcomes.map((e) => [e.outcome, e.peer_port, e.result])).toEqual([['out_established', 4444, 0], ['out_failed', 1, -111]]);
    });

    it('records IORING_OP_BIND and IORING_OP_LISTEN with the local address from the socket', () => {
      const l = printed('listen')[0];
      expect(mine('net_bind')).toEqual([expect.objectContaining({ fd: l.fd, result: l.bind, port: 5555, addr: '0.0.0.0', io_uring: true })]);
      expect(mine('net_listen')).toEqual([expect.objectContaining({ fd: l.fd, result: l.res, port: 5555, backlog: 16, io_uring: true })]);
    });

    it('records a DNS query sent by IORING_OP_SENDMSG, from the packet the kernel queued', () => {
      const d = printed('dns')[0];
      expect(mine('net_dns')).toEqual([expect.objectContaining({
        direction: 'query', result: d.res, message_size: d.size, addr: '127.0.0.53', port: 53, io_uring: true, from_user_memory: false,
      })]);
    });
  });

  describe('a UDP destination rewritten while sendto runs', () => {
    it('records where each datagram really went: the counts equal what the receivers got', () => {
      const r = lines(race)[0];
      expect(r.real + r.decoy).toBe(r.sent);
      const sends = race.events.filter((e: Ev) => e.event_type === 'net_udp_send' && e.pid === r.pid);
      const count = (port: number) => sends.filter((e) => e.port === port).reduce((n, e) => n + (e.summary === 1 ? Number(e.repeats) : 1), 0);
      expect({ real: count(r.real_port), decoy: count(r.decoy_port) }).toEqual({ real: r.real, decoy: r.decoy });
      for (const e of sends) expect(e).toMatchObject({ fd: r.fd, from_user_memory: false, addr: '127.0.0.1' });
    });
  });
});
