/**
 * verify's verdict is about evidence: bytes that are no capture, or a capture
 * of a format version this build does not read, are exit 4 (as replay says),
 * not ALTERED; the segments of one capture are checked in segment order,
 * whatever the order of the command line.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { shellSession } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-verify-inputs-'));
const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const T0 = 1000_000000000n;

describe('verify: inputs that are not captures', () => {
  it('an empty file and a bare zstd magic are exit 4 with one line, as replay', () => {
    const sound = Buffer.from(writeSynthetic({ records: shellSession(T0) }));
    const empty = write('empty.rgc', new Uint8Array(0));
    const zstd = write('zst.rgc', Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    for (const path of [empty, zstd]) {
      const v = runReplayCli(['verify', path]);
      const r = runReplayCli([path]);
      expect(v.status).toBe(4);
      expect(r.status).toBe(4);
      expect(v.stdout.toString()).not.toContain('ALTERED');
      expect(v.stderr.toString().trim().split('\n')).toHaveLength(1);
      expect(v.stderr.toString()).toContain(path);
    }
    expect(runReplayCli(['verify', write('sound.rgc', sound)]).status).toBe(0);
  });

  it('a capture of a newer format version is exit 4, not ALTERED', () => {
    const sound = Buffer.from(writeSynthetic({ records: shellSession(T0) }));
    // format_version is the manifest's first field after its map header: find its CBOR bytes ("format_version", 1) and make it 2.
    const key = Buffer.from('format_version');
    const at = sound.indexOf(key);
    expect(at).toBeGreaterThan(0);
    // The manifest is inside a skippable zstd frame or plain CBOR: the byte after the key is the small integer 1 (0x01).
    expect(sound[at + key.length]).toBe(0x01);
    const newer = Buffer.from(sound);
    newer[at + key.length] = 0x02;
    const path = write('v2.rgc', newer);
    const r = runReplayCli([path]);
    const v = runReplayCli(['verify', path]);
    expect(r.status).toBe(4);
    expect(v.status).toBe(4);
    expect(v.stderr.toString()).toContain('unsupported format version 2');
    expect(v.stdout.toString()).not.toContain('ALTERED');
  });
});

describe('verify: segments in any order', () => {
  const segment = (index: number, previous: Uint8Array | null) => Buffer.from(writeSynthetic({
    records: shellSession(T0 + BigInt(index) * 10_000_000n),
    manifest: syntheticManifest({ segment: { capture_id: 'rotated', index, previous_sha256: previous === null ? null : createHash('sha256').update(previous).digest('hex') } }),
  }));
  const s0 = segment(0, null);
  const s1 = segment(1, s0);
  const s2 = segment(2, s1);
  const [p0, p1, p2] = [write('seg-000.rgc', s0), write('seg-001.rgc', s1), write('seg-002.rgc', s2)];

  it('segments given backwards verify as they do in order', () => {
    for (const order of [[p0, p1, p2], [p2, p1, p0], [p1, p2, p0]]) {
      const v = runReplayCli(['verify', ...order]);
      expect(v.stdout.toString()).not.toContain('ALTERED');
      expect(v.status).toBe(0);
    }
  });

  it('a missing segment is still found in any order', () => {
    for (const order of [[p0, p2], [p2, p0]]) {
      const v = runReplayCli(['verify', ...order]);
      expect(v.status).toBe(7);
      expect(v.stdout.toString()).toContain('segment 2 follows segment 0: segments are missing');
    }
  });
});

describe('verify: a capture damaged in its first bytes', () => {
  it('a bit flipped in the frame magic or in the manifest magic is ALTERED, not "not a capture"', () => {
    const sound = Buffer.from(writeSynthetic({ records: shellSession(T0) }));
    for (const at of [1, 10]) {
      const bad = Buffer.from(sound);
      bad[at] ^= 0x10;
      const v = runReplayCli(['verify', write(`flip-${at}.rgc`, bad)]);
      expect(v.status, `flip at ${at}`).toBe(7);
      expect(v.stdout.toString()).toContain('ALTERED');
    }
  });
});
