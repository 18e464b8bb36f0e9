/**
 * `sigma-check`: every rule document as loaded or not loaded, one line
 * each, and a summary by reason. Titles and paths come from rule files, so
 * control characters are shown escaped, never sent to the terminal.
 */
import { visible } from '../common/visible.js';
import { type RuleReport } from './load.js';
import { type ProblemKind } from './problems.js';

const KIND_LABEL: Record<ProblemKind, string> = {
  logsource: 'other log source',
  unsupported: 'unsupported',
  invalid: 'invalid rule',
  file: 'unreadable file',
};

/** Where a report points: the file, and the document when the file has several. */
export function reportPlace(r: RuleReport): string {
  return r.document > 1 ? `${r.file}#${r.document}` : r.file;
}

/** The rule as a reader recognises it: its title, else its id, else its place. */
export function reportName(r: RuleReport): string {
  return visible(r.title ?? r.id ?? reportPlace(r));
}

/** One line per document. */
export function formatCheckLine(r: RuleReport): string {
  if (r.loaded) return `loaded      ${r.category}  ${visible(reportPlace(r))}  ${reportName(r)}`;
  return `not loaded  ${KIND_LABEL[r.problem!.kind]}  ${visible(reportPlace(r))}  ${reportName(r)}: ${visible(r.problem!.reason)}`;
}

export interface CheckSummary {
  readonly loaded: number;
  readonly notLoaded: number;
  /** Loaded rules per category (correlations under 'correlation'). */
  readonly byCategory: Record<string, number>;
  /** Not-loaded rules per kind of problem. */
  readonly byProblem: Record<string, number>;
}

export function summarize(reports: readonly RuleReport[]): CheckSummary {
  const byCategory: Record<string, number> = {};
  const byProblem: Record<string, number> = {};
  let loaded = 0;
  for (const r of reports) {
    if (r.loaded) {
      loaded++;
      byCategory[r.category!] = (byCategory[r.category!] ?? 0) + 1;
    } else {
      const k = KIND_LABEL[r.problem!.kind];
      byProblem[k] = (byProblem[k] ?? 0) + 1;
    }
  }
  return { loaded, notLoaded: reports.length - loaded, byCategory, byProblem };
}

export function formatCheckText(reports: readonly RuleReport[]): string {
  const lines = reports.map(formatCheckLine);
  const s = summarize(reports);
  const list = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ');
  lines.push(`${s.loaded} loaded${s.loaded > 0 ? ` (${list(s.byCategory)})` : ''}, ${s.notLoaded} not loaded${s.notLoaded > 0 ? ` (${list(s.byProblem)})` : ''}`);
  return lines.join('\n') + '\n';
}

/** JSON for `sigma-check --json`: one object per document and the summary. */
export function checkJson(reports: readonly RuleReport[]): object {
  return {
    rules: reports.map((r) => ({
      file: r.file, document: r.document, line: r.line, title: r.title, id: r.id, loaded: r.loaded, category: r.category,
      problem: r.problem === null ? null : { kind: r.problem.kind, reason: r.problem.reason },
    })),
    summary: summarize(reports),
  };
}
