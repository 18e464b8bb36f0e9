/**
 * The synthetic fixtures shipped in captures/: every kind and the edge cases
 * of decoding (maximum and over-long paths, non-UTF-8 bytes, IPv6, u64 values
 * beyond 2^53, every InvalidSchema reason), plus damaged variants.
 */
import {
  ADDR_FLAG_UNVERIFIED, AF_INET6, EventKind, EVENT_FLAG_COMM_TRUNCATED, EVENT_FLAG_COMPAT, EVENT_FLAG_EXE_DELETED, EVENT_FLAG_FILENAME_TRUNCATED,
  EVENT_FLAG_USER_READ_FAILED, EVENT_SCHEMA_VERSION, HEADER_SIZE, KIND_SIZE, PATH_FLAG_DELETED, PATH_FLAG_DIR_CWD, PATH_FLAG_DIR_ROOT, PATH_FLAG_FD_REUSED,
  PATH_FLAG_FROM_FILE, PATH_FLAG_PSEUDO, PATH_FLAG_TRUNCATED, PATH_LEN,
} from '../../src/abi/index.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { connectRecord, execFailedRecord, execRecord, exitRecord, forkRecord, ipv4, ipv6, openRecord, type Identity } from './records.js';
import { syntheticManifest, writeSynthetic, SYNTHETIC_MONOTONIC_NS } from './synthetic.js';
import { describeSchema } from '../../src/abi/manifest-schema.js';
import { filesProcessesRecords } from './intrusion-records.js';

const T0 = SYNTHETIC_MONOTONIC_NS + 5_000_000n;
const ms = (n: number) => T0 + BigInt(n) * 1_000_000n;
const bash: Identity = { ts: 0n, pid: 4100, ppid: 1, uid: 1000, gid: 1000, auid: 1000, comm: 'bash' };
const at = (id: Identity, t: number, extra: Partial<Identity> = {}): Identity => ({ ...id, ts: ms(t), ...extra });

/** Every valid kind, with edge cases in strings, numbers and addresses. */
export function allKindsRecords(): Uint8Array[] {
  const child: Identity = { ...bash, pid: 4101, ppid: 4100 };
  const longName = '/tmp/' + 'd/'.repeat(60) + 'x'.repeat(200);
  const exactMax = '/' + 'p'.repeat(PATH_LEN - 2); // 255 bytes + NUL: fits, not truncated
  const nonUtf8 = Uint8Array.from([...new TextEncoder().encode('/tmp/bad-'), 0xff, 0xfe, 0x41, 0xc3, 0x28, 0xe2, 0x82]);
  const quoted = '/tmp/q"uote\\back\nline\ttab\u0001ctl-é-日本-🚀';
  return [
    forkRecord(at(bash, 0), 4101),
    execRecord(at(child, 1, { comm: 'curl' }), '/usr/bin/curl', ['curl', '-fsS', 'http://127.0.0.1:8080/x', ''], 1234567n),
    openRecord(at(child, 2, { comm: 'curl' }), '/etc/ld.so.cache', 0o2000000, 3),
    openRecord(at(child, 3, { comm: 'curl' }), '/etc/nonexistent', 0, -2),
    openRecord(at(child, 4, { comm: 'curl', flags: EVENT_FLAG_FILENAME_TRUNCATED }), longName, 0o101 | 0o1000, 4, 0o644, -100, { pathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_TRUNCATED }),
    openRecord(at(child, 5, { comm: 'curl' }), exactMax, 0o2, 5),
    openRecord(at(child, 6, { comm: 'curl' }), nonUtf8, 0o100 | 0o1, 6, 0o600, 7),
    openRecord(at(child, 7, { comm: 'curl' }), quoted, 0, 7),
    openRecord(at(child, 8, { comm: 'curl', flags: EVENT_FLAG_USER_READ_FAILED }), '', 0, -14),
    connectRecord(at(child, 9, { comm: 'curl' }), ipv4(127, 0, 0, 1).family, ipv4(127, 0, 0, 1).addr, 8080, 0),
    connectRecord(at(child, 10, { comm: 'curl' }), ipv6([0, 0, 0, 0, 0, 0, 0, 1]).family, ipv6([0, 0, 0, 0, 0, 0, 0, 1]).addr, 443, -111),
    connectRecord(at(child, 11, { comm: 'curl' }), AF_INET6, ipv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 0x2a]).addr, 53, -115),
    connectRecord(at(child, 12, { comm: 'curl' }), AF_INET6, ipv6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]).addr, 22, 0),
    exitRecord(at(child, 13, { comm: 'curl' }), ms(0), 7),
    execRecord(at(bash, 14, { pid: 4102, ppid: 4100, comm: 'a-very-long-nam', flags: EVENT_FLAG_COMM_TRUNCATED | EVENT_FLAG_EXE_DELETED }),
      '/dev/shm/a-very-long-name-indeed', ['./a-very-long-name-indeed', 'x'.repeat(600)], 99n),
    exitRecord(at(bash, 15, { pid: 4102, ppid: 4100, comm: 'a-very-long-nam' }), ms(14), 0, 9),
    execFailedRecord(at(bash, 16), 'nope', '/home/u/nope', ['nope', '-x'], -2, PATH_FLAG_DIR_CWD),
    // u64 values beyond 2^53 must print exactly.
    openRecord({ ...bash, ts: 0xfedcba9876543210n, cgroup_id: 0xffffffffffffffffn, comm: 'bash' }, '/var/log/far-future', 0, 3),
  ];
}

/**
 * Schema 2: what the kernel says next to what the caller passed. A relative
 * and a dotted name resolved, creat, a pipe, a deleted file, the fd-number
 * race, an ia32 open, an unverified connect, a program run by another
 * spelling, a memfd program, and failed execs.
 */
export function kernelTruthRecords(): Uint8Array[] {
  const sh: Identity = { ...bash, pid: 4103, ppid: 4100, comm: 'sh' };
  return [
    execRecord(at(sh, 30), './dropper', ['./dropper', '-q'], 77n, { exePath: '/tmp/work/dropper', cwd: '/tmp/work' }),
    openRecord(at(sh, 31), '/home/u/notes.txt', 0, 3, 0, -100, { pathArg: 'notes.txt' }),
    openRecord(at(sh, 32), '/etc/shadow', 0, -13, 0, -100, { pathArg: '//tmp/../etc/./shadow', pathFlags: PATH_FLAG_DIR_ROOT }),
    openRecord(at(sh, 33), '/home/u/missing', 0, -2, 0, 5, { pathArg: 'missing', pathFlags: PATH_FLAG_DIR_CWD }),
    openRecord(at(sh, 34), '/tmp/out.tar', 0o1101, 4, 0o666, -100, { call: SyscallCall.Creat }),
    openRecord(at(sh, 35), 'pipe:[4242]', 0, 5, 0, -100, { pathArg: '/proc/self/fd/0', pathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_PSEUDO, dev: 15, ino: 4242n }),
    openRecord(at(sh, 36), '/tmp/gone', 0, 6, 0, -100, { pathArg: '/proc/self/fd/3', pathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_DELETED }),
    openRecord(at(sh, 37), '/tmp/decoy', 0, 7, 0, -100, { pathArg: '/tmp/real', pathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_FD_REUSED }),
    openRecord(at(sh, 38, { flags: EVENT_FLAG_COMPAT }), '/etc/passwd', 0, 8, 0, -100, { call: SyscallCall.Open }),
    connectRecord(at(sh, 39, { flags: 0 }), ipv4(10, 0, 0, 9).family, ipv4(10, 0, 0, 9).addr, 4444, -111, 9, ADDR_FLAG_UNVERIFIED),
    execRecord(at(sh, 40, { pid: 4104, flags: EVENT_FLAG_EXE_DELETED, comm: 'memfd:x' }), '/proc/self/fd/3', ['x'], 9n,
      { exePath: '/memfd:x (deleted)', exePathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_PSEUDO, exeDev: 1, cwd: '/home/u' }),
    execFailedRecord(at(sh, 41), '/dev/shm/nope', '/dev/shm/nope', ['nope', '--flag'], -2),
    execFailedRecord(at(sh, 42), './x', '/home/u/x', ['./x'], -13, PATH_FLAG_DIR_CWD),
  ];
}

/**
 * The file and process kinds (issue 13), one or more records of each, from a
 * process tree whose shell forks a child, then execs another program that
 * forks again (exec chains and fork attribution in `tree`).
 */
export function filesProcessesFixture(): Uint8Array[] {
  const sh: Identity = { ts: 0n, pid: 5100, ppid: 1, uid: 1000, gid: 1000, auid: 1000, comm: 'sh' };
  const tool: Identity = { ...sh, pid: 5101, ppid: 5100, comm: 'tool' };
  return [
    execRecord(at(sh, 0), '/usr/bin/sh', ['sh', 'attack.sh']),
    forkRecord(at(sh, 1), 5101),
    execRecord(at(tool, 2), '/tmp/tool', ['/tmp/tool', '--go']),
    ...filesProcessesRecords((t, extra = {}) => at(tool, t, extra)),
    execRecord(at(sh, 60), '/usr/bin/python3', ['python3', 'cleanup.py']),
    forkRecord(at(sh, 61, { comm: 'python3' }), 5102),
    execRecord(at(sh, 62, { pid: 5102, ppid: 5100, comm: 'rm' }), '/usr/bin/rm', ['rm', '-f', '/var/log/auth.log']),
    exitRecord(at(tool, 63), ms(1), 0),
  ];
}

/** One record for each InvalidSchema reason, in dispatcher check order. */
export function invalidRecords(): Uint8Array[] {
  const good = openRecord(at(bash, 20), '/tmp/valid-after-invalid', 0, 3);
  const tooShort = good.slice(0, HEADER_SIZE - 1);
  const badVersion = good.slice();
  new DataView(badVersion.buffer).setUint16(0, EVENT_SCHEMA_VERSION + 1, true);
  const unknownKind = good.slice();
  new DataView(unknownKind.buffer).setUint16(2, 99, true);
  const sizeMismatch = good.slice();
  new DataView(sizeMismatch.buffer).setUint32(4, good.length - 8, true);
  const lengthMismatch = new Uint8Array(good.length + 8);
  lengthMismatch.set(good);
  const forkAsExec = encodeRecord(EventKind.ProcessFork, { ts_ns: ms(21), pid: 1, size: KIND_SIZE[EventKind.ProcessExec] });
  return [tooShort, badVersion, unknownKind, sizeMismatch, lengthMismatch, forkAsExec, good];
}

export interface Fixture {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export function syntheticFixtures(): Fixture[] {
  const records = [...allKindsRecords(), ...invalidRecords()];
  return [
    { name: 'synthetic-all-kinds', bytes: writeSynthetic({ records, frameBreaks: [5, 12], statsAfter: [12], lostKernelByCpu: [0, 0] }) },
    { name: 'synthetic-files-processes', bytes: writeSynthetic({ records: filesProcessesFixture(), frameBreaks: [10] }) },
    { name: 'synthetic-incomplete', bytes: writeSynthetic({ records: allKindsRecords().slice(0, 8), frameBreaks: [3], noEnd: true }) },
    { name: 'synthetic-kernel-truth', bytes: writeSynthetic({ records: kernelTruthRecords() }) },
    { name: 'synthetic-lost', bytes: writeSynthetic({ records: allKindsRecords().slice(0, 4), lostKernelByCpu: [3, 11] }) },
    { name: 'synthetic-schema-newer', bytes: newerSchemaCapture() },
    { name: 'synthetic-schema-resized', bytes: resizedSchemaCapture() },
  ];
}

/** A newer build's capture: the next schema version, file_open grew a u64 `future` field (8 bytes). */
export function newerSchemaCapture(captureId?: string): Uint8Array {
  const schema = describeSchema();
  const kinds = schema.kinds.map((k) => (k.name !== 'file_open' ? k : {
    ...k, size: k.size + 8, fields: [...k.fields, { name: 'future', type: 'u64' as const, offset: k.size, count: 1 }],
  }));
  const next = EVENT_SCHEMA_VERSION + 1;
  const manifest = syntheticManifest({
    tool: { name: 'rand-guard', version: '0.3.0-future' }, schema: { ...schema, version: next, kinds },
    ...(captureId === undefined ? {} : { segment: { capture_id: captureId, index: 0, previous_sha256: null } }),
  });
  const records = allKindsRecords().slice(0, 6).map((r) => {
    const kind = new DataView(r.buffer, r.byteOffset).getUint16(2, true);
    const grown = new Uint8Array(kind === EventKind.FileOpen ? r.length + 8 : r.length);
    grown.set(r);
    const view = new DataView(grown.buffer);
    view.setUint16(0, next, true);
    if (kind === EventKind.FileOpen) {
      view.setUint32(4, grown.length, true);
      view.setBigUint64(r.length, 0x1234n, true);
    }
    return grown;
  });
  return writeSynthetic({ records, manifest });
}

/** A build with PATH_LEN 512 that forgot to bump the schema version: file_open's path is char[512], the fields after it moved. */
export function resizedSchemaCapture(): Uint8Array {
  const schema = describeSchema();
  const kinds = schema.kinds.map((k) => {
    if (k.name !== 'file_open') return k;
    const path = k.fields.find((f) => f.name === 'path')!;
    return {
      ...k, size: k.size + 256,
      fields: k.fields.map((f) => (f.name === 'path' ? { ...f, count: 512 } : f.offset > path.offset ? { ...f, offset: f.offset + 256 } : f)),
    };
  });
  const manifest = syntheticManifest({ tool: { name: 'rand-guard', version: '0.2.0-pathlen512' }, schema: { ...schema, kinds } });
  const pathAt = describeSchema().kinds.find((k) => k.name === 'file_open')!.fields.find((f) => f.name === 'path')!.offset;
  const records = allKindsRecords().slice(0, 6).map((r) => {
    const kind = new DataView(r.buffer, r.byteOffset).getUint16(2, true);
    if (kind !== EventKind.FileOpen) return r;
    const grown = new Uint8Array(r.length + 256);
    grown.set(r.subarray(0, pathAt + PATH_LEN));
    grown.set(r.subarray(pathAt + PATH_LEN), pathAt + 2 * PATH_LEN);
    new DataView(grown.buffer).setUint32(4, grown.length, true);
    return grown;
  });
  return writeSynthetic({ records, manifest });
}
