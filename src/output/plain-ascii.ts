/**
 * Copying the plain start of a string 16 bytes at a time: a small
 * WebAssembly SIMD function, `plain(s, end, d)`, that copies the bytes from
 * address `s` to `d` while each is printable ASCII other than `"` and `\`
 * (0x20..0x7e without 0x22, 0x5c: what JSON and the terminal rule print as
 * they are) and returns how many it copied, stopping at `end` or at the
 * first other byte (the NUL that ends a C string, a byte to escape, UTF-8 to
 * validate), which the caller's JavaScript then handles as before.
 *
 * Why: paths are most of an event's string bytes (about 2 per event, 40-60
 * bytes each on the bench's work capture), and JavaScript copied them 4
 * bytes per step at ~4.5 ns a step (a DataView word load, the has-byte tests,
 * a word store): ~75 ns a path. This function takes ~7 ns for one, call
 * included (encoder only, 240k real events: 390 -> 300 ns per event).
 *
 * WebAssembly reads only its own memory, so both sides live in one: the
 * arena below lends out a frame region (the decompressor writes frames
 * there) and an output region (the NDJSON lines), each to one holder at a
 * time. Anything elsewhere takes the JavaScript path, with the same output.
 *
 * The module is assembled here, byte by byte, from the listing below (no
 * toolchain, nothing binary in the repository). As text format:
 *
 *   (func (export "plain") (param $s i32) (param $end i32) (param $d i32) (result i32)
 *     (local $start i32) (local $m i32) (local $v v128)
 *     (local.set $start (local.get $s))
 *     (block $done (loop $block
 *       (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
 *       (local.set $v (v128.load (local.get $s)))
 *       (v128.store (local.get $d) (local.get $v))       ;; up to 15 bytes past the copy: scratch
 *       (local.set $m (i8x16.bitmask (v128.or (v128.or (v128.or
 *         (i8x16.lt_u (local.get $v) (i8x16.splat 0x20)) (i8x16.gt_u (local.get $v) (i8x16.splat 0x7e)))
 *         (i8x16.eq (local.get $v) (i8x16.splat 0x22))) (i8x16.eq (local.get $v) (i8x16.splat 0x5c)))))
 *       (if (local.get $m) (then
 *         (local.set $s (i32.add (local.get $s) (i32.ctz (local.get $m))))
 *         (br $done)))
 *       (local.set $s (i32.add (local.get $s) (i32.const 16)))
 *       (local.set $d (i32.add (local.get $d) (i32.const 16)))
 *       (br $block)))
 *     (i32.sub (select (local.get $s) (local.get $end) (i32.lt_u (local.get $s) (local.get $end))) (local.get $start)))
 *
 * It reads up to 15 bytes past `end` and writes up to 15 past the bytes it
 * copied: every region has REGION_SLACK bytes after it that belong to no one.
 */
const I32 = 0x7f;
const V128 = 0x7b;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const get = (local: number): number[] => [0x20, local];
const set = (local: number): number[] => [0x21, local];
/** v128.const with every byte `b` (i8x16.splat of a constant). */
const splat = (b: number): number[] => [...simd(12), ...new Array<number>(16).fill(b)];
const addConst = (local: number, n: number): number[] => [...get(local), 0x41, ...leb(n), 0x6a, ...set(local)];

/** The module's bytes: imports memory `e.m`, exports `plain`. Locals: 0 s, 1 end, 2 d, 3 start, 4 m, 5 v. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const S = 0, END = 1, D = 2, START = 3, M = 4, V = 5;
  const V128_LOAD = 0, V128_STORE = 11, I8X16_EQ = 35, I8X16_LT_U = 38, I8X16_GT_U = 40, V128_OR = 80, I8X16_BITMASK = 100;
  const body = [
    ...get(S), ...set(START),
    0x02, 0x40, // block $done
    0x03, 0x40, // loop $block
    ...get(S), ...get(END), 0x4f, 0x0d, 1, // i32.ge_u; br_if $done
    ...get(S), ...simd(V128_LOAD), 0, 0, ...set(V),
    ...get(D), ...get(V), ...simd(V128_STORE), 0, 0,
    ...get(V), ...splat(0x20), ...simd(I8X16_LT_U),
    ...get(V), ...splat(0x7e), ...simd(I8X16_GT_U), ...simd(V128_OR),
    ...get(V), ...splat(0x22), ...simd(I8X16_EQ), ...simd(V128_OR),
    ...get(V), ...splat(0x5c), ...simd(I8X16_EQ), ...simd(V128_OR),
    ...simd(I8X16_BITMASK), ...set(M),
    ...get(M), 0x04, 0x40, // if
    ...get(S), ...get(M), 0x68, 0x6a, ...set(S), // s += ctz(m)
    0x0c, 2, // br $done
    0x0b, // end if
    ...addConst(S, 16), ...addConst(D, 16),
    0x0c, 0, // br $block
    0x0b, 0x0b, // end loop, end block
    ...get(S), ...get(END), ...get(S), ...get(END), 0x49, 0x1b, // select(s, end, s < end)
    ...get(START), 0x6b, // i32.sub
    0x0b,
  ];
  const code = [...vec([[1, I32], [1, I32], [1, V128]]), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])), // type: (i32 i32 i32) -> i32
    ...section(2, vec([[...name('e'), ...name('m'), 0x02, 0x00, ...leb(1)]])), // import memory e.m, min 1 page
    ...section(3, vec([leb(0)])), // one function of type 0
    ...section(7, vec([[...name('plain'), 0x00, ...leb(0)]])), // export it
    ...section(10, vec([[...leb(code.length), ...code]])),
  ]);
}

/** Bytes after each region that belong to no one: `plain` reads and writes up to 15 past its ends. */
const REGION_SLACK = 64;
/** The output region: room for ByteOutput's batch and longest line (byte-output.ts), with margin. */
export const OUTPUT_REGION_BYTES = 512 << 10;
/**
 * The frame region: the largest frame a reader accepts (MAX_FRAME_RAW_BYTES
 * in src/rgc/format.ts, which output does not import; a test holds them
 * equal), plus the decompressor's extra byte. A decompressor given a region
 * too small for a frame uses its own memory for it.
 */
export const FRAME_REGION_BYTES = (4 << 20) + 1;
const PAGE = 64 << 10;

type Plain = (s: number, end: number, d: number) => number;

/**
 * One WebAssembly memory with two regions, each lent to one holder at a time
 * (a second asker gets null and uses ordinary memory). Pages never written
 * cost no memory: the frame region is touched only as far as frames reach.
 */
export class PlainAsciiArena {
  readonly plain: Plain;
  private readonly buffer: ArrayBuffer;
  private readonly output: Uint8Array;
  private readonly frames: Uint8Array;
  private outputLent = false;
  private framesLent = false;

  constructor() {
    const framesAt = OUTPUT_REGION_BYTES + REGION_SLACK;
    const pages = Math.ceil((framesAt + FRAME_REGION_BYTES + REGION_SLACK) / PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), { e: { m: memory } });
    this.plain = instance.exports.plain as Plain;
    this.buffer = memory.buffer;
    this.output = new Uint8Array(this.buffer, 0, OUTPUT_REGION_BYTES);
    this.frames = new Uint8Array(this.buffer, framesAt, FRAME_REGION_BYTES);
  }

  /** The output region's first `size` bytes, or null when lent (or too small). Give it back with `release`. */
  lendOutput(size: number): Uint8Array | null {
    if (this.outputLent || size > OUTPUT_REGION_BYTES) return null;
    this.outputLent = true;
    return this.output.subarray(0, size);
  }

  /** The frame region, or null when lent. Give it back with `release`. */
  lendFrames(): Uint8Array | null {
    if (this.framesLent) return null;
    this.framesLent = true;
    return this.frames;
  }

  release(region: Uint8Array): void {
    if (region.buffer !== this.buffer) return;
    if (region.byteOffset === this.frames.byteOffset) this.framesLent = false;
    else if (region.byteOffset === 0) this.outputLent = false;
  }

  /** The address of `bytes[0]` in the arena's memory, or -1 when `bytes` lives elsewhere. */
  addressOf(bytes: Uint8Array): number {
    return bytes.buffer === this.buffer ? bytes.byteOffset : -1;
  }
}

let shared: PlainAsciiArena | null | undefined;

/** `plain` of the arena; before there is one, nothing calls it (no bytes live in the arena, so every address is -1). */
export let copyPlain: Plain = () => 0;

/** The arena if the process has made one (without making it). */
export function existingPlainAsciiArena(): PlainAsciiArena | null {
  return shared ?? null;
}

/** The address of `bytes[0]` in the process's arena, or -1 (elsewhere, or no arena yet). */
export function arenaAddressOf(bytes: Uint8Array): number {
  return shared === undefined || shared === null ? -1 : shared.addressOf(bytes);
}

/** The process's arena, made on first use; null where WebAssembly SIMD is not available (everything then runs in JavaScript). */
export function plainAsciiArena(): PlainAsciiArena | null {
  if (shared === undefined) {
    shared = typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes()) ? new PlainAsciiArena() : null;
    if (shared !== null) copyPlain = shared.plain;
  }
  return shared;
}
