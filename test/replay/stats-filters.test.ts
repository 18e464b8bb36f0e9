/**
 * `--stats` with filters counts what the filters select, the events `--json`
 * with the same filters prints, and keeps the capture's own totals, loss,
 * invalid records and files beside them, labelled. Without filters it is the
 * report it always was (the goldens hold it byte for byte).
 */
import { describe, expect, it } from 'vitest';

import { runReplayCli } from '../support/golden.js';

const DEMO = 'captures/demo.rgc';

interface Stats {
  events: number;
  by_kind: Record<string, number>;
  time_range: { first: string | null; last: string | null; first_ts_ns: string | null; last_ts_ns: string | null };
  lost: unknown; invalid: unknown; files: unknown; complete: boolean; damaged: boolean;
  filters?: string[];
  capture?: { events: number; by_kind: Record<string, number>; time_range: Stats['time_range'] };
}

const stats = (args: string[]): Stats => {
  const r = runReplayCli([...args, '--stats', '--json']);
  expect(r.status, r.stderr).not.toBe(1);
  return JSON.parse(r.stdout.toString()) as Stats;
};
const printed = (args: string[]) => runReplayCli([...args, '--json']).stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event_type: string; ts_ns: number; time: string });

describe('--stats follows the filters', () => {
  const whole = stats([DEMO]);

  it.each([
    [['--pid', '999999']],
    [['--kind', 'file_open,net_connect']],
    [['--kind', 'file_open', '--since', '0.3s']],
    [['--comm', 'bash', '--failed']],
    [['--port', '4444']],
    [['--writes', '--until', '0.2s']],
  ])('%j: the counts, kinds and times of the events --json prints; the capture\'s beside them', (filters) => {
    const s = stats([DEMO, ...filters]);
    const events = printed([DEMO, ...filters]);
    expect(s.events).toBe(events.length);
    const byKind: Record<string, number> = Object.fromEntries(Object.keys(whole.by_kind).map((k) => [k, 0]));
    for (const e of events) byKind[e.event_type]++;
    expect(s.by_kind).toEqual(byKind);
    if (events.length === 0) {
      expect(s.time_range).toEqual({ first: null, last: null, first_ts_ns: null, last_ts_ns: null });
    } else {
      const ts = events.map((e) => BigInt(e.ts_ns)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(s.time_range.first_ts_ns).toBe(ts[0].toString());
      expect(s.time_range.last_ts_ns).toBe(ts[ts.length - 1].toString());
      expect(s.time_range.first).toBe(events.find((e) => BigInt(e.ts_ns) === ts[0])!.time);
    }
    expect(s.filters).toEqual(filters);
    // The whole capture: its counts, and loss, invalid records and files never filtered away.
    expect(s.capture).toEqual({ events: whole.events, by_kind: whole.by_kind, time_range: whole.time_range });
    for (const key of ['lost', 'invalid', 'files', 'complete', 'damaged'] as const) expect(s[key]).toEqual(whole[key]);
  });

  it('without filters, no filters or capture keys: the report as before', () => {
    expect(whole.events).toBe(printed([DEMO]).length);
    expect(whole.filters).toBeUndefined();
    expect(whole.capture).toBeUndefined();
  });

  it('loss stays reported under a filter that selects nothing, across merged captures', () => {
    const lost = stats(['captures/synthetic-lost.rgc']);
    const s = stats([DEMO, 'captures/synthetic-lost.rgc', '--pid', '999999']);
    expect(s.events).toBe(0);
    expect(s.lost).toEqual(lost.lost);
    expect(s.capture!.events).toBe(whole.events + lost.events);
  });

  it('the text report says first that its counts follow the filters, and gives the capture\'s', () => {
    const r = runReplayCli([DEMO, '--stats', '--pid', '999999', '--comm', 'my app']);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[1]).toBe("filters:   --pid 999999 --comm 'my app': time, events and kinds below are what they select; invalid, lost and files are the whole capture's");
    expect(lines[2]).toBe(`capture:   ${whole.events} events, ${whole.time_range.first} .. ${whole.time_range.last}`);
    expect(lines).toContain('events:    0');
  });

  it('--alerts does not hide events from the count', () => {
    const args = [DEMO, '--kind', 'file_open'];
    expect(stats([...args, '--alerts']).events).toBe(stats(args).events);
  });
});
