/**
 * The detections against real captures: a benign build-and-test run raises
 * nothing (built-in detections and the shipped example rules), and each
 * shipped rule fires on a capture of what it is about.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../src/replay/rules/load.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { captureInLab, type Lab, startLab } from '../support/net-lab.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('rules-live');
type Line = Record<string, unknown> & { event_type: string; rule_id?: string };

/** Runs `bash script args` under rg-capture --follow into `out`; resolves with rg-capture's status. */
function capture(out: string, script: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${REPO_ROOT}dist/src/capture/cli.js`, '-o', out, '--follow', '--', 'bash', script, ...args], { stdio: 'ignore' });
    child.on('exit', resolve);
  });
}

const alertsOf = (args: string[]): Line[] => {
  const r = runReplayCli([...args, '--alerts', '--json']);
  expect(r.status).toBe(0);
  const text = r.stdout.toString().trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Line);
};

describe.skipIf(!runKernelTests)('detections on real captures', () => {
  // Not under /tmp: a program run from there would rightly alert. Traversable by nobody (setpriv in the workloads).
  const work = mkdtempSync(join(homedir(), '.rg-rules-'));
  const example = `${REPO_ROOT}rules/example.toml`;
  let benign: string;
  let examples: string;
  let lab: Lab | undefined;

  beforeAll(async () => {
    chmodSync(work, 0o755);
    benign = join(work, 'benign.rgc');
    examples = join(work, 'examples.rgc');
    expect(await capture(benign, `${REPO_ROOT}scripts/benign-build-workload.sh`, [join(work, 'build')])).toBe(0);
    // In the network lab: network.c2_name needs a name resolved by its fake DNS (c2.evil.example).
    lab = await startLab();
    expect(captureInLab(lab, examples, ['bash', `${REPO_ROOT}test/capture/intruder/example-rules.sh`, join(work, 'ex')]).status).toBe(0);
  }, 120_000);

  afterAll(() => {
    lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a benign build-and-test run raises nothing, built-in or shipped', () => {
    const events = runReplayCli([benign, '--stats', '--json']);
    const byKind = (JSON.parse(events.stdout.toString()) as { by_kind: Record<string, number> }).by_kind;
    // It did build: compilers ran, files were written, renamed, linked, deleted and chmod-ed.
    expect(byKind.process_start).toBeGreaterThan(10);
    expect(alertsOf([benign, '--rules', example])).toEqual([]);
  });

  it('every rule of rules/example.toml fires on a capture of what it is about', () => {
    const ids = loadRuleFile(example).rules.map((r) => r.id).sort();
    const fired = new Set(alertsOf([examples, '--rules', example]).map((a) => a.rule_id));
    for (const id of ids) expect(fired.has(id), `${id} did not fire`).toBe(true);
  });
});
