/**
 * Which machine an input's events come from, decided in one place for replay,
 * tree, export and report: the process table's key (pids of two machines, or
 * of two boots of one, never share a node), the label merged output gives
 * each event and alert (`"host"`, `"capture"`), and the notes when captures
 * claim one boot id from different hosts or capture runs.
 *
 * The key is the hostname and the boot id, not the boot id alone: a cloned
 * VM image, a restored snapshot or a crafted file can carry another host's
 * boot id, and keyed by it alone hostB's pid 100 took hostA's pid 100's
 * program. Captures of one host and boot (a capture restarted) still share a
 * table, as they share the kernel's pids; a note says so.
 */
import { terminalSafeJson, textValue } from '../common/visible.js';
import { type Manifest } from '../rgc/manifest.js';

/** The process table's key for an input: hostname and boot id; the file for a capture without a boot id (or a manifest). */
export function processHostKey(manifest: Manifest | null, path: string): string {
  const boot = manifest?.host.boot_id;
  if (!boot || boot === 'unknown') return `file:${path}`;
  // As JSON: no hostname and boot id pair can spell another's key (a NUL or a separator inside either).
  return JSON.stringify([manifest!.host.hostname, boot]);
}

/** Longest hostname or capture id a label carries (Linux's HOST_NAME_MAX is 64; a capture id is 32 hex digits): a crafted manifest's megabyte name is cut. */
const LABEL_CHARS = 128;

/** Where an event of a merged replay comes from, rendered once per input for NDJSON and text. */
export interface InputOrigin {
  /** The capture's hostname and capture id (null without a manifest). */
  readonly host: string | null;
  readonly capture: string | null;
  /** Its boot id (null without a manifest): the tree labels a table's roots by host and boot. */
  readonly boot: string | null;
  /** `,"host":"…","capture":"…"`, appended to an NDJSON event. */
  readonly json: Uint8Array;
  /** ` host=…`, appended to a text line. */
  readonly text: Uint8Array;
}

function cut(s: string): string {
  return s.length <= LABEL_CHARS ? s : `${s.slice(0, LABEL_CHARS)}…`;
}

/** The origin label of an input, from its manifest. */
export function inputOrigin(manifest: Manifest | null): InputOrigin {
  const host = manifest === null ? null : cut(manifest.host.hostname);
  const capture = manifest === null ? null : cut(manifest.segment.capture_id);
  return {
    host, capture, boot: manifest === null ? null : cut(manifest.host.boot_id),
    json: Buffer.from(`,"host":${terminalSafeJson(host)},"capture":${terminalSafeJson(capture)}`),
    text: Buffer.from(` host=${host === null ? 'unknown' : textValue(host)}`),
  };
}

/**
 * Notes on captures that claim one boot id: from several hosts (a cloned
 * machine or a crafted file: their processes are kept apart, by host), or
 * from several capture runs of one host (they share one process table).
 * `inputs`: each input's path and manifest, in the order read.
 */
export function sharedBootNotes(inputs: readonly { path: string; manifest: Manifest | null }[]): string[] {
  const byBoot = new Map<string, { hosts: Map<string, string>; captures: Map<string, { host: string; path: string }> }>();
  for (const { path, manifest: m } of inputs) {
    if (m === null || !m.host.boot_id || m.host.boot_id === 'unknown') continue;
    let e = byBoot.get(m.host.boot_id);
    if (e === undefined) byBoot.set(m.host.boot_id, e = { hosts: new Map(), captures: new Map() });
    if (!e.hosts.has(m.host.hostname)) e.hosts.set(m.host.hostname, path);
    if (!e.captures.has(m.segment.capture_id)) e.captures.set(m.segment.capture_id, { host: m.host.hostname, path });
  }
  const notes: string[] = [];
  for (const [boot, e] of byBoot) {
    if (e.hosts.size > 1) {
      const hosts = [...e.hosts].map(([h, p]) => `${h} (${p})`).join(', ');
      notes.push(`boot id ${boot} is claimed by captures of ${e.hosts.size} hosts: ${hosts}; a cloned machine or a crafted file? Their processes are kept apart, by host`);
    }
    for (const host of e.hosts.keys()) {
      const runs = [...e.captures].filter(([, c]) => c.host === host);
      if (runs.length > 1) {
        notes.push(`${runs.length} captures of host ${host} have one boot id (${boot}): ${runs.map(([id, c]) => `${id} (${c.path})`).join(', ')}; their processes share one process table (a capture restarted, or a running machine cloned)`);
      }
    }
  }
  return notes;
}
