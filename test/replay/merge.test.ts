/**
 * Sequential and merged replay share one frame replayer (frame-replayer.ts):
 * what one does, the other does (--schema manifest, the time range), and the
 * merge is exactly a stable merge of the inputs by wall-clock time, whatever
 * their clocks, frames, ties and lengths.
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteOutput } from '../../src/output/byte-output.js';
import { NdjsonSink } from '../../src/output/sinks.js';
import { compileFilter } from '../../src/replay/filters.js';
import { type ProcessNode } from '../../src/replay/process-table.js';
import { newTotals, replayInputs } from '../../src/replay/replay.js';
import { ReplaySession } from '../../src/replay/session.js';
import { buildStats } from '../../src/replay/stats.js';
import { newerSchemaCapture } from '../support/fixture-set.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { execRecord, openRecord, type Identity } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, SYNTHETIC_REALTIME_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-merge-'));
let files = 0;
const write = (bytes: Uint8Array) => {
  const path = join(dir, `in-${files++}.rgc`);
  writeFileSync(path, bytes);
  return path;
};
const NEWER = write(newerSchemaCapture());
const LOST = `${REPO_ROOT}captures/synthetic-lost.rgc`;
/** Lines of one input as a merge of several captures prints them: each says its host and capture. */
const labelled = (lines: string[], host: string, capture: string) => lines.map((l) => `${l.slice(0, -1)},"host":${JSON.stringify(host)},"capture":${JSON.stringify(capture)}}`);
const jsonLines = (args: string[]) => runReplayCli(args).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('one replay loop: what sequential replay does, merged replay does', () => {
  it('merged replay decodes by each file\'s manifest with --schema manifest', () => {
    const alone = jsonLines([NEWER, '--json', '--schema', 'manifest']);
    expect(alone.length).toBe(6);
    expect(alone.every((l) => Array.isArray(l.schema_unavailable))).toBe(true);
    const merged = jsonLines([NEWER, LOST, '--json', '--schema', 'manifest']);
    expect(merged.filter((l) => l.event_type === 'invalid_record')).toEqual([]);
    expect(merged.filter((l) => Array.isArray(l.schema_unavailable)).length).toBe(6 + 4);
    // By this build's schema, the newer file's records are rejected, merged or not.
    expect(jsonLines([NEWER, LOST, '--json']).filter((l) => l.event_type === 'invalid_record').length).toBe(6);
  });

  it('merged replay of many inputs (frames held compacted) decodes each by its own manifest too', () => {
    // 17 captures with the same records (17 capture ids: byte-identical copies would be read once, as the same evidence).
    const copies = Array.from({ length: 17 }, (_, i) => write(newerSchemaCapture(`capture-${i}`)));
    const alone = replayLines([NEWER], 'manifest').lines;
    expect(alone.length).toBe(6);
    const merged = replayLines(copies, 'manifest').lines;
    expect(merged.length).toBe(17 * 6);
    expect(merged.every((l) => Array.isArray(JSON.parse(l).schema_unavailable))).toBe(true);
    expect(merged).toEqual(stableMerge(copies.map((_, i) => labelled(alone, 'synthetic-host', `capture-${i}`))));
  });

  it('records decoded by the manifest\'s schema count in the time range, alone and merged', () => {
    const events = jsonLines([NEWER, '--json', '--schema', 'manifest']).map((l) => BigInt(l.ts_ns as number));
    const min = events.reduce((a, b) => (a < b ? a : b));
    const max = events.reduce((a, b) => (a > b ? a : b));
    for (const args of [[NEWER], [NEWER, LOST]]) {
      const stats = JSON.parse(runReplayCli([...args, '--stats', '--json', '--schema', 'manifest']).stdout.toString());
      expect(stats.time_range.first_ts_ns, args.join(' ')).toBe(min.toString());
      expect(BigInt(stats.time_range.last_ts_ns)).toBeGreaterThanOrEqual(max);
    }
    expect(JSON.parse(runReplayCli([NEWER, '--stats', '--json', '--schema', 'manifest']).stdout.toString()).time_range.last_ts_ns).toBe(max.toString());
  });
});

/** Replays through the library, NDJSON without process context: one line per event or rejection. */
function replayLines(paths: string[], decodeBy: 'build' | 'manifest' = 'build') {
  const lines: string[] = [];
  let partial = '';
  const out = new ByteOutput((b) => {
    const text = partial + Buffer.from(b).toString();
    const parts = text.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const session = new ReplaySession({
    sink: new NdjsonSink<ProcessNode>(out, null), filter: compileFilter({}), withProcesses: false, keepProcessHistory: false, alerts: null,
    alertsOnly: false, withSourceEvents: false, decodeBy,
  });
  const totals = newTotals();
  replayInputs(paths, session, totals);
  return { lines, stats: buildStats(totals, session.counts) };
}

/** The merge rule, written plainly: repeatedly take the earliest head (wall time, then command-line order). */
function stableMerge(streams: string[][]): string[] {
  const at = streams.map(() => 0);
  const out: string[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < streams.length; i++) {
      if (at[i] >= streams[i].length) continue;
      if (best < 0 || timeOf(streams[i][at[i]]) < timeOf(streams[best][at[best]])) best = i;
    }
    if (best < 0) return out;
    out.push(streams[best][at[best]++]);
  }
}
/** ISO times of one fixed width compare as text; nanoseconds included. */
const timeOf = (line: string) => JSON.parse(line).time as string;

describe('merged replay at any scale', () => {
  const capture = fc.record({
    // Seconds between clocks of different hosts, so wall order differs from monotonic order.
    clockShiftS: fc.integer({ min: -3, max: 3 }),
    records: fc.array(fc.record({ ms: fc.integer({ min: 0, max: 40 }), pid: fc.integer({ min: 1, max: 5 }), exec: fc.boolean() }), { maxLength: 40 }),
    frameBreaks: fc.array(fc.nat({ max: 40 }), { maxLength: 5 }),
  });

  it('is a stable merge of the inputs by wall-clock time (ties in command-line order), across clocks, frames and lengths', () => {
    fc.assert(fc.property(fc.array(capture, { minLength: 2, maxLength: 5 }), (caps) => {
      const paths = caps.map((c, n) => {
        const shift = BigInt(c.clockShiftS) * 1_000_000_000n;
        const manifest = syntheticManifest({
          clock: { source: 'CLOCK_MONOTONIC', realtime_ns: SYNTHETIC_REALTIME_NS + shift, monotonic_ns: SYNTHETIC_MONOTONIC_NS },
          host: { hostname: `h${n}`, kernel_release: 'k', machine: 'x86_64', boot_id: `boot-${n}` },
        });
        const records = c.records.map((r, i) => {
          // Records within a file are not always in time order (per-CPU rings): the merge keeps each file's order.
          const id: Identity = { ts: SYNTHETIC_MONOTONIC_NS + BigInt(r.ms) * 1_000_000n - shift, pid: 100 * (n + 1) + r.pid, ppid: 1, comm: `c${n}` };
          return r.exec ? execRecord(id, `/bin/p${i}`, [`p${i}`]) : openRecord(id, `/f/${n}/${i}`, 0, 3);
        });
        return write(writeSynthetic({ records, frameBreaks: c.frameBreaks, manifest }));
      });
      const merged = replayLines(paths).lines;
      expect(merged).toEqual(stableMerge(paths.map((p, n) => labelled(replayLines([p]).lines, `h${n}`, 'synthetic'))));
    }), { numRuns: 60 });
  });

  it('is the same stable merge with many inputs, which hold their frames compacted (a record not of whole words too)', () => {
    const id = (n: number, ms: number, pid: number): Identity => ({ ts: SYNTHETIC_MONOTONIC_NS + BigInt(ms) * 1_000_000n, pid: 100 * (n + 1) + pid, ppid: 1, comm: `m${n}` });
    // 10 bytes: rejected, and its frame cannot be compacted word by word (it is kept whole).
    const short = openRecord(id(0, 0, 1), '/short', 0, 3).slice(0, 10);
    fc.assert(fc.property(fc.array(fc.array(fc.record({ ms: fc.integer({ min: 0, max: 30 }), pid: fc.integer({ min: 1, max: 3 }), exec: fc.boolean(), short: fc.boolean() }),
      { maxLength: 12 }), { minLength: 16, maxLength: 24 }), fc.array(fc.nat({ max: 12 }), { maxLength: 3 }), (inputs, frameBreaks) => {
      const paths = inputs.map((records, n) => write(writeSynthetic({
        records: records.map((r, i) => (r.short && i % 5 === 4 ? short : r.exec ? execRecord(id(n, r.ms, r.pid), `/bin/p${i}`, [`p${i}`]) : openRecord(id(n, r.ms, r.pid), `/f/${n}/${i}`, 0, 3))),
        frameBreaks,
        manifest: syntheticManifest({ host: { hostname: `h${n}`, kernel_release: 'k', machine: 'x86_64', boot_id: `many-${n}` } }),
      })));
      const merged = replayLines(paths).lines;
      const events = (lines: string[]) => lines.filter((l) => JSON.parse(l).event_type !== 'invalid_record');
      // Rejected records come where their input is at that point: the events' order is the stable merge's.
      expect(events(merged)).toEqual(stableMerge(paths.map((p, n) => labelled(events(replayLines([p]).lines), `h${n}`, 'synthetic'))));
      expect(merged.length).toBe(paths.reduce((n, p) => n + replayLines([p]).lines.length, 0));
    }), { numRuns: 8 });
  });

  it('reads the segments of one capture in sequence, also when merged with another capture', () => {
    const seg = (index: number, ms: number[]) => write(writeSynthetic({
      records: ms.map((m, i) => openRecord({ ts: SYNTHETIC_MONOTONIC_NS + BigInt(m) * 1_000_000n, pid: 7, ppid: 1, comm: 's' }, `/seg${index}/${i}`, 0, 3)),
      manifest: syntheticManifest({ segment: { capture_id: 'rotated', index, previous_sha256: null } }),
    }));
    // Segment 1 holds a record earlier than segment 0's last one (rings drain out of order at the boundary).
    const segments = [seg(0, [1, 5]), seg(1, [4, 6])];
    const other = write(writeSynthetic({
      records: [openRecord({ ts: SYNTHETIC_MONOTONIC_NS + 3_000_000n, pid: 9, ppid: 1, comm: 'o' }, '/other', 0, 3)],
      manifest: syntheticManifest({ host: { hostname: 'o', kernel_release: 'k', machine: 'x86_64', boot_id: 'other' } }),
    }));
    const paths = (lines: string[]) => lines.map((l) => JSON.parse(l).path);
    expect(paths(replayLines(segments).lines)).toEqual(['/seg0/0', '/seg0/1', '/seg1/0', '/seg1/1']);
    expect(paths(replayLines([...segments, other]).lines)).toEqual(['/seg0/0', '/other', '/seg0/1', '/seg1/0', '/seg1/1']);
  });

  it('reports rejected records of an input where they are in it: before its first event, or right after the event before them', () => {
    const id = (ms: number, pid: number): Identity => ({ ts: SYNTHETIC_MONOTONIC_NS + BigInt(ms) * 1_000_000n, pid, ppid: 1, comm: 'x' });
    const short = openRecord(id(0, 1), '/short', 0, 3).slice(0, 10);
    const a = write(writeSynthetic({ records: [openRecord(id(1, 1), '/a1', 0, 3), openRecord(id(5, 1), '/a5', 0, 3)] }));
    const b = write(writeSynthetic({
      records: [short, openRecord(id(2, 2), '/b2', 0, 3), short, openRecord(id(6, 2), '/b6', 0, 3)],
      manifest: syntheticManifest({ host: { hostname: 'b', kernel_release: 'k', machine: 'x86_64', boot_id: 'b' } }),
    }));
    const what = (l: string) => { const j = JSON.parse(l); return j.event_type === 'invalid_record' ? 'invalid' : j.path; };
    expect(replayLines([a, b]).lines.map(what)).toEqual(['invalid', '/a1', '/b2', 'invalid', '/a5', '/b6']);
  });
});
