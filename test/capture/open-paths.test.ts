/**
 * Real-kernel test of read_path in bpf/files.bpf.h: for every path length 1..300,
 * with stale bytes left where the path is read (the ring slot without a file
 * filter, PATH_SCRATCH with one), the record holds exactly the path bytes,
 * NUL padding to PATH_LEN, and as flags FILENAME_TRUNCATED exactly from
 * PATH_LEN bytes on and nothing else (no USER_READ_FAILED), once per open.
 * Stale bytes are what removing read_path's tail zeroing would leak.
 * Needs root (or CAP_BPF + CAP_PERFMON); see ./privilege.ts.
 */
import { closeSync, openSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_FLAG_FILENAME_TRUNCATED, EventKind, PATH_LEN,
  classifyRecord, decodeRecord, encodeCaptureConfig, encodeFileFilterConfig,
} from '../../src/abi/index.js';
import { BpfCapture } from '../../src/capture/libbpf.js';
import { runKernelChecks } from '../../src/capture/kernel-checks.js';
import { defaultObjectPath } from '../../src/capture/object-path.js';
import { RingBufferReader } from '../../src/capture/ringbuf.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('open-paths');
/** RG_BPF_OBJECT runs the suite against another build, as in kernel-smoke. */
const OBJECT = process.env.RG_BPF_OBJECT ?? defaultObjectPath();
/** A tgid no process has: as self_tgid, it makes no process rg-capture. */
const NO_SUCH_TGID = 0x7fffffff;
/** Small, so the warm-up below fills every slot of it with old records. */
const RING_BYTES = 16 << 10;
const MAX_LEN = 300;

/*
 * The stale opens: relative names (no such files) whose first byte tells ours
 * from anything else this process opens. STALE_FULL fills a read buffer with
 * 'y' up to PATH_LEN-1 and passes the 'Z' filter; STALE_LONG is cut, and is
 * read into PATH_SCRATCH but filtered out.
 */
const STALE_FULL = 'Zy'.padEnd(PATH_LEN - 1, 'y');
const STALE_LONG = 'y'.repeat(MAX_LEN);
/** A path of exactly len bytes, unique per length up to its cut at PATH_LEN-1. */
const pathOfLength = (len: number) => `Z${len}_`.padEnd(MAX_LEN, 'x').slice(0, len);
/** What the record's path field must hold: the path, cut to PATH_LEN-1 bytes, then NULs. */
function expectedPath(path: string): Buffer {
  const b = Buffer.alloc(PATH_LEN);
  b.write(path.slice(0, PATH_LEN - 1), 'latin1');
  return b;
}
const expectedFlags = (path: string) => (path.length >= PATH_LEN ? EVENT_FLAG_FILENAME_TRUNCATED : 0);

function tryOpen(path: string): void {
  try { closeSync(openSync(path, 'r')); } catch { /* ENOENT / ENAMETOOLONG: recorded all the same */ }
}

describe.skipIf(!runKernelTests)('open paths are byte-exact at every length (real eBPF)', () => {
  let cap: BpfCapture;
  let ring: RingBufferReader;
  let invalid = 0;
  /** Our opens of the names above, in submission order, since the last call. */
  const drainOurs = (): { path: Buffer; flags: number }[] => {
    const out: { path: Buffer; flags: number }[] = [];
    ring.drain((bytes, offset, length) => {
      const kind = classifyRecord(bytes, offset, length);
      if (kind < 0) { invalid++; return; }
      if (kind !== EventKind.FileOpen) return;
      const f = decodeRecord(bytes.slice(offset, offset + length), 0, kind).fields;
      const path = Buffer.from(f.path as Uint8Array);
      if (f.pid === process.pid && (path[0] === 0x5a || path[0] === 0x79)) out.push({ path, flags: f.flags as number });
    });
    return out;
  };

  beforeAll(() => {
    runKernelChecks();
    cap = BpfCapture.open({ objectPath: OBJECT, ringBytes: RING_BYTES });
    // Only this process, followed: other processes' opens cannot fill the small ring.
    cap.setConfig(encodeCaptureConfig({
      selfTgid: NO_SUCH_TGID, eventsMask: 1 << EventKind.FileOpen, follow: true, wakeupBytes: RING_BYTES / 4, canaryArmed: false,
    }));
    cap.followTgid(process.pid);
    cap.setFileFilter(encodeFileFilterConfig([]));
    cap.attachAll(new Set([EventKind.FileOpen]));
    ring = new RingBufferReader(cap.ringFd, cap.ringBytes);
    // Records are submitted before openat returns: attached programs show up at once.
    tryOpen(STALE_FULL);
    expect(drainOurs().map((r) => r.path.equals(expectedPath(STALE_FULL)))).toEqual([true]);
    // Fill the whole ring with old records, so every slot read below starts out stale.
    for (let i = 0; i < (2 * RING_BYTES) / PATH_LEN; i++) {
      tryOpen(STALE_LONG);
      drainOurs();
    }
  }, 30_000);

  afterAll(() => {
    ring?.close();
    cap?.close();
  });

  /**
   * Opens every length, each after three rounds of the stale opens; `recorded`
   * says which opens pass the filter. Returns one line per record that is not
   * exactly what it should be, and how many lengths were checked.
   */
  function openEveryLength(recorded: (path: string) => boolean): { bad: string[]; checked: number } {
    const stale = [STALE_FULL, STALE_LONG];
    const bad: string[] = [];
    let checked = 0;
    for (let len = 1; len <= MAX_LEN; len++) {
      const path = pathOfLength(len);
      for (let i = 0; i < 3; i++) for (const s of stale) tryOpen(s);
      tryOpen(path);
      // Synchronous: no other code of ours runs between the opens and the drain.
      const got = drainOurs();
      const want = [...stale, ...stale, ...stale, path].filter(recorded).map((p) => ({ path: expectedPath(p), flags: expectedFlags(p) }));
      if (got.length !== want.length) {
        bad.push(`len ${len}: ${got.length} records, expected ${want.length}`);
        continue;
      }
      got.forEach((r, i) => {
        if (!r.path.equals(want[i].path) || r.flags !== want[i].flags) {
          bad.push(`len ${len} record ${i}: flags ${r.flags} (expected ${want[i].flags}), path ${r.path.toString('hex')}`);
        }
      });
      checked++;
    }
    return { bad, checked };
  }

  it('reads into the ring slot (no file filter) with stale records in it', () => {
    cap.setFileFilter(encodeFileFilterConfig([]));
    const { bad, checked } = openEveryLength(() => true);
    expect({ mismatches: bad.length, first: bad.slice(0, 5) }).toEqual({ mismatches: 0, first: [] });
    expect(checked).toBe(MAX_LEN);
    expect(invalid).toBe(0);
    expect(cap.readLostPerCpu().reduce((a, b) => a + b, 0n)).toBe(0n);
  });

  it('reads into PATH_SCRATCH (file filter on) with a longer path left in it', () => {
    cap.setFileFilter(encodeFileFilterConfig(['Z']));
    try {
      // STALE_LONG is read into PATH_SCRATCH, then filtered out: it leaves no record, only its bytes.
      const { bad, checked } = openEveryLength((p) => p.startsWith('Z'));
      expect({ mismatches: bad.length, first: bad.slice(0, 5) }).toEqual({ mismatches: 0, first: [] });
      expect(checked).toBe(MAX_LEN);
      expect(invalid).toBe(0);
      expect(cap.readLostPerCpu().reduce((a, b) => a + b, 0n)).toBe(0n);
    } finally {
      cap.setFileFilter(encodeFileFilterConfig([]));
    }
  });
});
