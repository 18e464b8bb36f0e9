/**
 * The row group's string pool: equal bytes get one id and distinct bytes
 * distinct ids, whichever way they come in (NUL-terminated fields, byte
 * ranges, whole arrays), whatever id the caller offers as likely (a prefix
 * of the string, a string it is a prefix of, one with the same hash), and
 * when hashes collide outright; and a row group of paths crafted to share one
 * hash (a traced host that knows it) costs a bounded number of probes each.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PROBES, StringPool } from '../../src/export/string-pool.js';

const enc = new TextEncoder();
const K = 0x9e3779b1;

/** A record-like buffer: `s` at offset 8 in a field of `size` bytes, the rest of the field filled with `fill` after a NUL. */
function field(s: Uint8Array | string, size = 64, fill = 0): { b: Uint8Array; v: DataView; from: number; limit: number } {
  const bytes = typeof s === 'string' ? enc.encode(s) : s;
  const b = new Uint8Array(8 + size + 8).fill(0x55);
  b.fill(fill, 8, 8 + size);
  b.set(bytes.subarray(0, size), 8);
  if (bytes.length < size) b[8 + bytes.length] = 0;
  return { b, v: new DataView(b.buffer), from: 8, limit: 8 + size };
}

function internC(pool: StringPool, s: Uint8Array | string, likely = 0, likely2 = 0, fill = 0): number {
  const f = field(s, 64, fill);
  return pool.internCString(f.v, f.b, f.from, f.limit, likely, likely2);
}

const text = (pool: StringPool, id: number) => Buffer.from(pool.bytesOf(id)).toString('latin1');

/** Two 8-byte strings whose pre-finish hashes (h * K + w over their two words) are equal: they land in the same slot. */
function collidingPair(seed: number): [Uint8Array, Uint8Array] {
  for (let w0 = 0x41414141 + seed; ; w0 += 0x01000000) {
    const w1 = 0x42424242 + seed * 7;
    // w0' = w0 + 1 and w1' = w1 - K: w0' * K + w1' = w0 * K + w1 (mod 2^32).
    const a = new Uint8Array(8);
    const b = new Uint8Array(8);
    const av = new DataView(a.buffer);
    const bv = new DataView(b.buffer);
    av.setInt32(0, w0, true);
    av.setInt32(4, w1, true);
    bv.setInt32(0, (w0 + 1) | 0, true);
    bv.setInt32(4, (w1 - K) | 0, true);
    if (!a.includes(0) && !b.includes(0)) return [a, b];
  }
}

describe('StringPool', () => {
  it('gives a NUL-terminated string the id of its bytes, whatever follows its NUL', () => {
    const pool = new StringPool();
    const a = internC(pool, '/etc/passwd');
    expect(internC(pool, '/etc/passwd', 0, 0, 0x61)).toBe(a);
    expect(pool.intern(new DataView(enc.encode('/etc/passwd').buffer), enc.encode('/etc/passwd'), 0, 11)).toBe(a);
    expect(pool.internBytes(enc.encode('/etc/passwd'))).toBe(a);
    expect(text(pool, a)).toBe('/etc/passwd');
    // A field with no NUL ends at its size.
    const full = 'x'.repeat(64);
    const id = internC(pool, full + 'tail');
    expect(text(pool, id)).toBe(full);
    expect(pool.count).toBe(2);
  });

  it('takes a likely id only when its bytes are the string: not a prefix of it, not a string it is a prefix of', () => {
    const pool = new StringPool();
    const long = internC(pool, '/work/a/bc');
    const short = internC(pool, '/work/a/b', long);
    expect(short).not.toBe(long);
    expect(text(pool, short)).toBe('/work/a/b');
    // The shorter string again, offered the longer one, and the longer offered the shorter (stale bytes after the NUL: "c").
    expect(internC(pool, '/work/a/b', long, 0, 0x63)).toBe(short);
    expect(internC(pool, '/work/a/bc', short, short)).toBe(long);
    // Empty strings and one-byte strings next to each other.
    const empty = internC(pool, '', long);
    const one = internC(pool, '/', empty, empty);
    expect(new Set([long, short, empty, one]).size).toBe(4);
    expect(internC(pool, '', one, one)).toBe(empty);
    expect(internC(pool, '/', empty, one)).toBe(one);
    // Offered the right id as the second guess, or a wrong first guess of the same length.
    const other = internC(pool, '/work/a/bd', long, 0);
    expect(other).not.toBe(long);
    expect(internC(pool, '/work/a/bc', other, long)).toBe(long);
    expect(pool.count).toBe(5);
  });

  it('takes the id compared first (internCStringAs) only when it is the C string: not a prefix, not a longer one, not one holding a NUL', () => {
    const pool = new StringPool();
    const as = (s: Uint8Array | string, same: number, fill = 0, size = 64) => {
      const f = field(s, size, fill);
      return pool.internCStringAs(f.v, f.b, f.from, f.limit, same, 0);
    };
    const long = as('/work/a/bc', 0);
    expect(as('/work/a/bc', long)).toBe(long);
    // A prefix of it, a string it is a prefix of (stale bytes after the NUL: "c"), one of the same length.
    const short = as('/work/a/b', long, 0x63);
    expect(short).not.toBe(long);
    expect(text(pool, short)).toBe('/work/a/b');
    const longer = as('/work/a/bcd', long);
    expect(new Set([long, short, longer]).size).toBe(3);
    const same = as('/work/a/bd', long);
    expect(same).not.toBe(long);
    expect(as('/work/a/bd', short)).toBe(same);
    // Bytes interned with a NUL inside ("ab\0cd", a Unix socket's abstract name): the C string "ab" is not them.
    const withNul = pool.internBytes(Uint8Array.of(0x61, 0x62, 0, 0x63, 0x64));
    const ab = as(Uint8Array.of(0x61, 0x62, 0, 0x63, 0x64), withNul);
    expect(ab).not.toBe(withNul);
    expect(text(pool, ab)).toBe('ab');
    const nul4 = pool.internBytes(Uint8Array.of(0x61, 0x62, 0x63, 0, 0x65, 0x66, 0x67, 0x68));
    const abc = as(Uint8Array.of(0x61, 0x62, 0x63, 0, 0x65, 0x66, 0x67, 0x68), nul4);
    expect(abc).not.toBe(nul4);
    expect(text(pool, abc)).toBe('abc');
    // A field its string fills, no NUL before the limit: equal to the same bytes, not to a longer string.
    const full = as('0123456789abcdef', 0, 0, 16);
    expect(as('0123456789abcdef', full, 0, 16)).toBe(full);
    expect(as('0123456789abcde', full, 0, 15)).not.toBe(full);
    expect(as('', full)).not.toBe(full);
    expect(pool.count).toBe(11);
  });

  it('keeps colliding strings apart, found again through the table or as a likely id', () => {
    const pool = new StringPool();
    const pairs = Array.from({ length: 40 }, (_, i) => collidingPair(i));
    const ids = pairs.map(([a, b]) => [internC(pool, a), internC(pool, b)]);
    expect(new Set(ids.flat()).size).toBe(80);
    pairs.forEach(([a, b], i) => {
      expect(internC(pool, b)).toBe(ids[i][1]);
      expect(internC(pool, a, ids[i][1])).toBe(ids[i][0]);
      expect(internC(pool, b, ids[i][0], ids[i][0])).toBe(ids[i][1]);
      expect(pool.internBytes(a)).toBe(ids[i][0]);
      expect(text(pool, ids[i][1])).toBe(Buffer.from(b).toString('latin1'));
    });
  });

  it('matches a Map of the strings over many row groups of random paths (rehash, arena growth, reset)', () => {
    const pool = new StringPool();
    let seed = 7;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    for (let group = 0; group < 3; group++) {
      const ids = new Map<string, number>();
      const given = new Set<number>();
      let last = 0;
      for (let i = 0; i < 20_000; i++) {
        const s = `/work/scratch/pkg${rand(7)}/mod${rand(50)}/file${rand(30)}${rand(4) === 0 ? '.js' : ''}`;
        const id = internC(pool, s, last, rand(2) === 0 ? last : 0);
        const known = ids.get(s);
        if (known === undefined) {
          expect(given.has(id)).toBe(false);
          ids.set(s, id);
          given.add(id);
        } else {
          expect(id).toBe(known);
        }
        last = id;
      }
      expect(pool.count).toBe(ids.size);
      for (const [s, id] of ids) expect(text(pool, id)).toBe(s);
      pool.reset();
      // Paths of a real shape never crowd a slot's run to the bound.
      expect(pool.unindexed).toBe(0);
    }
  });

  it('interns 65,536 paths crafted to share one hash at a bounded cost, each kept with its own bytes', () => {
    // "/tmp/x/a" then two words w1, w2 with w1 * K + w2 equal for all: the same hash state, length and slot.
    const n = 65_536;
    const C = 0x41414141;
    const paths: Uint8Array[] = [];
    const seen = new Set<string>();
    let seed = 1;
    const letter = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return 0x41 + ((seed >>> 8) % 26); };
    while (paths.length < n) {
      const b = new Uint8Array(16);
      b.set(enc.encode('/tmp/x/a'));
      const v = new DataView(b.buffer);
      v.setInt32(8, letter() | (letter() << 8) | (letter() << 16) | (letter() << 24), true);
      v.setInt32(12, (C - Math.imul(v.getInt32(8, true), K)) | 0, true);
      const key = Buffer.from(b).toString('latin1');
      if (b.subarray(12).some((x) => x === 0 || x === 0x2f) || seen.has(key)) continue;
      seen.add(key);
      paths.push(b);
    }
    const pool = new StringPool();
    const ids = paths.map((p) => internC(pool, p));
    // Without the bound this took minutes (every path probed past all before it); the test's timeout would end it.
    expect(pool.count).toBe(n);
    // They do collide: only MAX_PROBES of them have a slot, the rest an id of their own.
    expect(pool.unindexed).toBe(n - MAX_PROBES);
    paths.forEach((p, i) => expect(text(pool, ids[i])).toBe(Buffer.from(p).toString('latin1')));
    // Interned again: a slotted path gets its id back, the others an id whose bytes are theirs (the row's value is the same).
    for (const i of [0, 1, MAX_PROBES - 1, MAX_PROBES, 1000, n - 1]) {
      const again = internC(pool, paths[i]);
      if (i < MAX_PROBES) expect(again).toBe(ids[i]);
      expect(text(pool, again)).toBe(Buffer.from(paths[i]).toString('latin1'));
    }
    // Strings of other hashes are still found and kept apart.
    const a = internC(pool, '/etc/passwd');
    expect(internC(pool, '/etc/passwd')).toBe(a);
    expect(text(pool, a)).toBe('/etc/passwd');
  });

  it('says whether a string is UTF-8: ASCII known from hashing, the rest checked', () => {
    const pool = new StringPool();
    const ascii = internC(pool, '/tmp/a');
    const utf8 = internC(pool, '/tmp/é');
    const bad = internC(pool, new Uint8Array([0x2f, 0xff, 0xfe]));
    const badBytes = pool.internBytes(new Uint8Array([0xc3, 0x28]));
    expect([pool.isUtf8(ascii), pool.isUtf8(utf8), pool.isUtf8(bad), pool.isUtf8(badBytes)]).toEqual([true, true, false, false]);
    // A byte >= 0x80 in the string's tail (past its last whole word) too.
    expect(pool.isUtf8(internC(pool, new Uint8Array([0x2f, 0x61, 0x62, 0x63, 0x64, 0xff])))).toBe(false);
  });

  it('hands its strings over (take) to a pool that reads them, and goes on empty with other buffers (adopt)', () => {
    const pool = new StringPool();
    const words = Array.from({ length: 3000 }, (_, i) => `/src/dir${i % 37}/file${i}.c`);
    const ids = words.map((w) => internC(pool, w));
    const taken = pool.take();
    expect(taken.count).toBe(3000);
    // The writer thread's side: the same bytes and UTF-8 answers by id; nothing new may be interned into them.
    const reader = new StringPool();
    reader.adopt(taken);
    words.forEach((w, i) => expect(text(reader, ids[i])).toBe(w));
    expect(reader.isUtf8(ids[0])).toBe(true);
    expect(reader.count).toBe(3000);
    expect(() => internC(reader, 'not there')).toThrow(/adopted/);
    // The gathering side: left without buffers, it grows from nothing, or takes an emptied set back.
    expect(internC(pool, 'after')).toBe(1);
    expect(text(pool, 1)).toBe('after');
    reader.reset();
    pool.adopt(reader.take());
    expect(pool.count).toBe(0);
    expect(internC(pool, words[5])).toBe(1);
    expect(internC(pool, words[6])).toBe(2);
    expect(internC(pool, words[5])).toBe(1);
  });
});
