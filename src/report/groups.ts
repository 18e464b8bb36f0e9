/**
 * What an event is, for the per-process panels and the indicators: a program
 * executed, a file written, deleted or renamed, a connection, a listener, a
 * DNS name. Written as rules in the detection rules' own language (facts and
 * conditions), so a new kind joins a group with one entry here. A kind with
 * path fields and no entry still gets a panel of its own, named after it.
 *
 * Badges on the process tree come from the same facts: rules over single
 * events, groups a process has entries in, and user ids changing.
 */
import { compileRule, type CompiledRule } from '../replay/rules/evaluate.js';
import { type Facts, type Rule } from '../replay/rules/model.js';

export type SubjectFormat =
  /** The facts' values joined by ' → ' (a rename: old → new). */
  | 'text'
  /** `addr:port`, IPv6 in brackets. */
  | 'endpoint';

export interface GroupDefinition {
  readonly id: string;
  readonly label: string;
  /** Shown as an indicator of compromise (every group is shown per process). */
  readonly indicator: boolean;
}

export interface GroupRule {
  readonly group: string;
  readonly events: readonly string[];
  readonly match: Rule['match'];
  readonly any?: Rule['any'];
  /** Facts that make up the entry's value, in order. */
  readonly subject: readonly string[];
  readonly format: SubjectFormat;
  /** Facts shown beside the value (device, inode, flags...), when the event has them. */
  readonly detail: readonly string[];
}

export const GROUPS: readonly GroupDefinition[] = [
  { id: 'executed', label: 'Programs executed', indicator: true },
  { id: 'written', label: 'Files written', indicator: true },
  { id: 'deleted', label: 'Files deleted', indicator: true },
  { id: 'renamed', label: 'Files renamed', indicator: true },
  { id: 'connections', label: 'Connections (remote address and port)', indicator: true },
  { id: 'listeners', label: 'Listening sockets', indicator: true },
  { id: 'dns', label: 'DNS names', indicator: true },
];

const ok = { result: { gte: 0 } };

export const GROUP_RULES: readonly GroupRule[] = [
  { group: 'executed', events: ['process_start'], match: {}, subject: ['filename'], format: 'text', detail: ['exe_dev', 'exe_ino', 'exe_deleted'] },
  // A failed open did not write: it stays in the event table, not in the panel.
  { group: 'written', events: ['file_open'], match: { write: { equals: true }, ...ok }, subject: ['path'], format: 'text', detail: ['open_flags'] },
  { group: 'connections', events: ['net_connect'], match: {}, subject: ['addr', 'port'], format: 'endpoint', detail: ['error'] },
];

export interface BadgeDefinition {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** An event of the process that earns the badge. */
  readonly rule?: Omit<Rule, 'id' | 'title' | 'severity'>;
  /** Entries in this group earn the badge. */
  readonly group?: string;
}

export const BADGES: readonly BadgeDefinition[] = [
  {
    id: 'deleted_program', label: 'deleted/memfd program',
    description: 'ran a program file that had no links left (deleted, or memory-only: memfd, /proc/self/fd)',
    rule: { events: ['process_start'], match: {}, any: [{ exe_deleted: { equals: true } }, { filename: { prefix: ['memfd:', '/proc/self/fd/', '/dev/fd/'] } }, { filename: { contains: '/memfd:' } }] },
  },
  {
    id: 'world_writable', label: 'run from world-writable dir',
    description: 'program path under /tmp, /dev/shm, /var/tmp or /run/shm (judged by path: the capture does not record directory modes)',
    rule: { events: ['process_start'], match: { filename: { prefix: ['/tmp/', '/dev/shm/', '/var/tmp/', '/run/shm/'] } }, any: [] },
  },
  {
    id: 'privilege_change', label: 'user id changed',
    description: 'its events carry more than one user id, or a different one than its parent\'s',
  },
  { id: 'listener', label: 'network listener', description: 'has a listening socket', group: 'listeners' },
];

export interface CompiledGroupRule extends GroupRule {
  readonly compiled: CompiledRule;
}

export interface CompiledBadge extends BadgeDefinition {
  readonly compiled: CompiledRule | null;
}

function asRule(id: string, r: Omit<Rule, 'id' | 'title' | 'severity'>): Rule {
  return { id, title: id, severity: 'info', events: r.events, match: r.match, any: r.any ?? [] };
}

export function compileGroupRules(rules: readonly GroupRule[] = GROUP_RULES): CompiledGroupRule[] {
  return rules.map((r) => ({ ...r, compiled: compileRule(asRule(`group.${r.group}`, { events: r.events, match: r.match, any: r.any ?? [] })) }));
}

export function compileBadges(badges: readonly BadgeDefinition[] = BADGES): CompiledBadge[] {
  return badges.map((b) => ({ ...b, compiled: b.rule ? compileRule(asRule(`badge.${b.id}`, b.rule)) : null }));
}

/** The entry's value from the facts, or null when a subject fact is missing or empty. */
export function subjectOf(rule: GroupRule, facts: Facts): string | null {
  const parts: string[] = [];
  for (const name of rule.subject) {
    const v = facts.get(name);
    if (v === undefined || v === null || v === '') return null;
    parts.push(Array.isArray(v) ? v.join(' ') : String(v));
  }
  if (rule.format === 'endpoint') return endpoint(parts[0], parts[1]);
  return parts.join(' → ');
}

export function endpoint(addr: string, port: string | undefined): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `name=value` for the detail facts the event has (true flags by name alone; false and empty left out). */
export function detailOf(names: readonly string[], facts: Facts): string {
  const parts: string[] = [];
  for (const name of names) {
    const v = facts.get(name);
    if (v === undefined || v === null || v === false || v === '') continue;
    parts.push(v === true ? name : `${name}=${Array.isArray(v) ? v.join(' ') : String(v)}`);
  }
  return parts.join(' ');
}
