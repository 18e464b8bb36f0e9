/**
 * Sigma correlations whose fixed window is still open at the end of input are
 * decided then (session.finish). They must reach the output like every other
 * alert: replay printed none of them (the sink had been flushed already, while
 * the summary counted them) and the export never asked for them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_BIN, REPO_ROOT, runReplayCli } from '../support/golden.js';

const CORRELATION_ID = 'cccccccc-0000-4000-8000-00000000000a';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rg-sigma-end-'));
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  writeFileSync(join(rules, 'base.yml'), [
    'title: any exec', 'id: aaaaaaaa-0000-4000-8000-00000000000a', 'name: any_exec',
    'logsource:', '    product: linux', '    category: process_creation',
    'detection:', '    sel:', "        Image|startswith: '/'", '    condition: sel', 'level: low', '',
  ].join('\n'));
  // An upper bound: the window can only be judged when it closes, here at the end of input (24 h is longer than the capture).
  writeFileSync(join(rules, 'correlation.yml'), [
    'title: few execs per image', `id: ${CORRELATION_ID}`, 'status: experimental', 'level: medium',
    'correlation:', '    type: event_count', '    rules:', '        - any_exec', '    group-by:', '        - Image',
    '    timespan: 24h', '    condition:', '        lt: 1000000', '',
  ].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One group per distinct executable of the demo's exec events: what the correlation must decide at the end. */
function distinctImages(): number {
  const r = runReplayCli(['captures/demo.rgc', '--json', '--kind', 'process_exec']);
  expect(r.status, r.stderr).toBe(0);
  const execs = r.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { exe_path: string });
  return new Set(execs.map((e) => e.exe_path)).size;
}

describe('Sigma correlations decided at the end of input', () => {
  it('are printed by replay (text and --json), and counted once', () => {
    const groups = distinctImages();
    expect(groups).toBeGreaterThan(10);
    const json = runReplayCli(['captures/demo.rgc', '--sigma', join(dir, 'rules'), '--alerts', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const alerts = json.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { rule_id: string; process: { exe: string | null } });
    const ends = alerts.filter((a) => a.rule_id === CORRELATION_ID);
    expect(ends).toHaveLength(groups);
    expect(json.stderr).toContain(`${alerts.length} alert(s)`);
    const text = runReplayCli(['captures/demo.rgc', '--sigma', join(dir, 'rules'), '--alerts']);
    expect(text.stdout.toString().split('\n').filter((l) => l.includes(`${CORRELATION_ID}: few execs per image`))).toHaveLength(groups);
  });

  it('are Detection Findings of the OCSF and Parquet exports', async () => {
    const groups = distinctImages();
    const ocsf = runReplayCli(['export', 'captures/demo.rgc', '--format', 'ocsf', '--sigma', join(dir, 'rules')]);
    expect(ocsf.status, ocsf.stderr).toBe(0);
    const findings = ocsf.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { class_uid: number; finding_info?: { title?: string } })
      .filter((d) => d.class_uid === 2004 && d.finding_info?.title === 'few execs per image');
    expect(findings).toHaveLength(groups);
    for (const threads of ['1', '2']) {
      const lake = join(dir, `lake-${threads}`);
      // RG_EXPORT_WORKER_START_RECORDS=0: the small demo is split too, so the last part (a worker) is the one that decides.
      const r = spawnSync(process.execPath, [REPLAY_BIN, 'export', 'captures/demo.rgc', '--sigma', join(dir, 'rules'), '-o', lake, '--threads', threads],
        { cwd: REPO_ROOT, env: { ...process.env, RG_EXPORT_WORKER_START_RECORDS: '0' } });
      expect(r.status, r.stderr.toString()).toBe(0);
      const all = readdirSync(lake, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'));
      if (threads === '2') expect(all.some((f) => /-w1-/.test(f)), all.join(' ')).toBe(true);
      const files = all.filter((f) => f.includes('class_uid=2004'));
      let rows = 0;
      for (const f of files) {
        const buf = readFileSync(join(lake, f));
        const objects = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors }) as { finding_info: { title: string } }[];
        rows += objects.filter((o) => o.finding_info.title === 'few execs per image').length;
      }
      expect(rows, `--threads ${threads}`).toBe(groups);
    }
  });
});
