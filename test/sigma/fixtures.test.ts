/**
 * SigmaHQ's unchanged Linux rules on real captures: the scripted intrusion
 * (scripts/sigma-intrusion-workload.sh) and ordinary work
 * (scripts/sigma-benign-workload.sh), both recorded with rg-capture by
 * scripts/record-sigma-captures.sh. The planted behaviours must be found,
 * each with the evidence that shows it, and the benign capture must raise
 * nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';

type Alert = Record<string, unknown> & { title: string; engine?: string; process: { exe: string | null; argv: string[] | null }; path?: string; addr?: string; port?: number };

function sigmaAlerts(capture: string, rules = 'rules/sigma'): Alert[] {
  const r = runReplayCli([capture, '--sigma', rules, '--alerts', '--json']);
  expect(r.status).toBe(0);
  const text = r.stdout.toString().trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Alert);
}

/** Each planted behaviour, the SigmaHQ rule that must find it, and what its alert must show. */
const PLANTED: [title: string, check: (a: Alert) => boolean][] = [
  ['Linux Base64 Encoded Pipe to Shell', (a) => a.process.argv?.join(' ').includes('| base64 -d | sh') === true],
  ['Linux Shell Pipe to Shell', (a) => a.process.argv?.[0] === 'bash'],
  ['Decode Base64 Encoded Text', (a) => a.process.exe === '/usr/bin/base64'],
  ['Process Execution From Shared Memory Directory', (a) => a.process.exe === '/dev/shm/.rg-sigma-dropper'],
  ['Potentially Suspicious Execution From Tmp Folder', (a) => /^\/tmp\/rg-sigma\.\w+\/update$/.test(a.process.exe ?? '')],
  ['Potentially Suspicious Named Pipe Created Via Mkfifo', (a) => a.process.exe === '/usr/bin/mkfifo'],
  ['Linux Reverse Shell Indicator', (a) => a.addr === '127.0.0.2' && a.port === 4444 && a.process.exe === '/usr/bin/bash'],
  ['Potential Perl Reverse Shell Execution', (a) => a.process.exe === '/usr/bin/perl'],
  ['New Cron File Created', (a) => a.path === '/etc/cron.d/rg-sigma-demo'],
  ['Persistence Via Sudoers.d Files', (a) => a.path === '/etc/sudoers.d/rg-sigma-demo'],
  ['History File Deletion', (a) => a.process.argv?.some((x) => x.endsWith('/home/.bash_history')) === true],
  ['Setuid and Setgid', (a) => a.process.argv?.join(' ').includes('chmod u+s') === true],
];

describe('SigmaHQ rules on the intrusion capture', () => {
  const alerts = sigmaAlerts('captures/sigma/intrusion.rgc').filter((a) => a.engine === 'sigma');

  for (const [title, check] of PLANTED) {
    it(`finds: ${title}`, () => {
      const found = alerts.filter((a) => a.title === title);
      expect(found.length).toBeGreaterThan(0);
      expect(found.some(check)).toBe(true);
    });
  }

  it('raises nothing on the benign look-alikes in the same script', () => {
    // The script encodes base64 (no -d), runs a copied binary from its work directory, connects bash to 127.0.0.1, writes a cron-like name elsewhere.
    expect(alerts.filter((a) => a.process.exe?.endsWith('/tool'))).toEqual([]);
    expect(alerts.filter((a) => a.title === 'Linux Reverse Shell Indicator' && a.addr === '127.0.0.1')).toEqual([]);
    expect(alerts.filter((a) => String(a.path ?? '').endsWith('cron.d-notes'))).toEqual([]);
    expect(alerts.filter((a) => a.title === 'Decode Base64 Encoded Text')).toHaveLength(1);
  });

  it('names users from the capture manifest (User is a name, as in Sysmon)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-sigma-user-'));
    writeFileSync(join(dir, 'root-perl.yml'), 'title: perl run by root\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: /perl\n        User: root\n        ParentImage|endswith: /bash\n    condition: sel\n');
    const found = sigmaAlerts('captures/sigma/intrusion.rgc', dir).filter((a) => a.title === 'perl run by root');
    expect(found).toHaveLength(1);
  });
});

describe('SigmaHQ rules on the benign capture', () => {
  it('raise nothing', () => {
    expect(sigmaAlerts('captures/sigma/benign.rgc')).toEqual([]);
  });

  it('the capture did real work (so silence means something)', () => {
    const events = runReplayCli(['captures/sigma/benign.rgc', '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const execs = events.filter((e) => e.event_type === 'process_start').map((e) => e.filename);
    expect(execs).toEqual(expect.arrayContaining(['/usr/bin/tar', '/usr/bin/sha256sum', '/usr/bin/perl', '/usr/bin/base64']));
    expect(events.some((e) => e.event_type === 'net_connect' && e.addr === '127.0.0.1')).toBe(true);
  });
});
