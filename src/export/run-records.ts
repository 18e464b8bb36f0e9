/**
 * What each Parquet export run put into a dataset directory: one small JSON
 * file per run, DIR/_rand_guard/runs/<run>.json, naming the captures (by
 * SHA-256) whose rows the run wrote and the options that chose those rows.
 * Written last, once the run's files are all in place (an export lands whole
 * or not at all), so a record always stands for a whole run.
 *
 * `--append` reads them to leave out a capture the dataset already holds
 * (its rows would be there twice: capture_sha256, frame_seq and record_index
 * are the rows' unique key). Reading them costs a directory listing and a
 * few small files, whatever the dataset's size; no Parquet file is opened.
 * Readers of the dataset skip the folder: its name starts with `_` (Hive,
 * Spark) and it matches no `host=*` / `class_uid=*` glob.
 */
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { describeIoError, noteOnStderr } from '../replay/input.js';
import { type ExportInput } from './driver.js';
import { type ExportOptions } from './command.js';
import { makeDirs } from './dataset-layout.js';

const RECORDS_DIR = ['_rand_guard', 'runs'];
/** Options that do not change which rows an export writes. */
const NOT_ROW_OPTIONS = new Set(['format', 'output', 'append', 'index', 'threads']);

interface RunRecord {
  readonly run: string;
  /** The options that chose the rows (filters, detections), as `rowOptions` gives them. */
  readonly options: Record<string, unknown>;
  readonly captures: readonly { readonly sha256: string; readonly file: string }[];
}

/** The options that decide an export's rows, with sorted keys and without unset ones: equal runs give equal text. */
export function rowOptions(opts: ExportOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(opts).sort()) {
    const v = (opts as Record<string, unknown>)[key];
    if (NOT_ROW_OPTIONS.has(key) || v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = v;
  }
  return out;
}

function recordsDir(outDir: string): string {
  return join(outDir, ...RECORDS_DIR);
}

function readRecords(outDir: string): RunRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir(outDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const n of names) {
    const path = join(recordsDir(outDir), n);
    let r: RunRecord;
    try {
      r = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    } catch (e) {
      throw new CliError(`${path}: the record of an earlier export cannot be read (${describeIoError(e)}): --append cannot tell which captures ${outDir} holds`, ExitCode.Io);
    }
    if (typeof r?.run !== 'string' || !Array.isArray(r.captures)) {
      throw new CliError(`${path}: not the record of an export run: --append cannot tell which captures ${outDir} holds`, ExitCode.Io);
    }
    out.push(r);
  }
  return out;
}

/** Run ids of the dataset's Parquet files (part-RUN-....parquet). */
function runsOfFiles(outDir: string): Set<string> {
  const runs = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(outDir, { recursive: true }).map(String);
  } catch {
    return runs;
  }
  for (const n of names) {
    const m = /(?:^|\/)part-([0-9a-f]+)-[^/]*\.parquet$/.exec(n);
    if (m !== null) runs.add(m[1]);
  }
  return runs;
}

/**
 * --append: the inputs less those the dataset holds already (each named in a note), renumbered. A capture an
 * earlier run exported with other options (filters, detections) is refused: its rows would be partly there twice.
 */
export function inputsNotInDataset(outDir: string, inputs: readonly ExportInput[], opts: ExportOptions): ExportInput[] {
  const records = readRecords(outDir);
  const known = new Set(records.map((r) => r.run));
  const unrecorded = [...runsOfFiles(outDir)].filter((r) => !known.has(r));
  if (unrecorded.length > 0) {
    noteOnStderr(`${outDir} holds files of ${unrecorded.length} export run(s) without a run record (written by an older build): captures they hold cannot be recognised, and are exported again if given`);
  }
  const options = JSON.stringify(rowOptions(opts));
  const bySha = new Map<string, RunRecord>();
  for (const r of records) for (const c of r.captures) if (!bySha.has(c.sha256)) bySha.set(c.sha256, r);
  const out: ExportInput[] = [];
  for (const input of inputs) {
    const earlier = bySha.get(input.sha256);
    if (earlier === undefined) {
      out.push({ ...input, index: out.length });
      continue;
    }
    if (JSON.stringify(earlier.options) !== options) {
      throw new CliError(`${input.path} (SHA-256 ${input.sha256}) is in ${outDir} already, exported by run ${earlier.run} with other options `
        + `(${JSON.stringify(earlier.options)}, now ${options}): appending it would add some of its rows twice; export it to another directory`, ExitCode.Usage);
    }
    noteOnStderr(`${input.path} (SHA-256 ${input.sha256}) is in ${outDir} already (run ${earlier.run}): not exported again`);
  }
  return out;
}

/** Records run `run` (its captures and options) in the dataset: the last file an export writes. */
export function writeRunRecord(outDir: string, run: string, inputs: readonly ExportInput[], opts: ExportOptions): void {
  const dir = recordsDir(outDir);
  const record: RunRecord = { run, options: rowOptions(opts), captures: inputs.map((i) => ({ sha256: i.sha256, file: i.fileName })) };
  const path = join(dir, `${run}.json`);
  const temporary = join(dir, `.${run}.json`);
  try {
    makeDirs(dir);
    writeFileSync(temporary, `${JSON.stringify(record)}\n`);
    renameSync(temporary, path);
  } catch (e) {
    try { unlinkSync(temporary); } catch { /* not there */ }
    throw new CliError(`writing the run record ${path} failed: ${describeIoError(e)}`, ExitCode.Io);
  }
}
