/**
 * A large synthetic capture for replay benchmarks when no real one is at hand:
 * the mix of a busy host (mostly opens, some execs, forks, exits, connects),
 * records built from the ABI exactly as the kernel writes them.
 */
import { existsSync, mkdirSync, openSync, writeSync, closeSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeSchema } from '../src/abi/manifest-schema.js';
import { FORMAT_VERSION } from '../src/rgc/format.js';
import { RgcWriter } from '../src/rgc/writer.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord } from '../test/support/records.js';


export function ensureSyntheticCapture(path: string, events: number): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const w = new RgcWriter({ write: (b) => { writeSync(fd, b); } }, {
    format: 'rgc', format_version: FORMAT_VERSION, tool: { name: 'rand-guard', version: 'bench' }, byte_order: 'little',
    schema: describeSchema(), host: { hostname: 'bench', kernel_release: 'synthetic', machine: 'x86_64', boot_id: 'bench' },
    clock: { source: 'CLOCK_MONOTONIC', realtime_ns: 1767323045_000000000n, monotonic_ns: 1000_000000000n },
    capture: { synthetic: true }, bpf_object_sha256: null, segment: { capture_id: 'bench', index: 0, previous_sha256: null },
  });
  const paths = ['/etc/ld.so.cache', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/proc/self/status', '/home/alice/.bashrc', '/var/log/syslog', '/tmp/build/obj/file.o'];
  let ts = 1000_000000000n;
  for (let i = 0; i < events; i++) {
    ts += 997n;
    const pid = 1000 + (i % 500);
    const id = { ts, pid, tid: pid, ppid: 1, uid: 1000, gid: 1000, auid: 1000, comm: i % 7 === 0 ? 'make' : 'cc1', cpu: i & 1 };
    const pick = i % 20;
    let rec: Uint8Array;
    if (pick < 15) rec = openRecord(id, `${paths[i % paths.length]}.${i % 1000}`, i % 3 === 0 ? 0o1101 : 0o2000000, i % 11 === 0 ? -2 : 3 + (i % 60));
    else if (pick === 15) rec = execRecord(id, '/usr/bin/cc1', ['cc1', '-quiet', '-O2', `src/file${i % 300}.c`, '-o', `/tmp/cc${i % 97}.s`], 4242n);
    else if (pick === 16) rec = forkRecord(id, pid + 1);
    else if (pick === 17) rec = exitRecord(id, ts - 5_000_000n, 0);
    else rec = connectRecord(id, 2, [10, 0, (i >> 8) & 255, i & 255], 443, i % 5 === 0 ? -111 : 0);
    w.append(rec, 0, rec.length);
  }
  w.end('synthetic', [0, 0], 0, ts);
  closeSync(fd);
  renameSync(tmp, path);
}
