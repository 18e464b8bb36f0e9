/**
 * Real-kernel test of the path strings of file_open records (bpf/files.bpf.h,
 * bpf/paths.bpf.h): for every length up to 300 bytes, with stale bytes left
 * where the strings are built (ring slots full of old records, per-CPU
 * scratch full of longer paths), each record holds exactly the expected
 * bytes, NUL padding to PATH_LEN, and the truncation flags exactly from
 * PATH_LEN bytes on, once per open:
 *   - path_arg, the path as passed: read straight into the ring slot for a
 *     successful open, through scratch for a failed one;
 *   - path, from the kernel: walked from the opened file, or for a failed
 *     open the cwd joined with the name.
 * Stale bytes are what a missing tail zeroing would leak.
 * Needs root (or CAP_BPF + CAP_PERFMON); see ./privilege.ts.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_FLAG_FILENAME_TRUNCATED, EventKind, PATH_FLAG_DIR_CWD, PATH_FLAG_FROM_FILE, PATH_FLAG_LEXICAL, PATH_FLAG_TRUNCATED, PATH_LEN,
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
const RING_BYTES = 64 << 10;
const MAX_LEN = 300;

/*
 * The stale opens: relative names (no such files, so failed opens whose path
 * is the cwd joined with the name) that fill a string buffer: STALE_FULL up
 * to PATH_LEN-1, STALE_LONG past it.
 */
const STALE_FULL = 'Zy'.padEnd(PATH_LEN - 1, 'y');
const STALE_LONG = 'y'.repeat(MAX_LEN);
/** A relative name of exactly len bytes, unique per length up to its cut at PATH_LEN-1. */
const nameOfLength = (len: number) => `Z${len}_`.padEnd(MAX_LEN, 'x').slice(0, len);
/** What a string field must hold: the string, cut to PATH_LEN-1 bytes, then NULs. */
function padded(text: string): Buffer {
  const b = Buffer.alloc(PATH_LEN);
  b.write(text.slice(0, PATH_LEN - 1), 'latin1');
  return b;
}
const argFlags = (path: string) => (path.length >= PATH_LEN ? EVENT_FLAG_FILENAME_TRUNCATED : 0);

function tryOpen(path: string): void {
  try { closeSync(openSync(path, 'r')); } catch { /* ENOENT / ENAMETOOLONG: recorded all the same */ }
}

interface Rec { path: Buffer; pathArg: Buffer; flags: number; pathFlags: number }
interface Want { path: Buffer; pathArg: Buffer; flags: number; pathFlags: number }

describe.skipIf(!runKernelTests)('open path strings are byte-exact at every length (real eBPF)', () => {
  let cap: BpfCapture;
  let ring: RingBufferReader;
  let invalid = 0;
  /** The canonical cwd the failed relative opens are joined to. */
  const cwd = realpathSync(process.cwd());
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rg-open-paths-')));
  /** A directory with a 100-byte name: files past NAME_MAX bytes of path live under it. */
  const sub = join(dir, 'D'.repeat(100));
  /** An existing file whose absolute path is exactly len bytes (len > dir.length + 2). */
  const fileOfLength = (len: number) => {
    const room = len - dir.length - 1;
    return room <= 200 ? join(dir, nameOfLength(room)) : join(sub, nameOfLength(len - sub.length - 1));
  };
  const firstLen = dir.length + 2;

  /** Our opens (stale ones and the measured ones), in submission order, since the last call. */
  const drainOurs = (): Rec[] => {
    const out: Rec[] = [];
    ring.drain((bytes, offset, length) => {
      const kind = classifyRecord(bytes, offset, length);
      if (kind < 0) { invalid++; return; }
      if (kind !== EventKind.FileOpen) return;
      const f = decodeRecord(bytes.slice(offset, offset + length), 0, kind).fields;
      const pathArg = Buffer.from(f.path_arg as Uint8Array);
      const ours = pathArg[0] === 0x5a || pathArg[0] === 0x79 || pathArg.subarray(0, dir.length).toString('latin1') === dir;
      if (f.pid === process.pid && ours) {
        out.push({ path: Buffer.from(f.path as Uint8Array), pathArg, flags: f.flags as number, pathFlags: f.path_flags as number });
      }
    });
    return out;
  };

  const failed = (name: string): Want => {
    const joined = `${cwd}/${name.slice(0, PATH_LEN - 1)}`;
    return { path: padded(joined), pathArg: padded(name), flags: argFlags(name), pathFlags: PATH_FLAG_DIR_CWD | PATH_FLAG_LEXICAL | (joined.length >= PATH_LEN ? PATH_FLAG_TRUNCATED : 0) };
  };
  const opened = (file: string): Want =>
    ({ path: padded(file), pathArg: padded(file), flags: argFlags(file), pathFlags: PATH_FLAG_FROM_FILE | (file.length >= PATH_LEN ? PATH_FLAG_TRUNCATED : 0) });

  beforeAll(() => {
    runKernelChecks();
    mkdirSync(sub);
    for (let len = firstLen; len <= MAX_LEN; len++) writeFileSync(fileOfLength(len), '');
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
    const first = drainOurs();
    expect(first.map((r) => r.pathArg.equals(padded(STALE_FULL)))).toEqual([true]);
    // Fill the whole ring with old records, so every slot read below starts out stale.
    for (let i = 0; i < (2 * RING_BYTES) / 616; i++) {
      tryOpen(STALE_LONG);
      drainOurs();
    }
  }, 30_000);

  afterAll(() => {
    ring?.close();
    cap?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Opens `measured(len)` for every length, each after three rounds of the
   * stale opens; `recorded` says which opens pass the filter. Returns one line
   * per record that is not exactly what it should be, and how many lengths
   * were checked.
   */
  function openEveryLength(from: number, measured: (len: number) => { path: string; want: Want }, recorded: (w: Want) => boolean): { bad: string[]; checked: number } {
    const stale = [STALE_FULL, STALE_LONG];
    const bad: string[] = [];
    let checked = 0;
    for (let len = from; len <= MAX_LEN; len++) {
      const m = measured(len);
      for (let i = 0; i < 3; i++) for (const s of stale) tryOpen(s);
      tryOpen(m.path);
      // Synchronous: no other code of ours runs between the opens and the drain.
      const got = drainOurs();
      const want = [...stale, ...stale, ...stale].map(failed).concat([m.want]).filter(recorded);
      if (got.length !== want.length) {
        bad.push(`len ${len}: ${got.length} records, expected ${want.length}`);
        continue;
      }
      got.forEach((r, i) => {
        const w = want[i];
        if (!r.path.equals(w.path) || !r.pathArg.equals(w.pathArg) || r.flags !== w.flags || r.pathFlags !== w.pathFlags) {
          bad.push(`len ${len} record ${i}: flags ${r.flags}/${r.pathFlags} (expected ${w.flags}/${w.pathFlags}), path ${JSON.stringify(r.path.toString('latin1'))}, path_arg ${JSON.stringify(r.pathArg.toString('latin1'))}`);
        }
      });
      checked++;
    }
    return { bad, checked };
  }

  it('failed opens: the name as passed and the cwd joined with it, through scratch', () => {
    const { bad, checked } = openEveryLength(1, (len) => ({ path: nameOfLength(len), want: failed(nameOfLength(len)) }), () => true);
    expect({ mismatches: bad.length, first: bad.slice(0, 5) }).toEqual({ mismatches: 0, first: [] });
    expect(checked).toBe(MAX_LEN);
    expect(invalid).toBe(0);
    expect(cap.readLostPerCpu().reduce((a, b) => a + b, 0n)).toBe(0n);
  });

  it('successful opens: the path walked from the file, and the path as passed read into the ring slot', () => {
    const { bad, checked } = openEveryLength(firstLen, (len) => ({ path: fileOfLength(len), want: opened(fileOfLength(len)) }), () => true);
    expect({ mismatches: bad.length, first: bad.slice(0, 5) }).toEqual({ mismatches: 0, first: [] });
    expect(checked).toBe(MAX_LEN - firstLen + 1);
    expect(invalid).toBe(0);
    expect(cap.readLostPerCpu().reduce((a, b) => a + b, 0n)).toBe(0n);
  });

  it('with a --watch-prefix filter: judged on the kernel path in scratch, then copied', () => {
    const prefix = join(dir, 'Z');
    cap.setFileFilter(encodeFileFilterConfig([prefix]));
    try {
      // The stale opens are read into scratch and filtered out: they leave no record, only their bytes.
      const { bad, checked } = openEveryLength(firstLen, (len) => ({ path: fileOfLength(len), want: opened(fileOfLength(len)) }),
        (w) => w.path.toString('latin1').startsWith(prefix));
      expect({ mismatches: bad.length, first: bad.slice(0, 5) }).toEqual({ mismatches: 0, first: [] });
      expect(checked).toBe(MAX_LEN - firstLen + 1);
      expect(invalid).toBe(0);
      expect(cap.readLostPerCpu().reduce((a, b) => a + b, 0n)).toBe(0n);
    } finally {
      cap.setFileFilter(encodeFileFilterConfig([]));
    }
  });
});
