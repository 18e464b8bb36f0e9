/** rg-replay --sigma and rg-replay sigma-check, end to end on shipped captures and SigmaHQ's rules. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';

const DEMO = 'captures/demo.rgc';
const RULES = 'rules/sigma';
type Line = Record<string, unknown>;
const json = (stdout: Buffer): Line[] => stdout.toString().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);

describe('rg-replay sigma-check', () => {
  it('accounts for every SigmaHQ rule shipped: loaded, or not loaded with the reason', () => {
    const r = runReplayCli(['sigma-check', RULES]);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split('\n');
    const rules = lines.slice(0, -1);
    expect(rules.length).toBe(248);
    expect(rules.every((l) => /^(loaded {6}\S+|not loaded  (other log source|unsupported|invalid rule|unreadable file))  rules\/sigma\/\S+\.yml  .+/.test(l))).toBe(true);
    const summary = lines[lines.length - 1];
    const m = /^(\d+) loaded .*, (\d+) not loaded/.exec(summary);
    expect(m).not.toBeNull();
    expect(Number(m![1]) + Number(m![2])).toBe(248);
    expect(rules.filter((l) => l.startsWith('loaded')).length).toBe(Number(m![1]));
    expect(r.stdout.toString()).toMatch(/not loaded  other log source  \S+lnx_auditd_\S+  .+: service auditd: a log rand-guard does not record/);
  });

  it('--json lists the same', () => {
    const r = runReplayCli(['sigma-check', RULES, '--json']);
    const doc = JSON.parse(r.stdout.toString()) as { rules: { loaded: boolean }[]; summary: { loaded: number; notLoaded: number } };
    expect(doc.rules.length).toBe(248);
    expect(doc.summary.loaded).toBe(doc.rules.filter((x) => x.loaded).length);
  });

  it('a missing path is one line and exit 3', () => {
    const r = runReplayCli(['sigma-check', 'no/such/rules']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('rg-replay: cannot read Sigma rules at no/such/rules\n');
  });
});

describe('rg-replay --sigma', () => {
  it('--alerts --json: Sigma alerts in the one alert format, with rule metadata and process context', () => {
    const r = runReplayCli([DEMO, '--sigma', RULES, '--alerts', '--json']);
    expect(r.status).toBe(0);
    const alerts = json(r.stdout);
    expect(alerts.every((a) => a.event_type === 'alert')).toBe(true);
    const shm = alerts.find((a) => a.title === 'Process Execution From Shared Memory Directory');
    expect(shm).toMatchObject({
      engine: 'sigma', rule_id: '5cd16c8f-44a6-4654-81e7-a84d6db507d4', level: 'high', severity: 'high', status: expect.any(String),
      rule_file: expect.stringMatching(/^rules\/sigma\/sigmahq\/rules\/linux\/process_creation\/proc_creation_lnx_susp_exec_from_dev_shm\.yml$/),
      source: { event_type: 'process_start' }, process: { exe: '/dev/shm/.rg-demo-dropper' },
    });
    expect(shm!.tags).toEqual(expect.arrayContaining(['attack.execution']));
    expect(typeof shm!.author).toBe('string');
    expect(alerts.find((a) => a.title === 'New Cron File Created')).toMatchObject({ path: '/etc/cron.d/rg-demo-job', source: { event_type: 'file_open' } });
    // The built-in detections run alongside, in the same stream.
    expect(alerts.some((a) => a.rule_id === 'persistence.cron')).toBe(true);
  });

  it('each rule that does not load is reported once, one line each, and the replay goes on', () => {
    const r = runReplayCli([DEMO, '--sigma', RULES, '--alerts']);
    const notLoaded = r.stderr.split('\n').filter((l) => l.includes('not loaded'));
    const check = runReplayCli(['sigma-check', RULES]).stdout.toString().split('\n').filter((l) => l.startsWith('not loaded'));
    expect(notLoaded.length).toBe(check.length);
    expect(new Set(notLoaded).size).toBe(notLoaded.length);
    expect(notLoaded.every((l) => l.startsWith('rg-replay: sigma: not loaded: '))).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--detect --json: every event, each Sigma alert right after its source event', () => {
    const all = json(runReplayCli([DEMO, '--sigma', RULES, '--detect', '--json']).stdout);
    const i = all.findIndex((a) => a.title === 'Process Execution From Shared Memory Directory');
    expect(i).toBeGreaterThan(0);
    let src = i - 1;
    while (all[src].event_type === 'alert') src--;
    expect(all[src]).toMatchObject({ event_type: 'process_start', pid: (all[i].source as Line).pid });
    expect(all.filter((a) => a.event_type !== 'alert').length).toBe(json(runReplayCli([DEMO, '--json']).stdout).length);
  });

  it('--alerts --with-events: each alert after its source event, nothing else', () => {
    const lines = json(runReplayCli([DEMO, '--sigma', RULES, '--alerts', '--with-events', '--json']).stdout);
    const events = lines.filter((l) => l.event_type !== 'alert');
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(lines.length);
    for (let k = 0; k < lines.length; k++) if (lines[k].event_type !== 'alert') expect(lines[k + 1]?.event_type).toBe('alert');
  });

  it('text alerts show hostile titles with their control characters escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-sigma-cli-'));
    writeFileSync(join(dir, 'evil.yml'), 'title: "evil \\e]0;pwned\\a title"\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        Image|startswith: /dev/shm/\n    condition: sel\n');
    writeFileSync(join(dir, 'broken.yml'), 'title: [unclosed\n');
    const r = runReplayCli([DEMO, '--sigma', dir, '--alerts']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toContain('evil \\u001b]0;pwned\\u0007 title');
    expect(r.stdout.toString()).not.toContain('\x1b');
    expect(r.stderr).toMatch(/rg-replay: sigma: not loaded: invalid rule  \S+broken\.yml  \S+broken\.yml: not valid YAML/);
  });

  it('a --sigma path that does not exist is one line and exit 3', () => {
    const r = runReplayCli([DEMO, '--sigma', 'no/such/rules', '--alerts']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('rg-replay: cannot read Sigma rules at no/such/rules\n');
  });
});
