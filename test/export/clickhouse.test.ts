/**
 * The distributed path, really run: the demo capture exported as OCSF
 * Parquet, loaded into a real ClickHouse (Debian's 18.16) MergeTree table
 * over its HTTP interface, and three investigation queries answered the same
 * by ClickHouse and by DuckDB over the Parquet files.
 *
 * Loading: ClickHouse 18.16 has no Parquet input format (it answers
 * "Unknown format Parquet"), so the rows go as JSONEachRow, produced from the
 * dataset by `rg-replay sql DIR -f docs/fleet/clickhouse-rows.sql --json`:
 * the pipeline docs/fleet.md gives, run as it is written there.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouse, clickhouseInstalled } from '../support/clickhouse.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';

const inCI = process.env.CI === 'true';
const runIt = clickhouseInstalled() || inCI;
if (!runIt) console.warn('clickhouse.test: SKIPPED, clickhouse-server is not installed (scripts/install-system-deps.sh installs it; CI=true forces the test)');

/** A SELECT's rows as lines of JSON with every value as a string: DuckDB and ClickHouse quote 64-bit integers differently. */
function canonical(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)]))));
}

function duck(dataset: string, sql: string): Record<string, unknown>[] {
  const r = runReplayCli(['sql', dataset, sql, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.runIf(runIt)('ClickHouse over the exported dataset', () => {
  let ch: ClickHouse;
  let dir: string;
  let dataset: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-ch-export-'));
    dataset = join(dir, 'lake');
    const r = runReplayCli(['export', 'captures/demo.rgc', '--format', 'parquet', '-o', dataset]);
    expect(r.status, r.stderr).toBe(0);
    ch = await ClickHouse.start();
    await ch.query(readFileSync(join(REPO_ROOT, 'docs/fleet/clickhouse-table.sql'), 'utf8'));
    const rows = runReplayCli(['sql', dataset, '-f', 'docs/fleet/clickhouse-rows.sql', '--json']);
    expect(rows.status, rows.stderr).toBe(0);
    await ch.query('INSERT INTO rg_events FORMAT JSONEachRow', rows.stdout);
  }, 180_000);

  afterAll(async () => {
    await ch?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('holds every event of the dataset exactly once', async () => {
    const [{ n, keys }] = await ch.rows('SELECT count() AS n, uniqExact(capture_sha256, frame_seq, record_index) AS keys FROM rg_events');
    // clickhouse-rows.sql loads Process, File System and Network Activity: every event of captures/demo.rgc but its
    // 19 DNS Activity and 1 Base Event (io_uring_setup) rows, which the dataset holds in classes of their own.
    const [fromDuck] = duck(dataset, 'SELECT count(*) AS n FROM (SELECT 1 FROM process_activity UNION ALL SELECT 1 FROM file_system_activity UNION ALL SELECT 1 FROM network_activity)');
    const [all] = duck(dataset, 'SELECT count(*) AS n FROM events');
    expect(Number(all.n)).toBe(4106); // the events of captures/demo.rgc
    expect(Number(n)).toBe(4106 - 19 - 1);
    expect(Number(n)).toBe(Number(fromDuck.n));
    expect(Number(keys)).toBe(Number(n));
  });

  it('keeps 64-bit values exact (time_ns is above 2^53)', async () => {
    const fromCh = await ch.rows('SELECT time_ns, ts_ns, cgroup_id, frame_seq, record_index FROM rg_events ORDER BY frame_seq, record_index');
    const rowsSql = readFileSync(join(REPO_ROOT, 'docs/fleet/clickhouse-rows.sql'), 'utf8');
    const fromDuck = duck(dataset, `SELECT time_ns, ts_ns, cgroup_id, frame_seq, record_index FROM (${rowsSql}) ORDER BY frame_seq, record_index`);
    expect(fromCh.some((r) => BigInt(String(r.time_ns)) > 2n ** 53n)).toBe(true);
    expect(canonical(fromCh)).toEqual(canonical(fromDuck));
  });

  it('query 1: processes that wrote under /etc', async () => {
    const fromCh = await ch.rows(`SELECT DISTINCT actor_guid AS guid, actor_pid AS pid, actor_exe AS exe FROM rg_events
      WHERE class_uid = 1001 AND startsWith(file_path, '/etc/') AND result >= 0 AND (bitAnd(open_flags, 3) != 0 OR bitAnd(open_flags, 576) != 0)
      ORDER BY guid`);
    const fromDuck = duck(dataset, `SELECT DISTINCT actor.process.uid AS guid, actor.process.pid AS pid, actor.process.file.path AS exe FROM file_system_activity
      WHERE starts_with(file.path, '/etc/') AND unmapped.result >= 0 AND ((unmapped.open_flags & 3) <> 0 OR (unmapped.open_flags & 576) <> 0)
      ORDER BY guid`);
    expect(fromCh.length).toBeGreaterThan(0);
    expect(canonical(fromCh)).toEqual(canonical(fromDuck));
  });

  it('query 2: top destinations per process', async () => {
    const fromCh = await ch.rows(`SELECT actor_guid AS guid, actor_exe AS exe, dst_ip AS ip, dst_port AS port, count() AS n FROM rg_events
      WHERE class_uid = 4001 GROUP BY guid, exe, ip, port ORDER BY guid, n DESC, ip, port, exe`);
    const fromDuck = duck(dataset, `SELECT actor.process.uid AS guid, actor.process.file.path AS exe, dst_endpoint.ip AS ip, dst_endpoint.port AS port, count(*) AS n
      FROM network_activity GROUP BY ALL ORDER BY guid, n DESC, ip, port, exe`);
    expect(fromCh.length).toBeGreaterThan(0);
    expect(canonical(fromCh)).toEqual(canonical(fromDuck));
  });

  it('query 3: the time-ordered trail of one process tree', async () => {
    // The root: the process that wrote the cron file (the intrusion script's shell).
    const [root] = await ch.rows(`SELECT actor_guid AS guid FROM rg_events WHERE file_path = '/etc/cron.d/rg-demo-job' LIMIT 1`);
    expect(root).toBeDefined();
    // ClickHouse 18.16 has no recursive queries: expand the tree level by level, as an analyst would.
    let tree = new Set<string>([String(root.guid)]);
    for (let depth = 0; depth < 64; depth++) {
      const list = [...tree].map((g) => `'${g}'`).join(', ');
      const kids = await ch.rows(`SELECT DISTINCT process_guid AS guid FROM rg_events WHERE class_uid = 1007 AND activity_id = 1 AND actor_guid IN (${list}) AND process_guid IS NOT NULL`);
      const next = new Set([...tree, ...kids.map((k) => String(k.guid))]);
      if (next.size === tree.size) break;
      tree = next;
    }
    expect(tree.size).toBeGreaterThan(1);
    const list = [...tree].map((g) => `'${g}'`).join(', ');
    const fromCh = await ch.rows(`SELECT time_ns, event_type, actor_pid AS pid, actor_exe AS exe, file_path AS path, dst_ip AS ip, dst_port AS port FROM rg_events
      WHERE actor_guid IN (${list}) ORDER BY time_ns, frame_seq, record_index`);
    // DuckDB: the same tree by a recursive query over the Parquet files.
    const fromDuck = duck(dataset, `WITH RECURSIVE tree(guid) AS (
        SELECT '${String(root.guid)}'
        UNION SELECT process.uid FROM process_activity p JOIN tree ON p.actor.process.uid = tree.guid WHERE p.activity_id = 1 AND process.uid IS NOT NULL
      ), ev AS (
        SELECT "time", unmapped.event_type AS event_type, actor, NULL::VARCHAR AS path, NULL::VARCHAR AS ip, NULL::INTEGER AS port, unmapped.frame_seq AS fs, unmapped.record_index AS ri FROM process_activity
        UNION ALL SELECT "time", unmapped.event_type, actor, file.path, NULL, NULL, unmapped.frame_seq, unmapped.record_index FROM file_system_activity
        UNION ALL SELECT "time", unmapped.event_type, actor, NULL, dst_endpoint.ip, dst_endpoint.port, unmapped.frame_seq, unmapped.record_index FROM network_activity
      )
      SELECT epoch_ns("time") AS time_ns, event_type, actor.process.pid AS pid, actor.process.file.path AS exe, path, ip, port
      FROM ev WHERE actor.process.uid IN (SELECT guid FROM tree) ORDER BY "time", fs, ri`);
    expect(fromCh.length).toBeGreaterThan(10);
    expect(canonical(fromCh)).toEqual(canonical(fromDuck));
  });
});
