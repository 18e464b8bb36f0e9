/**
 * `rg-replay tree`: the process tree the capture saw, each process with what
 * it did (a count per counted kind: execs, opens, connects, ..., forks) and
 * how it ended.
 */
import { visible } from '../common/visible.js';
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessNode, type ProcessTable } from './process-table.js';
import { type NetState } from './net/net-state.js';

/** A process in `tree --json`: identity, then one count per counted kind (its counter key), then how it ended. */
export interface TreeNodeJson {
  pid: number; ppid: number; known: boolean; exe: string | null; argv: string[] | null; comm: string; uid: number;
  start: string | null;
  [count: string]: unknown;
  exit_code: number | null; signal: number | null;
  /** Its listening sockets and TCP connections out (with the name resolved), when it had any. */
  listeners?: string[]; connections?: string[];
  children: TreeNodeJson[];
}

export function treeJson(table: ProcessTable, clockFor: (host: string) => WallClock | null, net: NetState | null = null): TreeNodeJson[] {
  const toJson = (n: ProcessNode): TreeNodeJson => {
    const clock = clockFor(n.host);
    const activity = net?.activity(n) ?? null;
    return {
      pid: n.pid, ppid: n.ppid, known: n.startSeen, exe: n.exe, argv: n.argv, comm: n.comm, uid: n.uid,
      start: n.startNs !== null && clock ? clock.format(n.startNs) : null,
      ...table.countsOf(n),
      exit_code: n.exited ? n.exitCode : null, signal: n.exited ? n.signal : null,
      ...(activity !== null ? { listeners: activity.listeners, connections: activity.connections } : {}),
      children: n.children.map(toJson),
    };
  };
  return table.roots().map(toJson);
}

export function treeText(table: ProcessTable, net: NetState | null = null): string {
  const lines: string[] = [];
  const walk = (n: ProcessNode, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    // Programs, arguments and comms are the traced host's: shown with controls escaped (cut first, so no escape is cut in half).
    const what = n.exe !== null ? visible(n.exe) : `[${visible(n.comm || '?')}]`;
    const args = n.argv && n.argv.length > 1 ? visible(truncate(` ${n.argv.slice(1).join(' ')}`, 80)) : '';
    const known = n.startSeen ? '' : ' (started before capture)';
    const counts = table.schema.counted.map((k, i) => `${n.counts[i]} ${k.counter!.label}`).join(', ');
    const end = n.exited ? (n.signal ? ` killed by signal ${n.signal}` : ` exit ${n.exitCode}`) : '';
    lines.push(`${prefix}${branch}${n.pid} ${what}${args}${known} uid=${n.uid} [${counts}]${end}`);
    const childPrefix = root ? prefix : prefix + (last ? '   ' : '│  ');
    const activity = net?.activity(n) ?? null;
    if (activity !== null) {
      // Names resolved from captured DNS answers are the traced host's words: escaped like the rest.
      const rail = childPrefix + (n.children.length > 0 ? '│  ' : '   ');
      if (activity.listeners.length > 0) lines.push(`${rail}listens ${visible(activity.listeners.join(', '))}`);
      if (activity.connections.length > 0) lines.push(`${rail}connects ${visible(activity.connections.join(', '))}`);
    }
    n.children.forEach((c, i) => walk(c, childPrefix, i === n.children.length - 1, false));
  };
  for (const r of table.roots()) walk(r, '', true, true);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

function truncate(s: string, n: number): string {
  if (s.length <= n) return s;
  // Never cut a character in two (an astral one is two UTF-16 units).
  const cut = s.charCodeAt(n - 2) >= 0xd800 && s.charCodeAt(n - 2) <= 0xdbff ? n - 2 : n - 1;
  return `${s.slice(0, cut)}…`;
}
