/**
 * What the hash chain, the cumulative counters, the signature and the segment
 * links vouch for, checked by every command that replays (not only verify):
 * a missing segment, a counter rewritten lower, a stripped signature, a
 * spliced or edited frame are damage (exit 5); a file cut inside its last
 * frame is incomplete (exit 6), as a recorder killed mid-write leaves it.
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAME_FIELD, FRAME_HEADER_CHECKED, SKIPPABLE_MAGIC, TAG_END } from '../../src/rgc/format.js';
import { decodeEnd, encodeTotals } from '../../src/rgc/meta-records.js';
import { publicKeySha256 } from '../../src/rgc/signing.js';
import { headerCheck, RgcWriter } from '../../src/rgc/writer.js';
import { frame, recordStream } from '../support/craft.js';
import { type Item, listItems } from '../support/frames.js';
import { runReplayCli } from '../support/golden.js';
import { connectRecord, execRecord, exitRecord, type Identity, openRecord, shellSession } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-integrity-'));
const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const T0 = 1000_000000000n;
/** Three frames of a shell's session each, pids 100, 200, 300. */
const threeFrames = (pids = [100, 200, 300]) => Buffer.from(writeSynthetic({
  records: pids.flatMap((pid, i) => session(T0 + BigInt(i) * 10_000_000n, pid)),
  frameBreaks: [3, 7],
}));
/** shellSession's four events, by process `pid`. */
function session(t0: bigint, pid: number): Uint8Array[] {
  const id = (i: number): Identity => ({ ts: t0 + BigInt(i) * 1_000_000n, pid, ppid: 1, comm: 'sh' });
  return [execRecord(id(0), '/bin/sh', ['sh', '-c', 'x']), openRecord(id(1), '/etc/passwd', 0, 3), connectRecord(id(2), 2, [10, 0, 0, 1], 4444, 0), exitRecord(id(3), t0, 0)];
}
const piece = (b: Buffer, i: Item) => b.subarray(i.offset, i.offset + i.length);
const statsJson = (path: string | string[]) => {
  const r = runReplayCli([...[path].flat(), '--stats', '--json']);
  return { status: r.status, json: JSON.parse(r.stdout.toString()) as { complete: boolean; damaged: boolean; lost: { kernel: number }; files: { damage: string[] }[] } };
};
/** Exit statuses of the commands that replay: replay, --stats, audit, tree, export (OCSF NDJSON). */
const statuses = (paths: string[]) => [
  runReplayCli([...paths, '--json']).status, runReplayCli([...paths, '--stats']).status, runReplayCli(['audit', ...paths]).status,
  runReplayCli(['tree', ...paths]).status, runReplayCli(['export', ...paths, '--format', 'ocsf']).status,
];

describe('rotated segments', () => {
  const segment = (index: number, previous: Uint8Array | null, pid: number) => Buffer.from(writeSynthetic({
    records: session(T0 + BigInt(index) * 10_000_000n, pid),
    manifest: syntheticManifest({ segment: { capture_id: 'rotated', index, previous_sha256: previous === null ? null : createHash('sha256').update(previous).digest('hex') } }),
  }));
  const s0 = segment(0, null, 100);
  const s1 = segment(1, s0, 200);
  const s2 = segment(2, s1, 300);
  const [p0, p1, p2] = [write('seg-000.rgc', s0), write('seg-001.rgc', s1), write('seg-002.rgc', s2)];

  it('a missing segment between two given ones is damage, named, in every command that replays', () => {
    expect(statuses([p0, p1, p2])).toEqual([0, 0, 0, 0, 0]);
    expect(statuses([p0, p2])).toEqual([5, 5, 5, 5, 5]);
    const replay = runReplayCli([p0, p2]);
    expect(replay.stderr).toContain(`${p2}: segment_gap at byte 0: segment 1 is missing: segment 2 follows segment 0 (${p0})`);
    const { json } = statsJson([p0, p2]);
    expect([json.complete, json.damaged]).toEqual([true, true]);
    expect(json.files[1].damage[0]).toMatch(/^segment_gap/);
    // Merged with another capture, the segments are still one input.
    const other = write('other.rgc', writeSynthetic({ records: shellSession(T0 + 5_000_000n), manifest: syntheticManifest({ host: { hostname: 'o', kernel_release: 'k', machine: 'x86_64', boot_id: 'other' }, segment: { capture_id: 'other', index: 0, previous_sha256: null } }) }));
    expect(runReplayCli([p0, p2, other, '--json']).status).toBe(5);
    expect(runReplayCli(['sql', p0, p2, 'SELECT count(*) FROM events']).status).toBe(5);
  }, 60_000);

  it('a segment that names another file as the one before it is damage', () => {
    const forged = write('seg-001-forged.rgc', segment(1, Buffer.from('not segment 0'), 200));
    const r = runReplayCli([p0, forged, '--json']);
    expect(r.status).toBe(5);
    expect(r.stderr).toContain(`segment_link at byte 0: segment 1 does not continue ${p0}`);
  });
});

describe('loss counters and the signature', () => {
  const records = [...session(T0, 100), ...session(T0 + 10_000_000n, 200)];
  const lost = Buffer.from(writeSynthetic({ records, frameBreaks: [3], statsAfter: [3], lostKernelByCpu: [5, 7] }));
  /** `bytes` with its end record rewritten (unsigned). */
  const endRewritten = (bytes: Buffer, over: Record<string, unknown>) => {
    const item = listItems(bytes).at(-1)!;
    const payload = piece(bytes, item).subarray(8);
    const e = decodeEnd(payload.subarray(8, 8 + payload.readUInt32LE(4)))!;
    const body = encodeTotals({ ...e, ...over } as typeof e);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(SKIPPABLE_MAGIC, 0);
    head.writeUInt32LE(8 + body.length, 4);
    head.writeUInt32LE(TAG_END, 8);
    head.writeUInt32LE(body.length, 12);
    return Buffer.concat([bytes.subarray(0, item.offset), head, body]);
  };

  it('an end record counting less loss than a chained stats record is damage, and the larger loss is reported', () => {
    expect(statsJson(write('lost.rgc', lost))).toMatchObject({ status: 0, json: { damaged: false, lost: { kernel: 12 } } });
    const zeroed = write('lost-zeroed.rgc', endRewritten(lost, { lost_kernel_by_cpu: [0, 0], lost_user: 0 }));
    const { status, json } = statsJson(zeroed);
    expect([status, json.damaged, json.lost.kernel]).toEqual([5, true, 12]);
    expect(json.files[0].damage[0]).toMatch(/^totals_mismatch .*lost_kernel_by_cpu\[0\] 0 < 5, lost_kernel_by_cpu\[1\] 0 < 7/);
    const verify = runReplayCli(['verify', zeroed]);
    expect([verify.status, verify.stdout.toString().split('\n')[0]]).toEqual([7, `${zeroed}: ALTERED`]);
  });

  it('a capture whose manifest names a signing key but whose end record is unsigned: ALTERED without --pubkey, damaged in replay', () => {
    const key = generateKeyPairSync('ed25519').privateKey;
    const signed = Buffer.from(writeSynthetic({
      records, frameBreaks: [3], writer: { signingKey: key },
      manifest: syntheticManifest({ signing_key_sha256: publicKeySha256(createPublicKey(key)) }),
    }));
    expect(runReplayCli(['verify', write('signed.rgc', signed)]).status).toBe(0);
    expect(runReplayCli([write('signed.rgc', signed), '--json']).status).toBe(0);
    const stripped = write('signed-stripped.rgc', endRewritten(signed, {}));
    const verify = runReplayCli(['verify', stripped]);
    expect(verify.status).toBe(7);
    expect(verify.stdout.toString()).toContain('signature_missing');
    const replay = runReplayCli([stripped, '--json']);
    expect(replay.status).toBe(5);
    expect(replay.stderr).toContain('the manifest names a signing key but the end record is not signed');
  });
});

describe('the hash chain, checked by every command that replays', () => {
  const base = threeFrames();
  const items = listItems(base);
  const frames = items.filter((i) => i.kind === 'frame');

  it('a sound capture: exit 0 everywhere', () => {
    expect(statuses([write('sound.rgc', base)])).toEqual([0, 0, 0, 0, 0]);
  }, 60_000);

  it('a frame spliced in from another capture is damage, the frame named', () => {
    const other = threeFrames([100, 666, 300]);
    const oi = listItems(other).filter((i) => i.kind === 'frame');
    // Frame 1 (header and data) from the other capture, whose frame 0 differs from this one's.
    const at = frames[1].offset, next = frames[2].offset;
    const otherAt = oi[1].offset, otherNext = oi[2].offset;
    const spliced = write('splice.rgc', Buffer.concat([base.subarray(0, at), other.subarray(otherAt, otherNext), base.subarray(next)]));
    expect(statuses([spliced])).toEqual([5, 5, 5, 5, 5]);
    const { json } = statsJson(spliced);
    expect(json.damaged).toBe(true);
    expect(json.files[0].damage[0]).toMatch(/^chain_broken at bytes \d+-\d+ frame [12]: hash chain broken at frame [12]'s header/);
    const audit = runReplayCli(['audit', spliced]).stdout.toString();
    expect(audit).toMatch(/frames: .*: 1 damage report\(s\)/);
    expect(runReplayCli(['sql', spliced, 'SELECT count(*) FROM events']).status).toBe(5);
  }, 60_000);

  it('a frame whose records were rewritten, recompressed and its header check recomputed is damage', () => {
    const h = piece(base, frames[1]);
    const forged = frame({ seq: 1, records: 4, raw: recordStream(session(T0 + 10_000_000n, 777)) });
    // The original header's chain (it held), and its check again over the forged header.
    h.copy(forged, 8 + FRAME_FIELD.chain, 8 + FRAME_FIELD.chain, 8 + FRAME_FIELD.check);
    Buffer.from(headerCheck(forged.subarray(8, 8 + FRAME_HEADER_CHECKED))).copy(forged, 8 + FRAME_HEADER_CHECKED);
    const edited = write('edit.rgc', Buffer.concat([base.subarray(0, frames[1].offset), forged, base.subarray(frames[2].offset)]));
    const r = runReplayCli([edited, '--json']);
    expect(r.status).toBe(5);
    // The edited frame's own header holds (its chain was copied); the next one's covers the edited bytes.
    const at = listItems(readFileSync(edited)).filter((i) => i.kind === 'frame')[2].offset;
    expect(r.stderr).toContain(`chain_broken at bytes ${frames[1].offset}-${at - 1} frame 2: hash chain broken at frame 2's header (byte ${at}): `
      + `the bytes from frame 1's header (byte ${frames[1].offset}) up to it are not what the recorder wrote`);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(12);
    expect(statsJson(edited).json.damaged).toBe(true);
  });
});

describe('a capture cut inside its last frame', () => {
  const base = threeFrames();
  const items = listItems(base);
  const last = items.filter((i) => i.kind === 'frame').at(-1)!;
  const lastData = items[items.indexOf(last) + 1];

  it('is incomplete (exit 6), not damaged, wherever the cut falls; verify says INCOMPLETE', () => {
    const cuts = [last.offset + 4, last.offset + 40, last.offset + last.length, last.offset + last.length + 1, lastData.offset + lastData.length - 1];
    for (const cut of cuts) {
      const path = write(`cut-${cut}.rgc`, base.subarray(0, cut));
      const { status, json } = statsJson(path);
      expect([cut, status, json.complete, json.damaged]).toEqual([cut, 6, false, false]);
      expect(json.files[0].damage[0]).toMatch(/^truncated/);
      const replay = runReplayCli([path, '--json']);
      expect(replay.status).toBe(6);
      // The frames before the cut replay: two frames of four records.
      expect(replay.stdout.toString().trim().split('\n')).toHaveLength(8);
      const verify = runReplayCli(['verify', path]);
      expect([verify.status, verify.stdout.toString().split('\n')[0]]).toEqual([6, `${path}: INCOMPLETE`]);
      expect(verify.stdout.toString()).toMatch(/cut +truncated at/);
    }
  }, 60_000);

  it('a cut after other damage is still damage', () => {
    const bad = Buffer.from(base);
    bad[items.find((i) => i.kind === 'data')!.offset + 10] ^= 0xff;
    expect(statsJson(write('bad-and-cut.rgc', bad.subarray(0, lastData.offset + 5))).status).toBe(5);
  });

  it('the writer writes each frame, header and data, in one write: a kill lands between frames or inside one write', () => {
    const writes: Uint8Array[] = [];
    const w = new RgcWriter({ write: (b) => { writes.push(Uint8Array.from(b)); } }, syntheticManifest());
    const records = shellSession();
    for (const [i, r] of records.entries()) {
      w.append(r, 0, r.length);
      if (i % 2 === 1) w.flush();
    }
    w.end('synthetic', [0], 0, 0n);
    const file = Buffer.concat(writes);
    // Every write is one whole item: the manifest, a frame with its data, or the end record.
    const starts = listItems(file).filter((i) => i.kind !== 'data').map((i) => i.offset);
    let at = 0;
    expect(writes.map((b) => { const s = at; at += b.length; return s; })).toEqual(starts);
    expect(writes).toHaveLength(4);
  });
});
