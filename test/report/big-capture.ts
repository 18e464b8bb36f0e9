/**
 * A large synthetic capture for the report's size and browser tests, fast to
 * write: records are built from the ABI once per variant and then copied with
 * a new time and pid, so a million events take seconds, not a minute. A busy
 * host in miniature: long-lived workers opening many distinct files, short
 * jobs that fork, exec and exit, connections, and a few intrusions (a cron
 * write, a program run from /tmp, a connect to 4444) to raise alerts.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AF_INET } from '../../src/abi/constants.js';
import { RgcWriter } from '../../src/rgc/writer.js';
import { connectRecord, execRecord, exitRecord, forkRecord, type Identity, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, syntheticManifest } from '../support/synthetic.js';

export interface BigCapture {
  readonly events: number;
  readonly alerts: number;
  readonly processes: number;
}

const WORKERS = 400;
const ROOT = 9000;
const JOB_EVERY = 400;
const OPEN_VARIANTS = 20_000;

/** Writes `events` events to `path`; returns what the capture holds. */
export function writeBigCapture(path: string, events: number): BigCapture {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const manifest = syntheticManifest({ host: { hostname: 'busy-host', kernel_release: '6.18.0-synthetic', machine: 'x86_64', boot_id: '11111111-2222-4333-8444-555555555555' } });
  const writer = new RgcWriter({ write: (b) => { writeSync(fd, b); } }, manifest);
  const id = (pid: number, ppid: number, comm: string): Identity => ({ ts: 0n, pid, ppid, uid: 1000, gid: 1000, auid: 1000, comm });
  const worker = id(0, ROOT, 'worker');
  const dirs = ['/srv/app/data', '/var/lib/app/cache', '/home/alice/project/src', '/usr/lib/x86_64-linux-gnu', '/etc/app'];
  const opens = Array.from({ length: OPEN_VARIANTS }, (_, i) => {
    const write = i % 5 === 0;
    return openRecord(worker, `${dirs[i % dirs.length]}/file-${i}.${write ? 'out' : 'dat'}`, write ? 0o1101 : 0o2000000, i % 13 === 0 ? -2 : 3 + (i % 50));
  });
  const connects = Array.from({ length: 256 }, (_, i) => connectRecord(worker, AF_INET, [10, 1, i >> 4, i & 15], i % 8 === 0 ? 5432 : 443, i % 9 === 0 ? -111 : 0));
  const record = new Uint8Array(4096);
  const view = new DataView(record.buffer);
  let ts = SYNTHETIC_MONOTONIC_NS;
  let written = 0;
  let alerts = 0;
  let processes = 1 + WORKERS;
  let nextPid = 20_000;
  let seed = 12345;
  // The high bits of a 32-bit LCG: its low bits repeat with short periods.
  const random = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 8; };
  const put = (template: Uint8Array, pid: number, ppid: number) => {
    ts += 600n + BigInt(random() % 800);
    record.set(template);
    view.setBigUint64(8, ts, true);
    view.setUint32(16, pid, true);
    view.setUint32(20, pid, true);
    view.setUint32(24, ppid, true);
    writer.append(record, 0, template.length);
    written++;
  };
  // Workers start: forked by the root and exec'd.
  for (let w = 0; w < WORKERS && written < events; w++) {
    const pid = 10_000 + w;
    put(forkRecord({ ...id(ROOT, 1, 'supervisor'), ts }, pid), ROOT, 1);
    put(execRecord({ ...id(pid, ROOT, 'worker'), ts }, '/usr/local/bin/worker', ['worker', `--shard=${w}`, '--config', '/etc/app/worker.toml'], 4242n), pid, ROOT);
  }
  while (written < events) {
    const pid = 10_000 + (random() % WORKERS);
    const pick = written % JOB_EVERY;
    if (pick === 0 && written + 6 <= events) {
      // A short job: fork, exec, two opens, exit. Every 50th is an intrusion that alerts.
      const job = nextPid++;
      processes++;
      const intrusion = (job % 50) === 0;
      const exe = intrusion ? `/tmp/.x${job % 7}` : '/usr/bin/gzip';
      put(forkRecord({ ...id(pid, ROOT, 'worker'), ts }, job), pid, ROOT);
      put(execRecord({ ...id(job, pid, intrusion ? `.x${job % 7}` : 'gzip'), ts }, exe, [exe, '-9', `/srv/app/data/batch-${job}.log`], 777n), job, pid);
      put(opens[random() % OPEN_VARIANTS], job, pid);
      if (intrusion) {
        put(openRecord({ ...id(job, pid, `.x${job % 7}`), ts }, `/etc/cron.d/job-${job}`, 0o1101, 3), job, pid);
        put(connectRecord({ ...id(job, pid, `.x${job % 7}`), ts }, AF_INET, [203, 0, 113, job % 250], 4444, 0), job, pid);
        alerts += 3;
      } else {
        put(opens[random() % OPEN_VARIANTS], job, pid);
        put(opens[random() % OPEN_VARIANTS], job, pid);
      }
      put(exitRecord({ ...id(job, pid, 'gzip'), ts }, ts - 1000n, 0), job, pid);
      continue;
    }
    if (random() % 20 === 0) put(connects[random() % connects.length], pid, ROOT);
    else put(opens[random() % OPEN_VARIANTS], pid, ROOT);
  }
  writer.end('synthetic', [0, 0], 0, ts);
  closeSync(fd);
  renameSync(tmp, path);
  return { events: written, alerts, processes };
}
