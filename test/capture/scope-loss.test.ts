/**
 * Evidence is never lost silently, also when an attacker fills the kernel
 * program's own tables: a followed command that keeps 16,500 processes alive
 * (FOLLOWED held 16,384: every later child was out of scope, unrecorded, and
 * the capture said "lost 0"), and an io_uring OPENAT parked behind a pipe
 * while 9,000 ACCEPTs that never complete are submitted (an LRU of 8,192
 * requests evicted it: no record, "lost 0"). Now the child's open and exec
 * are recorded, as is the OPENAT; an OPENAT submitted when the table is
 * already full is recorded from its completion, flagged submission_unseen,
 * and ACCEPTs that never complete are not reported as lost events.
 */
import { realpathSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventKind, PATH_FLAG_FROM_FILE, PATH_FLAG_UNRESOLVED } from '../../src/abi/constants.js';
import { EVENT_FLAG_IO_URING, EVENT_FLAG_SUBMISSION_UNSEEN } from '../../src/abi/schema.js';
import { runReplayCli } from '../support/golden.js';
import { program, readRecords, runCapture, text } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('scope-loss');

/** What rg-replay --stats --json says the capture lost in the kernel. */
const lostKernel = (file: string): number =>
  (JSON.parse(runReplayCli([file, '--stats', '--json']).stdout.toString()) as { lost: { kernel: number } }).lost.kernel;

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

  it('an io_uring OPENAT behind 9,000 pending ACCEPTs is recorded, and nothing is counted lost that was not', async () => {
    const out = join(work, 'uring.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('uring-evict'), '9000', target]);
    expect(run.status, run.stderr).toBe(0);
    const [, res, path] = run.stdout.trim().split('\n').find((l) => l.startsWith('openat '))!.split(' ');
    expect(path).toBe(target);
    const opens = readRecords(out).filter((r) => r.kind === EventKind.FileOpen && ((r.f.flags as number) & EVENT_FLAG_IO_URING) !== 0);
    expect(opens.map((r) => [text(r.f.path), text(r.f.path_arg), r.f.result, (r.f.flags as number) & EVENT_FLAG_SUBMISSION_UNSEEN])).toEqual([[target, target, Number(res), 0]]);
    // The 9,000 ACCEPTs never complete: no record is missing, and none is said to be.
    expect(lostKernel(out)).toBe(0);
  }, 120_000);

  it('an io_uring OPENAT submitted when 9,000 pending ACCEPTs fill the request table is recorded from its completion, flagged', async () => {
    for (const [name, file] of [['opened', target], ['failed', join(work, 'absent')]] as const) {
      const out = join(work, `uring-first-${name}.rgc`);
      const run = await runCapture(['-o', out, '--follow', '--', program('uring-evict'), '9000', file, 'first']);
      expect(run.status, run.stderr).toBe(0);
      const res = Number(run.stdout.trim().split('\n').find((l) => l.startsWith('openat '))!.split(' ')[1]);
      expect(res >= 0, name).toBe(name === 'opened');
      const opens = readRecords(out).filter((r) => r.kind === EventKind.FileOpen && ((r.f.flags as number) & EVENT_FLAG_IO_URING) !== 0);
      expect(opens.length, name).toBe(1);
      const f = opens[0].f;
      expect(f.result).toBe(res);
      expect((f.flags as number) & EVENT_FLAG_SUBMISSION_UNSEEN, 'flagged: the submission was not kept').not.toBe(0);
      expect(text(f.path_arg), 'the name as passed is not known').toBe('');
      // An open that succeeded is the kernel's file all the same; a failed one has no file and no name to join.
      if (name === 'opened') expect([text(f.path), f.path_flags]).toEqual([target, PATH_FLAG_FROM_FILE]);
      else expect([text(f.path), (f.path_flags as number) & PATH_FLAG_UNRESOLVED]).toEqual(['', PATH_FLAG_UNRESOLVED]);
      const json = runReplayCli([out, '--json', '--kind', 'file_open']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(json.filter((e) => e.io_uring === true).map((e) => e.submission_unseen)).toEqual([true]);
      expect(lostKernel(out)).toBe(0);
    }
  }, 120_000);
});
