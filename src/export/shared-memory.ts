/**
 * Buffers of a row group being gathered, allocated as SharedArrayBuffers.
 * They go between the main thread and the export's writer thread
 * (row-group-thread.ts) and back again, row group after row group. Moved as
 * transferred ArrayBuffers, each arrival counted as new external memory in
 * the isolate receiving it, and V8 started a full collection in both
 * isolates about once per row group (57 instead of 13 on the work capture,
 * +1 s of GC threads' CPU). A SharedArrayBuffer is posted by reference and
 * counted by no isolate. Only one thread uses a row group's buffers at a
 * time: the one that holds the message that gave them.
 */

export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

export function sharedWords(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}
