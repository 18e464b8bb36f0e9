/**
 * Records lost inside a frame whose header and checksum are sound: a record
 * length past the frame's end, a length prefix cut, a record count the frame
 * does not hold. The reader passes such a frame on; the frame replayer finds
 * the fault. Lost evidence is damage: every command that replays says so in
 * its exit code (5) and its JSON (`damaged: true`), as for a skipped frame.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chained, frame, recordStream } from '../support/craft.js';
import { listItems } from '../support/frames.js';
import { runReplayCli } from '../support/golden.js';
import { openRecord, shellSession } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-lost-records-'));
const records = shellSession();
const good = Buffer.from(writeSynthetic({ records }));
const items = listItems(good);
const manifest = good.subarray(0, items[0].length);
const endItem = items.find((i) => i.kind === 'end')!;
const end = good.subarray(endItem.offset, endItem.offset + endItem.length);

interface Case { frame: Buffer; events: number; detail: string }
const CASES: Record<string, Case> = {
  'a record length past the frame': {
    frame: frame({ seq: 0, records: 4, raw: recordStream(records, [records[0].length, 0xffffffff, 0, 0]) }),
    events: 1, detail: 'record of 4294967295 bytes at byte \\d+ runs past the frame \\(\\d+ bytes\\) \\(3 records lost\\)',
  },
  'a length prefix cut at the frame\'s end': {
    frame: frame({ seq: 0, records: 5, raw: Buffer.concat([recordStream(records), Buffer.from([1, 0])]) }),
    events: 4, detail: 'record length prefix cut at byte \\d+ of \\d+ \\(1 records lost\\)',
  },
  'fewer records than the header counts': {
    frame: frame({ seq: 0, records: 100, raw: recordStream(records) }),
    events: 4, detail: 'frame holds 4 records, header says 100 \\(96 records lost\\)',
  },
  'more records than the header counts': {
    frame: frame({ seq: 0, records: 1, raw: recordStream(records) }),
    events: 4, detail: 'frame holds 4 records, header says 1',
  },
};

const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const damageLine = (path: string, detail: string) => new RegExp(`^rg-replay: ${path}: bad_record_length at byte ${manifest.length} frame 0: ${detail}$`);

describe('records lost inside a sound frame make the capture damaged', () => {
  Object.entries(CASES).forEach(([name, c], n) => {
    it(`${name}: reported once, the records before it replayed, exit 5 and damaged in replay, --stats, audit, tree and export`, () => {
      const path = write(`case${n}.rgc`, chained([manifest, c.frame, end]));
      const replay = runReplayCli([path, '--json']);
      expect(replay.status, replay.stderr).toBe(5);
      expect(replay.stderr.trim()).toMatch(damageLine(path, c.detail));
      expect(replay.stdout.toString().trim().split('\n').length).toBe(c.events);

      const stats = runReplayCli([path, '--stats', '--json']);
      expect(stats.status).toBe(5);
      const json = JSON.parse(stats.stdout.toString()) as { damaged: boolean; complete: boolean; events: number; files: { damaged: boolean; damage_count: number }[] };
      expect([json.damaged, json.files[0].damaged, json.files[0].damage_count, json.complete, json.events]).toEqual([true, true, 1, true, c.events]);

      const text = runReplayCli([path, '--stats']);
      expect(text.status).toBe(5);
      expect(text.stdout.toString()).toMatch(new RegExp(`file: +${path}: DAMAGED, 1 frames`));

      for (const args of [['audit', path], ['tree', path], ['export', path, '--format', 'ocsf']]) {
        const r = runReplayCli(args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(5);
        expect(r.stderr.trim().split('\n')[0]).toMatch(damageLine(path, c.detail));
      }
    });
  });

  it('without an end record it is damaged (5), not only incomplete (6)', () => {
    const path = write('no-end.rgc', chained([manifest, CASES['a record length past the frame'].frame]));
    const r = runReplayCli([path, '--stats', '--json']);
    expect(r.status).toBe(5);
    const json = JSON.parse(r.stdout.toString()) as { damaged: boolean; complete: boolean };
    expect([json.damaged, json.complete]).toEqual([true, false]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('in a merge with a sound capture, in a two-thread export and in the report: still damaged', () => {
    const path = write('merged.rgc', Buffer.concat([manifest, CASES['fewer records than the header counts'].frame, end]));
    const other = write('other.rgc', writeSynthetic({ records: [openRecord({ ts: 1000_000000000n + 9_000_000n, pid: 100, ppid: 1, comm: 'sh' }, '/etc/shadow', 0, 3)], manifest: syntheticManifest({ segment: { capture_id: 'other', index: 0, previous_sha256: null } }) }));
    const merged = runReplayCli([path, other, '--stats', '--json']);
    expect(merged.status, merged.stderr).toBe(5);
    const json = JSON.parse(merged.stdout.toString()) as { damaged: boolean; events: number; files: { damaged: boolean }[] };
    expect([json.damaged, json.events, json.files.map((f) => f.damaged)]).toEqual([true, 5, [true, false]]);
    const parquet = runReplayCli(['export', path, '--format', 'parquet', '-o', join(dir, 'lake'), '--threads', '2']);
    expect(parquet.status, parquet.stderr).toBe(5);
    // The crafted frame's hash chain is not the writer's: verify fails, and the report says both (its exit: 7, which outranks 5).
    const report = runReplayCli(['report', path, '-o', join(dir, 'report.html')]);
    expect(report.status, report.stderr).toBe(7);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('"damaged":true');
    expect(html).toMatch(/1 input\(s\) are DAMAGED: at least \d+ record\(s\) were LOST/);
  });
});
