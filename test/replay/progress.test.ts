/**
 * Sequential replay tells its sink how far through the file it is at each
 * data frame (EventSink.progress: the NDJSON encoder compiles common kinds'
 * writers early by it); a merge, whose inputs interleave, does not.
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NullSink } from '../../src/output/sinks.js';
import { compileFilter } from '../../src/replay/filters.js';
import { type ProcessNode } from '../../src/replay/process-table.js';
import { newTotals, replayInputs } from '../../src/replay/replay.js';
import { ReplaySession } from '../../src/replay/session.js';

class ProgressSink extends NullSink<ProcessNode> {
  readonly fractions: number[] = [];
  progress(fraction: number): void { this.fractions.push(fraction); }
}

function replay(paths: string[]): { fractions: number[]; frames: number } {
  const sink = new ProgressSink();
  const session = new ReplaySession({
    sink, filter: compileFilter({}), withProcesses: false, keepProcessHistory: false, alerts: null, alertsOnly: false, withSourceEvents: false, decodeBy: 'build',
  });
  const totals = newTotals();
  replayInputs(paths, session, totals);
  return { fractions: sink.fractions, frames: totals.files.reduce((n, f) => n + f.summary.framesRead, 0) };
}

describe('replay progress', () => {
  it('a file: one call per data frame, the bytes before it over the file size, rising', () => {
    const path = 'captures/demo.rgc';
    const { fractions, frames } = replay([path]);
    expect(frames).toBeGreaterThan(1);
    expect(fractions).toHaveLength(frames);
    // The manifest comes first, so even the first frame has bytes before it.
    expect(fractions[0]).toBeGreaterThan(0);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThan(fractions[i - 1]);
    expect(fractions.at(-1)!).toBeLessThan(1);
    expect(fractions.at(-1)! * statSync(path).size).toBeLessThan(statSync(path).size - 80);
  });

  it('a merge of independent captures: no calls', () => {
    const { fractions, frames } = replay(['captures/demo.rgc', 'captures/synthetic-all-kinds.rgc']);
    expect(frames).toBeGreaterThan(2);
    expect(fractions).toEqual([]);
  });
});
