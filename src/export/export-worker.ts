/**
 * A worker thread of a parallel Parquet export (parallel-export.ts): a whole
 * one-thread export (driver.ts, ParquetWriter) over its range of frames,
 * writing its own files, after replaying the frames before its range for
 * state only. It says what it did, or how it failed, as a PartMessage.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Damage } from '../rgc/damage.js';
import { clocksByHost, ExportStopped, runExport } from './driver.js';
import { errorData, type PartJob, type PartMessage, partOutcome } from './part-messages.js';
import { ParquetWriter } from './parquet.js';

const job = workerData as PartJob;
const port = parentPort!;
const say = (m: PartMessage) => port.postMessage(m);
const stop = new Int32Array(job.stop);

try {
  const writer = ParquetWriter.join({ outDir: job.outDir, append: true, fileRows: job.fileRows, run: job.run, part: job.part, writerThread: false }, clocksByHost(job.inputs));
  const hooks = job.last ? { onDamage: (path: string, damage: Damage) => say({ type: 'damage', path, damage }) } : {};
  const r = await runExport(job.inputs, job.opts, writer, hooks, (t) => { writer.table = t; }, { first: job.first, end: job.end, stop });
  say({ type: 'done', outcome: partOutcome(r, writer, job.last) });
} catch (e) {
  // The other parts stop at their next frame; this one's open files are already dropped (runExport aborts its writer).
  if (!(e instanceof ExportStopped)) Atomics.store(stop, 0, 1);
  say({ type: 'failed', error: errorData(e) });
}
