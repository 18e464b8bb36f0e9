/**
 * The host's local user and group names, for the manifest: a capture read
 * elsewhere can then name uids and gids (Sigma's `User`) without the host.
 * Read from /etc/passwd and /etc/group at capture start; accounts only a
 * directory service knows (LDAP, sssd) and accounts added during the capture
 * are not named, and replay shows their numbers instead.
 */
import { readFileSync } from 'node:fs';

export type IdNames = [id: number, name: string][];

/** Entries kept per table and bytes per name: the files are the host's, so bounded like any input. */
const MAX_ENTRIES = 65_536;
const MAX_NAME = 256;

export function hostAccounts(passwd = '/etc/passwd', group = '/etc/group'): { users: IdNames; groups: IdNames } {
  return { users: readIdNames(passwd), groups: readIdNames(group) };
}

/** `name:x:id:...` lines: the first and third fields. Unreadable files give an empty table. */
export function readIdNames(path: string): IdNames {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: IdNames = [];
  for (const line of text.split('\n')) {
    if (out.length >= MAX_ENTRIES) break;
    const [name, , id] = line.split(':', 3);
    if (name === undefined || id === undefined || name === '' || name.startsWith('#') || name.length > MAX_NAME || !/^\d{1,10}$/.test(id)) continue;
    const n = Number(id);
    if (n <= 0xffffffff) out.push([n, name]);
  }
  return out;
}
