/**
 * The bench's unit of work: a section measures one thing and returns rows for
 * the README's Performance tables (see the top of bench/run.ts for how to add
 * one). Everything here is plain data, so results.json holds exactly what the
 * tables are generated from.
 */
import { type BenchInputs } from './inputs.js';

/** One line of a section's table. */
export interface Row {
  /** first column: what was measured */
  what: string;
  /** one cell per column of the section (`columns`), in order */
  cells: string[];
  /** the target, '' when there is none */
  target: string;
  /** true pass, false FAIL, null: shown but not judged */
  pass: boolean | null;
}

/** What a section hands back. */
export interface SectionResult {
  /** the column headers, when they depend on what was measured (else the section's `columns`) */
  columns?: string[];
  rows: Row[];
  /** printed under the table: how to read it (what was pinned, which capture is judged, ...) */
  notes?: string[];
  /** every raw number, for results.json */
  data?: unknown;
}

export interface BenchContext {
  /** rounds per measurement (BENCH_RUNS) */
  runs: number;
  /** the CPU single-core runs are pinned to */
  pinCpu: number;
  isRoot: boolean;
  /** the captures and files every section may read (made before any section runs) */
  inputs: BenchInputs;
  /** a progress line on stderr */
  log(message: string): void;
}

export interface Section {
  /** key in results.json `sections` */
  id: string;
  /** heading of its table */
  title: string;
  /** headers of the cells between "what" and "target" (default: one, "measured") */
  columns?: string[];
  run(ctx: BenchContext): SectionResult | Promise<SectionResult>;
}

/** A section as results.json stores it. */
export interface SectionRecord {
  id: string;
  title: string;
  columns: string[];
  rows: Row[];
  notes: string[];
  /** why it did not run, if it did not */
  skipped: string | null;
  seconds: number;
  /** 1-minute load average when it started and when it ended */
  load: [number, number];
  data: unknown;
}

export const verdict = (pass: boolean | null): string => (pass === null ? 'shown' : pass ? 'pass' : 'FAIL');

/** A markdown table cell: pipes escaped, line breaks flattened. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The section as markdown: a heading, its table (or why it was skipped) and its notes. */
export function sectionMarkdown(s: SectionRecord, headingLevel = 4): string {
  const lines = [`${'#'.repeat(headingLevel)} ${s.title}`, ''];
  if (s.skipped !== null) {
    lines.push(`Skipped: ${cell(s.skipped)}`);
  } else {
    // A section that judges nothing (inputs, start-up) has no target and result columns.
    const judges = s.rows.some((r) => r.target !== '' || r.pass !== null);
    const tail = (r: Row) => (judges ? ` ${cell(r.target)} | ${verdict(r.pass)} |` : '');
    lines.push(`| what | ${s.columns.map(cell).join(' | ')} |${judges ? ' target | result |' : ''}`);
    lines.push(`| --- | ${s.columns.map(() => '---').join(' | ')} |${judges ? ' --- | --- |' : ''}`);
    for (const r of s.rows) lines.push(`| ${cell(r.what)} | ${r.cells.map(cell).join(' | ')} |${tail(r)}`);
  }
  if (s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

// Formatting shared by the sections.
export const fmt = {
  M: (x: number) => `${(x / 1e6).toFixed(2)} M`,
  k: (x: number) => `${(x / 1e3).toFixed(0)}k`,
  x: (r: number) => `${r.toFixed(2)}x`,
  pct: (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`,
  ms: (x: number) => `${x.toFixed(0)} ms`,
  mb: (x: number) => `${x.toFixed(0)} MB`,
  mib: (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`,
  /** a list of per-round values, as the tables show them: "1.02, 1.04, 1.10" */
  list: (xs: number[], digits = 2) => xs.map((v) => v.toFixed(digits)).join(', '),
};
