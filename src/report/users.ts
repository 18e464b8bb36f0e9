/**
 * User names for uids, from the capture's manifest (the host's /etc/passwd,
 * when the capturing build records it), per host as the process table keys
 * them. A malformed table (a damaged or crafted file) is left out: without
 * names the page shows numbers. The names are the traced host's, so hostile.
 */
import { type Manifest } from '../rgc/manifest.js';
import { processHostKey } from '../replay/hosts.js';

const MAX_NAMES = 65_536;
const MAX_NAME_LENGTH = 256;

export type UserNames = (host: string, uid: number) => string | null;

/** `files`: each input's path and manifest, in replay order. */
export function userNames(files: readonly { path: string; manifest: Manifest | null }[]): UserNames {
  const byHost = new Map<string, Map<number, string>>();
  for (const f of files) {
    const m = f.manifest;
    if (m === null) continue;
    // The process table's host key (replay/hosts.ts): hostname and boot id, or the file for captures without one.
    const host = processHostKey(m, f.path);
    const table = nameTable((m.host as { users?: unknown }).users);
    if (table !== null && !byHost.has(host)) byHost.set(host, table);
  }
  return (host, uid) => byHost.get(host)?.get(uid) ?? null;
}

function nameTable(v: unknown): Map<number, string> | null {
  if (!Array.isArray(v) || v.length > MAX_NAMES) return null;
  const out = new Map<number, string>();
  for (const e of v) {
    if (!Array.isArray(e) || e.length !== 2) return null;
    const [id, name] = e as unknown[];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) return null;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) return null;
    if (!out.has(id)) out.set(id, name);
  }
  return out;
}
