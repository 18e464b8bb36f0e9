import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { REPLAY_BIN, REPO_ROOT, runReplayCli } from '../support/golden.js';
import { openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';
import { allKindsRecords } from '../support/fixture-set.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-cli-'));
const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines.length).toBe(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0];
};

describe('rg-replay errors: one clear line and a documented exit code', () => {
  it('missing file: exit 3', () => {
    const r = runReplayCli([join(dir, 'nope.rgc'), '--json']);
    expect(r.status).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/^rg-replay: cannot open .*nope\.rgc: no such file/);
    expect(r.stdout.length).toBe(0);
  });

  it('an input the system cannot open says why in words, not as an errno code: exit 3', () => {
    const loop = join(dir, 'loop.rgc');
    symlinkSync('loop.rgc', loop);
    const r = runReplayCli([loop, '--json']);
    expect(r.status).toBe(3);
    expect(oneLine(r.stderr)).toBe(`rg-replay: cannot open ${loop}: too many levels of symbolic links`);
  });

  it('more captures to merge than the open-file limit allows: exit 3, one line naming the limit and what to do', () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    for (let n = 0; n < 80; n++) {
      writeFileSync(join(many, `c${String(n).padStart(3, '0')}.rgc`), writeSynthetic({
        // A first and a last record spanning the others': every capture is open at once in the merge.
        records: [0n, 1000n].map((at) => openRecord({ ts: SYNTHETIC_MONOTONIC_NS + at + BigInt(n), pid: 10 + n, ppid: 1, comm: 'm' }, `/f/${n}`, 0, 3)),
        manifest: syntheticManifest({ segment: { capture_id: `many-${n}`, index: 0, previous_sha256: null } }),
      }));
    }
    // Soft and hard limit both: Node raises its soft limit to the hard one by itself.
    const r = spawnSync('bash', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${REPLAY_BIN}" "${many}" --stats`], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^rg-replay: cannot open ${many}/c\\d{3}\\.rgc: too many open files: a replay keeps one open per capture it merges, over the limit of 64 \\(ulimit -Hn, raised by root: limits\\.conf, systemd's LimitNOFILE\\); merge fewer captures at a time$`));
    // Under a higher limit, the same directory replays.
    expect(runReplayCli([many, '--stats']).status).toBe(0);
  });

  it('a file that is not a capture: exit 4', () => {
    const r = runReplayCli([write('text.rgc', Buffer.from('hello, this is not a capture\n'))]);
    expect(r.status).toBe(4);
    expect(oneLine(r.stderr)).toMatch(/not a rand-guard capture/);
  });

  it('a file that is not a capture among several inputs: the line names it, for replay, export and sql', () => {
    const bad = write('notes.rgc', Buffer.from('hello, this is not a capture either\n'));
    const expected = `rg-replay: ${bad}: no manifest at the start of the file: not a rand-guard capture`;
    const runs = [
      runReplayCli(['captures/demo.rgc', bad, '--json']),
      runReplayCli(['tree', 'captures/demo.rgc', bad]),
      runReplayCli(['export', 'captures/demo.rgc', bad, '-o', join(dir, 'lake1'), '--threads', '1']),
      runReplayCli(['export', 'captures/demo.rgc', bad, '-o', join(dir, 'lake2'), '--threads', '2']),
      runReplayCli(['export', 'captures/demo.rgc', bad, '--format', 'ocsf', '-o', join(dir, 'x.ndjson')]),
      runReplayCli(['sql', 'captures/demo.rgc', bad, 'select count(*) from events']),
    ];
    for (const r of runs) {
      expect(r.status, r.stderr).toBe(4);
      expect(oneLine(r.stderr)).toBe(expected);
    }
    // stdin is named as such; an empty file too.
    const piped = runReplayCli(['-', '--json'], Buffer.from('not a capture at all, from a pipe'));
    expect(piped.status).toBe(4);
    expect(oneLine(piped.stderr)).toBe('rg-replay: stdin: no manifest at the start of the file: not a rand-guard capture');
    const empty = write('empty-too.rgc', new Uint8Array(0));
    expect(oneLine(runReplayCli([empty]).stderr)).toBe(`rg-replay: ${empty}: empty input, not a capture`);
  });

  it('the same capture given twice (the same path, a directory and a file in it, a copy) is read once, and a note says so', () => {
    const copyDir = mkdtempSync(join(tmpdir(), 'rg-cli-copies-'));
    const copy = join(copyDir, 'demo-copy.rgc');
    copyFileSync(join(REPO_ROOT, 'captures/demo.rgc'), copy);
    const once = runReplayCli(['captures/demo.rgc', '--json']).stdout.toString();
    const lines = (out: Buffer) => out.toString().split('\n').filter((l) => l !== '').length;
    const same = runReplayCli(['captures/demo.rgc', './captures/demo.rgc', '--json']);
    expect(same.status).toBe(0);
    expect(same.stdout.toString()).toBe(once);
    expect(same.stderr).toContain('rg-replay: note: ./captures/demo.rgc is captures/demo.rgc again (the same file): read once\n');
    const inDir = runReplayCli([copyDir, copy, '--json']);
    expect(lines(inDir.stdout)).toBe(lines(Buffer.from(once)));
    expect(inDir.stderr).toContain(`rg-replay: note: ${copy} is ${copy} again (the same file): read once`);
    const copied = runReplayCli(['captures/demo.rgc', copy, '--json']);
    expect(lines(copied.stdout)).toBe(lines(Buffer.from(once)));
    expect(copied.stderr).toMatch(new RegExp(`rg-replay: note: ${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds the same bytes as captures/demo\\.rgc \\(SHA-256 [0-9a-f]{64}\\): read once`));
    // Export: every event once in the dataset, for a path twice and for a copy.
    const lake = join(copyDir, 'lake');
    const exported = runReplayCli(['export', 'captures/demo.rgc', './captures/demo.rgc', copy, '-o', lake]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/exported 4106 events from 1 capture\(s\)/);
    expect(exported.stderr).toMatch(/holds the same bytes as captures\/demo\.rgc \(SHA-256 [0-9a-f]{64}\): exported once/);
    // Two different captures are both read.
    expect(lines(runReplayCli(['captures/demo.rgc', 'captures/synthetic-all-kinds.rgc', '--json']).stdout)).toBeGreaterThan(lines(Buffer.from(once)));
  });

  it('an empty file: exit 4', () => {
    const r = runReplayCli([write('empty.rgc', new Uint8Array(0))]);
    expect(r.status).toBe(4);
    expect(oneLine(r.stderr)).toMatch(/empty input/);
  });

  it('an unsupported format version: exit 4 naming both versions', () => {
    const bytes = Buffer.from(readFileSync(`${REPO_ROOT}captures/synthetic-all-kinds.rgc`));
    bytes.writeUInt32LE(99, 12);
    const r = runReplayCli([write('v99.rgc', bytes)]);
    expect(r.status).toBe(4);
    expect(oneLine(r.stderr)).toMatch(/unsupported format version 99 \(this build reads 1\)/);
  });

  it('a plain zstd file: exit 4', () => {
    const r = runReplayCli([write('plain.zst', Buffer.from('28b52ffd2000010000', 'hex'))]);
    expect(r.status).toBe(4);
  });

  it('an incomplete capture (no end record): every event replayed, exit 6, reported on stderr', () => {
    const r = runReplayCli(['captures/synthetic-incomplete.rgc', '--json']);
    expect(r.status).toBe(6);
    expect(r.stdout.toString().trim().split('\n').length).toBe(8);
    expect(oneLine(r.stderr)).toMatch(/incomplete: no end record/);
  });

  it('a manifest whose CBOR is garbage still replays records, without wall-clock times, as damaged (exit 5)', () => {
    const good = writeSynthetic({ records: allKindsRecords().slice(0, 3) });
    const bytes = Buffer.from(good);
    const manifestSize = bytes.readUInt32LE(4);
    bytes.fill(0xff, 16, 8 + manifestSize);
    const r = runReplayCli([write('badmanifest.rgc', bytes), '--json']);
    expect(r.status).toBe(5);
    const lines = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(3);
    expect(lines[0].time).toBeNull();
  });

  it('unknown flag: usage error, exit 2', () => {
    const r = runReplayCli(['--bogus', 'captures/synthetic-all-kinds.rgc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('reports lost events on stderr', () => {
    const r = runReplayCli(['captures/synthetic-lost.rgc', '--stats', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.toString()).lost).toEqual({ kernel: 14, user: 0, kernel_by_cpu: [3, 11] });
    expect(oneLine(r.stderr)).toMatch(/lost 14 events in the kernel/);
  });

});
