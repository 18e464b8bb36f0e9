/**
 * Aho-Corasick over the literals rules require of one field: one pass over
 * the field's lowercased text finds every literal it contains, however many
 * rules there are. Measured with SigmaHQ's 144 Linux process_creation rules
 * (~500 literals): a `String.includes` per literal and rule cost ~30 us per
 * exec event; one scan per field costs ~1 us.
 *
 * ASCII moves through a full transition table (one array read per
 * character); other code units through per-node maps and failure links.
 *
 * A record's own strings (paths) are scanned as bytes, without decoding or
 * lowercasing them (`scanCString`), through a second table: A-Z folded into
 * the transitions, the states with outputs numbered last (one comparison
 * says whether a state ends a literal), entries premultiplied by 128. On the
 * bench's work capture (~400k file events, paths of ~80 bytes) the scan
 * takes ~210 ns a path, decoding, lowercasing and scanning the text ~600 ns.
 * (Rows narrowed to the ~40 characters literals have measured no faster.)
 */

const ASCII = 128;
const ASCII_SHIFT = 7;

/** scanCString met a byte outside ASCII: the text, decoded and lowercased, must be scanned instead. */
export const NOT_ASCII = -2;

/** ASCII code -> its lowercase (A-Z folded, as toLowerCase folds ASCII). */
const FOLD = Uint8Array.from({ length: ASCII }, (_, c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));

export class LiteralIndex {
  /** Full ASCII transition table: next state = delta[state * 128 + code]. */
  private readonly delta: Int32Array;
  /** Transitions on non-ASCII code units (sparse), and failure links for them. */
  private readonly wide: (Map<number, number> | null)[];
  private readonly fail: Int32Array;
  /** Literal ids ending at each state (its own and those of its failure chain), flattened. */
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  /** The byte scanner's table: next = bytes[state + code], states as (number * 128), A-Z folded. */
  private readonly bytes: Int32Array;
  private readonly byteRoot: number;
  /** States from this one (premultiplied) on end a literal; their ids are byteOutIds[byteOutStart[(s - byteOutFrom) >> 7] ...]. */
  private readonly byteOutFrom: number;
  private readonly byteOutStart: Int32Array;
  private readonly byteOutIds: Int32Array;

  constructor(literals: readonly string[]) {
    const goto: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    literals.forEach((lit, id) => {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const c = lit.charCodeAt(i);
        let next = goto[s].get(c);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          ends.push([]);
          goto[s].set(c, next);
        }
        s = next;
      }
      ends[s].push(id);
    });
    const n = goto.length;
    const fail = new Int32Array(n);
    const delta = new Int32Array(n * ASCII);
    const order: number[] = [0];
    for (let head = 0; head < order.length; head++) {
      const s = order[head];
      for (let c = 0; c < ASCII; c++) {
        const next = goto[s].get(c);
        if (next !== undefined) {
          fail[next] = s === 0 ? 0 : delta[fail[s] * ASCII + c];
          delta[s * ASCII + c] = next;
          order.push(next);
        } else {
          delta[s * ASCII + c] = s === 0 ? 0 : delta[fail[s] * ASCII + c];
        }
      }
      for (const [c, next] of goto[s]) {
        if (c < ASCII) continue;
        fail[next] = s === 0 ? 0 : stepWide(goto, fail, fail[s], c);
        order.push(next);
      }
    }
    // Outputs in BFS order, so a state's failure target is complete before it.
    const outs: number[][] = new Array(n);
    for (const s of order) outs[s] = s === 0 ? ends[0] : [...ends[s], ...outs[fail[s]]];
    const outStart = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) outStart[s + 1] = outStart[s] + outs[s].length;
    const outIds = new Int32Array(outStart[n]);
    for (let s = 0; s < n; s++) outIds.set(outs[s], outStart[s]);
    this.delta = delta;
    this.fail = fail;
    this.wide = goto.map((m) => {
      let wide: Map<number, number> | null = null;
      for (const [c, next] of m) if (c >= ASCII) (wide ??= new Map()).set(c, next);
      return wide;
    });
    this.outStart = outStart;
    this.outIds = outIds;

    // The byte scanner: states without outputs first, then those with.
    const rank = new Int32Array(n);
    const byRank: number[] = [];
    for (const withOutputs of [false, true]) {
      for (let s = 0; s < n; s++) {
        if ((outs[s].length > 0) !== withOutputs) continue;
        rank[s] = byRank.length;
        byRank.push(s);
      }
    }
    const firstOut = byRank.findIndex((s) => outs[s].length > 0);
    const outFrom = firstOut < 0 ? n : firstOut;
    const bytes = new Int32Array(n * ASCII);
    for (let s = 0; s < n; s++) {
      for (let c = 0; c < ASCII; c++) bytes[rank[s] * ASCII + c] = rank[delta[s * ASCII + FOLD[c]]] * ASCII;
    }
    const byteOutStart = new Int32Array(n - outFrom + 1);
    for (let r = outFrom; r < n; r++) byteOutStart[r - outFrom + 1] = byteOutStart[r - outFrom] + outs[byRank[r]].length;
    const byteOutIds = new Int32Array(byteOutStart[n - outFrom]);
    for (let r = outFrom; r < n; r++) byteOutIds.set(outs[byRank[r]], byteOutStart[r - outFrom]);
    this.bytes = bytes;
    this.byteRoot = rank[0] * ASCII;
    this.byteOutFrom = outFrom * ASCII;
    this.byteOutStart = byteOutStart;
    this.byteOutIds = byteOutIds;
  }

  /**
   * Writes the id of every literal `text` contains into `found` (once per
   * occurrence) and returns how many; -1 when `found` filled up (the caller
   * then treats every literal as present).
   */
  scan(text: string, found: Int32Array): number {
    const { delta, outStart, outIds } = this;
    let n = 0;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      s = c < ASCII ? delta[s * ASCII + c] : this.wideStep(s, c);
      for (let o = outStart[s], end = outStart[s + 1]; o < end; o++) {
        if (n === found.length) return -1;
        found[n++] = outIds[o];
      }
    }
    return n;
  }

  /**
   * `scan` of the text of a C string: the bytes `buf[start, end)` up to the
   * first NUL. When they are all ASCII, whose lowercase toLowerCase makes by
   * folding A-Z alone, the ids are those `scan(text.toLowerCase())` finds;
   * otherwise it returns NOT_ASCII, and the text must be scanned instead.
   */
  scanCString(buf: Uint8Array, start: number, end: number, found: Int32Array): number {
    const { bytes, byteOutFrom, byteOutStart, byteOutIds } = this;
    let n = 0;
    let s = this.byteRoot;
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c === 0) break;
      if (c >= ASCII) return NOT_ASCII;
      s = bytes[s + c];
      if (s < byteOutFrom) continue;
      const r = (s - byteOutFrom) >> ASCII_SHIFT;
      for (let o = byteOutStart[r], stop = byteOutStart[r + 1]; o < stop; o++) {
        if (n === found.length) return -1;
        found[n++] = byteOutIds[o];
      }
    }
    return n;
  }

  private wideStep(s: number, c: number): number {
    for (;;) {
      const next = this.wide[s]?.get(c);
      if (next !== undefined) return next;
      if (s === 0) return 0;
      s = this.fail[s];
    }
  }
}

function stepWide(goto: Map<number, number>[], fail: Int32Array, s: number, c: number): number {
  for (;;) {
    const next = goto[s].get(c);
    if (next !== undefined) return next;
    if (s === 0) return 0;
    s = fail[s];
  }
}
