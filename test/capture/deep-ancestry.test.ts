/**
 * A shell started 301 processes below "nginx", captured for real
 * (programs/deep-chain.c: every process of the chain alive, none
 * reparented). The shipped rule `execution.shell_from_web_server` asks
 * `ancestors.exe` for a web server; it used to read the nearest 256
 * ancestors and said nothing here. The capture must show the chain the
 * program measured in /proc (its forks, parent by parent), and the rule
 * must fire on that shell, and not when the same chain runs under "sshd".
 * Then the same chain under a subreaper, its shell double-forked as a
 * daemon is (programs/double-fork.c): the kernel hands the shell to the
 * subreaper, whose exec the capture holds, and the table used to follow
 * it there, out from under nginx; where the shell came from is kept now.
 * Needs root (or CAP_BPF + CAP_PERFMON); see ./privilege.ts.
 */
import { copyFileSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/index.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { program, readRecords, runCapture, text } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('deep-ancestry');
/** Forks below the first hop: the shell's web server is DEPTH + 1 parents up. */
const DEPTH = 300;

interface Run { capture: string; top: string; shellPid: number; distance: number; lines: number[][] }

describe.skipIf(!runKernelTests)('a shell 301 processes below a web server (real eBPF)', () => {
  // Not under /tmp: the built-in detections rightly flag programs run from there, and this test is not about them.
  let base = '';
  const runs = new Map<string, Run>();

  /**
   * Runs the chain with its top installed as `name`; the shell it ends in runs `sh -c 'exit 0'`. `daemon`:
   * under a subreaper, the end of the chain double-forks the shell (then the shell's pid is the daemon's).
   */
  async function chainUnder(name: string, daemon = false): Promise<Run> {
    const top = join(base, name);
    const hop = join(base, 'hop');
    copyFileSync(program('deep-chain'), top);
    copyFileSync(program('deep-chain'), hop);
    const capture = join(base, `${name}${daemon ? '-daemon' : ''}.rgc`);
    const shell = ['/bin/sh', '-c', 'exit 0'];
    const command = daemon ? [program('double-fork'), 'reap', top, hop, String(DEPTH), program('double-fork'), 'daemon', ...shell] : [top, hop, String(DEPTH), ...shell];
    const run = await runCapture(['-o', capture, '--follow', '--', ...command]);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
    const [[endPid, distance]] = lines;
    return { capture, top, shellPid: daemon ? lines[1][0] : endPid, distance, lines };
  }

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(homedir(), '.rg-ancestry-')));
    runs.set('nginx', await chainUnder('nginx'));
    runs.set('sshd', await chainUnder('sshd'));
    runs.set('daemon', await chainUnder('nginx', true));
  }, 240_000);

  afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

  it('records the chain as /proc showed it: the shell\'s parents, fork by fork, up to the web server', () => {
    const { capture, top, shellPid, distance } = runs.get('nginx')!;
    expect(distance).toBe(DEPTH + 1);
    const records = readRecords(capture);
    const parentOf = new Map<number, number>();
    for (const r of records) if (r.kind === EventKind.ProcessFork) parentOf.set(r.f.child_pid as number, r.f.pid as number);
    const execs = records.filter((r) => r.kind === EventKind.ProcessExec);
    const topPid = execs.find((r) => text(r.f.exe_path) === top)!.f.pid as number;
    const shell = execs.find((r) => r.f.pid === shellPid)!;
    expect(text(shell.f.exe_path)).toMatch(/\/(ba|da)?sh$/);
    let steps = 0;
    for (let p = shellPid; p !== topPid; p = parentOf.get(p)!) {
      expect(parentOf.has(p), `fork of ${p}`).toBe(true);
      steps++;
    }
    expect(steps).toBe(distance);
  });

  it('execution.shell_from_web_server fires on that shell, and not below sshd', () => {
    const alerts = (run: Run) => {
      const r = runReplayCli([run.capture, '--rules', `${REPO_ROOT}rules/example.toml`, '--alerts', '--json']);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.toString().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { rule_id: string; process: { pid: number } })
        .filter((a) => a.rule_id === 'execution.shell_from_web_server');
    };
    expect(alerts(runs.get('nginx')!).map((a) => a.process.pid)).toEqual([runs.get('nginx')!.shellPid]);
    expect(alerts(runs.get('sshd')!)).toEqual([]);
  });

  it('a double-forked shell: its record names the subreaper as parent, and the rule still sees nginx above it', () => {
    const run = runs.get('daemon')!;
    const [[endPid, distance], [daemonPid, newParent]] = run.lines;
    expect(distance).toBe(DEPTH + 1);
    const records = readRecords(run.capture);
    const execs = records.filter((r) => r.kind === EventKind.ProcessExec);
    // The subreaper is the command rg-capture ran: its exec is in the capture, so the table knows it.
    expect(execs.some((r) => r.f.pid === newParent && text(r.f.exe_path) === program('double-fork'))).toBe(true);
    const shell = execs.find((r) => r.f.pid === daemonPid)!;
    expect(shell.f.ppid).toBe(newParent);
    // Where it came from: forked by the middle process, forked by the end of the chain.
    const parentOf = new Map<number, number>();
    for (const r of records) if (r.kind === EventKind.ProcessFork) parentOf.set(r.f.child_pid as number, r.f.pid as number);
    expect(parentOf.get(parentOf.get(daemonPid)!)).toBe(endPid);
    const r = runReplayCli([run.capture, '--rules', `${REPO_ROOT}rules/example.toml`, '--alerts', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const alerts = r.stdout.toString().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { rule_id: string; process: { pid: number; ppid: number } })
      .filter((a) => a.rule_id === 'execution.shell_from_web_server');
    expect(alerts.map((a) => [a.process.pid, a.process.ppid])).toEqual([[daemonPid, newParent]]);
    // And `--pid NGINX --tree` keeps the shell: nginx started it, whoever its parent is now.
    const topPid = execs.find((e) => text(e.f.exe_path) === run.top)!.f.pid as number;
    const tree = runReplayCli([run.capture, '--json', '--pid', String(topPid), '--tree']);
    expect(tree.status, tree.stderr).toBe(0);
    const events = tree.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; pid: number });
    expect(events.some((e) => e.event_type === 'process_start' && e.pid === daemonPid)).toBe(true);
  });
});
