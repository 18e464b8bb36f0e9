/**
 * What an event is, for the per-process panels and the indicators: a program
 * run, a file written, a connection, and one group per other kind that
 * carries a path or a name (deletes, renames, DNS names... as the schema
 * gains them). Groups are chosen by what the registry says of a kind (its
 * process role, its field views, its path fields) and by the event's facts,
 * never by a kind's name, so a kind added to the schema lands in a panel of
 * its own without a change here.
 *
 * Badges on the process tree come from the same facts: conditions over the
 * events of exec-role kinds, user ids changing, credential-role kinds, and
 * entries in a listener group.
 */
import { compileRule, type CompiledRule } from '../replay/rules/evaluate.js';
import { type FactSource, type Match } from '../replay/rules/model.js';
import { type KindView } from './kinds.js';

export interface GroupDefinition {
  readonly id: string;
  readonly label: string;
  /** Shown among the indicators (every group is shown per process). */
  readonly indicator: boolean;
  /** Which kinds feed the group. */
  readonly kinds: (k: KindView) => boolean;
  /** Conditions on the event's facts (the detection rules' language), all of which must hold. */
  readonly match: Match;
  /** The entry's value from the event, and the fields it came from. */
  readonly subject: (k: KindView, facts: FactSource) => Subject | null;
  /** Facts shown beside the value when the event has them. */
  readonly detail: readonly string[];
  /**
   * Its values are the DNS names replay decoded from the event's message (what --json prints as `dns`), not a
   * field: one entry per name the message asks about.
   */
  readonly dnsNames?: true;
}

/** What an event is about, and the fields that say it (left out of the row's other fields). */
export interface Subject {
  readonly value: string;
  readonly fields: readonly string[];
}

/** The program: the kernel's path, or the path as passed when the capture has no kernel path (an older schema). */
const exeOf = (k: KindView, facts: FactSource) => firstText([k.exeField, k.exeAsPassedField], facts);
/** A kind's first path field that has a value: the registry lists the kernel's resolved path first. */
const pathOf = (k: KindView, facts: FactSource) => firstText(k.pathFields, facts);
export const endpointOf = (k: KindView, facts: FactSource): Subject | null => {
  const addr = k.addrField === null ? null : textFact(facts, k.addrField);
  if (addr === null) return null;
  const port = k.portField === null ? undefined : facts.get(k.portField);
  return {
    value: endpoint(addr, port === undefined || port === null ? undefined : String(port)),
    fields: [k.addrField!, ...(k.portField === null ? [] : [k.portField])],
  };
};
/** Kinds whose name says they set up listening sockets: their addresses are local, not a connection's. */
const LISTENER = /listen|bind/;

/** The groups every capture has; `kindGroups` adds one per further kind with paths or names. */
export const GROUPS: readonly GroupDefinition[] = [
  {
    id: 'executed', label: 'Programs executed', indicator: true, kinds: (k) => k.role === 'exec', match: {},
    subject: exeOf, detail: ['exe_dev', 'exe_ino', 'exe_deleted'],
  },
  {
    // A failed open did not write: it stays in the event table, not in the panel.
    id: 'written', label: 'Files written', indicator: true, kinds: (k) => k.hasView('open_flags') && k.pathFields.length > 0,
    match: { write: { equals: true }, result: { gte: 0 } }, subject: pathOf, detail: ['open_flags'],
  },
  {
    id: 'connections', label: 'Connections (remote address and port)', indicator: true,
    kinds: (k) => k.role === 'activity' && k.addrField !== null && !LISTENER.test(k.eventType), match: {}, subject: endpointOf, detail: ['error'],
  },
  {
    id: 'dns', label: 'DNS names (messages naming them)', indicator: true, kinds: (k) => k.kind.net === 'dns', match: {},
    subject: () => null, detail: [], dnsNames: true,
  },
];

/**
 * A group for a kind no built-in group takes, when it carries paths or other
 * text worth listing: named after the kind, shown per process and as an
 * indicator. Kinds that read as listeners feed the `listener` badge.
 */
export function kindGroup(k: KindView): GroupDefinition | null {
  const text = k.pathFields.length > 0 ? k.pathFields : k.textFields;
  if (k.role !== 'activity' && k.role !== 'cred') return null;
  if (text.length === 0 && k.addrField === null) return null;
  return {
    id: LISTENER.test(k.eventType) ? `listeners:${k.eventType}` : `kind:${k.eventType}`,
    label: k.eventType, indicator: true, kinds: (x) => x === k, match: {},
    subject: (kind, facts) => (text.length > 0 ? firstText(text, facts) : endpointOf(kind, facts)),
    detail: ['error'],
  };
}

/** In badge conditions, the exec kind's program path (its registry `exe` field), whatever the kind calls it. */
const EXE = '@exe';

export interface BadgeDefinition {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Events of exec-role kinds that earn the badge (any alternative). */
  readonly exec?: readonly Match[];
  /** Entries in a group whose id starts with this earn the badge. */
  readonly groupPrefix?: string;
}

export const BADGES: readonly BadgeDefinition[] = [
  {
    id: 'deleted_program', label: 'deleted/memfd program',
    description: 'ran a program file that had no links left (deleted, or memory-only: memfd, /proc/self/fd)',
    exec: [{ exe_deleted: { equals: true } }, { [EXE]: { prefix: ['memfd:', '/proc/self/fd/', '/dev/fd/'] } }, { [EXE]: { contains: '/memfd:' } }],
  },
  {
    id: 'world_writable', label: 'run from world-writable dir',
    description: 'program path under /tmp, /dev/shm, /var/tmp or /run/shm (judged by path: the capture does not record directory modes)',
    exec: [{ [EXE]: { prefix: ['/tmp/', '/dev/shm/', '/var/tmp/', '/run/shm/'] } }],
  },
  {
    id: 'privilege_change', label: 'user id changed',
    description: 'its events carry more than one user id, a different one than its parent\'s, or a credential change',
  },
  { id: 'listener', label: 'network listener', description: 'has a listening socket', groupPrefix: 'listeners:' },
];

export interface CompiledGroup extends GroupDefinition {
  readonly test: CompiledRule['test'];
}

export function compileGroup(g: GroupDefinition): CompiledGroup {
  const rule = compileRule({ id: `group.${g.id}`, title: g.label, severity: 'info', events: [], match: g.match, any: [] });
  return { ...g, test: rule.test };
}

/** A badge's test on the events of one kind. */
export interface ExecBadge {
  readonly id: string;
  readonly test: (facts: FactSource) => boolean;
}

/**
 * The badges an exec-role kind's events can earn, with `@exe` read as that
 * kind's program field, and also as the path the caller gave (a script run
 * from /tmp has an interpreter from /usr/bin as its program).
 */
export function compileExecBadges(k: KindView, badges: readonly BadgeDefinition[]): ExecBadge[] {
  if (k.role !== 'exec') return [];
  const exes = [k.exeField, k.exeAsPassedField].filter((f): f is string => f !== null);
  const rename = (m: Match, exe: string): Match => Object.fromEntries(Object.entries(m).map(([f, c]) => [f === EXE ? exe : f, c]));
  return badges.filter((b) => b.exec !== undefined).map((b) => ({
    id: b.id,
    test: compileRule({ id: `badge.${b.id}`, title: b.label, severity: 'info', events: [], match: {}, any: b.exec!.flatMap((m) => exes.map((exe) => rename(m, exe))) }).test,
  }));
}

export function endpoint(addr: string, port: string | undefined): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `name=value` for the detail facts the event has (true flags by name alone; false and empty left out). */
export function detailOf(names: readonly string[], facts: FactSource): string {
  const parts: string[] = [];
  for (const name of names) {
    const v = facts.get(name);
    if (v === undefined || v === null || v === false || v === '') continue;
    parts.push(v === true ? name : `${name}=${Array.isArray(v) ? v.join(' ') : String(v)}`);
  }
  return parts.join(' ');
}

/** The first of `names` with a non-empty text value. */
export function firstText(names: readonly (string | null)[], facts: FactSource): Subject | null {
  for (const n of names) {
    const v = n === null ? null : textFact(facts, n);
    if (v !== null) return { value: v, fields: [n!] };
  }
  return null;
}

function textFact(facts: FactSource, name: string | null): string | null {
  if (name === null) return null;
  const v = facts.get(name);
  return typeof v === 'string' && v !== '' ? v : null;
}
