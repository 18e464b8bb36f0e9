import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { encodeRecord, type FieldInput } from '../../src/abi/encode.js';
import { EventKind } from '../../src/abi/constants.js';
import { ByteOutput, PackedBytes, putPacked } from '../../src/output/byte-output.js';
import { eventValues } from '../../src/abi/event-values.js';
import { putU64At } from '../../src/output/json-bytes.js';
import { NdjsonEncoder } from '../../src/output/ndjson.js';
import { BUILD_SCHEMA } from '../../src/abi/schema.js';
import { addressText, bytesToText, openFlagsText } from '../../src/abi/values.js';
import { WallClock } from '../../src/output/wall-clock.js';
import { arbitraryRecord } from '../support/arbitrary.js';
import { unixRecord } from '../support/net-records.js';

function encodeLine(bytes: Uint8Array, clock: WallClock | null = null): string {
  const chunks: Buffer[] = [];
  const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
  new NdjsonEncoder(clock).writeEvent(out, classifyRecord(bytes, 0, bytes.length), bytes, 0);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('NDJSON encoder', () => {
  it('writes exactly what the slow decoder reads, as valid JSON, for any record', () => {
    fc.assert(fc.property(arbitraryRecord({ safeU64: true }), ({ kind, fields }) => {
      const bytes = encodeRecord(kind.id, fields);
      const line = encodeLine(bytes);
      expect(line.endsWith('}\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const expected = Object.fromEntries(eventValues(kind.id, bytes, 0).values);
      expect(Object.keys(parsed).filter((k) => k !== 'time')).toEqual(Object.keys(expected));
      delete parsed.time;
      expect(parsed).toEqual(expected);
    }), { numRuns: 500 });
  });

  it('prints u64 values beyond 2^53 exactly', () => {
    const line = encodeLine(encodeRecord(EventKind.FileOpen, { ts_ns: 0xfedcba9876543210n, cgroup_id: (1n << 64n) - 1n }));
    expect(line).toContain('"ts_ns":18364758544493064720');
    expect(line).toContain('"cgroup_id":18446744073709551615');
  });

  it('puts event_type first and uses process_start for exec', () => {
    expect(encodeLine(encodeRecord(EventKind.ProcessExec, { comm: 'bash' }))).toMatch(/^\{"event_type":"process_start","ts_ns":0,"time":null,/);
  });

  it('computes wall-clock time from the manifest clock pair, to the nanosecond', () => {
    const clock = new WallClock(1767323045_000000000n, 1000_000000000n);
    expect(encodeLine(encodeRecord(EventKind.ProcessFork, { ts_ns: 1000_000000001n }), clock)).toContain('"time":"2026-01-02T03:04:05.000000001Z"');
    expect(encodeLine(encodeRecord(EventKind.ProcessFork, { ts_ns: 999_999999999n }), clock)).toContain('"time":"2026-01-02T03:04:04.999999999Z"');
    expect(clock.format(1001_500000000n)).toBe('2026-01-02T03:04:06.500000000Z');
  });

  it('escapes bytes that are not UTF-8 as \\udcXX and keeps valid UTF-8 as is', () => {
    const path = Uint8Array.from([0x2f, 0xff, 0xc3, 0xa9, 0xe2, 0x82, 0x22, 0x5c, 0x0a]);
    const line = encodeLine(encodeRecord(EventKind.FileOpen, { path }));
    expect(line).toContain('"path":"/\\udcffé\\udce2\\udc82\\"\\\\\\n"');
    expect(JSON.parse(line).path).toBe(bytesToText(path));
  });

  // compileAfter 0: the kind's first record through the interpreter, the rest through its compiled writer.
  it('writes a Unix socket address whole: an abstract name after @ with its NULs as \\u0000, the same interpreted or compiled', () => {
    const id = { ts: 1000_000000000n, pid: 300, ppid: 1, comm: 'srv' };
    const cases: [Uint8Array, string][] = [
      [unixRecord(id, 2, '\0/run/dbus/system_bus_socket\0c2'), '"abstract":1,"path":"@/run/dbus/system_bus_socket\\u0000c2","path_size_invalid":false,'],
      [unixRecord(id, 2, '\0/run/dbus/system_bus_socket'), '"abstract":1,"path":"@/run/dbus/system_bus_socket","path_size_invalid":false,'],
      [unixRecord(id, 2, '/run/dbus/system_bus_socket'), '"abstract":0,"path":"/run/dbus/system_bus_socket","path_size_invalid":false,'],
      [unixRecord(id, 1, '@/run/dbus/system_bus_socket'), '"abstract":0,"path":"./@/run/dbus/system_bus_socket","path_size_invalid":false,'],
      [unixRecord(id, 1, Buffer.from('\0\x1b]0;pwned\x07\xe2\x80\xae\xff" \\', 'latin1')), '"abstract":1,"path":"@\\u001b]0;pwned\\u0007\\u202e\\udcff\\" \\\\","path_size_invalid":false,'],
      [unixRecord(id, 2, new Uint8Array(108).fill(0x61), 0, { pathSize: 300, abstract: 1 }), `"abstract":1,"path":"@${'a'.repeat(107)}","path_size_invalid":true,`],
      [unixRecord(id, 2, 'x', 0, { pathSize: 0, abstract: 1 }), '"abstract":1,"path":"@","path_size_invalid":true,'],
      [unixRecord(id, 3, ''), '"abstract":0,"path":"","path_size_invalid":false,'],
    ];
    const print = (compileAfter: number) => {
      const chunks: Buffer[] = [];
      const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
      const encoder = new NdjsonEncoder(null, BUILD_SCHEMA, compileAfter);
      for (const [bytes] of cases) encoder.writeEvent(out, EventKind.NetUnix, bytes, 0);
      out.flush();
      return Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
    };
    for (const lines of [print(1e9), print(0)]) {
      lines.forEach((line, i) => {
        expect(line).toContain(cases[i][1]);
        expect(JSON.parse(line).path).toBe(eventValues(EventKind.NetUnix, cases[i][0], 0).values.get('path'));
      });
      expect(/[\x00-\x1f\x7f\u0080-\u009f\u202e]/.test(lines.join(''))).toBe(false);
    }
  });

  // Plain ASCII is copied a word at a time: specials must be caught at every position of a word.
  it('escapes every special byte at any position within a word of an otherwise plain string', () => {
    const special = fc.constantFrom(0x01, 0x09, 0x0a, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xff);
    const plain = fc.integer({ min: 0x20, max: 0x7e });
    fc.assert(fc.property(fc.array(fc.oneof({ weight: 9, arbitrary: plain }, { weight: 1, arbitrary: special }), { maxLength: 255 }), (chars) => {
      const path = Uint8Array.from(chars);
      const parsed = JSON.parse(encodeLine(encodeRecord(EventKind.FileOpen, { path })));
      expect(parsed.path).toBe(bytesToText(path));
    }), { numRuns: 1000 });
  });

  // One encoder remembers each thread's unchanged header text (HeaderMemo): a stream of records
  // with few threads, shared and changing headers, must print exactly what a fresh encoder prints.
  it('prints a stream through one encoder exactly as record by record, however headers repeat or change', () => {
    // Each header field's values; within a stream, records mostly repeat a thread's header or change one field of it.
    const choices: Record<string, readonly FieldInput[]> = {
      pid: [1, 2, 257, 513, 0x10000001],
      tid: [1, 2, 257, 513, 0xffffffff],
      ppid: [0, 1, 4000000000],
      uid: [0, 1000],
      gid: [0, 1000],
      auid: [1000, 0xffffffff],
      // Values that differ only in one word, or in one bit.
      cgroup_id: [1n, (1n << 32n) + 1n, (1n << 63n) + 1n, 0xfedcba9876543210n],
      // 16 shares CPU 0's memo slot (see HeaderMemo): the bytes, not the slot, must decide.
      cpu: [0, 1, 16],
      flags: [0, 1, 0xffff],
      mntns: [4026531832, 7, 0x80000007],
      comm: ['bash', 'sh', 'a"b\\c\n', 'exactly15chars!', 'exactly15chars?', '\u00e9t\u00e9'],
    };
    const names = Object.keys(choices);
    const pick = fc.record(Object.fromEntries(names.map((n) => [n, fc.constantFrom(...choices[n])])));
    const change = fc.tuple(fc.constantFrom(...names), fc.nat()).map(([name, i]) => ({ [name]: choices[name][i % choices[name].length] }));
    const stream = fc.tuple(fc.array(pick, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(arbitraryRecord({ safeU64: true }), fc.nat(), fc.option(change)), { minLength: 1, maxLength: 60 }))
      .map(([threads, items]) => items.map(([record, t, changed]) => ({ ...record, header: { ...threads[t % threads.length], ...(changed ?? {}) } })));
    fc.assert(fc.property(stream, (items) => {
      const records = items.map(({ kind, fields, header }) => encodeRecord(kind.id, { ...fields, ...header }));
      const chunks: Buffer[] = [];
      const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
      const shared = new NdjsonEncoder(null);
      for (const bytes of records) shared.writeEvent(out, classifyRecord(bytes, 0, bytes.length), bytes, 0);
      out.flush();
      expect(Buffer.concat(chunks).toString('utf8')).toBe(records.map((bytes) => encodeLine(bytes)).join(''));
    }), { numRuns: 300 });
  });


  // A kind is written by the one interpreter of steps until it has had `compileAfter` events, then by its compiled writer.
  it('prints the same bytes whether a kind is interpreted, compiled at once or compiled mid-stream', () => {
    fc.assert(fc.property(fc.array(arbitraryRecord({ safeU64: true }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (items, midway) => {
      const records = items.map(({ kind, fields }) => encodeRecord(kind.id, fields));
      const clock = new WallClock(1767323045_123456789n, 1000_000000000n);
      const print = (compileAfter: number) => {
        const chunks: Buffer[] = [];
        const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
        const encoder = new NdjsonEncoder(clock, BUILD_SCHEMA, compileAfter);
        for (const bytes of records) encoder.writeEvent(out, classifyRecord(bytes, 0, bytes.length), bytes, 0);
        out.flush();
        return Buffer.concat(chunks).toString('utf8');
      };
      const interpreted = print(1e9);
      expect(print(0)).toBe(interpreted);
      expect(print(midway)).toBe(interpreted);
    }), { numRuns: 200 });
  });

  // SchemaWriters.forecast: a kind whose events so far say that >= 1.5 x compileAfter more will follow is compiled at its
  // next record; it is judged on >= 512 events. Encoders with a compileAfter of their own have their own writers.
  it('compiles a kind early when the replay\'s progress forecasts enough of its events, and only then, with the same bytes', () => {
    const compileAfter = 4096;
    const opens = Array.from({ length: 600 }, (_, i) => encodeRecord(EventKind.FileOpen, { ts_ns: BigInt(1000 + i), pid: 7, path: `/tmp/f${i}` }));
    const forks = Array.from({ length: 100 }, (_, i) => encodeRecord(EventKind.ProcessFork, { ts_ns: BigInt(5000 + i), pid: 7, child_pid: 100 + i }));
    const print = (fraction: number | null) => {
      const chunks: Buffer[] = [];
      const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
      const encoder = new NdjsonEncoder(null, BUILD_SCHEMA, compileAfter);
      for (const bytes of [...opens, ...forks]) encoder.writeEvent(out, classifyRecord(bytes, 0, bytes.length), bytes, 0);
      if (fraction !== null) encoder.forecast(fraction);
      const after = encoder.compiledKinds();
      for (const bytes of [opens[0], forks[0]]) encoder.writeEvent(out, classifyRecord(bytes, 0, bytes.length), bytes, 0);
      out.flush();
      return { after, compiled: encoder.compiledKinds(), text: Buffer.concat(chunks).toString('utf8') };
    };
    const none = print(null);
    expect(none.compiled).toEqual([]);
    // 600 opens in the first 1% of the input: ~59k more forecast, over 1.5 x 4096. 100 forks: under the 512 judged.
    const early = print(0.01);
    expect(early.after).toEqual([]);
    expect(early.compiled).toEqual([EventKind.FileOpen]);
    expect(early.text).toBe(none.text);
    // The same 600 at half the input: 600 more forecast, too few to pay for a compile.
    expect(print(0.5).compiled).toEqual([]);
    // No size to go by (0) or the end (1): nothing.
    expect(print(0).compiled).toEqual([]);
    expect(print(1).compiled).toEqual([]);
  });
});

describe('ts_ns and time in one call', () => {
  // putMonotonicAndWall keeps the last monotonic second: times that stay in it, cross it, go back or jump must print
  // what the three separate writers print.
  it('writes what putU64At, the key and put write, for any sequence of times and any clock', () => {
    const between = new PackedBytes(new TextEncoder().encode(',"time":'));
    const near = (t: bigint) => fc.bigInt({ min: -2_000_000_000n, max: 2_000_000_000n }).map((d) => (t + d < 0n ? 0n : t + d));
    const time = fc.oneof(
      fc.bigInt({ min: 0n, max: 3_000_000_000n }),
      near(17720369730044n), near(999_999_999_999n),
      fc.bigInt({ min: (1n << 53n) - 3_000_000_000n, max: (1n << 53n) + 3_000_000_000n }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    );
    const steps = fc.array(fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 5_000_000n }).map((d) => ({ d })) }, { weight: 1, arbitrary: time.map((t) => ({ t })) }), { minLength: 1, maxLength: 50 });
    const clockPair = fc.tuple(fc.bigInt({ min: 0n, max: 1n << 62n }), fc.bigInt({ min: 0n, max: 1n << 40n }));
    fc.assert(fc.property(clockPair, time, steps, ([realtime, monotonic], first, moves) => {
      const fused = new WallClock(realtime, monotonic);
      const separate = new WallClock(realtime, monotonic);
      const record = new DataView(new ArrayBuffer(8));
      const a = new Uint8Array(256), av = new DataView(a.buffer);
      const b = new Uint8Array(256), bv = new DataView(b.buffer);
      let t = first;
      for (const move of [{ t: first }, ...moves]) {
        t = 'd' in move ? (t + move.d) & ((1n << 64n) - 1n) : move.t;
        record.setBigUint64(0, t, true);
        const end = fused.putMonotonicAndWall(a, av, 0, record, 0, between);
        const expected = separate.put(b, bv, putPacked(bv, putU64At(bv, 0, record, 0), between), record, 0);
        expect(Buffer.from(a.subarray(0, end)).toString()).toBe(Buffer.from(b.subarray(0, expected)).toString());
      }
    }), { numRuns: 500 });
  });
});

describe('value rendering', () => {
  it('formats addresses as text', () => {
    expect(addressText(2, Uint8Array.from([127, 0, 0, 1]))).toBe('127.0.0.1');
    const v6 = (g: number[]) => Uint8Array.from(g.flatMap((x) => [x >> 8, x & 0xff]));
    expect(addressText(10, v6([0, 0, 0, 0, 0, 0, 0, 1]))).toBe('::1');
    expect(addressText(10, v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
    expect(addressText(10, v6([0, 0, 0, 0, 0, 0, 0, 0]))).toBe('::');
    expect(addressText(10, v6([1, 0, 2, 0, 3, 0, 4, 0]))).toBe('1:0:2:0:3:0:4:0');
  });

  it('names open flags and keeps unknown bits', () => {
    expect(openFlagsText(0o1101)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(openFlagsText(0x80000000)).toBe('O_RDONLY|0x80000000');
  });
});
