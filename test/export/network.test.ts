/**
 * The network kinds in the exports: every OCSF document valid against the
 * schema, the Parquet rows saying what the NDJSON says, endpoints the right
 * way round (an accept's initiator is its peer), TCP outcomes as activities,
 * DNS Activity with the query, response code and answers decoded from the
 * record, and ECS documents using ECS names only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { validateOcsf, withoutNulls } from '../support/ocsf-validate.js';
import { writeSynthetic } from '../support/synthetic.js';
import { execRecord, type Identity } from '../support/records.js';
import { writeDnsMessage } from '../support/dns-wire.js';
import {
  acceptRecord, bindRecord, dnsRecord, ioUringSetupRecord, listenRecord, tcpConnectRecord, tcpStateRecord, udpSendRecord, unixRecord, v4, v6,
} from '../support/net-records.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const lines = (b: Buffer) => b.toString().split('\n').filter((l) => l !== '');

let t = 1_000_000_000_000n;
const at = (pid: number, comm: string): Identity => ({ ts: (t += 1_000_000n), pid, ppid: 1, comm });
const local = v4(10, 0, 0, 5);
const peer = v4(198, 51, 100, 7);
const stub = v4(127, 0, 0, 53);
const query = writeDnsMessage({ id: 0x1234, questions: [{ name: 'c2.evil.example', type: 1 }] });
const response = writeDnsMessage({
  id: 0x1234, response: true, compress: true, questions: [{ name: 'c2.evil.example', type: 1 }],
  answers: [{ name: 'c2.evil.example', type: 1, data: Uint8Array.from([10, 66, 0, 1]) }, { name: 'c2.evil.example', type: 16, data: Uint8Array.from([3, 0x61, 0x62, 0x63]) }],
});
const nx = writeDnsMessage({ id: 7, response: true, rcode: 3, questions: [{ name: 'nope.example', type: 28 }] });
const tcpQuery = Uint8Array.from([0, query.length, ...query]);

const records = [
  execRecord(at(300, 'srv'), '/usr/bin/srv', ['srv']),
  bindRecord(at(300, 'srv'), local, 8080),
  listenRecord(at(300, 'srv'), local, 8080),
  acceptRecord(at(300, 'srv'), local, 8080, peer, 51000),
  tcpStateRecord(at(300, 'srv'), 3, local, 8080, peer, 51000, { oldState: 3, newState: 1 }),
  tcpStateRecord(at(300, 'srv'), 4, local, 8080, peer, 51000, { oldState: 1, newState: 7, sent: 1234n, received: 56n }),
  tcpConnectRecord(at(300, 'srv'), peer, 443),
  tcpStateRecord(at(300, 'srv'), 1, local, 40000, peer, 443),
  tcpStateRecord(at(300, 'srv'), 2, local, 0, peer, 444, { result: -111, oldState: 2, newState: 7 }),
  tcpStateRecord(at(300, 'srv'), 2, v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 5]), 40001, v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 9]), 445, { result: -110, oldState: 2, newState: 7 }),
  udpSendRecord(at(300, 'srv'), peer, 9999),
  udpSendRecord(at(300, 'srv'), peer, 9999, { summary: true, repeats: 41 }),
  dnsRecord(at(300, 'srv'), 1, stub, query),
  dnsRecord(at(300, 'srv'), 2, stub, response),
  dnsRecord(at(300, 'srv'), 2, { family: 0, addr: [] }, nx),
  dnsRecord(at(300, 'srv'), 1, stub, tcpQuery, { protocol: 6 }),
  dnsRecord(at(300, 'srv'), 1, stub, Uint8Array.from([1, 2, 3])),
  unixRecord(at(300, 'srv'), 1, '/run/fake-docker.sock'),
  unixRecord(at(300, 'srv'), 2, '/run/docker.sock'),
  // Unix socket addresses as rg-replay prints them: an abstract name with more behind a NUL, a pathname that starts with @,
  // terminal escapes and a byte that is not UTF-8, a path_size past the buffer.
  unixRecord(at(300, 'srv'), 2, '\0/run/dbus/system_bus_socket\0c2'),
  unixRecord(at(300, 'srv'), 1, '@/run/dbus/system_bus_socket'),
  unixRecord(at(300, 'srv'), 1, Buffer.from('\0\x1b]0;pwned\x07\xff', 'latin1')),
  unixRecord(at(300, 'srv'), 2, new Uint8Array(108).fill(0x61), 0, { pathSize: 300, abstract: 1 }),
  ioUringSetupRecord(at(300, 'srv')),
];

describe('network kinds in the exports', () => {
  let dir: string;
  let docs: Doc[];
  let byType: (type: string) => Doc[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rg-net-export-'));
    writeFileSync(join(dir, 'net.rgc'), writeSynthetic({ records }));
    const r = runReplayCli(['export', join(dir, 'net.rgc'), '--format', 'ocsf']);
    expect(r.status, r.stderr).toBe(0);
    docs = lines(r.stdout).map((l) => JSON.parse(l) as Doc);
    byType = (type) => docs.filter((d) => d.unmapped.event_type === type);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes valid OCSF for every record', () => {
    expect(docs).toHaveLength(records.length);
    const problems = docs.flatMap((d, i) => validateOcsf(d).map((p) => `doc ${i} (${d.unmapped.event_type}): ${p}`));
    expect(problems.slice(0, 20)).toEqual([]);
    expect(byType('io_uring_setup')[0]).toMatchObject({ class_uid: 0, activity_id: 99, status: 'Success' });
  });

  it('puts the initiator in src_endpoint: the peer of an accept, the local end of a connect', () => {
    const [bind] = byType('net_bind');
    expect(bind).toMatchObject({ class_uid: 4001, activity_name: 'Unknown', dst_endpoint: { ip: '10.0.0.5', port: 8080 }, connection_info: { direction_id: 0 } });
    expect(byType('net_listen')[0]).toMatchObject({ activity_name: 'Listen', dst_endpoint: { ip: '10.0.0.5', port: 8080 } });
    const [accept] = byType('net_accept');
    expect(accept).toMatchObject({
      activity_name: 'Open', src_endpoint: { ip: '198.51.100.7', port: 51000 }, dst_endpoint: { hostname: 'synthetic-host', ip: '10.0.0.5', port: 8080 },
      connection_info: { direction_id: 1, direction: 'Inbound', protocol_name: 'tcp' },
    });
    const [inbound, closed, out, refused, timedOut] = byType('net_tcp_state');
    expect(inbound).toMatchObject({ activity_name: 'Open', src_endpoint: { ip: '198.51.100.7' }, dst_endpoint: { ip: '10.0.0.5', port: 8080 } });
    expect(closed).toMatchObject({ activity_name: 'Close', traffic: { bytes_out: 1234, bytes_in: 56 }, connection_info: { direction: 'Unknown' } });
    expect(out).toMatchObject({ activity_name: 'Open', src_endpoint: { ip: '10.0.0.5', port: 40000 }, dst_endpoint: { ip: '198.51.100.7', port: 443 } });
    expect(refused).toMatchObject({ activity_name: 'Refuse', status: 'Failure', status_code: 'ECONNREFUSED', connection_info: { direction: 'Outbound', protocol_num: 6 } });
    expect(timedOut).toMatchObject({ activity_name: 'Fail', status_code: 'ETIMEDOUT', dst_endpoint: { ip: '2001:db8::9' }, connection_info: { protocol_ver_id: 6 } });
    const [send, summary] = byType('net_udp_send');
    expect(send).toMatchObject({ activity_name: 'Traffic', dst_endpoint: { ip: '198.51.100.7', port: 9999 }, connection_info: { protocol_name: 'udp' } });
    expect(summary.unmapped).toMatchObject({ summary: 1, repeats: 41 });
    const [bound, connected] = byType('net_unix');
    expect(bound).toMatchObject({ class_uid: 4001, activity_name: 'Unknown', unmapped: { path: '/run/fake-docker.sock' } });
    expect(connected).toMatchObject({ activity_name: 'Open', unmapped: { path: '/run/docker.sock' } });
    expect(connected.dst_endpoint).toBeUndefined();
  });

  it('exports a Unix socket address as rg-replay prints it, with abstract and path_size beside it', () => {
    const unix = byType('net_unix').map((d) => ({ path: d.unmapped.path, abstract: d.unmapped.abstract, path_size: d.unmapped.path_size, invalid: d.unmapped.path_size_invalid }));
    expect(unix.slice(2)).toEqual([
      { path: '@/run/dbus/system_bus_socket\u0000c2', abstract: 1, path_size: 31, invalid: undefined },
      { path: './@/run/dbus/system_bus_socket', abstract: 0, path_size: 29, invalid: undefined },
      // A byte that is not UTF-8 as the text \xff (text-bytes.ts storableText), as for any exported string.
      { path: '@\u001b]0;pwned\u0007\\xff', abstract: 1, path_size: 12, invalid: undefined },
      // The size as recorded, the name cut at the buffer: the flag rg-replay prints is path_size > UNIX_PATH_LEN here.
      { path: `@${'a'.repeat(107)}`, abstract: 1, path_size: 300, invalid: undefined },
    ]);
  });

  it('writes DNS Activity with the query, the response code and the answers', () => {
    const [q, r, nxdomain, tcp, garbage] = byType('net_dns');
    expect(q).toMatchObject({ class_uid: 4003, activity_name: 'Query', query: { hostname: 'c2.evil.example', type: 'A', class: 'IN', packet_uid: 0x1234 }, dst_endpoint: { ip: '127.0.0.53', port: 53 } });
    expect(q.answers).toBeUndefined();
    expect(r).toMatchObject({ activity_name: 'Response', rcode_id: 0, rcode: 'NoError' });
    expect(r.answers).toEqual([
      { rdata: '10.66.0.1', type: 'A', class: 'IN', ttl: 300, packet_uid: 0x1234 },
      { rdata: '\\# 4', type: 'TXT', class: 'IN', ttl: 300, packet_uid: 0x1234 },
    ]);
    expect(nxdomain).toMatchObject({ rcode_id: 3, rcode: 'NXDomain', query: { hostname: 'nope.example', type: 'AAAA' } });
    expect(nxdomain.dst_endpoint).toBeUndefined();
    expect(tcp).toMatchObject({ query: { hostname: 'c2.evil.example' }, connection_info: { protocol_name: 'tcp' } });
    expect(garbage.query).toBeUndefined();
  });

  it('Parquet rows say what the NDJSON documents say', () => {
    const lake = join(dir, 'lake');
    const p = runReplayCli(['export', join(dir, 'net.rgc'), '--format', 'parquet', '-o', lake]);
    expect(p.status, p.stderr).toBe(0);
    const q = runReplayCli(['sql', lake, 'SELECT * EXCLUDE (host, day) FROM network_activity UNION ALL BY NAME SELECT * EXCLUDE (host, day) FROM dns_activity', '--json']);
    expect(q.status, q.stderr).toBe(0);
    const rows = lines(q.stdout).map((l) => withoutNulls(JSON.parse(l)) as Doc);
    const norm = (v: unknown, key = ''): unknown => {
      if (Array.isArray(v)) return v.map((x) => norm(x));
      if (v !== null && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([k]) => k !== 'time_dt' && k !== 'profiles' && !k.endsWith('_raw'))
          .map(([k, x]) => [k, norm(x, k)]));
      }
      if (key === 'time' || key.endsWith('_time')) return typeof v === 'string' ? Math.floor(Date.parse(`${v.replace(' ', 'T').slice(0, 23)}Z`)) : v;
      return typeof v === 'number' || typeof v === 'bigint' ? String(v) : v;
    };
    const json = docs.filter((d) => d.class_uid === 4001 || d.class_uid === 4003);
    expect(rows).toHaveLength(json.length);
    for (const r of rows) expect(validateOcsf(r)).toEqual([]);
    const key = (d: Doc) => `${d.unmapped.frame_seq}:${d.unmapped.record_index}`;
    const byKey = new Map(rows.map((r) => [key(r), norm(r)]));
    for (const d of json) expect(byKey.get(key(d)), `${key(d)} ${d.unmapped.event_type}`).toEqual(norm(d));
    // DuckDB reads a Unix socket address back whole: the NUL of an abstract name, and the exact bytes of one that is not UTF-8.
    const unix = runReplayCli(['sql', lake, "SELECT unmapped.path, unmapped.path_raw FROM network_activity WHERE unmapped.event_type = 'net_unix' ORDER BY unmapped.record_index", '--json']);
    expect(unix.status, unix.stderr).toBe(0);
    expect(lines(unix.stdout).map((l) => JSON.parse(l) as Doc).slice(2, 5)).toEqual([
      { path: '@/run/dbus/system_bus_socket\u0000c2', path_raw: null },
      { path: './@/run/dbus/system_bus_socket', path_raw: null },
      { path: '@\u001b]0;pwned\u0007\\xff', path_raw: '@\\x1B]0;pwned\\x07\\xFF' },
    ]);
  });

  it('writes ECS with ECS 9.4 names: source and destination, direction, dns', () => {
    const fields = new Set(readFileSync(join(REPO_ROOT, 'test/export/ecs-fields-9.4.0.txt'), 'utf8').split('\n'));
    const r = runReplayCli(['export', join(dir, 'net.rgc'), '--format', 'ecs']);
    expect(r.status, r.stderr).toBe(0);
    const ecs = lines(r.stdout).filter((_, i) => i % 2 === 1).map((l) => JSON.parse(l) as Doc);
    const paths = (v: unknown, prefix = ''): string[] => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return [prefix];
      return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => paths(x, prefix === '' ? k : `${prefix}.${k}`));
    };
    const unknown = new Set(ecs.flatMap((d) => paths(d)).filter((p) => !p.startsWith('rand_guard.') && !fields.has(p)));
    expect([...unknown]).toEqual([]);
    const accept = ecs.find((d) => d.event.action === 'net_accept')!;
    expect(accept).toMatchObject({ source: { ip: '198.51.100.7', port: 51000 }, destination: { ip: '10.0.0.5', port: 8080 }, network: { direction: 'ingress' } });
    const closed = ecs.filter((d) => d.event.action === 'net_tcp_state')[1];
    expect(closed).toMatchObject({ source: { bytes: 1234 }, destination: { bytes: 56 } });
    const dns = ecs.filter((d) => d.event.action === 'net_dns');
    expect(dns[0].dns).toEqual({ type: 'query', id: '4660', question: { name: 'c2.evil.example', type: 'A', class: 'IN' } });
    expect(dns[1].dns).toMatchObject({ type: 'answer', response_code: 'NOERROR', answers: [{ data: '10.66.0.1', type: 'A', class: 'IN', ttl: 300 }, { type: 'TXT' }] });
    const unix = ecs.filter((d) => d.event.action === 'net_unix').map((d) => d.rand_guard.net_unix);
    expect(unix[2]).toMatchObject({ abstract: 1, path: '@/run/dbus/system_bus_socket\u0000c2', path_size: 31 });
    expect(unix[3]).toMatchObject({ abstract: 0, path: './@/run/dbus/system_bus_socket' });
  });
});
