/**
 * The header text each thread printed last (the NDJSON writers' memo, see
 * MEMO_FIRST in ndjson.ts): per slot, the header's record words (masked where
 * it holds bytes printed elsewhere) and the JSON text they printed. A slot is
 * a hash of thread and CPU; threads that share one just take turns, the words
 * decide. The writers compare keys in generated code; this is the storage.
 */
import { copyBytes } from './byte-output.js';

export const MEMO_SLOTS = 256;
/** Room for a slot's text; a longer one (a comm of escapes) is rendered every time instead. */
const MEMO_TEXT_BYTES = 256;

export class HeaderMemo {
  /** MEMO_SLOTS keys of `keyWords` words each. */
  readonly keys: Int32Array;
  readonly textBytes = new Uint8Array(MEMO_SLOTS * MEMO_TEXT_BYTES);
  /**
   * Each slot's text as a view of textBytes, null when empty: copied with one
   * `set` (a memcpy), which beat word stores for the ~150 bytes of the header.
   */
  readonly texts: (Uint8Array | null)[] = new Array<Uint8Array | null>(MEMO_SLOTS).fill(null);

  constructor(readonly keyWords: number) {
    this.keys = new Int32Array(MEMO_SLOTS * keyWords);
  }
}

/** Takes the record's masked words at `o` as the slot's key; memoStore adds the text once it is rendered. */
export function memoKeep(memo: HeaderMemo, slot: number, view: DataView, o: number, masks: Int32Array): void {
  const keys = memo.keys;
  const keyAt = slot * memo.keyWords;
  for (let k = 0; k < masks.length; k++) keys[keyAt + k] = view.getInt32(o + 4 * k, true) & masks[k];
  memo.texts[slot] = null;
}

/** Remembers the text rendered at `b[start, end)` as the slot's. */
export function memoStore(memo: HeaderMemo, slot: number, b: Uint8Array, start: number, end: number): void {
  if (end - start > MEMO_TEXT_BYTES) return;
  const at = slot * MEMO_TEXT_BYTES;
  copyBytes.call(memo.textBytes, b.subarray(start, end), at);
  memo.texts[slot] = memo.textBytes.subarray(at, at + end - start);
}
