/**
 * The README's Performance tables, generated from bench/results.json: a
 * header saying where and how busy the machine was, then one table per
 * section. `npm run bench:readme` (bench/update-readme.ts) writes them
 * between the markers below; nothing between the markers is written by hand.
 */
import { type SectionRecord, sectionMarkdown } from './section.js';

export const BEGIN_MARKER = '<!-- bench:begin (generated from bench/results.json by `npm run bench:readme`; do not edit by hand) -->';
export const END_MARKER = '<!-- bench:end -->';

/** A BENCH_ONLY run of some sections, merged into the results of the last full run. */
export interface Rerun { date: string; runs: number; sections: string[]; load: { start: number; end: number }; machine?: string }

export interface BenchResults {
  machine: string;
  date: string;
  runs: number;
  /** sections run again alone since (BENCH_ONLY), newest last; their records replaced the earlier ones */
  reruns?: Rerun[];
  /** 1-minute load average: at the start, the highest seen at a section boundary, at the end */
  load: { start: number; end: number; max: number };
  duration_s: number;
  sections: SectionRecord[];
}

export function renderResults(r: BenchResults): string {
  const header = `Machine: ${r.machine}. Load average ${r.load.start.toFixed(2)} at the start, up to ${r.load.max.toFixed(2)}, `
    + `${r.load.end.toFixed(2)} at the end (a shared machine: 2 CPUs). ${r.date.slice(0, 10)}, ${r.runs} round${r.runs === 1 ? '' : 's'}, \`npm run bench\` `
    + `(${(r.duration_s / 60).toFixed(0)} min).`
    + (r.reruns ?? []).map((x) => ` Run again alone on ${x.date.slice(0, 10)} (${x.machine !== undefined && x.machine !== r.machine ? `on another machine of this kind: ${x.machine}; ` : ''}`
      + `${x.runs} rounds, load ${x.load.start.toFixed(2)} to ${x.load.end.toFixed(2)}): ${x.sections.join(', ')}.`).join('');
  return [header, ...r.sections.map((s) => sectionMarkdown(s))].join('\n\n');
}

/**
 * The results of a run of some sections (BENCH_ONLY) merged into the previous
 * results: its sections replace theirs, the others stay, in `order`; the
 * header keeps the previous run's machine, date and load and lists the rerun.
 * Without previous results, the partial run stands alone.
 */
export function mergeResults(previous: BenchResults | null, partial: BenchResults, rerun: string[], order: string[]): BenchResults {
  const entry: Rerun = { date: partial.date, runs: partial.runs, sections: rerun, load: { start: partial.load.start, end: partial.load.end }, machine: partial.machine };
  if (previous === null || !Array.isArray(previous.sections)) return { ...partial, reruns: [entry] };
  const byId = new Map(previous.sections.map((s) => [s.id, s]));
  for (const s of partial.sections) if (rerun.includes(s.id) || !byId.has(s.id)) byId.set(s.id, s);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const sections = [...byId.values()].sort((a, b) => rank(a.id) - rank(b.id));
  // An earlier rerun whose sections this one ran again no longer stands behind any figure.
  const standing = (previous.reruns ?? []).filter((x) => !x.sections.every((id) => rerun.includes(id)));
  return { ...previous, sections, reruns: [...standing, entry] };
}

/** `text` with everything between the markers replaced by `block`; throws if the markers are missing or out of order. */
export function replaceBetweenMarkers(text: string, block: string): string {
  const begin = text.indexOf(BEGIN_MARKER);
  const end = text.indexOf(END_MARKER);
  if (begin < 0 || end < 0 || end < begin) throw new Error(`README: expected "${BEGIN_MARKER}" followed by "${END_MARKER}"`);
  if (text.indexOf(BEGIN_MARKER, begin + 1) >= 0 || text.indexOf(END_MARKER, end + 1) >= 0) throw new Error('README: the bench markers appear more than once');
  return `${text.slice(0, begin + BEGIN_MARKER.length)}\n\n${block.trim()}\n\n${text.slice(end)}`;
}
