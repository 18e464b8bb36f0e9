/**
 * The Parquet export's writer thread (row-group-thread.ts), started before
 * the program's own modules are loaded, when the command line asks for an
 * export it will serve.
 *
 * Why: a worker takes ~0.1-0.15 s of CPU to start (Node's worker, then the
 * writer's modules and tables), and the export's start-up before its first
 * event (~0.3 s: loading and compiling the program, the capture's manifest
 * and SHA-256) runs on one core of two. Started at the first row group, as
 * before, the worker's start fell in the export's busy part, where both
 * cores are full and wall time follows total CPU; started here, it runs on
 * the core start-up leaves idle, and is ready when the first row group is.
 *
 * The command line is read without the program's parser (not loaded yet),
 * so this is a guess, and only ever an early start: the export still decides
 * from its parsed options whether it uses a writer thread, and takes this
 * one if it does (takePrestartedWriter). One started for nothing (a command
 * line the parser rejects, an export too small to hand a row group over)
 * costs that CPU on the idle core and is dropped at exit: it never keeps the
 * process alive.
 */
import { createRequire } from 'node:module';
import { type Worker } from 'node:worker_threads';

/** What a prestarted worker is given as workerData: it waits for its job (a WriterJob) as its first message. */
export interface DeferredJob {
  readonly deferred: true;
}

let prestarted: Worker | null = null;

/**
 * True when `args` (the arguments after node and the script) are an export to Parquet on the default
 * threads: `export` first, no `--threads`, no `--format` other than parquet (commander's last one wins),
 * no help.
 */
export function wantsWriterThread(args: readonly string[]): boolean {
  if (args[0] !== 'export') return false;
  let format = 'parquet';
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a === '--threads' || a.startsWith('--threads=') || a === '-h' || a === '--help') return false;
    if (a === '--format') format = args[++i] ?? '';
    else if (a.startsWith('--format=')) format = a.slice('--format='.length);
  }
  return format === 'parquet';
}

/** Starts the writer thread now when `argv` (process.argv's shape: node, script, args) asks for one. */
export function prestartWriterThread(argv: readonly string[]): void {
  if (prestarted !== null || !wantsWriterThread(argv.slice(2))) return;
  const job: DeferredJob = { deferred: true };
  try {
    // Required here, not imported: node:worker_threads loaded while rg-replay's start-up snapshot is built (which
    // runs this module's top level) starts workers that fail at once (their cwd counter, a SharedArrayBuffer, is not
    // in the snapshot); loaded at run time, as here and by the export's modules, they start.
    const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    prestarted = new threads.Worker(writerThreadUrl(), { workerData: job, execArgv: [], stdout: false, stderr: false });
  } catch {
    // Not started early: RowGroupThread starts one when the export needs it, and says why if it cannot.
    return;
  }
  prestarted.unref();
  // A worker that fails to load is started again, and its failure reported, by the export that needs it.
  prestarted.on('error', () => { prestarted = null; });
}

/** The prestarted writer thread, if there is one (once: it is the taker's). */
export function takePrestartedWriter(): Worker | null {
  const w = prestarted;
  prestarted = null;
  return w;
}

/**
 * The writer thread's script beside this module: the bundle's (dist/bin/row-group-worker.mjs,
 * this code being in dist/bin or dist/bin/chunks), else tsc's (dist/src/export/).
 */
export function writerThreadUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.mjs')) return new URL(/\/chunks\/[^/]+$/.test(here) ? '../row-group-worker.mjs' : './row-group-worker.mjs', here);
  return new URL('./row-group-worker.js', here);
}
