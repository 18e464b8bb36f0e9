/**
 * The two zstd operations the format needs, on caller-owned buffers so that
 * neither side allocates per frame, and so that a frame can never decompress
 * into more memory than the reader set aside for it.
 */
import { createRequire } from 'node:module';
import type * as Binding from 'zstd-napi/binding.js';

/**
 * The native binding, loaded when the first (de)compressor is made, not when
 * this module is: rg-replay's start-up snapshot (scripts/bundle-replay.ts)
 * runs every module's top level while it is built, and a native addon cannot
 * be part of a snapshot.
 */
let binding: typeof Binding | null = null;
function zstdBinding(): typeof Binding {
  binding ??= createRequire(import.meta.url)('zstd-napi/binding') as typeof Binding;
  return binding;
}

export class FrameCompressor {
  private readonly zstd = zstdBinding();
  private readonly cctx = new this.zstd.CCtx();
  private out: Uint8Array;

  constructor(level: number, maxInput: number) {
    const zstd = this.zstd;
    this.cctx.setParameter(zstd.CParameter.compressionLevel, level);
    this.cctx.setParameter(zstd.CParameter.checksumFlag, 1);
    this.cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
    this.out = new Uint8Array(zstd.compressBound(maxInput));
  }

  /** Compresses `input` into one zstd frame; the result is a view valid until the next call. */
  compress(input: Uint8Array): Uint8Array {
    const bound = this.zstd.compressBound(input.length);
    if (bound > this.out.length) this.out = new Uint8Array(bound);
    const written = this.cctx.compress2(this.out, input);
    return this.out.subarray(0, written);
  }
}

export type DecompressResult = { ok: true; raw: Uint8Array } | { ok: false; reason: string };

/**
 * Output room is allocated in steps of this size. A writer's frames are its
 * target size plus at most one record, so their raw sizes differ by up to a
 * record: sized exactly, each slightly larger frame replaced the buffer, and
 * a merge of 100 inputs, whose buffers all grew at about the same frame,
 * held the 100 old ones (1 MB each) as garbage until the next full GC (the
 * bench's 100 small captures: +75 MB of peak RSS). A step of 16 KB covers a
 * record of every kind of this schema (the largest is under 2 KB) for 1.6%
 * of a 1 MB frame.
 */
const OUT_STEP = 16 << 10;

/**
 * One decompression context for the whole process: decompression is
 * synchronous and one-shot (a context keeps nothing from one frame to the
 * next), so every reader shares it and keeps only its output buffer. Once
 * used, a context holds ~46 KB of native memory: a merge of 100 inputs held
 * 4.6 MB of them.
 */
let sharedDctx: InstanceType<typeof Binding.DCtx> | null = null;

export class FrameDecompressor {
  private readonly zstd = zstdBinding();
  /** Grown to the largest frame seen (bounded by maxOutput): a reader of small frames stays small. */
  private out: Uint8Array = new Uint8Array(0);

  /**
   * `region`: memory to decompress into instead of its own (the NDJSON
   * encoder's arena, src/output/plain-ascii.ts), used when a frame fits it.
   */
  constructor(private readonly maxOutput: number, private readonly region: Uint8Array | null = null) {}

  /**
   * Decompresses exactly one zstd frame that must yield exactly `expectedRaw`
   * bytes (<= the size given at construction). Content checksum is verified
   * by zstd. The result is a view valid until the next call.
   */
  decompress(frame: Uint8Array, expectedRaw: number): DecompressResult {
    if (expectedRaw > this.maxOutput) return { ok: false, reason: `claims ${expectedRaw} raw bytes, over the limit` };
    let frameSize: number;
    try {
      frameSize = this.zstd.findFrameCompressedSize(frame);
    } catch (e) {
      return { ok: false, reason: `not a zstd frame (${messageOf(e)})` };
    }
    if (frameSize !== frame.length) return { ok: false, reason: `zstd frame is ${frameSize} bytes, header says ${frame.length}` };
    const declared = this.zstd.getFrameContentSize(frame);
    if (declared !== expectedRaw) return { ok: false, reason: `zstd frame holds ${String(declared)} bytes, header says ${expectedRaw}` };
    // One extra byte of room: a frame that decompresses to more than it claims fails here instead of fitting.
    const want = Math.min(this.maxOutput, expectedRaw + 1);
    // To the size asked in steps, not doubled: frames cluster just above the writer's target size, and each
    // open input of a merge holds one (a doubling gave each twice the room its frames need).
    if (this.out.length < want) {
      this.out = this.region !== null && this.region.length >= want ? this.region
        : new Uint8Array(Math.max(want, Math.min(this.maxOutput, Math.ceil(want / OUT_STEP) * OUT_STEP)));
    }
    const room = this.out.subarray(0, want);
    let got: number;
    try {
      sharedDctx ??= new this.zstd.DCtx();
      got = sharedDctx.decompress(room, frame);
    } catch (e) {
      return { ok: false, reason: `zstd: ${messageOf(e)}` };
    }
    if (got !== expectedRaw) return { ok: false, reason: `decompressed to ${got} bytes, header says ${expectedRaw}` };
    return { ok: true, raw: this.out.subarray(0, got) };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
