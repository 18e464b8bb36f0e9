/**
 * The README's Performance tables come from bench/results.json and nowhere
 * else: the generator writes between two markers, and the section around them
 * carries no measured figures of its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, type BenchResults, END_MARKER, mergeResults, renderResults, replaceBetweenMarkers } from '../../bench/readme.js';
import { type SectionRecord, sectionMarkdown } from '../../bench/section.js';
import { REPO_ROOT } from '../support/golden.js';

const section = (over: Partial<SectionRecord> = {}): SectionRecord => ({
  id: 'demo', title: 'Demo', columns: ['work', 'loop'], notes: ['read | carefully'], skipped: null, seconds: 1, load: [1, 2], data: null,
  rows: [
    { what: '`--json`', cells: ['1.60 M/s', '1.70 M/s'], target: '>= 1.5 M/s', pass: true },
    { what: 'text', cells: ['0.10 M/s', 'a|b'], target: '>= 0.8x', pass: false },
    { what: 'tree', cells: ['2.0 M/s', ''], target: '', pass: null },
  ],
  ...over,
});

describe('sectionMarkdown', () => {
  it('renders one row per result with its verdict, escaping pipes', () => {
    const md = sectionMarkdown(section());
    expect(md).toContain('| what | work | loop | target | result |');
    expect(md).toContain('| `--json` | 1.60 M/s | 1.70 M/s | >= 1.5 M/s | pass |');
    expect(md).toContain('| text | 0.10 M/s | a\\|b | >= 0.8x | FAIL |');
    expect(md).toContain('| tree | 2.0 M/s |  |  | shown |');
    expect(md).toContain('\n- read | carefully'); // a note is not a table cell
  });

  it('leaves out target and result when the section judges nothing', () => {
    const md = sectionMarkdown(section({ rows: [{ what: 'node -e 0', cells: ['60 ms', '60 ms'], target: '', pass: null }] }));
    expect(md).toContain('| what | work | loop |\n| --- | --- | --- |\n| node -e 0 | 60 ms | 60 ms |');
  });

  it('says why a section was skipped instead of an empty table', () => {
    expect(sectionMarkdown(section({ skipped: 'needs root', rows: [] }))).toContain('Skipped: needs root');
  });
});

describe('renderResults', () => {
  it('starts with the machine, its load and the number of rounds, then every section', () => {
    const r: BenchResults = { machine: 'M', date: '2026-12-02T00:00:00Z', runs: 5, load: { start: 1.5, end: 2, max: 3.25 }, duration_s: 600, sections: [section(), section({ id: 'b', title: 'Other' })] };
    const md = renderResults(r);
    expect(md.split('\n')[0]).toMatch(/^Machine: M\. Load average 1\.50 at the start, up to 3\.25, 2\.00 at the end .*2026-12-02, 5 rounds/);
    expect(md).toContain('#### Demo');
    expect(md).toContain('#### Other');
  });
});

describe('mergeResults (a BENCH_ONLY run)', () => {
  const full: BenchResults = {
    machine: 'M', date: '2026-12-01T00:00:00Z', runs: 5, load: { start: 1, end: 1, max: 1 }, duration_s: 1800,
    sections: [section({ id: 'inputs', title: 'Inputs' }), section({ id: 'a', title: 'A' }), section({ id: 'b', title: 'B' })],
  };
  const partial: BenchResults = {
    machine: 'M', date: '2026-12-02T00:00:00Z', runs: 1, load: { start: 9, end: 10, max: 10 }, duration_s: 60,
    sections: [section({ id: 'inputs', title: 'Inputs (new)' }), section({ id: 'b', title: 'B (new)' }), section({ id: 'c', title: 'C (new)' })],
  };

  it('replaces only the sections run, keeps the rest and the full run\'s header, and lists the rerun', () => {
    const m = mergeResults(full, partial, ['b', 'c'], ['inputs', 'c', 'a', 'b']);
    expect(m.sections.map((s) => s.title)).toEqual(['Inputs', 'C (new)', 'A', 'B (new)']);
    expect(m.date).toBe(full.date);
    expect(m.reruns).toEqual([{ date: partial.date, runs: 1, sections: ['b', 'c'], load: { start: 9, end: 10 }, machine: 'M' }]);
    expect(renderResults(m).split('\n')[0]).toContain('Run again alone on 2026-12-02 (1 rounds, load 9.00 to 10.00): b, c.');
  });

  it('names the machine of a rerun that ran on another one', () => {
    const m = mergeResults(full, { ...partial, machine: 'N' }, ['b'], ['inputs', 'a', 'b']);
    expect(m.machine).toBe('M');
    expect(renderResults(m).split('\n')[0]).toContain('Run again alone on 2026-12-02 (on another machine of this kind: N; 1 rounds, load 9.00 to 10.00): b.');
  });

  it('drops an earlier rerun once every section it ran is run again, and keeps one that still stands behind a section', () => {
    const first = mergeResults(full, partial, ['b', 'c'], ['inputs', 'a', 'b', 'c']);
    const again = { ...partial, date: '2026-12-03T00:00:00Z' };
    expect(mergeResults(first, again, ['b', 'c'], ['inputs', 'a', 'b', 'c']).reruns!.map((x) => x.date)).toEqual(['2026-12-03T00:00:00Z']);
    const part = mergeResults(first, again, ['b'], ['inputs', 'a', 'b', 'c']);
    expect(part.reruns!.map((x) => [x.date, x.sections])).toEqual([['2026-12-02T00:00:00Z', ['b', 'c']], ['2026-12-03T00:00:00Z', ['b']]]);
  });

  it('stands alone without earlier results', () => {
    expect(mergeResults(null, partial, ['b'], []).sections).toBe(partial.sections);
  });
});

describe('replaceBetweenMarkers', () => {
  const doc = `# T\n\n## Performance\n\nintro\n\n${BEGIN_MARKER}\n\nold table\n\n${END_MARKER}\n\nafter\n`;

  it('replaces only what lies between the markers, and is idempotent', () => {
    const once = replaceBetweenMarkers(doc, 'new table');
    expect(once).toBe(`# T\n\n## Performance\n\nintro\n\n${BEGIN_MARKER}\n\nnew table\n\n${END_MARKER}\n\nafter\n`);
    expect(replaceBetweenMarkers(once, 'new table')).toBe(once);
  });

  it('refuses a document without both markers in order, or with them twice', () => {
    expect(() => replaceBetweenMarkers('no markers', 'x')).toThrow(/expected/);
    expect(() => replaceBetweenMarkers(`${END_MARKER}\n${BEGIN_MARKER}`, 'x')).toThrow(/expected/);
    expect(() => replaceBetweenMarkers(`${doc}${BEGIN_MARKER}`, 'x')).toThrow(/more than once/);
  });
});

describe('README Performance section', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Performance');
  const end = readme.indexOf('\n## ', start + 1);
  const perf = readme.slice(start, end);

  it('has the generated block exactly once', () => {
    expect(() => replaceBetweenMarkers(readme, 'x')).not.toThrow();
    expect(perf).toContain(BEGIN_MARKER);
    expect(perf).toContain(END_MARKER);
  });

  it('states no measured figure outside the generated block', () => {
    const prose = perf.slice(0, perf.indexOf(BEGIN_MARKER)) + perf.slice(perf.indexOf(END_MARKER) + END_MARKER.length);
    const figures = prose.match(/\d[\d.,]*\s*(?:ms|µs|ns|%|x\b|M\/s|k\/s|MB|MiB|events\/s)/g) ?? [];
    expect(figures).toEqual([]);
  });
});
