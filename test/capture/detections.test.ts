/**
 * The built-in detections see what the kernel did, however the attacker
 * spells it: on the real kernel, under the real rg-capture, five ways of
 * writing a cron file and six ways of running a program from /tmp (and a
 * script) each raise their alert in `rg-replay --alerts`; the benign
 * look-alikes do not.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { runCapture } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('detections');

interface Alert { rule_id: string; path?: string; path_arg?: string; exe_path?: string; filename?: string }

function alerts(file: string): Alert[] {
  const r = runReplayCli([file, '--alerts', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const text = r.stdout.toString().trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Alert);
}

describe.skipIf(!runKernelTests)('built-in detections on the kernel\'s paths (real eBPF)', () => {
  const tag = `rg-det-${process.pid}`;
  const work = realpathSync(mkdtempSync(join(tmpdir(), `${tag}-`)));
  const away = mkdtempSync(join(homedir(), `.${tag}-`)); // not world-writable
  const lock = join('/run/lock', tag);
  const cronFiles = [1, 2, 3, 4, 5, 6].map((i) => `/etc/cron.d/${tag}-${i}`);
  afterAll(() => {
    for (const f of cronFiles) rmSync(f, { force: true });
    for (const d of [work, away, lock]) rmSync(d, { recursive: true, force: true });
  });

  it('5 of 5 ways of writing a cron file alert, with the kernel path (and a symlinked directory too)', async () => {
    symlinkSync('/etc/cron.d', join(away, 'crondir'));
    const [c1, c2, c3, c4, c5, c6] = cronFiles.map((f) => f.slice('/etc/cron.d/'.length));
    const script = [
      `echo x > //etc/cron.d/${c1}`,
      `echo x > /./etc/cron.d/${c2}`,
      `echo x > /tmp/../etc/cron.d/${c3}`,
      `(cd /etc/cron.d && echo x > ${c4})`,
      `(cd / && echo x > etc/cron.d/${c5})`,
      `echo x > ${away}/crondir/${c6}`,
      // look-alikes: a read, a cron-like name elsewhere
      'cat /etc/crontab > /dev/null 2>&1', `echo x > ${work}/cron.d-notes`,
    ].join('; ');
    const out = join(work, 'cron.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', 'sh', '-c', script]);
    expect(run.status, run.stderr).toBe(0);
    const cron = alerts(out).filter((a) => a.rule_id === 'persistence.cron');
    expect(cron.map((a) => a.path)).toEqual(cronFiles);
    expect(cron.map((a) => a.path_arg)).toEqual([
      `//etc/cron.d/${c1}`, `/./etc/cron.d/${c2}`, `/tmp/../etc/cron.d/${c3}`, c4, `etc/cron.d/${c5}`, `${away}/crondir/${c6}`,
    ]);
    expect(alerts(out).filter((a) => a.rule_id !== 'persistence.cron')).toEqual([]);
  }, 60_000);

  it('6 of 6 ways of running a program from /tmp alert (and a script run from there), not a program elsewhere', async () => {
    const dir = join(work, 'bin');
    mkdirSync(dir);
    mkdirSync(lock);
    const prog = join(dir, 'x');
    copyFileSync('/bin/true', prog);
    copyFileSync('/bin/true', join(lock, 'x'));
    symlinkSync(prog, join(away, 'link'));
    writeFileSync(join(dir, 'drop.sh'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'drop.sh'), 0o755);
    copyFileSync('/bin/true', join(away, 'fine'));
    const ways = [prog, `/${prog}`, `cd ${dir} && ./x`, `cd ${dir} && /proc/self/cwd/x`, join(lock, 'x'), join(away, 'link')];
    const script = [...ways.map((w) => `(${w})`), `(cd ${dir} && ./drop.sh)`, join(away, 'fine'), '/usr/bin/true'].join('; ');
    const out = join(work, 'tmp.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', 'sh', '-c', script]);
    expect(run.status, run.stderr).toBe(0);
    const tmp = alerts(out).filter((a) => a.rule_id === 'execution.tmp');
    expect(tmp.map((a) => a.exe_path)).toEqual([prog, prog, prog, prog, join(lock, 'x'), prog, realpathSync('/bin/sh')]);
    expect(tmp.map((a) => a.filename)).toEqual([prog, `/${prog}`, './x', '/proc/self/cwd/x', join(lock, 'x'), join(away, 'link'), './drop.sh']);
    expect(alerts(out).filter((a) => a.rule_id !== 'execution.tmp')).toEqual([]);
  }, 60_000);
});
