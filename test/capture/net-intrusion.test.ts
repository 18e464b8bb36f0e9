/**
 * The network part of the scripted intrusion (scripts/net-intrusion-workload.sh)
 * on the real kernel, in the network lab: a reverse shell to a name it
 * resolved, a bind shell from /dev/shm, io_uring "curing", a UDP beacon, DNS
 * tunnelling and a mining pool's name, the Docker socket; among benign
 * look-alikes. Each must be in the capture with the kernel's addresses and
 * the names resolved, and --alerts must find each behaviour and nothing benign.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { buildProgram, captureInLab, type Lab, type LabCapture, startLab } from '../support/net-lab.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('net-intrusion');
type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.skipIf(!runKernelTests)('network intrusion (real eBPF, network lab)', () => {
  // Not under /tmp: the io_uring program would (rightly) also alert as run from a world-writable directory.
  const work = mkdtempSync(join(homedir(), '.rg-net-intrusion-'));
  const out = join(work, 'net-intrusion.rgc');
  let lab: Lab;
  let cap: LabCapture;
  let alerts: Line[];
  const events = (type: string, where: (e: Line) => boolean = () => true) => cap.events.filter((e) => e.event_type === type && where(e));

  beforeAll(async () => {
    const curing = buildProgram('scripts/net/io-uring-curing.c', work);
    lab = await startLab();
    cap = captureInLab(lab, out, ['bash', `${REPO_ROOT}scripts/net-intrusion-workload.sh`, join(work, 'w')], { RG_CURING: curing });
    alerts = runReplayCli([out, '--alerts', '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  }, 180_000);

  afterAll(() => {
    lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds each behaviour, and nothing benign', () => {
    expect(cap.status).toBe(0);
    const count = (id: string) => alerts.filter((a) => a.rule_id === id).length;
    expect(Object.fromEntries([...new Set(alerts.map((a) => a.rule_id))].sort().map((id) => [id, count(id)]))).toEqual({
      'container.socket_access': 1,
      'defense_evasion.io_uring': 1,
      'dns.mining_pool': 2, // glibc asks for A and AAAA
      'dns.tunnelling': 1,
      'execution.tmp': 1,
      'network.bind_shell': 1,
      'network.reverse_shell': 1,
      // bash to 4444 over IPv6 (refused) and IPv4, the knock to 31337, curing to 4444, the beacon to 6667
      'network.watched_destination': 5,
      'network.watched_inbound': 1,
    });
    for (const a of alerts.filter((x) => x.rule_id !== 'execution.tmp')) expect(a.attack.length, a.rule_id).toBeGreaterThan(0);
  });

  it('shows the reverse shell connecting to the name it resolved, and the shell it ran', () => {
    const shell = alerts.find((a) => a.rule_id === 'network.reverse_shell')!;
    const connect = events('net_connect', (e) => e.pid === shell.process.pid && e.protocol === 6 && e.result === 0);
    expect(connect).toEqual([expect.objectContaining({ addr: '10.66.0.1', port: 4444, dst_hostname: 'c2.evil.example' })]);
    const resolved = events('net_dns', (e) => e.pid === shell.process.pid && e.direction === 'response').flatMap((e) => e.dns.flatMap((m: Line) => m.answers.map((a: Line) => a.data)));
    expect(resolved.sort()).toEqual(['10.66.0.1', 'fd00:66::1']);
    expect(events('net_tcp_state', (e) => e.pid === shell.process.pid && e.outcome === 'out_established')).toEqual([expect.objectContaining({ peer_addr: '10.66.0.1', peer_port: 4444, dst_hostname: 'c2.evil.example' })]);
  });

  it('shows the bind shell\'s listener and the connection it accepted, from the kernel\'s sockets', () => {
    const listen = events('net_listen', (e) => e.port === 31337);
    expect(listen).toEqual([expect.objectContaining({ addr: '0.0.0.0', comm: '.rg-bind', result: 0 })]);
    const accepted = events('net_accept', (e) => e.pid === listen[0].pid);
    expect(accepted).toEqual([expect.objectContaining({ port: 31337, addr: '10.66.0.1', peer_addr: '10.66.0.1' })]);
    const knock = events('net_tcp_state', (e) => e.outcome === 'out_established' && e.peer_port === 31337);
    expect(knock[0].port).toBe(accepted[0].peer_port);
    expect(events('process_start', (e) => e.ppid === listen[0].pid).map((e) => e.filename)).toEqual(['/bin/sh']);
  });

  it('shows what io_uring did without a syscall: /etc/shadow opened, the C2 reached, a DNS query sent', () => {
    const curing = events('io_uring_setup');
    expect(curing).toHaveLength(1);
    const pid = curing[0].pid;
    expect(events('file_open', (e) => e.pid === pid && e.io_uring === true)).toEqual([expect.objectContaining({ path: '/etc/shadow', result: expect.any(Number) })]);
    expect(events('net_connect', (e) => e.pid === pid)).toEqual([expect.objectContaining({ addr: '10.66.0.1', port: 4444, result: 0, io_uring: true })]);
    expect(events('net_dns', (e) => e.pid === pid)).toEqual([expect.objectContaining({ io_uring: true, from_user_memory: false, addr: '127.0.0.53' })]);
  });

  it('shows the UDP beacon once, with its repeats counted', () => {
    const beacon = events('net_udp_send', (e) => e.port === 6667);
    expect(beacon.map((e) => [e.summary, e.repeats, e.addr, e.from_user_memory])).toEqual([[0, 0, '10.66.0.1', false], [1, 19, '10.66.0.1', false]]);
  });

  it('shows the Docker socket reached, with the daemon\'s pid from the kernel', () => {
    const docker = events('net_unix', (e) => e.path === '/var/run/docker.sock' && e.op === 'connect');
    expect(docker).toEqual([expect.objectContaining({ comm: 'curl', result: 0, from_user_memory: false })]);
    // The fake daemon runs in the lab, not in the followed tree.
    expect(docker[0].peer_pid).toBeGreaterThan(0);
    expect(cap.events.some((e) => e.pid === docker[0].peer_pid)).toBe(false);
  });
});
