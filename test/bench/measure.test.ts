/**
 * The bench's timer and its statistics: proc-time runs a command as a whole
 * process with its stdout where asked, on the CPU asked, and reports its exit;
 * medians are medians and ratios are taken per round. Nothing here asserts a
 * duration (the machine is shared): only what was run, where, and what it printed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backToBack, measureProcess, median, medianRatio } from '../../bench/measure.js';

const tmp = mkdtempSync(join(tmpdir(), 'rg-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('median', () => {
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('of per-round ratios differs from the ratio of medians when rounds drift', () => {
    // A slow second round slows both of its runs: per round the ratio stays 2.
    const a = [{ ms: 200 }, { ms: 2000 }, { ms: 220 }];
    const b = [{ ms: 100 }, { ms: 1000 }, { ms: 110 }];
    expect(medianRatio(a, b, (x, y) => x.ms / y.ms)).toBe(2);
  });
});

describe('backToBack', () => {
  it('runs A first in even rounds and B first in odd ones, and returns [A, B] either way', () => {
    const order: string[] = [];
    const results = [0, 1, 2, 3].map((i) => backToBack(i, () => { order.push(`a${i}`); return `A${i}`; }, () => { order.push(`b${i}`); return `B${i}`; }));
    expect(order).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2', 'b3', 'a3']);
    expect(results).toEqual([['A0', 'B0'], ['A1', 'B1'], ['A2', 'B2'], ['A3', 'B3']]);
  });
});

describe('measureProcess (proc-time)', () => {
  it('drains a pipe and counts exactly what the command printed', () => {
    const m = measureProcess('seq', ['1', '1000'], { stdout: 'pipe' });
    expect(m.exit_code).toBe(0);
    expect(m.out_lines).toBe(1000);
    expect(m.out_bytes).toBe(Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('').length);
  });

  it('writes the command\'s stdout to a file and feeds it stdin', () => {
    const out = join(tmp, 'out.txt');
    const m = measureProcess('cat', [], { stdin: '/etc/hostname', stdout: { file: out } });
    expect(m.exit_code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('/etc/hostname', 'utf8'));
  });

  it('pins the command to the CPU asked for', () => {
    const out = join(tmp, 'status.txt');
    measureProcess('grep', ['Cpus_allowed_list', '/proc/self/status'], { pinCpu: 0, stdout: { file: out } });
    expect(readFileSync(out, 'utf8')).toMatch(/^Cpus_allowed_list:\s+0\n$/);
  });

  it('gives the command a terminal in pty mode and a pipe in pipe mode', () => {
    expect(measureProcess('sh', ['-c', 'test -t 1'], { stdout: 'pty', allowFailure: true }).exit_code).toBe(0);
    expect(measureProcess('sh', ['-c', 'test -t 1'], { stdout: 'pipe', allowFailure: true }).exit_code).toBe(1);
  });

  it('reports exit codes and signals, and refuses a failed run unless allowed', () => {
    expect(measureProcess('sh', ['-c', 'exit 3'], { allowFailure: true }).exit_code).toBe(3);
    expect(measureProcess('sh', ['-c', 'kill -TERM $$'], { allowFailure: true }).signal).toBe(15);
    expect(() => measureProcess('sh', ['-c', 'echo oops >&2; exit 3'])).toThrow(/exited with 3: oops/);
  });

  it('measures the CPU time of every thread and child the command waited for', () => {
    // A child that burns CPU: its time is in the parent's rusage once waited for (not asserted as a duration,
    // only that CPU was counted at all and stayed within the wall time of a single thread).
    const m = measureProcess('sh', ['-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']);
    expect(m.cpu_ms).toBeGreaterThan(0);
    expect(m.max_rss_mb).toBeGreaterThan(0);
  });
});
