/**
 * `rg-replay verify`: is this file exactly what the recorder wrote? Checks
 * every frame's checksum, the hash chain at every frame header and at the end
 * record, sequence numbers, the end record's totals and, with a public key,
 * the end record's Ed25519 signature. Anything off is an alteration.
 */
import { visible } from '../common/visible.js';
import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { ExitCode } from '../common/exit-codes.js';
import { describeDamage, isDamage } from '../rgc/damage.js';
import { FormatError } from '../rgc/errors.js';
import { SKIPPABLE_MAGIC } from '../rgc/format.js';
import { type Manifest } from '../rgc/manifest.js';
import { type EndRecord } from '../rgc/meta-records.js';
import { forEachRecord, RgcReader } from '../rgc/reader.js';
import { readInput } from './input.js';
import { publicKeySha256 } from '../rgc/signing.js';

export type Verdict = 'verified' | 'altered' | 'incomplete';

export interface VerifyReport {
  readonly path: string;
  readonly verdict: Verdict;
  readonly sha256: string;
  readonly frames: number;
  readonly records: number;
  readonly signature: 'valid' | 'invalid' | 'unsigned' | 'not_checked' | 'key_mismatch';
  readonly problems: string[];
  /** Where the file was cut inside a frame (the recorder killed mid-write, or the file cut short), or null. */
  readonly cut: string | null;
  /** Capture id and segment index from the manifest, for linking rotated segments. */
  readonly segment: { capture_id: string; index: number; previous_sha256: string | null } | null;
}

/** Hashes the input as the reader reports positions, so the digest of "every byte before offset X" is available at X. */
class PrefixHasher {
  private readonly hash = createHash('sha256');
  private readonly queue: { offset: number; bytes: Uint8Array }[] = [];
  private hashedTo = 0;

  add(chunk: Uint8Array, offset: number): void {
    this.queue.push({ offset, bytes: Uint8Array.from(chunk) });
  }

  /** SHA-256 of bytes [0, to). */
  digestBefore(to: number): Buffer {
    this.advance(to);
    return this.hash.copy().digest();
  }

  advance(to: number): void {
    while (this.hashedTo < to && this.queue.length > 0) {
      const head = this.queue[0];
      const start = this.hashedTo - head.offset;
      const end = Math.min(head.bytes.length, to - head.offset);
      this.hash.update(head.bytes.subarray(start, end));
      this.hashedTo = head.offset + end;
      if (end === head.bytes.length) this.queue.shift();
    }
  }

  final(): string {
    this.advance(Number.MAX_SAFE_INTEGER);
    return this.hash.digest('hex');
  }
}



/** The capture's first bytes: its skippable frame's magic (LE) at 0, and `RGCM` at 8. One bit flipped leaves one of them. */
function beginsLikeCapture(path: string): boolean {
  let head: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      head = Buffer.alloc(12);
      if (readSync(fd, head, 0, 12, 0) < 12) return false;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return head.readUInt32LE(0) === SKIPPABLE_MAGIC || head.toString('latin1', 8, 12) === 'RGCM';
}

export function verifyFile(path: string, publicKey: KeyObject | null): VerifyReport {
  const hasher = new PrefixHasher();
  const problems: string[] = [];
  let manifest: Manifest | null = null;
  let end: EndRecord | null = null;
  let endBody: Uint8Array | null = null;
  let endSignature: Uint8Array | null = null;
  let frames = 0;
  let records = 0;
  let cut: string | null = null;
  const reader = new RgcReader({
    bytes: (chunk, offset) => hasher.add(chunk, offset),
    manifest: (m) => { manifest = m; },
    frame(h, raw) {
      frames++;
      if (!hasher.digestBefore(h.offset).equals(h.chain)) problems.push(`hash chain broken at frame ${h.seq} (byte ${h.offset}): bytes before it were altered`);
      const problem = forEachRecord(raw, () => { records++; });
      if (problem !== null) problems.push(`frame ${h.seq}: ${problem}`);
    },
    end(e, body, signature, offset) {
      end = e;
      endBody = body;
      endSignature = signature;
      if (!hasher.digestBefore(offset).equals(e.chain_sha256)) problems.push(`hash chain broken at the end record (byte ${offset})`);
    },
    // A cut tail is an incomplete file, as one cut at a frame boundary is: the chain below it still holds.
    damage: (d) => { if (isDamage(d)) problems.push(describeDamage(d)); else cut = describeDamage(d); },
  }, { checkChain: false });
  try {
    readInput(path, (chunk) => reader.push(chunk));
    reader.finish();
  } catch (e) {
    // A file whose manifest is destroyed is not what the recorder wrote. Bytes that are no capture at all, or a
    // capture of a format version this build does not read, are not evidence of tampering: exit 4, as replay.
    // A file that begins as the recorder begins every capture (its frame magic, or the manifest's own) and then fails
    // is a damaged capture: a bit flipped in its first bytes is ALTERED like one flipped anywhere else.
    if (!(e instanceof FormatError)) throw e;
    if (e.problem === 'unsupported_version' || (e.problem === 'not_rgc' && !beginsLikeCapture(path))) throw e.from(path);
    problems.push(e.message);
  }
  const sha256 = hasher.final();
  const e = end as EndRecord | null;
  if (e !== null) {
    if (e.records !== records) problems.push(`end record counts ${e.records} records, the file holds ${records}`);
    if (e.frames !== frames) problems.push(`end record counts ${e.frames} frames, the file holds ${frames}`);
  }
  const signature = checkSignature(manifest, endBody, endSignature, publicKey, problems);
  const verdict: Verdict = problems.length > 0 ? 'altered' : e === null ? 'incomplete' : 'verified';
  const m = manifest as Manifest | null;
  return { path, verdict, sha256, frames, records, signature, problems, cut, segment: m?.segment ?? null };
}

/**
 * Checks that consecutive segments of one capture link up: each names the
 * SHA-256 of the file before it. Adds problems to the later file's report.
 */
export function checkSegmentChain(reports: VerifyReport[]): void {
  // In segment order, whatever the order of the command line (replay takes any order too).
  const ordered = reports.filter((r) => r.segment !== null)
    .sort((a, b) => (a.segment!.capture_id < b.segment!.capture_id ? -1 : a.segment!.capture_id > b.segment!.capture_id ? 1 : a.segment!.index - b.segment!.index));
  for (let i = 1; i < ordered.length; i++) {
    const prev = ordered[i - 1];
    const cur = ordered[i];
    if (prev.segment!.capture_id !== cur.segment!.capture_id) continue;
    if (cur.segment!.index === prev.segment!.index) {
      cur.problems.push(`segment ${cur.segment!.index} is given twice (also as ${prev.path})`);
    } else if (cur.segment!.index !== prev.segment!.index + 1) {
      cur.problems.push(`segment ${cur.segment!.index} follows segment ${prev.segment!.index}: segments are missing`);
    } else if (cur.segment!.previous_sha256 !== prev.sha256) {
      cur.problems.push(`segment ${cur.segment!.index} does not link to ${prev.path}: its previous_sha256 differs`);
    }
    if (cur.problems.length > 0) (cur as { verdict: Verdict }).verdict = 'altered';
  }
}

function checkSignature(manifest: Manifest | null, body: Uint8Array | null, signature: Uint8Array | null, key: KeyObject | null,
  problems: string[]): VerifyReport['signature'] {
  const signed = signature !== null && signature.length > 0;
  if (!signed) {
    if (key !== null && body !== null) problems.push('a public key was given but the end record is not signed');
    return 'unsigned';
  }
  if (key === null) return 'not_checked';
  const expectedKey = manifest?.signing_key_sha256;
  if (expectedKey !== undefined && expectedKey !== publicKeySha256(key)) {
    problems.push('the file was signed with a different key than the one given');
    return 'key_mismatch';
  }
  if (!verifySignature(null, body!, key, signature)) {
    problems.push('the end record signature does not verify');
    return 'invalid';
  }
  return 'valid';
}

export function formatVerifyText(r: VerifyReport): string {
  const lines = [`${r.path}: ${r.verdict.toUpperCase()}`, `  sha256    ${r.sha256}`, `  frames    ${r.frames}, records ${r.records}`, `  signature ${r.signature.replace('_', ' ')}`];
  if (r.verdict === 'incomplete') lines.push('  no end record: the chain is intact as far as it goes, but totals cannot be checked');
  if (r.cut !== null) lines.push(`  cut       ${r.cut}`);
  for (const p of r.problems.slice(0, 50)) lines.push(`  problem   ${p}`);
  if (r.problems.length > 50) lines.push(`  ... ${r.problems.length - 50} more problems`);
  return lines.map(visible).join('\n') + '\n';
}

export function verifyExitCode(reports: readonly VerifyReport[]): number {
  if (reports.some((r) => r.verdict === 'altered')) return ExitCode.VerifyFailed;
  if (reports.some((r) => r.verdict === 'incomplete')) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

