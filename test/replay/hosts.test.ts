/**
 * Captures of several hosts merged: each event, alert and tree root says which host (and capture) it
 * came from, and two hosts never share a process table, even when a capture claims another host's boot
 * id (a cloned VM, a crafted file). Was: no line named its host; hostB's pid 100 reading /etc/shadow
 * and connecting to 1.2.3.4:4444 was attributed to hostA's nginx (exe=/usr/sbin/nginx) when both
 * captures said boot id `aaaa`, and tree printed two unlabelled "100" roots.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Manifest } from '../../src/rgc/manifest.js';
import { runReplayCli } from '../support/golden.js';
import { connectRecord, execRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS as T0, syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (hostname: string, boot: string, capture: string): Manifest =>
  syntheticManifest({ host: { hostname, kernel_release: 'k', machine: 'x86_64', boot_id: boot }, segment: { capture_id: capture, index: 0, previous_sha256: null } });
const write = (name: string, records: Uint8Array[], m: Manifest) => {
  const path = join(dir, name);
  writeFileSync(path, writeSynthetic({ records, manifest: m }));
  return path;
};
// hostA: pid 100 is nginx. hostB: pid 100 is "evil", which reads /etc/shadow and connects to 1.2.3.4:4444.
const nginx = [execRecord({ ts: T0, pid: 100, ppid: 1, comm: 'nginx' }, '/usr/sbin/nginx', ['nginx']), openRecord({ ts: T0 + 2n, pid: 100, ppid: 1, comm: 'nginx' }, '/var/www/index.html', 0, 3)];
const evil = [openRecord({ ts: T0 + 1n, pid: 100, ppid: 1, comm: 'evil' }, '/etc/shadow', 0, 3), connectRecord({ ts: T0 + 3n, pid: 100, ppid: 1, comm: 'evil' }, 2, [1, 2, 3, 4], 4444, 0)];
const A = write('mA.rgc', nginx, manifest('hostA', 'aaaa', 'A'));
const B = write('mB.rgc', evil, manifest('hostB', 'bbbb', 'B'));
const B_SAME_BOOT = write('mB-sameboot.rgc', evil, manifest('hostB', 'aaaa', 'B'));
const A_RESTARTED = write('mA2.rgc', [openRecord({ ts: T0 + 5n, pid: 100, ppid: 1, comm: 'nginx' }, '/var/www/about.html', 0, 3)], manifest('hostA', 'aaaa', 'A2'));

const json = (args: string[]) => {
  const r = runReplayCli(args);
  expect(r.status, r.stderr).toBe(0);
  return { lines: r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), stderr: r.stderr };
};
const text = (args: string[]) => {
  const r = runReplayCli(args);
  expect(r.status, r.stderr).toBe(0);
  return { out: r.stdout.toString(), stderr: r.stderr };
};
const exeOf = (l: Record<string, unknown>) => (l.process as { exe: string | null }).exe;

describe('merged captures of several hosts', () => {
  for (const [name, b] of [['different boot ids', B], ['one boot id claimed by both', B_SAME_BOOT]] as const) {
    it(`never gives hostB's events hostA's process (${name})`, () => {
      const { lines } = json([A, b, '--json']);
      const shadow = lines.find((l) => l.path === '/etc/shadow')!;
      const connect = lines.find((l) => l.event_type === 'net_connect')!;
      expect(exeOf(shadow)).toBeNull();
      expect(exeOf(connect)).toBeNull();
      expect(exeOf(lines.find((l) => l.path === '/var/www/index.html')!)).toBe('/usr/sbin/nginx');
      const alert = json([A, b, '--alerts', '--json']).lines.find((l) => l.event_type === 'alert')!;
      expect(alert).toMatchObject({ rule_id: 'network.watched_destination', host: 'hostB', capture: 'B', process: { pid: 100, exe: null } });
      expect(text([A, b, '--alerts']).out).toMatch(/host=hostB pid=100 exe=unknown 1\.2\.3\.4:4444/);
    });
  }

  it('says each event\'s host and capture in --json, and its host in text lines', () => {
    const { lines } = json([A, B, '--json']);
    expect(lines.map((l) => [l.path ?? l.event_type, l.host, l.capture])).toEqual([
      ['process_start', 'hostA', 'A'], ['/etc/shadow', 'hostB', 'B'], ['/var/www/index.html', 'hostA', 'A'], ['net_connect', 'hostB', 'B'],
    ]);
    // --no-context too: the label is the input's, not the process's.
    expect(json([A, B, '--json', '--no-context']).lines.map((l) => l.host)).toEqual(['hostA', 'hostB', 'hostA', 'hostB']);
    const out = text([A, B]).out.trim().split('\n');
    expect(out.map((l) => / host=(\S+)$/.exec(l)?.[1])).toEqual(['hostA', 'hostB', 'hostA', 'hostB']);
  });

  it('leaves a single capture\'s output as it was: no host or capture key', () => {
    const { lines } = json([A, '--json']);
    expect(lines.every((l) => !('host' in l) && !('capture' in l))).toBe(true);
    expect(text([A]).out).not.toContain('host=');
  });

  it('labels each tree root by its host', () => {
    const tree = text(['tree', A, B]).out;
    expect(tree).toMatch(/^\[hostA\] 100 \/usr\/sbin\/nginx/m);
    expect(tree).toMatch(/^\[hostB\] 100 \[evil\]/m);
    const roots = json(['tree', A, B_SAME_BOOT, '--json']).lines[0] as unknown as { pid: number; exe: string | null; host: string; boot_id: string }[];
    expect(roots.map((r) => [r.host, r.boot_id, r.pid, r.exe])).toEqual([['hostA', 'aaaa', 100, '/usr/sbin/nginx'], ['hostB', 'aaaa', 100, null]]);
    expect(text(['tree', A]).out).not.toContain('[hostA]');
  });

  it('notes a boot id claimed by several hosts, on stderr, in --stats and in audit', () => {
    const note = /boot id aaaa is claimed by captures of 2 hosts: hostA \(.*mA\.rgc\), hostB \(.*mB-sameboot\.rgc\)/;
    expect(text([A, B_SAME_BOOT]).stderr).toMatch(note);
    const stats = json([A, B_SAME_BOOT, '--stats', '--json']).lines[0] as { host_notes: string[] };
    expect(stats.host_notes).toHaveLength(1);
    expect(stats.host_notes[0]).toMatch(note);
    expect(text([A, B_SAME_BOOT, '--stats']).out).toMatch(/^host: +hostA \(kernel k\), hostB \(kernel k\)$/m);
    const audit = json(['audit', A, B_SAME_BOOT, '--json']).lines[0] as { host_notes: string[] };
    expect(audit.host_notes[0]).toMatch(note);
    expect(text(['audit', A, B_SAME_BOOT]).out).toMatch(/^hosts: boot id aaaa/m);
    // Different boots: nothing to note.
    expect('host_notes' in json([A, B, '--stats', '--json']).lines[0]).toBe(false);
    expect(text([A, B]).stderr).not.toContain('boot id');
  });

  it('keeps one table for two captures of one host and boot (a capture restarted), and says so', () => {
    const { lines, stderr } = json([A, A_RESTARTED, '--json']);
    // The second capture's pid 100 is the first's nginx: the same kernel's pid.
    expect(exeOf(lines.find((l) => l.path === '/var/www/about.html')!)).toBe('/usr/sbin/nginx');
    expect(lines.find((l) => l.path === '/var/www/about.html')).toMatchObject({ host: 'hostA', capture: 'A2' });
    expect(stderr).toMatch(/2 captures of host hostA have one boot id \(aaaa\): A \(.*mA\.rgc\), A2 \(.*mA2\.rgc\); their processes share one process table/);
  });
});

describe('a rejected record of a merged replay', () => {
  it('names its host and capture, in --json and text, as events do', () => {
    const inputs = ['captures/synthetic-all-kinds.rgc', 'captures/demo.rgc'];
    const json = runReplayCli([...inputs, '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = json.filter((o) => o.event_type === 'invalid_record');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect([r.host, r.capture]).toEqual(['synthetic-host', 'synthetic']);
    const text = runReplayCli(inputs).stdout.toString().split('\n').filter((l) => l.startsWith('invalid_record '));
    expect(text.length).toBe(rejected.length);
    for (const l of text) expect(l.endsWith(' host=synthetic-host')).toBe(true);
  });
});
