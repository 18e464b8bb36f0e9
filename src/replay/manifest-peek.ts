/** Reads just a capture's manifest, to decide how several inputs relate (segments of one capture, or not). */
import { statSync } from 'node:fs';
import { type Manifest } from '../rgc/manifest.js';
import { RgcReader } from '../rgc/reader.js';
import { FormatError } from '../rgc/errors.js';
import { canReread, closeInput, openInput, readChunk, sha256File } from './input.js';
import { MAX_MANIFEST_BYTES, SKIPPABLE_HEADER_SIZE } from '../rgc/format.js';

/** Read size while looking for the manifest: most manifests fit the first read. */
const PEEK_CHUNK = 16 << 10;

/**
 * The manifest of a capture, or null when it has none that can be read. Only
 * regular files are peeked: stdin, a pipe (`<(zstdcat ...)`), a FIFO or a
 * device gives its bytes once, and the replay after the peek would find them
 * gone. Such an input is then its own capture in a merge, never a segment of
 * another or a copy: buffering it to peek could mean gigabytes in memory.
 */
export function readManifestOnly(path: string): Manifest | null {
  if (!canReread(path)) return null;
  let manifest: Manifest | null = null;
  let done = false;
  const reader = new RgcReader({ manifest: (m) => { manifest = m; }, frame: () => { done = true; return false; } });
  const fd = openInput(path);
  const buf = new Uint8Array(PEEK_CHUNK);
  try {
    // The manifest comes first and is bounded: stop once it is read, or past its largest size.
    for (let read = 0; manifest === null && !done && read <= MAX_MANIFEST_BYTES + SKIPPABLE_HEADER_SIZE;) {
      const n = readChunk(path, fd, buf);
      if (n === 0) break;
      read += n;
      reader.push(buf.subarray(0, n));
    }
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
  } finally {
    closeInput(path, fd);
  }
  return manifest;
}

/**
 * Groups inputs into captures: consecutive inputs that are segments of one
 * capture, in increasing segment order, form one chain (read in sequence);
 * every other input is a chain of its own.
 */
export function segmentChains(paths: readonly string[], manifests: readonly (Manifest | null)[]): string[][] {
  const chains: string[][] = [];
  paths.forEach((path, i) => {
    const m = manifests[i];
    const prev = i > 0 ? manifests[i - 1] : null;
    const continues = m !== null && prev !== null && chains.length > 0
      && m.segment.capture_id === prev.segment.capture_id && m.segment.index > prev.segment.index;
    if (continues) chains[chains.length - 1].push(path);
    else chains.push([path]);
  });
  return chains;
}

/**
 * `paths` without copies of an input given before: files whose manifests name
 * the same capture and segment, whose sizes are equal and whose bytes hash the
 * same (SHA-256, computed for those only). A copy would replay every event
 * twice; `note` says which was left out. Segments that differ in their bytes
 * (one altered?) are both kept: `verify` tells them apart.
 */
export function withoutCopies(paths: readonly string[], manifests: readonly (Manifest | null)[], note: (line: string) => void): { paths: string[]; manifests: (Manifest | null)[] } {
  const keep: string[] = [];
  const kept: (Manifest | null)[] = [];
  const firstOf = new Map<string, { path: string; sha: string | null }>();
  paths.forEach((path, i) => {
    const m = manifests[i];
    if (m === null || path === '-') {
      keep.push(path);
      kept.push(m);
      return;
    }
    const key = `${m.segment.capture_id}\0${m.segment.index}\0${statSync(path).size}`;
    const first = firstOf.get(key);
    if (first === undefined) {
      firstOf.set(key, { path, sha: null });
    } else {
      first.sha ??= sha256File(first.path);
      const sha = sha256File(path);
      if (sha === first.sha) {
        note(`${path} holds the same bytes as ${first.path} (SHA-256 ${sha}): read once`);
        return;
      }
    }
    keep.push(path);
    kept.push(m);
  });
  return { paths: keep, manifests: kept };
}
