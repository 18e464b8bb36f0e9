/**
 * A capture of schema 1 (captures/demo-v1.rgc, recorded before the kernel's
 * paths were) keeps decoding by its own manifest, and a field whose meaning
 * changed is never shown as the new one: schema 1's file_open.path was the
 * path as passed, so it appears as path_arg, and path (the kernel's, which
 * schema 1 did not record) as unknown.
 */
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';

const V1 = 'captures/demo-v1.rgc';
const lines = (args: string[]) => {
  const r = runReplayCli(args);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe('schema-1 captures', () => {
  it('decode by their manifest without --schema manifest: every record, none rejected', () => {
    const stats = JSON.parse(runReplayCli([V1, '--stats', '--json']).stdout.toString());
    expect(stats).toMatchObject({ events: 437, invalid: { total: 0 } });
    expect(stats.time_range.first).not.toBeNull();
  });

  it("show schema 1's open path as path_arg, and the kernel's path as unknown", () => {
    const opens = lines([V1, '--json', '--kind', 'file_open']);
    expect(opens.length).toBe(392);
    for (const o of opens) {
      expect(o.path).toBeNull();
      expect(typeof o.path_arg).toBe('string');
      expect(o.schema_unavailable).toContain('path');
      expect(o.schema_unavailable).not.toContain('path_arg');
    }
    const cron = opens.find((o) => o.path_arg === '/etc/cron.d/rg-demo-job');
    expect(cron).toMatchObject({ open_flags: 'O_WRONLY|O_CREAT|O_TRUNC', path: null });
    // Execs: exe_path and cwd were not recorded; the process context falls back to the name as passed.
    const exec = lines([V1, '--json', '--kind', 'process_start'])[0];
    expect(exec).toMatchObject({ exe_path: null, cwd: null, filename: '/bin/sh', process: { exe: '/bin/sh' } });
  });

  it('audit says the field was renamed, not moved', () => {
    const r = runReplayCli(['audit', V1]);
    expect(r.status).toBe(8);
    expect(r.stdout.toString()).toContain("path_arg: the file's path (char[256] @88): its meaning is this build's path_arg (char[256] @360)");
    expect(r.stdout.toString()).toContain('path: missing in the file (this build: char[256] @104)');
  });

  it('give Sigma rules the paths as passed for Image and TargetFilename, the only ones schema 1 has', () => {
    const r = runReplayCli([V1, '--sigma', 'rules/sigma', '--alerts', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const sigma = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((a) => a.engine === 'sigma');
    const cron = sigma.filter((a) => a.title === 'New Cron File Created');
    expect(cron.map((a) => a.path_arg)).toEqual(['/etc/cron.d/rg-demo-job']);
    expect(sigma.some((a) => a.title === 'Process Execution From Shared Memory Directory')).toBe(true);
  });

  it('still raise the built-in detections, on the only path schema 1 has, and say which it was', () => {
    const alerts = lines([V1, '--alerts', '--json']);
    expect(alerts.map((a) => a.rule_id)).toEqual([
      'execution.tmp', 'persistence.cron', 'persistence.ssh_authorized_keys', 'execution.deleted', 'network.watched_destination',
    ]);
    const cron = alerts[1];
    expect(cron.path).toBeUndefined();
    expect(cron.path_arg).toBe('/etc/cron.d/rg-demo-job');
  });
});
