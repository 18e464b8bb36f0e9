/** Reads just a capture's manifest, to decide how several inputs relate (segments of one capture, or not). */
import { closeSync, openSync, readSync } from 'node:fs';
import { type Manifest } from '../rgc/manifest.js';
import { RgcReader } from '../rgc/reader.js';
import { FormatError } from '../rgc/errors.js';

const PEEK_BYTES = 1 << 20;

export function readManifestOnly(path: string): Manifest | null {
  if (path === '-') return null;
  let manifest: Manifest | null = null;
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(PEEK_BYTES + 16);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const reader = new RgcReader({ manifest: (m) => { manifest = m; } });
    try {
      reader.push(buf.subarray(0, n));
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
    }
  } finally {
    closeSync(fd);
  }
  return manifest;
}

/** True when all inputs are segments of one capture, given in segment order. */
export function sameCapture(manifests: readonly (Manifest | null)[]): boolean {
  if (manifests.some((m) => m === null)) return false;
  const first = manifests[0]!.segment.capture_id;
  return manifests.every((m, i) => m!.segment.capture_id === first && (i === 0 || m!.segment.index > manifests[i - 1]!.segment.index));
}
