import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/constants.js';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { bytesToText } from '../../src/abi/values.js';
import { ESCAPED_CODE_POINTS, isEscapedCodePoint, terminalSafeJson, textValue, visible } from '../../src/common/visible.js';
import { ByteOutput } from '../../src/output/byte-output.js';
import { formatEventText } from '../../src/output/text.js';
import { ARGV, BYTES, C_STRING, putTextValue } from '../../src/output/text-bytes.js';
import { TextLineEncoder } from '../../src/output/text-writers.js';
import { WallClock } from '../../src/output/wall-clock.js';
import { arbitraryRecord } from '../support/arbitrary.js';
import { unixRecord } from '../support/net-records.js';
import { execRecord, openRecord } from '../support/records.js';

const CLOCK = new WallClock(1767323045_000000000n, 1000_000000000n);

/** Lines of the compiled writer for `records`, through one encoder (so the header memo is in play). */
function writeLines(records: Uint8Array[], clock: WallClock | null, color = false, context: Uint8Array | null = null): string[] {
  const chunks: Buffer[] = [];
  const out = new ByteOutput((b) => chunks.push(Buffer.from(b)), 256);
  const enc = new TextLineEncoder(color);
  enc.useClock(clock);
  for (const r of records) enc.writeLine(out, classifyRecord(r, 0, r.length), r, 0, context);
  out.flush();
  return Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
}

/** The bytes putTextValue writes for `src` (C string or argv). */
function tokenBytes(src: Uint8Array, mode: number): Buffer {
  const buf = new Uint8Array(8 * src.length + 16);
  const padded = new Uint8Array(src.length + 8);
  padded.set(src);
  const p = putTextValue(buf, new DataView(buf.buffer), 0, padded, new DataView(padded.buffer), 0, src.length, mode);
  return Buffer.from(buf.subarray(0, p));
}

/** Bytes biased towards what is hard: controls, quotes, C1 and bidi characters in UTF-8, broken sequences, astral characters. */
const hostileBytes = fc.array(fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => [c]),
  fc.constantFrom([0x20], [0x22], [0x5c], [0x1b], [0x0a], [0x09], [0x7f], [0x00], [0x08], [0x0c], [0x0d], [0x07]),
  fc.constantFrom([0xc2, 0x85], [0xc2, 0x9b], [0xc2, 0xa0], [0xc2, 0xad], [0xe2, 0x80, 0xae], [0xe2, 0x81, 0xa6], [0xe2, 0x80, 0xa8],
    [0xef, 0xbb, 0xbf], [0xf3, 0xa0, 0x80, 0x81], [0xf0, 0x9f, 0x9a, 0x80], [0xc3, 0xa9], [0xe6, 0x97, 0xa5], [0x5c, 0x78, 0x66, 0x66]),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => [c]),
), { maxLength: 40 }).map((parts) => Uint8Array.from(parts.flat()));

describe('the terminal escape (src/common/visible.ts)', () => {
  it('escapes every control, format and separator character the running Node knows (categories Cc, Cf, Zl, Zp, Zs but the space)', () => {
    const category = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}]$/u;
    const missed: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x20) continue;
      if (category.test(String.fromCodePoint(cp)) && !isEscapedCodePoint(cp)) missed.push(cp);
    }
    expect(missed).toEqual([]);
    // And nothing printable is: letters, digits, punctuation, symbols and marks stay as they are.
    const printable = /^[\p{L}\p{N}\p{P}\p{S}\p{M}]$/u;
    for (const [from, to] of ESCAPED_CODE_POINTS) for (let cp = from; cp <= to; cp++) expect(printable.test(String.fromCodePoint(cp))).toBe(false);
  });

  it('visible: controls, ESC, DEL, C1, bidi overrides and backslashes are escaped; printable text is untouched', () => {
    expect(visible('\x1b]0;pwned\x07\x1b[2J\x1b[31mred')).toBe('\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mred');
    expect(visible('a\nb\tc\rd\be\ff')).toBe('a\\nb\\tc\\rd\\be\\ff');
    expect(visible('del\x7f c1\u0085\u009b')).toBe('del\\u007f c1\\u0085\\u009b');
    expect(visible('/tmp/\u202etxt.exe \u2066x\u2069')).toBe('/tmp/\\u202etxt.exe \\u2066x\\u2069');
    expect(visible('ss\u200bhd tag\u{e0041}')).toBe('ss\\u200bhd tag\\udb40\\udc41');
    expect(visible('C:\\x1b is text')).toBe('C:\\\\x1b is text');
    expect(visible('/tmp/\udcff\udcfe')).toBe('/tmp/\\xff\\xfe');
    expect(visible('é 日本 🚀 "quoted"')).toBe('é 日本 🚀 "quoted"');
  });

  it('textValue: plain tokens stay unquoted; anything else is quoted and escaped, so a value is always one token', () => {
    expect(textValue('/usr/bin/ls')).toBe('/usr/bin/ls');
    expect(textValue('/tmp/bad-\udcff')).toBe('/tmp/bad-\\xff');
    expect(textValue('café')).toBe('café');
    expect(textValue('')).toBe('""');
    expect(textValue('a b')).toBe('"a b"');
    expect(textValue('x\u00a0exe=/bin/ls')).toBe('"x\\u00a0exe=/bin/ls"');
    expect(textValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(textValue('a\\b')).toBe('"a\\\\b"');
    expect(textValue('🚀')).toBe('"🚀"');
    expect(textValue('x\n2026-01-01T00:00:00Z process_start pid=1 comm=systemd')).toBe('"x\\n2026-01-01T00:00:00Z process_start pid=1 comm=systemd"');
  });

  it('tells a byte that is not UTF-8 from the characters that look like it', () => {
    // U+0085 (a C1 control, two bytes in UTF-8), the lone byte 0x85, and the text "\x85".
    const forms = [[0xc2, 0x85], [0x85], [0x5c, 0x78, 0x38, 0x35]].map((b) => tokenBytes(Uint8Array.from(b), C_STRING).toString());
    expect(forms).toEqual(['"\\u0085"', '\\x85', '"\\\\x85"']);
  });
});

describe('text values from record bytes (src/output/text-bytes.ts)', () => {
  it('writes exactly textValue(bytesToText(bytes)) for any bytes', () => {
    fc.assert(fc.property(hostileBytes, (raw) => {
      const cString = raw.map((c) => (c === 0 ? 0x61 : c));
      const nonEmpty = cString.length > 0 ? cString : Uint8Array.of(0x61);
      expect(tokenBytes(nonEmpty, C_STRING).toString('utf8')).toBe(textValue(bytesToText(nonEmpty)));
    }), { numRuns: 3000 });
  });

  it('writes argv as the arguments joined by spaces, quoted when needed, for any argv bytes', () => {
    fc.assert(fc.property(hostileBytes, (raw) => {
      const args: string[] = [];
      let start = 0;
      for (let i = 0; i < raw.length; i++) if (raw[i] === 0) { args.push(bytesToText(raw.subarray(start, i))); start = i + 1; }
      if (start < raw.length) args.push(bytesToText(raw.subarray(start)));
      expect(tokenBytes(raw, ARGV).toString('utf8')).toBe(textValue(args.join(' ')));
    }), { numRuns: 3000 });
  });

  it('writes bytes whose NULs are part of the value (an abstract Unix name) as textValue of their text, each NUL a \\u0000', () => {
    fc.assert(fc.property(hostileBytes, (raw) => {
      expect(tokenBytes(raw, BYTES).toString('utf8')).toBe(textValue(bytesToText(raw)));
    }), { numRuns: 3000 });
    expect(tokenBytes(Buffer.from('/run/dbus/system_bus_socket\0c2'), BYTES).toString()).toBe('"/run/dbus/system_bus_socket\\u0000c2"');
  });

  it('stops a C string at its NUL and keeps plain ASCII of every length and alignment unquoted', () => {
    expect(tokenBytes(Buffer.from('/etc/passwd\0junk'), C_STRING).toString()).toBe('/etc/passwd');
    for (let n = 1; n < 12; n++) {
      for (const special of [0x20, 0x22, 0x5c, 0x1b, 0x7f, 0x0a]) {
        const bytes = Buffer.alloc(n, 0x61);
        bytes[n - 1] = special;
        expect(tokenBytes(bytes, C_STRING).toString()).toBe(textValue(bytesToText(bytes)));
      }
    }
  });
});

describe('compiled text writer (src/output/text-writers.ts)', () => {
  it('prints exactly what the simple formatter prints, for any record, with and without a clock and colour', () => {
    fc.assert(fc.property(arbitraryRecord({ safeU64: true }), fc.boolean(), fc.boolean(), ({ kind, fields }, withClock, color) => {
      const bytes = encodeRecord(kind.id, fields);
      const clock = withClock ? CLOCK : null;
      const [line] = writeLines([bytes], clock, color);
      expect(line).toBe(formatEventText(kind.id, bytes, 0, clock, color));
    }), { numRuns: 1000 });
  });

  it('prints u64 values beyond 2^53 exactly, and mono: times without a clock', () => {
    const [line] = writeLines([encodeRecord(EventKind.ProcessExit, { ts_ns: 0xfedcba9876543210n, start_ns: (1n << 64n) - 1n, comm: 'x' })], null);
    expect(line).toMatch(/^mono:18364758544493064720 process_exit pid=0 ppid=0 uid=0 comm=x start_ns=18446744073709551615 exit_code=0 signal=0$/);
  });

  it('prints a stream through one encoder exactly as record by record, however headers repeat or change', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('bash', 'a b', 'x\x1by', 'ls'), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 40 }), (steps) => {
      const records = steps.map(([tid, comm, ppid], i) => openRecord({ ts: 1000_000000000n + BigInt(i), pid: 100, tid: 100 + tid, ppid, comm }, `/f${i}`, 0, 3));
      const together = writeLines(records, CLOCK);
      const apart = records.map((r) => writeLines([r], CLOCK)[0]);
      expect(together).toEqual(apart);
    }), { numRuns: 200 });
  });

  it('appends the process context and ends every line with one newline', () => {
    const rec = openRecord({ ts: 1000_000000000n, pid: 7, ppid: 1, comm: 'cat' }, '/etc/hosts', 0, 3);
    expect(writeLines([rec], CLOCK, false, Buffer.from(' exe=/usr/bin/cat parent=1:unknown'))).toEqual([
      '2026-01-02T03:04:05.000000000Z file_open pid=7 ppid=1 uid=0 comm=cat open_flags=O_RDONLY mode=0 result=3 dirfd=-100 ino=1003 dev=254:0 path_flags=from_file call=openat path=/etc/hosts path_arg=/etc/hosts exe=/usr/bin/cat parent=1:unknown',
    ]);
  });

  it('prints a Unix socket address whole: an abstract name after @, its NULs and escapes visible, in one token', () => {
    const id = { ts: 1000_000000000n, pid: 300, ppid: 1, comm: 'srv' };
    const full = new Uint8Array(108).fill(0x61);
    const records = [
      unixRecord(id, 2, '\0/run/dbus/system_bus_socket\0c2'),
      unixRecord(id, 2, '\0/run/dbus/system_bus_socket'),
      unixRecord(id, 2, '/run/dbus/system_bus_socket'),
      unixRecord(id, 1, '@/run/dbus/system_bus_socket'),
      unixRecord(id, 1, Buffer.from('\0\x1b]0;pwned\x07\x1b[2J\xe2\x80\xae\xff" \\', 'latin1')),
      unixRecord(id, 2, full, 0, { pathSize: 300, abstract: 1 }),
      unixRecord(id, 3, ''),
    ];
    const head = '2026-01-02T03:04:05.000000000Z net_unix pid=300 ppid=1 uid=0 comm=srv';
    expect(writeLines(records, CLOCK)).toEqual([
      `${head} op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=1 path="@/run/dbus/system_bus_socket\\u0000c2"`,
      `${head} op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=1 path=@/run/dbus/system_bus_socket`,
      `${head} op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=0 path=/run/dbus/system_bus_socket`,
      `${head} op=bind sock_type=1 fd=3 result=0 peer_pid=0 abstract=0 path=./@/run/dbus/system_bus_socket`,
      `${head} op=bind sock_type=1 fd=3 result=0 peer_pid=0 abstract=1 path="@\\u001b]0;pwned\\u0007\\u001b[2J\\u202e\\xff\\" \\\\"`,
      `${head} op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=1 path=@${'a'.repeat(107)} path_size_invalid`,
      `${head} op=accept sock_type=1 fd=3 result=0 peer_pid=0 abstract=0`,
    ]);
    for (const r of records) expect(writeLines([r], CLOCK)[0]).toBe(formatEventText(EventKind.NetUnix, r, 0, CLOCK, false));
    expect(/[\x00-\x1f\x7f\u0080-\u009f\u202e]/.test(writeLines(records, CLOCK).join(''))).toBe(false);
  });

  it('keeps a forged event inside its own line: exact bytes for a hostile exec', () => {
    const name = Buffer.from('/tmp/x\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\x1b]0;owned\x07\x1b[2J\xc2\x9b31m\xe2\x80\xae\xff', 'latin1');
    const rec = execRecord({ ts: 1000_000000000n, pid: 666, ppid: 1, comm: Buffer.from('ev\x1b[31mil') }, name, [name, Buffer.from('-c'), Buffer.from('\x1b[H')]);
    const [line, ...rest] = writeLines([rec], CLOCK);
    expect(rest).toEqual([]);
    const forged = '"/tmp/x\\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u202e\\xff';
    expect(line).toBe(`2026-01-02T03:04:05.000000000Z process_start pid=666 ppid=1 uid=0 comm="ev\\u001b[31mil" argc=3 exe_ino=0 exe_dev=254:0 old_tid=666 exe_path_flags=from_file filename=${forged}" exe_path=${forged}" cwd=/ argv=${forged} -c \\u001b[H" stdin_ino=0 stdout_ino=0 stdin_type=none stdout_type=none`);
    expect(/[\x00-\x1f\x7f\u0080-\u009f\u202e]/.test(line)).toBe(false);
  });
});

describe('bytes -> text', () => {
  it('keeps a U+FEFF wherever it is in a name (the UTF-8 decoder drops a leading one unless told not to)', () => {
    expect(bytesToText(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
    expect(bytesToText(Uint8Array.of(0xff, 0xef, 0xbb, 0xbf))).toBe('\udcff\ufeff');
  });
});

describe('terminal-safe JSON', () => {
  it('reads back exactly the same value, with nothing raw that the terminal rule escapes', () => {
    const raw = /[\x7f-\x9f\u00a0\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]|\udb40[\udc01\udc20-\udc7f]/u;
    fc.assert(fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(fc.string({ unit: 'binary' }), fc.array(fc.string({ unit: 'binary' })))), (value) => {
      const json = terminalSafeJson(value);
      expect(JSON.parse(json)).toEqual(value);
      expect(raw.test(json)).toBe(false);
    }), { numRuns: 500 });
    expect(terminalSafeJson({ p: 'a\u009bb\u202ec\u{e0041}' })).toBe('{"p":"a\\u009bb\\u202ec\\udb40\\udc41"}');
  });
});
