import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';

type Line = Record<string, unknown> & { event_type: string; pid: number; time: string | null; process?: Record<string, unknown> };
const ALL = 'captures/synthetic-all-kinds.rgc';

function lines(args: string[]): Line[] {
  const r = runReplayCli(args);
  expect([0, 6, 8]).toContain(r.status);
  const text = r.stdout.toString().trim();
  return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Line);
}

describe('rg-replay filters', () => {
  const everything = lines([ALL, '--json']).filter((e) => e.event_type !== 'invalid_record');

  it('--kind keeps only the named kinds', () => {
    const opens = lines([ALL, '--json', '--kind', 'file_open']);
    expect(opens.length).toBeGreaterThan(0);
    expect(opens.length).toBe(everything.filter((e) => e.event_type === 'file_open').length);
    expect(lines([ALL, '--json', '--kind', 'open'])).toEqual(opens);
    expect(new Set(lines([ALL, '--json', '--kind', 'process_start,net_connect']).map((e) => e.event_type))).toEqual(new Set(['process_start', 'net_connect']));
  });

  it('--pid selects one process, --tree adds its descendants', () => {
    expect(new Set(lines([ALL, '--json', '--pid', '4101']).map((e) => e.pid))).toEqual(new Set([4101]));
    expect(new Set(lines([ALL, '--json', '--pid', '4100', '--tree']).map((e) => e.pid))).toEqual(new Set([4100, 4101, 4102]));
  });

  it('--comm, --uid and --path-prefix', () => {
    const curl = lines([ALL, '--json', '--comm', 'curl']);
    expect(curl.length).toBe(everything.filter((e) => e.comm === 'curl').length);
    expect(curl.length).toBeGreaterThan(0);
    expect(curl.every((e) => e.comm === 'curl')).toBe(true);
    expect(lines([ALL, '--json', '--uid', '0'])).toEqual([]);
    const user = lines([ALL, '--json', '--uid', '1000']);
    expect(user.length).toBeGreaterThan(0);
    expect(user.length).toBe(everything.filter((e) => e.uid === 1000).length);
    const etc = lines([ALL, '--json', '--path-prefix', '/etc/']);
    expect(etc.map((e) => e.path)).toEqual(['/etc/ld.so.cache', '/etc/nonexistent']);
    // Execs match on their filename.
    expect(lines([ALL, '--json', '--path-prefix', '/dev/shm/']).map((e) => [e.event_type, e.filename])).toEqual([['process_start', '/dev/shm/a-very-long-name-indeed']]);
  });

  it('--since/--until accept wall-clock times and offsets from the capture start', () => {
    const window = lines([ALL, '--json', '--since', '2026-01-02T03:04:05.010Z', '--until', '2026-01-02T03:04:05.012Z']);
    expect(window.map((e) => e.time)).toEqual(['2026-01-02T03:04:05.010000000Z', '2026-01-02T03:04:05.011000000Z', '2026-01-02T03:04:05.012000000Z']);
    const byOffset = lines([ALL, '--json', '--since', '10ms', '--until', '12ms']);
    expect(byOffset.map((e) => e.time)).toEqual(window.map((e) => e.time));
  });

  it('filtering never changes context: an event carries the same process context with and without filters', () => {
    const unfiltered = everything.find((e) => e.event_type === 'net_connect')!;
    const filtered = lines([ALL, '--json', '--kind', 'net_connect'])[0];
    expect(filtered).toEqual(unfiltered);
    expect(filtered.process).toMatchObject({ known: true, exe: '/usr/bin/curl', parent: { pid: 4100 } });
  });

  it('rejects bad filter values with a usage error', () => {
    expect(runReplayCli([ALL, '--kind', 'file_write']).status).toBe(2);
    expect(runReplayCli([ALL, '--pid', 'abc']).status).toBe(2);
    expect(runReplayCli([ALL, '--since', 'yesterday-ish']).status).toBe(2);
    expect(runReplayCli([ALL, '--tree']).status).toBe(2);
  });
});

describe('several captures', () => {
  it('merges independent captures in wall-clock order through one process table', () => {
    // Two captures whose records are each in time order: the merge must be in time order overall.
    const merged = lines(['captures/synthetic-incomplete.rgc', 'captures/synthetic-lost.rgc', '--json']);
    const times = merged.map((e) => e.time as string);
    expect([...times].sort()).toEqual(times);
    expect(merged.length).toBe(8 + 4);
    // Ties keep command-line order: the first file's event comes first.
    expect(merged[0].ts_ns).toBe(merged[1].ts_ns);
  });

  it('replays a directory', () => {
    const r = runReplayCli(['captures', '--stats', '--json']);
    expect(JSON.parse(r.stdout.toString()).files.length).toBeGreaterThanOrEqual(5);
  });
});

describe('tree and alerts', () => {
  it('prints the process tree as JSON with counts', () => {
    const r = runReplayCli(['tree', ALL, '--json']);
    const roots = JSON.parse(r.stdout.toString());
    expect(roots[0]).toMatchObject({ pid: 4100, known: false, forks: 1 });
    expect(roots[0].children.map((c: { pid: number }) => c.pid)).toEqual([4101, 4102]);
    expect(roots[0].children[0]).toMatchObject({ exe: '/usr/bin/curl', opens: 7, connects: 4, exit_code: 7 });
  });

  it('--alerts prints only alerts; --with-events puts each source event right before its alerts', () => {
    const only = lines([ALL, '--alerts', '--json']);
    expect(only.every((e) => e.event_type === 'alert')).toBe(true);
    // curl's write under a path cut at 255 bytes leaves four path rules undecided (their answer lies in the cut rest).
    const cutRules = ['persistence.systemd', 'persistence.ssh_authorized_keys', 'persistence.shell_startup', 'defense_evasion.history_wipe'];
    expect(only.map((e) => e.rule_id)).toEqual([...cutRules, 'execution.tmp', 'execution.deleted']);
    expect(only.map((e) => e.undecided ?? null)).toEqual([['written_path'], ['written_path'], ['written_path'], ['wiped_path'], null, null]);
    const withEvents = lines([ALL, '--alerts', '--with-events', '--json']);
    expect(withEvents.map((e) => e.event_type)).toEqual(['file_open', 'alert', 'alert', 'alert', 'alert', 'process_start', 'alert', 'alert']);
    const detect = lines([ALL, '--detect', '--json']);
    const at = detect.findIndex((e) => e.event_type === 'alert' && e.undecided === undefined);
    expect(detect[at - 1]).toMatchObject({ event_type: 'process_start', filename: '/dev/shm/a-very-long-name-indeed' });
  });
});
