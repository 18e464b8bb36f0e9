import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCHeader } from '../../src/abi/cheader.js';
import { renderHeaderAccess } from '../../src/abi/header-access-source.js';
import * as access from '../../src/abi/header-access.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { elementSize } from '../../src/abi/layout.js';
import { CAPTURE_CONFIG, FILE_FILTER_CONFIG, HEADER, HEADER_SIZE, KINDS } from '../../src/abi/schema.js';
import { EVENT_SCHEMA_VERSION, COMM_LEN, PATH_LEN } from '../../src/abi/constants.js';
import { EVENT_FLAG_FILENAME_TRUNCATED } from '../../src/abi/schema.js';

const repo = new URL('../../', import.meta.url);

describe('event ABI layout', () => {
  it('keeps the constants the design fixes', () => {
    expect(EVENT_SCHEMA_VERSION).toBe(2);
    expect(COMM_LEN).toBe(16);
    expect(PATH_LEN).toBe(256);
    expect(EVENT_FLAG_FILENAME_TRUNCATED).toBe(1);
  });

  it('pins the common header layout (changing it is an ABI break: bump the schema version)', () => {
    expect(HEADER_SIZE).toBe(72);
    expect(Object.fromEntries(HEADER.fields.map((f) => [f.name, f.offset]))).toEqual({
      version: 0, kind: 2, size: 4, ts_ns: 8, pid: 16, tid: 20, ppid: 24, uid: 28, gid: 32, auid: 36,
      cgroup_id: 40, flags: 48, cpu: 50, mntns: 52, comm: 56,
    });
  });

  it('pins the size of every kind of schema version 2 (a later kind\'s layout shows in the C header\'s diff test)', () => {
    expect(Object.fromEntries(KINDS.map((k) => [k.name, k.layout.size]))).toMatchObject({
      process_exec: 1408, process_fork: 80, process_exit: 88, file_open: 616, net_connect: 112, exec_failed: 1120,
      file_delete: 600, file_rename: 1120, file_link: 1120, file_chmod: 608, file_chown: 608, file_truncate: 608, fs_mount: 1032,
      process_cred: 208, process_ptrace: 128, process_vm: 136, process_signal: 112, memfd_create: 352, kernel_module: 544, bpf_prog_load: 192,
      net_bind: 112, net_listen: 120, net_accept: 136, net_tcp_state: 160, net_udp_send: 128, net_dns: 408, net_unix: 200, io_uring_setup: 96,
    });
  });

  it('has no padding holes and natural alignment in any struct', () => {
    for (const s of [HEADER, ...KINDS.map((k) => k.layout), FILE_FILTER_CONFIG, CAPTURE_CONFIG]) {
      let expected = 0;
      for (const f of s.fields) {
        expect(f.offset, `${s.cName}.${f.name}`).toBe(expected);
        expect(f.offset % elementSize(f.type), `${s.cName}.${f.name} alignment`).toBe(0);
        expected += f.size;
      }
      expect(s.size, s.cName).toBe(expected);
    }
  });

  it('starts every kind with the common header and gives each a distinct id and event_type', () => {
    for (const k of KINDS) expect(k.layout.fields.slice(0, HEADER.fields.length)).toEqual(HEADER.fields);
    expect(new Set(KINDS.map((k) => k.id)).size).toBe(KINDS.length);
    expect(new Set(KINDS.map((k) => k.eventType)).size).toBe(KINDS.length);
    expect(KINDS.find((k) => k.name === 'process_exec')?.eventType).toBe('process_start');
  });
});

describe('generated header accessors (src/abi/header-access.ts)', () => {
  it('are up to date with the schema (run `npm run gen:header` after changing src/abi)', () => {
    expect(readFileSync(new URL('src/abi/header-access.ts', repo), 'utf8')).toBe(renderHeaderAccess());
  });

  it('read every header field where the encoder wrote it, at any record offset', () => {
    const rec = encodeRecord(KINDS[0].id, {
      ts_ns: 0x0123456789abcdefn, pid: 0xfffffffe, tid: 2, ppid: 3, uid: 4, gid: 5, auid: 0xffffffff, cgroup_id: (1n << 64n) - 2n,
      flags: 0x8001, cpu: 513, mntns: 4026531841, comm: 'bash',
    });
    const at = 5;
    const b = new Uint8Array(rec.length + at);
    b.set(rec, at);
    expect([access.recordVersion(b, at), access.recordKind(b, at), access.recordSize(b, at)]).toEqual([EVENT_SCHEMA_VERSION, KINDS[0].id, rec.length]);
    expect([access.recordTsNs(b, at), access.recordTsNsHi(b, at), access.recordTsNsLo(b, at)]).toEqual([0x0123456789abcdefn, 0x01234567, 0x89abcdef]);
    expect([access.recordPid(b, at), access.recordTid(b, at), access.recordPpid(b, at), access.recordUid(b, at), access.recordGid(b, at), access.recordAuid(b, at)])
      .toEqual([0xfffffffe, 2, 3, 4, 5, 0xffffffff]);
    expect([access.recordCgroupId(b, at), access.recordFlags(b, at), access.recordCpu(b, at), access.recordMntns(b, at)]).toEqual([(1n << 64n) - 2n, 0x8001, 513, 4026531841]);
    expect(Buffer.from(access.recordComm(b, at)).toString()).toBe('bash');
    expect(access.RECORD_HEADER_SIZE).toBe(HEADER_SIZE);
  });
});

describe('generated C header', () => {
  it('is up to date with the schema (run `npm run gen:header` after changing src/abi)', () => {
    expect(readFileSync(new URL('bpf/rg_abi.h', repo), 'utf8')).toBe(renderCHeader());
  });

  it('compiles, so its static asserts on size and offsets hold for a C compiler', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-abi-'));
    const source = join(dir, 'check.c');
    writeFileSync(source, '#include <linux/types.h>\n#include "rg_abi.h"\nint main(void) { return 0; }\n');
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-I', new URL('bpf', repo).pathname, '-c', source, '-o', join(dir, 'check.o')]);
  });
});
