/** Locates the items of a well-formed capture (for tests that damage specific frames). */
import { FRAME_FIELD, FRAME_HEADER_PAYLOAD } from '../../src/rgc/format.js';

export interface Item {
  readonly kind: 'manifest' | 'frame' | 'stats' | 'end' | 'data';
  readonly offset: number;
  readonly length: number;
}

export function listItems(bytes: Uint8Array): Item[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: Item[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = view.getUint32(at + 4, true);
    const tag = String.fromCharCode(...bytes.subarray(at + 8, at + 12));
    const kinds: Record<string, Item['kind']> = { RGCM: 'manifest', RGCF: 'frame', RGCS: 'stats', RGCE: 'end' };
    const kind = kinds[tag];
    if (kind === undefined) throw new Error(`listItems: unknown tag ${tag} at ${at}`);
    items.push({ kind, offset: at, length: 8 + size });
    at += 8 + size;
    if (kind === 'frame') {
      const compressed = view.getUint32(at - FRAME_HEADER_PAYLOAD + FRAME_FIELD.compressedSize, true);
      items.push({ kind: 'data', offset: at, length: compressed });
      at += compressed;
    }
  }
  return items;
}
