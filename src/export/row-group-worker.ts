/**
 * The Parquet export's writer thread (row-group-thread.ts says why): it
 * writes the row groups the main thread gathers, into the files the main
 * thread names, in the order it is told, and gives each row group's emptied
 * buffers back. Each builder of the main thread has a twin here (same table,
 * same state from row group to row group: the column chunks it recorded to
 * repeat), so the files are the bytes a one-thread export writes.
 *
 * A failure is said once (as data: the main thread throws it as the class it
 * was); every later row group is dropped, still answered, so the main
 * thread's count of row groups on their way stays true.
 */
import { workerData } from 'node:worker_threads';
import { datasetIoError } from './dataset-layout.js';
import { eventTables } from './ocsf-table.js';
import { errorData } from './part-messages.js';
import { ColumnEncoder } from './parquet/column-encoder.js';
import { PARQUET_CREATED_BY, ParquetFileWriter } from './parquet/file-writer.js';
import { PageCompressor } from './parquet/zstd-pages.js';
import { PartitionBuilder, type ReceivedViews } from './partition.js';
import { type FromWriter, type ToWriter, type WriterJob } from './row-group-thread.js';

const job = workerData as WriterJob;
const port = job.port;
const replies = new Int32Array(job.replies);
const tables = eventTables();
const enc = new ColumnEncoder();
const compressor = new PageCompressor();
const files = new Map<number, ParquetFileWriter>();
const builders = new Map<number, PartitionBuilder>();
/** The process views' parts the main thread sent (partition.ts SentViews), for every builder. */
const views: ReceivedViews = new Map();
let failed = false;

function reply(m: FromWriter): void {
  port.postMessage(m);
  Atomics.add(replies, 0, 1);
  Atomics.notify(replies, 0);
}

function fail(e: unknown): void {
  if (failed) return;
  failed = true;
  reply({ t: 'failed', error: errorData(datasetIoError(job.outDir, e)) });
}

/** Aborts every open file (their temporary files removed). */
function dropFiles(): void {
  for (const f of files.values()) f.abort();
  files.clear();
}

function handle(m: ToWriter): void {
  switch (m.t) {
    case 'open':
      if (failed) return;
      try {
        files.set(m.file, ParquetFileWriter.create(m.path, tables[m.table].schema, { createdBy: PARQUET_CREATED_BY, compressor }));
      } catch (e) {
        fail(e);
      }
      return;
    case 'write': {
      if (failed) {
        reply({ t: 'written', table: m.table, g: null });
        return;
      }
      let b = builders.get(m.builder);
      try {
        if (b === undefined) builders.set(m.builder, (b = new PartitionBuilder(tables[m.table], '')));
        b.writeAdopted(m.g, files.get(m.file)!, enc, views);
      } catch (e) {
        fail(e);
        reply({ t: 'written', table: m.table, g: null });
        return;
      }
      const back = b.releaseBuffers();
      reply({ t: 'written', table: m.table, g: back });
      return;
    }
    case 'close': {
      const f = files.get(m.file);
      files.delete(m.file);
      if (f === undefined) return;
      // After a failure a file is not finished: dropped here, its temporary file removed (abort() no longer sees it).
      if (failed) {
        f.abort();
        return;
      }
      try {
        f.close();
      } catch (e) {
        // A full disk while the footer is written: the file is no longer open here, so drop it now.
        f.abort();
        fail(e);
      }
      return;
    }
    case 'forget':
      builders.delete(m.builder);
      return;
    case 'finish':
      if (!failed && files.size > 0) fail(new Error(`export: ${files.size} files not closed at the end`));
      reply({ t: 'finished' });
      return;
    case 'abort':
      dropFiles();
      reply({ t: 'aborted' });
  }
}

reply({ t: 'ready' });

port.on('message', (m: ToWriter) => {
  try {
    handle(m);
  } catch (e) {
    fail(e);
  }
});
