/**
 * Our own Parquet writer, read back by the real DuckDB (@duckdb/node-api
 * opened here directly, not through rg-replay sql's views): every row holds
 * what the OCSF NDJSON export says of the same event. Captures that reach
 * the writer's edges: hostile bytes and u64 extremes, and one big enough for
 * several row groups per file, several pages per column chunk and string
 * dictionaries that outgrow their limit (PLAIN pages instead).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { withoutNulls } from '../support/ocsf-validate.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';
import { writeDnsMessage } from '../support/dns-wire.js';
import {
  acceptRecord, dnsRecord, ioUringSetupRecord, tcpConnectRecord, tcpStateRecord, udpSendRecord, unixRecord, v4, v6,
} from '../support/net-records.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-pqduck-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

type Doc = Record<string, unknown>;

/** Every row of every class directory of the dataset, as DuckDB reads it (64-bit integers as strings, timestamps as text). */
async function duckRows(dataset: string, extra = '', onlyClass?: string): Promise<Doc[]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  const classes = new Set<string>();
  for (const f of readdirSync(dataset, { recursive: true }).map(String)) {
    const m = /class_uid=(\d+)/.exec(f);
    if (m !== null && f.endsWith('.parquet') && (onlyClass === undefined || m[1] === onlyClass)) classes.add(m[1]);
  }
  const rows: Doc[] = [];
  for (const c of classes) {
    const r = await conn.runAndReadAll(`SELECT *${extra} FROM read_parquet('${dataset}/*/*/class_uid=${c}/*.parquet', hive_partitioning = false)`);
    rows.push(...(r.getRowObjectsJson() as Doc[]));
  }
  conn.closeSync();
  db.closeSync();
  return rows;
}

function ocsfDocs(capture: string): Doc[] {
  const r = runReplayCli(['export', capture, '--format', 'ocsf']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc);
}

/**
 * The known differences of the two encodings, and nothing else: OCSF JSON
 * timestamps are epoch ms (time_dt keeps the ns), Parquet's TIMESTAMP(NANOS);
 * DuckDB gives 64-bit integers as strings; byte columns (args, *_raw) exist
 * in Parquet only (JSON has no bytes); `datetime` is a JSON-only profile.
 */
function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Doc).filter(([k]) => k !== 'time_dt' && k !== 'profiles' && k !== 'args' && !k.endsWith('_raw'))
      .map(([k, x]) => [k, normalise(x, k)]));
  }
  if (key === 'time' || key.endsWith('_time')) return typeof v === 'string' ? Math.floor(Date.parse(`${v.replace(' ', 'T').slice(0, 23)}Z`)) : v;
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : v;
}

const keyOf = (d: Doc) => {
  const u = d.unmapped as Doc;
  return `${String(u.frame_seq)}:${String(u.record_index)}:${String(d.class_uid)}`;
};

/** Exports `capture` both ways and checks that every NDJSON document has exactly one Parquet row saying the same. */
async function expectSameAsNdjson(capture: string): Promise<{ dataset: string; rows: number }> {
  const dataset = join(scratch(), 'lake');
  const p = runReplayCli(['export', capture, '-o', dataset]);
  expect(p.status, p.stderr).toBe(0);
  const docs = ocsfDocs(capture);
  const rows = await duckRows(dataset);
  expect(rows).toHaveLength(docs.length);
  const byKey = new Map(rows.map((r) => [keyOf(r), normalise(withoutNulls(r))]));
  expect(byKey.size).toBe(rows.length);
  for (const d of docs) expect(byKey.get(keyOf(d)), keyOf(d)).toEqual(normalise(d));
  return { dataset, rows: rows.length };
}

describe('export --format parquet (our writer), read back by DuckDB', () => {
  it('says what the OCSF NDJSON says of each hostile and extreme record; raw bytes kept exactly', async () => {
    const d = scratch();
    const evil = new Uint8Array([...Buffer.from('/tmp/\x1b]0;pwned\x07'), 0xff, 0xfe, ...Buffer.from('.sh')]);
    const id = { ts: 1_000_000_000_500n, pid: 4242, ppid: 1, comm: 'x\x1b[31m', cgroup_id: (1n << 64n) - 1n, uid: 4294967295 };
    writeFileSync(join(d, 'evil.rgc'), writeSynthetic({
      manifest: syntheticManifest({ host: { hostname: '../../escape\n', kernel_release: 'k', machine: 'x86_64', boot_id: 'b' } }),
      records: [
        forkRecord({ ...id, pid: 1 }, 4242),
        execRecord(id, evil, ['sh', Buffer.from([0xc3, 0x28]) as unknown as Uint8Array, '']),
        openRecord({ ...id, ts: id.ts + 1n }, evil, 0o1101, 3),
        openRecord({ ...id, ts: id.ts + 2n }, '', 0, -2),
        connectRecord({ ...id, ts: id.ts + 3n }, 10, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 443, -111),
        connectRecord({ ...id, ts: id.ts + 4n }, 2, [127, 0, 0, 1], 65535, 0),
        exitRecord({ ...id, ts: id.ts + 5n }, id.ts - 5n, 1, 9),
      ],
    }));
    const { dataset, rows } = await expectSameAsNdjson(join(d, 'evil.rgc'));
    expect(rows).toBe(7);
    const raw = await duckRows(dataset, ', hex(unmapped.path_raw) AS path_hex', '1001');
    const open = raw.find((r) => (r.unmapped as Doc).event_type === 'file_open' && r.path_hex !== null)!;
    expect(open).toBeDefined();
    expect(open.path_hex).toBe(Buffer.from(evil).toString('hex').toUpperCase());
    expect((open.unmapped as Doc).cgroup_id).toBe('18446744073709551615');
  });

  it('says the same of the network kinds: endpoints by direction, traffic, DNS messages, Unix sockets, Base Event', async () => {
    const d = scratch();
    let ts = 2_000_000_000_000n;
    const at = (pid: number) => ({ ts: (ts += 1000n), pid, ppid: 1, comm: 'srv' });
    const local = v4(10, 0, 0, 5);
    const peer = v4(198, 51, 100, 7);
    const response = writeDnsMessage({
      id: 9, response: true, compress: true, questions: [{ name: 'a.example', type: 1 }],
      answers: [{ name: 'a.example', type: 1, data: Uint8Array.from([10, 1, 2, 3]) }, { name: 'a.example', type: 1, data: Uint8Array.from([10, 1, 2, 4]) }],
    });
    writeFileSync(join(d, 'net.rgc'), writeSynthetic({
      records: [
        acceptRecord(at(300), local, 8080, peer, 51000),
        tcpConnectRecord(at(300), peer, 443),
        tcpStateRecord(at(300), 4, local, 8080, peer, 51000, { oldState: 1, newState: 7, sent: (1n << 40n) + 5n, received: 56n }),
        tcpStateRecord(at(301), 2, v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 5]), 40001, v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 9]), 445, { result: -110, oldState: 2, newState: 7 }),
        udpSendRecord(at(301), peer, 53),
        dnsRecord(at(301), 1, v4(127, 0, 0, 53), writeDnsMessage({ id: 9, questions: [{ name: 'a.example', type: 1 }] })),
        dnsRecord(at(301), 2, v4(127, 0, 0, 53), response),
        dnsRecord(at(302), 1, v4(127, 0, 0, 53), Uint8Array.from([1, 2, 3])),
        unixRecord(at(302), 1, '/run/x.sock'),
        unixRecord(at(302), 2, '/run/y.sock'),
        ioUringSetupRecord(at(303)),
      ],
    }));
    const { rows } = await expectSameAsNdjson(join(d, 'net.rgc'));
    expect(rows).toBe(11);
  });

  it('writes a class with endpoints in row groups of 16,384 after its first (parquet.ts ENDPOINT_ROW_GROUP_ROWS)', async () => {
    const d = scratch();
    const records: Uint8Array[] = [];
    // 30k TCP state changes, each connection its own (a port per row): row groups of 8,192, 16,384 and the 5,424 left.
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      const id = { ts: 3_000_000_000_000n + BigInt(i) * 1000n, pid: 400 + (i % 31), ppid: 1, comm: 'srv' };
      records.push(tcpStateRecord(id, 2, v4(10, 0, 0, 5), 1024 + (i % 60_000), v4(198, 51, 100, i % 250), 443, { oldState: 1, newState: 7 }));
    }
    writeFileSync(join(d, 'conns.rgc'), writeSynthetic({ records }));
    const { dataset, rows } = await expectSameAsNdjson(join(d, 'conns.rgc'));
    expect(rows).toBe(n);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const groups = ((await conn.runAndReadAll(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${dataset}/*/*/class_uid=4001/*.parquet')
      ORDER BY row_group_id`)).getRowObjectsJson() as Doc[]).map((g) => Number(g.row_group_num_rows));
    conn.closeSync();
    db.closeSync();
    expect(groups).toEqual([8192, 16_384, n - 8192 - 16_384]);
  }, 120_000);

  it('says the same over several row groups, pages and dictionaries that outgrow their limit', async () => {
    const d = scratch();
    const records: Uint8Array[] = [];
    // 70k file opens (above a file's first row group of 8,192 and a whole one of 65,536 after it), each path distinct and long (its dictionary passes 4 MB: PLAIN pages),
    // beside execs with argv, forks, connects and exits from a few hundred processes.
    const n = 70_000;
    for (let i = 0; i < n; i++) {
      const id = { ts: 1_000_000_000_000n + BigInt(i) * 997n, pid: 300 + (i % 257), ppid: 1, comm: `w${i % 13}` };
      if (i % 500 === 0) records.push(execRecord(id, `/usr/bin/tool${i % 7}`, ['tool', `--n=${i}`, 'x'.repeat(i % 40)]));
      else if (i % 500 === 1) records.push(forkRecord(id, 100_000 + i));
      else if (i % 500 === 2) records.push(connectRecord(id, 2, [10, 0, (i >> 8) & 255, i & 255], 443, i % 3 === 0 ? -111 : 0));
      else if (i % 500 === 3) records.push(exitRecord(id, id.ts - 1000n, i % 256, 0));
      else records.push(openRecord(id, `/var/lib/build/${i.toString(36)}/${'segment-'.repeat(8)}${i}.o`, i % 5 === 0 ? 0o101 : 0, i % 9 === 0 ? -13 : 3 + (i % 40)));
    }
    writeFileSync(join(d, 'big.rgc'), writeSynthetic({ records }));
    const { dataset, rows } = await expectSameAsNdjson(join(d, 'big.rgc'));
    expect(rows).toBe(n);
    // The file_open class really took the paths under test: more than one row group, and a row group whose
    // file.path chunk is PLAIN (its dictionary passed the limit) over more than a page's worth (1 MB) of values.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const chunks = (await conn.runAndReadAll(`SELECT row_group_id, encodings, total_uncompressed_size FROM parquet_metadata('${dataset}/*/*/class_uid=1001/*.parquet')
      WHERE path_in_schema = 'file, path'`)).getRowObjectsJson() as Doc[];
    // A file's first row group is small (parquet.ts FIRST_ROW_GROUP_ROWS), the next ones up to 65,536 rows or ~16 MB
    // gathered (these paths are long: the second ends at 54,016): 69,440 opens in all.
    const groups = ((await conn.runAndReadAll(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${dataset}/*/*/class_uid=1001/*.parquet')
      ORDER BY row_group_id`)).getRowObjectsJson() as Doc[]).map((g) => Number(g.row_group_num_rows));
    expect(groups[0]).toBe(8192);
    expect(groups.length).toBeGreaterThan(2);
    for (const r of groups.slice(1, -1)) expect(r).toBeGreaterThan(8192);
    for (const r of groups) expect(r).toBeLessThanOrEqual(65_536);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(n - 4 * (n / 500));
    conn.closeSync();
    db.closeSync();
    expect(chunks.length).toBeGreaterThan(1);
    const plain = chunks.filter((c) => !String(c.encodings).includes('DICTIONARY'));
    expect(plain.length).toBeGreaterThan(0);
    expect(Number(plain[0].total_uncompressed_size)).toBeGreaterThan(2 << 20);
  }, 120_000);
});
