/**
 * A Unix socket address as the record holds it (src/abi/unix-path.ts): every
 * byte of an abstract name shown, `@` before it and only before it, a
 * pathname as the kernel reads it, and a hostile path_size never read past
 * the buffer. Records are built from the ABI as the kernel program lays
 * them out (test/support/net-records.ts unixRecord).
 */
import { describe, expect, it } from 'vitest';
import { EventKind, UNIX_PATH_LEN } from '../../src/abi/constants.js';
import { eventValues } from '../../src/abi/event-values.js';
import { BUILD_SCHEMA } from '../../src/abi/schema.js';
import { unixPathStartsWith } from '../../src/abi/unix-path.js';
import { unixRecord } from '../support/net-records.js';
import { type Identity } from '../support/records.js';

const id: Identity = { ts: 1_000_000_000_000n, pid: 300, ppid: 1, comm: 'srv' };
const offsetOf = (name: string) => BUILD_SCHEMA.byId[EventKind.NetUnix]!.layout.fields.find((f) => f.name === name)!.offset;
const u16 = (r: Uint8Array, name: string) => r[offsetOf(name)] | (r[offsetOf(name) + 1] << 8);

/** The path and its flag as every output reads them (eventValues: the reference the writers are held to). */
function read(record: Uint8Array, offset = 0): { path: unknown; abstract: unknown; invalid: unknown } {
  const v = eventValues(EventKind.NetUnix, record, offset).values;
  return { path: v.get('path'), abstract: v.get('abstract'), invalid: v.get('path_size_invalid') };
}

describe('a Unix socket address', () => {
  it('shows an abstract name whole, NULs included, after an @: a name hidden behind a NUL is another socket', () => {
    const hidden = unixRecord(id, 2, '\0/run/dbus/system_bus_socket\0c2');
    const bus = unixRecord(id, 2, '\0/run/dbus/system_bus_socket');
    expect(read(hidden)).toEqual({ path: '@/run/dbus/system_bus_socket\u0000c2', abstract: 1, invalid: false });
    expect(read(bus)).toEqual({ path: '@/run/dbus/system_bus_socket', abstract: 1, invalid: false });
    // Trailing NULs are the name's too (an abstract name is its length, not a C string).
    expect(read(unixRecord(id, 1, '\0x\0\0')).path).toBe('@x\u0000\u0000');
    // Linux's autobind name (5 hex digits), and an abstract name of no bytes at all.
    expect(read(unixRecord(id, 1, '\x0000a1f')).path).toBe('@00a1f');
    expect(read(unixRecord(id, 1, '\0'))).toEqual({ path: '@', abstract: 1, invalid: false });
  });

  it('shows a pathname as before: its bytes up to the NUL, with no @', () => {
    expect(read(unixRecord(id, 2, '/var/run/docker.sock'))).toEqual({ path: '/var/run/docker.sock', abstract: 0, invalid: false });
    // Bytes after the NUL are not part of a pathname (the kernel stops there too).
    expect(read(unixRecord(id, 2, '/tmp/a.sock\0junk')).path).toBe('/tmp/a.sock');
    // No address (an accept on an unbound listener): empty.
    expect(read(unixRecord(id, 3, ''))).toEqual({ path: '', abstract: 0, invalid: false });
  });

  it('shows a pathname that starts with @ as ./@..., the same file, so that a leading @ always means abstract', () => {
    const relative = unixRecord(id, 1, '@/run/dbus/system_bus_socket');
    expect(read(relative)).toEqual({ path: './@/run/dbus/system_bus_socket', abstract: 0, invalid: false });
    expect(read(relative).path).not.toBe(read(unixRecord(id, 1, '\0/run/dbus/system_bus_socket')).path);
    expect(read(unixRecord(id, 1, '@')).path).toBe('./@');
  });

  it('reads a pathname only as far as path_size says, as the kernel reads sun_path', () => {
    expect(read(unixRecord(id, 2, '/tmp/abc', -111, { pathSize: 5 })).path).toBe('/tmp/');
    expect(read(unixRecord(id, 2, '/tmp/abc', -111, { pathSize: 0 })).path).toBe('');
  });

  it('never reads past the buffer for a path_size past it, and flags the record', () => {
    const full = new Uint8Array(UNIX_PATH_LEN).fill(0x61);
    // The record is the last thing in its buffer's first 200 bytes: what follows is another record's, never the name's.
    const framed = (r: Uint8Array) => Uint8Array.from([...r, ...new Uint8Array(64).fill(0x58)]);
    const abstract = read(framed(unixRecord(id, 2, full, 0, { pathSize: 300, abstract: 1 })));
    expect(abstract).toEqual({ path: `@${'a'.repeat(UNIX_PATH_LEN - 1)}`, abstract: 1, invalid: true });
    const pathname = read(framed(unixRecord(id, 2, full, 0, { pathSize: 0xffff, abstract: 0 })));
    expect(pathname).toEqual({ path: 'a'.repeat(UNIX_PATH_LEN), abstract: 0, invalid: true });
    // At the buffer's length: what the kernel program writes for a full sun_path, not flagged.
    expect(read(unixRecord(id, 2, full, 0, { pathSize: UNIX_PATH_LEN, abstract: 1 })).invalid).toBe(false);
    // An abstract name counted 0 bytes (the count includes its leading NUL): flagged, shown as the bare @.
    expect(read(unixRecord(id, 2, 'x', 0, { pathSize: 0, abstract: 1 }))).toEqual({ path: '@', abstract: 1, invalid: true });
    // An abstract flag the kernel program never writes (2) still means abstract: shown with its @, its number printed as is.
    expect(read(unixRecord(id, 2, 'x', 0, { pathSize: 2, abstract: 2 }))).toEqual({ path: '@x', abstract: 2, invalid: false });
  });

  it('keeps terminal escapes, quotes and bytes that are not UTF-8 as they are: escaping is the outputs\' (text, JSON)', () => {
    const name = Uint8Array.from([0, ...Buffer.from('\x1b]0;pwned\x07\x1b[2J'), 0xff, 0x22, 0x20, 0x5c]);
    expect(read(unixRecord(id, 1, name)).path).toBe('@\u001b]0;pwned\u0007\u001b[2J\udcff" \\');
  });

  it('--path-prefix reads the address as it is printed: @ and the name, ./@ for a pathname starting with @', () => {
    const at = (r: Uint8Array, prefix: string) => unixPathStartsWith(r, offsetOf('path'), UNIX_PATH_LEN, u16(r, 'path_size'), u16(r, 'abstract'), Buffer.from(prefix));
    const hidden = unixRecord(id, 2, '\0/run/dbus/system_bus_socket\0c2');
    expect(['@', '@/run/dbus', '@/run/dbus/system_bus_socket\0c2', '/run', './@'].map((p) => at(hidden, p))).toEqual([true, true, true, false, false]);
    // Longer than the name: no match, and nothing past the name is read.
    expect(at(hidden, '@/run/dbus/system_bus_socket\0c2\0')).toBe(false);
    const relative = unixRecord(id, 1, '@x');
    expect(['@', './@', './@x', '.'].map((p) => at(relative, p))).toEqual([false, true, true, true]);
    const plain = unixRecord(id, 2, '/var/run/docker.sock');
    expect(['/var/run/', '@', '/var/run/docker.sock', '/var/run/docker.sockx'].map((p) => at(plain, p))).toEqual([true, false, true, false]);
  });
});
