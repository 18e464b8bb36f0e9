/**
 * The peer's input: a .scap file of ~1M events comparable to ours (opens,
 * execs, forks/clones, exits, connects) for `sysdig -r FILE -j`. Debian's
 * sysdig reads .scap files but cannot record on this host, so the file is
 * built from a real sample capture (bench/peer/curl_google.scap, from
 * falcosecurity/libs, see bench/peer/NOTICE): its header blocks once, then
 * its event blocks of those kinds repeated, timestamps shifted so the file
 * stays in time order.
 *
 * scap is pcapng-like (libscap's userspace/libscap/scap_savefile.h): blocks of
 * { u32 type, u32 total_length, body, u32 total_length }, little-endian. The
 * first is the Section Header Block (0x0A0D0D0A); machine info, interface,
 * user, process and fd lists follow; then one block per event. An event block
 * body is u16 cpu, [u32 flags for the EVF_* types], then the event header
 * { u64 ts, u64 tid, u32 len, u16 type, [u32 nparams for the *_V2 types] }.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const SHB = 0x0a0d0d0a;
/** Event block types and whether a u32 of flags precedes the event header. */
const EVENT_BLOCKS = new Map<number, { flags: boolean }>([
  [0x204, { flags: false }], [0x8010abcd, { flags: false }], [0x216, { flags: false }], [0x221, { flags: false }],
  [0x208, { flags: true }], [0x217, { flags: true }], [0x222, { flags: true }],
]);

/**
 * Event types (driver/ppm_events_public.h) comparable to what rg-capture
 * records: open/openat/openat2, execve/execveat, clone/fork/vfork, process
 * exit, connect. Both directions (enter and exit) are kept, as sysdig prints both.
 */
const COMPARABLE_TYPES = new Set([
  2, 3, 102, 103, 306, 307, 326, 327, 336, 337, // open, openat, openat2, open_by_handle_at
  12, 13, 154, 155, 172, 173, 214, 215, 230, 231, 282, 283, 288, 289, 292, 293, 330, 331, // execve, execveat
  14, 15, 156, 157, 216, 217, 222, 223, 182, 183, 184, 185, 218, 219, 220, 221, 224, 225, 226, 227, 334, 335, // clone, fork, vfork, clone3
  16, 186, // procexit
  22, 23, // connect
]);

export interface ScapSample {
  /** Every block before the first event block, verbatim. */
  readonly preamble: Buffer;
  /** The kept event blocks, verbatim, in file order. */
  readonly events: Buffer[];
  /** Offset of the u64 timestamp inside each kept block. */
  readonly tsOffsets: number[];
  readonly firstTs: bigint;
  readonly lastTs: bigint;
  /** All event blocks in the sample, kept or not. */
  readonly totalEventBlocks: number;
}

/** Splits a (possibly gzip-compressed) .scap file into its header blocks and its comparable event blocks. */
export function readScapSample(file: Buffer): ScapSample {
  const b = file[0] === 0x1f && file[1] === 0x8b ? gunzipSync(file) : file;
  if (b.length < 28 || b.readUInt32LE(0) !== SHB) throw new Error('scap: no section header block at offset 0');
  if (b.readUInt32LE(8) !== 0x1a2b3c4d) throw new Error('scap: big-endian or unknown byte-order magic');
  let offset = 0;
  let preambleEnd = -1;
  let totalEventBlocks = 0;
  const events: Buffer[] = [];
  const tsOffsets: number[] = [];
  let firstTs = -1n;
  let lastTs = 0n;
  while (offset < b.length) {
    if (offset + 12 > b.length) throw new Error(`scap: truncated block header at ${offset}`);
    const type = b.readUInt32LE(offset);
    const length = b.readUInt32LE(offset + 4);
    if (length < 12 || length % 4 !== 0 || offset + length > b.length) throw new Error(`scap: bad block length ${length} at ${offset}`);
    if (b.readUInt32LE(offset + length - 4) !== length) throw new Error(`scap: block at ${offset}: trailing length differs from ${length}`);
    const kind = EVENT_BLOCKS.get(type);
    if (kind === undefined) {
      if (preambleEnd >= 0) throw new Error(`scap: block type 0x${type.toString(16)} after the first event block (at ${offset})`);
    } else {
      if (preambleEnd < 0) preambleEnd = offset;
      totalEventBlocks++;
      const header = offset + 8 + 2 + (kind.flags ? 4 : 0);
      const ts = b.readBigUInt64LE(header);
      const eventType = b.readUInt16LE(header + 8 + 8 + 4);
      if (ts < lastTs) throw new Error(`scap: event block at ${offset} goes back in time`);
      lastTs = ts;
      if (COMPARABLE_TYPES.has(eventType)) {
        if (firstTs < 0n) firstTs = ts;
        events.push(b.subarray(offset, offset + length));
        tsOffsets.push(header - offset);
      }
    }
    offset += length;
  }
  if (preambleEnd < 0 || events.length === 0) throw new Error('scap: the sample has no comparable event blocks');
  return { preamble: b.subarray(0, preambleEnd), events, tsOffsets, firstTs, lastTs, totalEventBlocks };
}

/**
 * Writes `path` (via a .tmp file and rename): the sample's header blocks, then
 * its comparable event blocks repeated until there are at least `minEvents`,
 * each repetition shifted in time to start 1 us after the previous one ended.
 * Returns the number of event blocks written.
 */
export function buildPeerScap(samplePath: string, path: string, minEvents: number): number {
  const sample = readScapSample(readFileSync(samplePath));
  const span = sample.lastTs - sample.firstTs + 1000n;
  const repeats = Math.ceil(minEvents / sample.events.length);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, sample.preamble);
    const chunk = Buffer.concat(sample.events);
    const tsAt: number[] = [];
    let at = 0;
    for (let i = 0; i < sample.events.length; i++) {
      tsAt.push(at + sample.tsOffsets[i]);
      at += sample.events[i].length;
    }
    const original = tsAt.map((o) => chunk.readBigUInt64LE(o));
    for (let r = 0; r < repeats; r++) {
      const shift = span * BigInt(r);
      for (let i = 0; i < tsAt.length; i++) chunk.writeBigUInt64LE(original[i] + shift, tsAt[i]);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return repeats * sample.events.length;
}

/** What peer-bench.ts notes next to the built file. */
export interface PeerScapMeta { sample_sha256: string; min_events: number; event_blocks: number; lines: number }

/** The sidecar of `path` when the file exists and was built from this sample for at least `minEvents`. */
export function peerScapIsCurrent(path: string, sampleSha256: string, minEvents: number): PeerScapMeta | null {
  const meta = `${path}.json`;
  if (!existsSync(path) || !existsSync(meta)) return null;
  try {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as PeerScapMeta;
    return m.sample_sha256 === sampleSha256 && m.min_events === minEvents && m.lines > 0 ? m : null;
  } catch {
    return null;
  }
}
