/**
 * Evidence is never lost silently, also when an attacker fills the kernel
 * program's own tables: a followed command that keeps 16,500 processes alive
 * (FOLLOWED held 16,384: every later child was out of scope, unrecorded, and
 * the capture said "lost 0"), and an io_uring OPENAT parked behind a pipe
 * while 9,000 ACCEPTs that never complete are submitted (an LRU of 8,192
 * requests evicted it: no record, "lost 0"). Now the child's open and exec
 * are recorded, as is the OPENAT; the requests the table cannot hold are
 * counted as lost in the kernel.
 */
import { realpathSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/constants.js';
import { EVENT_FLAG_IO_URING } from '../../src/abi/schema.js';
import { runReplayCli } from '../support/golden.js';
import { program, readRecords, runCapture, text } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('scope-loss');

describe.skipIf(!runKernelTests)('the kernel program\'s tables filled on purpose (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-scope-loss-')));
  const target = join(work, 'secret');
  writeFileSync(target, 'x');

  it('16,500 live processes under --follow: a later child\'s open and exec are recorded', async () => {
    const out = join(work, 'flood.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('follow-flood'), '16500', target]);
    expect(run.status, run.stderr).toBe(0);
    const [, pid, fd] = run.stdout.trim().split('\n').find((l) => l.startsWith('child '))!.split(' ').map(Number);
    expect(fd).toBeGreaterThanOrEqual(0);
    const recs = readRecords(out);
    const open = recs.find((r) => r.kind === EventKind.FileOpen && r.f.pid === pid && text(r.f.path) === target);
    expect(open, 'the child\'s open').toBeDefined();
    expect(open!.f.result).toBe(fd);
    const exec = recs.find((r) => r.kind === EventKind.ProcessExec && r.f.pid === pid);
    expect(exec, 'the child\'s exec').toBeDefined();
    expect(text(exec!.f.exe_path)).toBe('/usr/bin/echo');
    // Every process of the tree is in scope: its 16,500 sleepers' exits too.
    expect(recs.filter((r) => r.kind === EventKind.ProcessExit).length).toBeGreaterThanOrEqual(16_501);
  }, 180_000);

  it('an io_uring OPENAT behind 9,000 pending ACCEPTs is recorded, and the requests not kept are counted lost', async () => {
    const out = join(work, 'uring.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('uring-evict'), '9000', target]);
    expect(run.status, run.stderr).toBe(0);
    const line = run.stdout.trim().split('\n').find((l) => l.startsWith('openat '))!;
    const [, res, path] = line.split(' ');
    expect(path).toBe(target);
    const opens = readRecords(out).filter((r) => r.kind === EventKind.FileOpen && ((r.f.flags as number) & EVENT_FLAG_IO_URING) !== 0);
    expect(opens.map((r) => [text(r.f.path), r.f.result])).toEqual([[target, Number(res)]]);
    // 9,001 requests in flight (the OPENAT and the ACCEPTs) for 8,192 places: at least 809 not kept, each counted.
    const stats = JSON.parse(runReplayCli([out, '--stats', '--json']).stdout.toString()) as { lost: { kernel: number } };
    expect(stats.lost.kernel).toBeGreaterThanOrEqual(809);
    expect(run.stderr).toMatch(/WARNING: \d+ events were lost in the kernel/);
  }, 120_000);
});
