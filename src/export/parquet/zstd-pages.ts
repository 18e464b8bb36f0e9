/**
 * zstd compression of page bodies (Parquet's ZSTD codec: one standard zstd
 * frame per page), through the zstd-napi binding the capture format already
 * uses. One context, one output buffer grown to the largest page: nothing is
 * allocated per page. No frame checksum (Parquet does not ask for one, and it
 * costs a pass over every page).
 */
import { createRequire } from 'node:module';
import type * as Binding from 'zstd-napi/binding.js';

const require = createRequire(import.meta.url);
const zstd = require('zstd-napi/binding') as typeof Binding;

/** zstd level of the export's pages: zstd's default, not tuned (a lower level would trade size for speed; not measured yet). */
export const PAGE_ZSTD_LEVEL = 3;

export class PageCompressor {
  private readonly cctx = new zstd.CCtx();
  private out = new Uint8Array(1 << 16);

  constructor(level = PAGE_ZSTD_LEVEL) {
    this.cctx.setParameter(zstd.CParameter.compressionLevel, level);
    this.cctx.setParameter(zstd.CParameter.checksumFlag, 0);
    this.cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
  }

  /** One zstd frame of `input`; the result is a view valid until the next call. */
  compress(input: Uint8Array): Uint8Array {
    const bound = zstd.compressBound(input.length);
    if (bound > this.out.length) this.out = new Uint8Array(Math.max(bound, this.out.length * 2));
    const n = this.cctx.compress2(this.out, input);
    return this.out.subarray(0, n);
  }
}
