/**
 * npm run bench: every performance figure the README shows, measured in one
 * run on this machine. Writes bench/results.json (every raw number) and
 * bench/results.md; `npm run bench:readme` then puts the tables into README.md.
 *
 * How it measures (bench/measure.ts): every tool is one whole process timed
 * from its spawn to its exit by bench/workloads/proc-time.c, output to
 * /dev/null or a pipe it drains; ratios are taken within each round (the two
 * runs back to back) and the tables show the median of the per-round ratios.
 *
 * ADDING A SECTION (merge, Sigma, export, report, ...): write bench/<name>-bench.ts
 * exporting a `Section` (bench/section.ts) and add it to SECTIONS below:
 *
 *   export const mergeSection: Section = {
 *     id: 'merge',                          // its key in results.json
 *     title: 'Merge: N segments into one',  // its table's heading in the README
 *     columns: ['measured'],                // cells between "what" and "target" (this is the default)
 *     run(ctx) {                            // ctx: runs, pinCpu, isRoot, inputs (captures, rules20, ...), log
 *       const base = ..., mine = ...;       // measureProcess / backToBack / median from measure.ts
 *       return {
 *         rows: [{ what: 'merge 4 x 250k', cells: ['1.9 M events/s, 0.95x --json'], target: '>= 0.9x', pass: true }],
 *         notes: ['how to read the rows'],  // optional, printed under the table
 *         data: { raw },                    // optional, every raw number, kept in results.json
 *       };
 *     },
 *   };
 *
 * A new rg-replay mode (a flag, a subcommand) needs no section: add an entry to
 * MODES in bench/replay-modes.ts and it is timed against --json on both captures.
 *
 * `pass: null` shows a row without judging it. A section that throws is
 * listed as skipped with its message; the others still run. Figures belong in
 * rows and notes that the section computes: the README prints nothing else.
 *
 * Environment: BENCH_RUNS (rounds, default 5; keep it small while developing
 * on the shared machine), BENCH_ONLY=id,id (run only these sections, and replace
 * only theirs in bench/results.json; inputs are still made or reused).
 */
import { basename } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { captureLifecycleSection } from './capture-lifecycle.js';
import { captureOverheadSection } from './capture-overhead.js';
import { fileStormSection } from './file-storm.js';
import { type BenchInputs, ensureInputs } from './inputs.js';
import { PIN_CPU } from './measure.js';
import { type BenchResults, mergeResults, renderResults } from './readme.js';
import { replaySection } from './replay-bench.js';
import { memorySection } from './replay-memory.js';
import { modesSection } from './replay-modes.js';
import { netSection } from './net-bench.js';
import { startupSection } from './replay-startup.js';
import { type BenchContext, fmt, type Row, type Section, type SectionRecord } from './section.js';
import { benchExport, exportRows } from './export-bench.js';
import { benchMerge, mergeRows } from './merge-bench.js';
import { benchSigma, sigmaRow } from './sigma-bench.js';
import { reportSection } from './report-bench.js';
import { WORK } from './workloads.js';

/** Rows of the shape the Sigma and merge benches return, as table rows with one "measured" cell. */
function measuredRows(rows: { what: string; measured: string; target: string; pass: boolean | null }[]): Row[] {
  return rows.map((r) => ({ what: r.what, cells: [r.measured], target: r.target === 'none (shown)' ? '' : r.target, pass: r.pass }));
}

/** Sigma's own bench (bench/sigma-bench.ts) as a section, on the capture the targets are judged on. */
const sigmaSection: Section = {
  id: 'sigma',
  title: 'Replay: Sigma rules',
  run(ctx) {
    const capture = ctx.inputs.captures[0];
    const r = benchSigma(capture, ctx.runs);
    return { rows: measuredRows([sigmaRow(r)]).map((row) => ({ ...row, cells: [`${capture.label} capture: ${row.cells[0]}`] })), data: r };
  },
};

/** Export (issue 16, bench/export-bench.ts): parquet against --json on the judged capture, and speed and memory at 1M and 10M events. */
const exportSection: Section = {
  id: 'export',
  title: 'Export: --format parquet',
  async run(ctx) {
    const capture = ctx.inputs.captures[0];
    const loop = ctx.inputs.captures.find((c) => c.id === 'loop') ?? null;
    const r = await benchExport(capture, ctx.runs, ctx.inputs.large, loop);
    return { rows: measuredRows(exportRows(r)), notes: [`Speed on the ${capture.label} capture, every export in each round beside one --json, unpinned (the default export uses two threads: one gathers row groups, one writes them); the loop capture at ~1M and at ~10M events (same workload), each export beside one --json in every round: their ratio, and the export's peak RSS (the most of its rounds); the verdict is the median of the rounds' ratios (the machine's phase moves one round's by up to ±0.1). Size: one more export, and DuckDB's COPY of the same rows per class (its default row groups, zstd).`], data: r };
  },
};

/** Merged replay at fleet scale (bench/merge-bench.ts: its own synthetic hosts), as a section. */
const mergeSection: Section = {
  id: 'merge',
  title: 'Replay: merged captures (5 x 1M, 10 x 1M, 100 small)',
  run(ctx) {
    const r = benchMerge(Math.min(ctx.runs, 3));
    return { rows: measuredRows(mergeRows(r)), notes: ['Synthetic hosts built by bench/merge-bench.ts; rounds: at most 3.'], data: r };
  },
};

/** In the order they run and appear in the README. */
const SECTIONS: Section[] = [
  startupSection,
  replaySection,
  modesSection,
  sigmaSection,
  exportSection,
  mergeSection,
  reportSection,
  memorySection,
  captureLifecycleSection,
  captureOverheadSection,
  netSection,
  fileStormSection,
];

const RESULTS_JSON = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const RESULTS_MD = fileURLToPath(new URL('../../bench/results.md', import.meta.url));
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;

/** A tool's version line, or `<name> absent` (a reader of the machine line must see which tool is missing). */
const version = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }).stdout?.split('\n')[0].trim() || `${basename(cmd)} absent`;
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, `
  + `Node ${process.version}, ${version('zstd', ['--version']).replace(/^\*+\s*/, '').replace(/,.*$/, '')}, ${version('/usr/bin/sysdig', ['--version'])}`;
const started = Date.now();
const loadAtStart = loadavg()[0];
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
log(`${machine}; load ${loadAtStart.toFixed(2)}; ${runs} rounds${only ? `; only ${[...only].join(', ')}` : ''}`);

mkdirSync(WORK, { recursive: true });
const isRoot = process.geteuid?.() === 0;
const inputs: BenchInputs = ensureInputs(isRoot, log);
const ctx: BenchContext = { runs, pinCpu: PIN_CPU, isRoot, inputs, log };

const CAPTURE_SOURCES: Record<string, string> = {
  work: '`rg-capture --follow -- bench/workloads/mixed-work.sh`: make -j2 of 42 C files, git, tar/cp/rm churn of ~2500 files, curl and Python HTTP, DNS-like UDP',
  loop: '`rg-capture -- bench/workloads/mixed-loop` (whole host): one process opening 16 paths and a few missing ones, connects, a fork+exec every 64 rounds',
  large: 'the loop workload at 10x the length',
  tiny: '`rg-capture --follow -- sh -c "/bin/true; exit 0"`',
  synthetic: 'records built from the ABI (bench/synthetic-capture.ts): not root, nothing recorded',
};

const records: SectionRecord[] = [inputsRecord(inputs)];
for (const s of SECTIONS) {
  if (only !== null && !only.has(s.id)) continue;
  const t0 = Date.now();
  const load0 = loadavg()[0];
  log(`${s.id}...`);
  let record: Omit<SectionRecord, 'seconds' | 'load'>;
  try {
    const r = await s.run(ctx);
    record = { id: s.id, title: s.title, columns: r.columns ?? s.columns ?? ['measured'], rows: r.rows, notes: r.notes ?? [], skipped: null, data: r.data ?? null };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log(`${s.id} SKIPPED: ${message}`);
    record = { id: s.id, title: s.title, columns: s.columns ?? ['measured'], rows: [], notes: [], skipped: message, data: null };
  }
  records.push({ ...record, seconds: (Date.now() - t0) / 1000, load: [load0, loadavg()[0]] });
}

const thisRun: BenchResults = {
  machine, date: new Date().toISOString(), runs,
  load: { start: loadAtStart, end: loadavg()[0], max: Math.max(loadAtStart, ...records.flatMap((r) => r.load)) },
  duration_s: (Date.now() - started) / 1000,
  sections: records,
};
// A run of some sections replaces only theirs in the last full run's results.
const results = only === null ? thisRun
  : mergeResults(readPrevious(), thisRun, [...only], ['inputs', ...SECTIONS.map((s) => s.id)]);
const markdown = renderResults(results);
process.stdout.write(`${markdown}\n`);
writeFileSync(RESULTS_MD, `${markdown}\n`);
writeFileSync(RESULTS_JSON, JSON.stringify(results, null, 2) + '\n');
log(`done in ${(thisRun.duration_s / 60).toFixed(1)} min; wrote bench/results.json and bench/results.md (npm run bench:readme puts them into README.md)`);

function readPrevious(): BenchResults | null {
  try {
    return JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as BenchResults;
  } catch {
    return null;
  }
}

/** The captures as a table of their own: what every replay row read, and what its recording lost. */
function inputsRecord(i: BenchInputs): SectionRecord {
  const rows = [...i.captures, ...(i.large ? [i.large] : []), i.tiny].map((c) => ({
    what: i.captures.includes(c) && c.judged ? `${c.label} (targets are judged on it)` : c.label,
    cells: [
      `${c.events} events (${Object.entries(c.kinds).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}); ${fmt.mib(c.bytes)}`,
      `${c.lost}`,
      CAPTURE_SOURCES[c.id] ?? c.id,
    ],
    target: '', pass: null,
  }));
  const notes = Object.entries(i.missing).map(([name, why]) => `missing ${name}: ${why}`);
  if (i.peer) notes.push(`peer: ${i.peer.lines} lines of \`sysdig -r ${i.peer.path.replace(WORK, 'bench/work/')} -j\` (built from bench/peer/curl_google.scap).`);
  return { id: 'inputs', title: 'Inputs', columns: ['events', 'lost while recording', 'what it recorded'], rows, notes, skipped: null, seconds: 0, load: [loadAtStart, loadAtStart], data: i };
}
