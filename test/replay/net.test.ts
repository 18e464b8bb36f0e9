/**
 * Replay of network records, end to end through rg-replay on a synthetic
 * capture: names resolved before a connect, decoded DNS messages (UDP and
 * a TCP stream split across records), each network detection firing on its
 * behaviour and staying quiet on look-alikes, --port/--addr, and the tree.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FLAG_IO_URING } from '../../src/abi/schema.js';
import { runReplayCli } from '../support/golden.js';
import { writeDnsMessage } from '../support/dns-wire.js';
import {
  acceptRecord, dnsRecord, ioUringSetupRecord, listenRecord, tcpConnectRecord, udpSendRecord, unixRecord, v4, v6,
} from '../support/net-records.js';
import { execRecord, forkRecord, openRecord, type Identity } from '../support/records.js';
import { writeSynthetic } from '../support/synthetic.js';

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const dir = mkdtempSync(join(tmpdir(), 'rg-net-replay-'));
const stub = v4(127, 0, 0, 53);
const c2 = v4(10, 66, 0, 1);
let t = 1_000_000_000_000n;
const at = (pid: number, comm: string, ppid = 1, flags = 0): Identity => ({ ts: (t += 1_000_000n), pid, ppid, comm, flags });
const ms = (n: number) => { t += BigInt(n) * 1_000_000n; };
const query = (name: string, type = 1, id = 1) => writeDnsMessage({ id, questions: [{ name, type }] });
const answer = (name: string, data: number[], id = 1) => writeDnsMessage({
  id, response: true, compress: true, questions: [{ name, type: data.length === 4 ? 1 : 28 }], answers: [{ name, type: data.length === 4 ? 1 : 28, data: Uint8Array.from(data) }],
});

const records: Uint8Array[] = [];
const push = (...r: Uint8Array[]) => records.push(...r);
// 100: resolves c2.evil.example, connects to it, then runs an interactive shell (a reverse shell), which runs another shell.
push(execRecord(at(100, 'bash'), '/usr/bin/bash', ['bash', '-c', 'x']));
push(dnsRecord(at(100, 'bash'), 1, stub, query('c2.evil.example')));
push(dnsRecord(at(100, 'bash'), 2, stub, answer('c2.evil.example', [10, 66, 0, 1])));
push(tcpConnectRecord(at(100, 'bash'), c2, 4444));
ms(20);
push(execRecord(at(100, 'bash'), '/usr/bin/bash', ['bash', '-i']));
push(forkRecord(at(100, 'bash'), 101), execRecord(at(101, 'sh', 100), '/bin/sh', ['sh', '-c', 'id']));
// 200: the same address without a lookup of its own: no name.
push(execRecord(at(200, 'nc'), '/usr/bin/nc', ['nc', '10.66.0.1', '4444']), tcpConnectRecord(at(200, 'nc'), c2, 4444));
// 300: a UDP connect (what getaddrinfo does to sort addresses) then a shell: not a reverse shell.
push(execRecord(at(300, 'sudo'), '/usr/bin/sudo', ['sudo', '-i']), tcpConnectRecord(at(300, 'sudo'), c2, 53, 0, { protocol: 17 }));
push(execRecord(at(300, 'bash'), '/usr/bin/bash', ['-bash']));
// 400: a listener by a dropped program; 401: nginx's.
push(execRecord(at(400, 'x'), '/dev/shm/x', ['x']), listenRecord(at(400, 'x'), v4(0, 0, 0, 0), 5555));
push(execRecord(at(401, 'nginx'), '/usr/sbin/nginx', ['nginx']), listenRecord(at(401, 'nginx'), v4(0, 0, 0, 0), 80));
// 500: DNS names: a mining pool, a look-alike, data in a label, a long but ordinary label.
push(execRecord(at(500, 'python3'), '/usr/bin/python3', ['python3']));
push(dnsRecord(at(500, 'python3'), 1, stub, query('pool.supportxmr.com')));
push(dnsRecord(at(500, 'python3'), 1, stub, query('notsupportxmr.com')));
push(dnsRecord(at(500, 'python3'), 1, stub, query('MZXW6YTBOI2DGNRXHA4TCMRTGQ2TMNZYHE3DIMZVGQ3TKNRX.t.example.net', 16)));
push(dnsRecord(at(500, 'python3'), 1, stub, query('selector1-contoso-com01b.domainkey.example.org', 16)));
// 600: the Docker socket from curl; 601: from docker itself.
push(execRecord(at(600, 'curl'), '/usr/bin/curl', ['curl']), unixRecord(at(600, 'curl'), 2, '/var/run/docker.sock'));
push(execRecord(at(601, 'docker'), '/usr/bin/docker', ['docker', 'ps']), unixRecord(at(601, 'docker'), 2, '/var/run/docker.sock'));
// 602: an abstract name spelled like the Docker socket, with more behind a NUL: another socket, not Docker's.
push(execRecord(at(602, 'curl'), '/usr/bin/curl', ['curl']), unixRecord(at(602, 'curl'), 2, '\0/var/run/docker.sock\0c2'));
// 700: io_uring by an unknown program; 701: by mysqld; 702: only operations seen (ring set up before the capture).
push(execRecord(at(700, 'app'), '/opt/app/app', ['app']), ioUringSetupRecord(at(700, 'app')));
push(execRecord(at(701, 'mysqld'), '/usr/sbin/mysqld', ['mysqld']), ioUringSetupRecord(at(701, 'mysqld')));
push(openRecord(at(702, 'curing', 1, EVENT_FLAG_IO_URING), '/etc/shadow', 0, 4), tcpConnectRecord(at(702, 'curing'), c2, 8080, 0, { ioUring: true }));
// 800: a UDP beacon to a watched port (one record, then its summary); an accept on a watched port.
push(udpSendRecord(at(800, 'beacon'), c2, 6667), udpSendRecord(at(800, 'beacon'), c2, 6667, { repeats: 19, summary: true }));
push(acceptRecord(at(801, 'srv'), v4(10, 66, 0, 1), 4444, v4(10, 66, 0, 9), 40000));
// 900: DNS over TCP: the query in one send; the answer's length and message in two receives.
const tcpAnswer = answer('tcp.example', [10, 66, 0, 7], 5);
push(dnsRecord(at(900, 'getent'), 1, stub, Uint8Array.from([0, query('tcp.example', 1, 5).length, ...query('tcp.example', 1, 5)]), { protocol: 6, cookie: 90n }));
push(dnsRecord(at(900, 'getent'), 2, stub, Uint8Array.from([tcpAnswer.length >> 8, tcpAnswer.length & 0xff]), { protocol: 6, cookie: 90n }));
push(dnsRecord(at(900, 'getent'), 2, stub, tcpAnswer, { protocol: 6, cookie: 90n }));
push(tcpConnectRecord(at(900, 'getent'), v4(10, 66, 0, 7), 443));
// 960: resolves a mining pool and connects to it (SigmaHQ's DestinationHostname rule).
push(dnsRecord(at(960, 'xmrig'), 2, stub, answer('pool.supportxmr.com', [10, 66, 0, 60])), tcpConnectRecord(at(960, 'xmrig'), v4(10, 66, 0, 60), 3333));
// 950: an AAAA answer and a connect to it.
push(dnsRecord(at(950, 'curl'), 2, stub, answer('v6.example', [0xfd, 0, 0, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])));
push(tcpConnectRecord(at(950, 'curl'), v6([0xfd00, 0x66, 0, 0, 0, 0, 0, 1]), 443));

describe('network replay', () => {
  const capture = join(dir, 'net.rgc');
  let events: Line[];
  let alerts: Line[];
  const lines = (args: string[]): Line[] => {
    const r = runReplayCli([capture, ...args]);
    expect(r.stderr).not.toMatch(/internal error/);
    return r.stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };

  beforeAll(() => {
    writeFileSync(capture, writeSynthetic({ records }));
    events = lines(['--json']);
    alerts = lines(['--alerts', '--json']);
  });

  it('names a connect by what that process resolved, and only that process', () => {
    const connects = events.filter((e) => e.event_type === 'net_connect');
    expect(connects.map((e) => [e.pid, e.port, e.dst_hostname ?? null])).toEqual([
      [100, 4444, 'c2.evil.example'], [200, 4444, null], [300, 53, null], [702, 8080, null], [900, 443, 'tcp.example'], [960, 3333, 'pool.supportxmr.com'], [950, 443, 'v6.example'],
    ]);
  });

  it('decodes DNS messages, and DNS over TCP once its length and message have both arrived', () => {
    const dns = events.filter((e) => e.event_type === 'net_dns');
    expect(dns[1].dns).toEqual([{
      id: 1, response: true, rcode: 'NOERROR', truncated_by_sender: false, questions: [{ name: 'c2.evil.example', type: 'A' }],
      answers: [{ name: 'c2.evil.example', type: 'A', ttl: 300, data: '10.66.0.1' }], incomplete: null,
    }]);
    const tcp = dns.filter((e) => e.pid === 900);
    expect(tcp.map((e) => e.dns.length)).toEqual([1, 0, 1]);
    expect(tcp[0].dns[0].questions).toEqual([{ name: 'tcp.example', type: 'A' }]);
    expect(tcp[2].dns[0].answers[0]).toMatchObject({ data: '10.66.0.7' });
  });

  it('fires each network detection once on its behaviour, with its ATT&CK ids, and never on the look-alikes', () => {
    const fired = alerts.map((a) => `${a.rule_id}@${a.process.pid}`);
    expect(fired.sort()).toEqual([
      'container.socket_access@600', 'defense_evasion.io_uring@700', 'defense_evasion.io_uring@702', 'dns.mining_pool@500', 'dns.tunnelling@500',
      'execution.tmp@400', 'network.bind_shell@400', 'network.reverse_shell@100',
      'network.watched_destination@100', 'network.watched_destination@200', 'network.watched_destination@800', 'network.watched_inbound@801',
    ].sort());
    const by = (id: string) => alerts.find((a) => a.rule_id === id)!;
    expect(by('network.reverse_shell')).toMatchObject({ attack: ['T1059.004'], filename: '/usr/bin/bash' });
    expect(by('network.bind_shell')).toMatchObject({ attack: ['T1059.004'], port: 5555 });
    expect(by('dns.mining_pool')).toMatchObject({ attack: ['T1496'], dns_names: ['pool.supportxmr.com'] });
    expect(by('container.socket_access')).toMatchObject({ attack: ['T1611'], path: '/var/run/docker.sock' });
    expect(by('defense_evasion.io_uring')).toMatchObject({ attack: ['T1562.006'] });
    expect(alerts.find((a) => a.rule_id === 'network.watched_destination' && a.process.pid === 100)).toMatchObject({ dst_hostname: 'c2.evil.example', attack: ['T1571'] });
  });

  it('lets a rule file replace the detections\' lists', () => {
    const rules = join(dir, 'lists.toml');
    writeFileSync(rules, '[detections]\nio_uring_allowed = ["/app"]\nmining_pools = ["example.net"]\n');
    const fired = lines(['--alerts', '--json', '--rules', rules]).map((a) => `${a.rule_id}@${a.process.pid}`);
    expect(fired).not.toContain('defense_evasion.io_uring@700');
    expect(fired).toContain('defense_evasion.io_uring@702');
    expect(fired.filter((f) => f.startsWith('dns.mining_pool'))).toEqual(['dns.mining_pool@500']);
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[detections]\nio_uring_alowed = ["/app"]\n');
    const r = runReplayCli([capture, '--alerts', '--rules', bad]);
    expect([r.status, r.stderr.trim()]).toEqual([2, expect.stringMatching(/detections\.io_uring_alowed: unknown key/)]);
  });

  it('gives Sigma DestinationHostname from the process\'s own lookups, and dns_query for queries only', () => {
    const rule = join(dir, 'dns.yml');
    writeFileSync(rule, 'title: TXT tunnel names\nid: 8a0f2e84-9b0e-4c59-a3a3-5f4e3c2d1b01\nlogsource: { product: linux, category: dns_query }\n'
      + 'detection:\n  sel:\n    QueryName|endswith: .t.example.net\n  condition: sel\nlevel: high\n');
    const fired = lines(['--alerts', '--json', '--sigma', 'rules/sigma/sigmahq/rules/linux/network_connection/net_connection_lnx_crypto_mining_indicators.yml', '--sigma', rule]);
    expect(fired.filter((a) => a.engine === 'sigma').map((a) => `${a.title}@${a.process.pid}:${a.source.event_type}`)).toEqual([
      'TXT tunnel names@500:net_dns',
      'Linux Crypto Mining Pool Connections@960:net_connect',
    ]);
    expect(fired.find((a) => a.engine === 'sigma' && a.process.pid === 960)).toMatchObject({ dst_hostname: 'pool.supportxmr.com', port: 3333 });
  });

  it('shows an abstract name whole after @, never as the pathname it is spelled like, and --path-prefix reads it so', () => {
    const unix = events.filter((e) => e.event_type === 'net_unix');
    expect(unix.map((e) => [e.pid, e.abstract, e.path])).toEqual([[600, 0, '/var/run/docker.sock'], [601, 0, '/var/run/docker.sock'], [602, 1, '@/var/run/docker.sock\u0000c2']]);
    expect(lines(['--json', '--path-prefix', '/var/run/docker.sock']).map((e) => e.pid)).toEqual([600, 601]);
    expect(lines(['--json', '--path-prefix', '@/var/run/']).map((e) => e.pid)).toEqual([602]);
    const text = runReplayCli([capture, '--kind', 'unix', '--pid', '602']).stdout.toString();
    expect(text).toContain(' abstract=1 path="@/var/run/docker.sock\\u0000c2" ');
  });

  it('filters by port and by network at either end', () => {
    const ports = lines(['--json', '--port', '4444']);
    expect(ports.map((e) => `${e.event_type}@${e.pid}`)).toEqual(['net_connect@100', 'net_connect@200', 'net_accept@801']);
    const net = lines(['--json', '--addr', '10.66.0.9/32']);
    expect(net.map((e) => `${e.event_type}@${e.pid}`)).toEqual(['net_accept@801']);
    const v6only = lines(['--json', '--addr', 'fd00::/8']);
    expect(v6only.map((e) => e.pid)).toEqual([950]);
    expect(runReplayCli([capture, '--port', '70000']).status).toBe(2);
  });

  it('lists a process\'s listeners and connections in tree and in its context', () => {
    const tree = JSON.parse(runReplayCli(['tree', capture, '--json']).stdout.toString()) as Line[];
    const flat: Line[] = [];
    const walk = (n: Line) => { flat.push(n); n.children.forEach(walk); };
    tree.forEach(walk);
    expect(flat.find((n) => n.pid === 400)).toMatchObject({ listeners: ['0.0.0.0:5555/tcp'] });
    expect(flat.find((n) => n.pid === 100 && n.connections)).toMatchObject({ connections: ['10.66.0.1:4444 (c2.evil.example)'] });
    expect(runReplayCli(['tree', capture]).stdout.toString()).toMatch(/listens 0\.0\.0\.0:5555\/tcp/);
    expect(events.find((e) => e.event_type === 'net_listen' && e.pid === 400)!.process).toMatchObject({ listeners: ['0.0.0.0:5555/tcp'] });
  });
});
