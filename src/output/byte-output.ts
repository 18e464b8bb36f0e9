/**
 * A reusable output buffer that the encoders write bytes into directly, handed
 * to a sink in batches (64 KiB by default) rather than per event.
 */
export type Sink = (bytes: Uint8Array) => void;

/** Longest line any encoder may write between two `reserve` calls. */
export const MAX_LINE_BYTES = 32 << 10;

export class ByteOutput {
  buf: Uint8Array;
  pos = 0;
  private readonly batch: number;

  constructor(private readonly sink: Sink, batchBytes = 64 << 10) {
    this.batch = batchBytes;
    this.buf = new Uint8Array(batchBytes + MAX_LINE_BYTES);
  }

  /** Makes room for one line: flushes when the batch is full. */
  reserve(): void {
    if (this.pos >= this.batch) this.flush();
  }

  flush(): void {
    if (this.pos === 0) return;
    // The sink may keep the bytes (async writers): give it its own copy only if it asks; sync sinks write at once.
    this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  ascii(text: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  bytes(src: Uint8Array): void {
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
}
