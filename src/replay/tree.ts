/**
 * `rg-replay tree`: the process tree the capture saw, each process with the
 * programs it ran in order (its exec chain: `bash -> make`), what it did (a
 * count per counted kind: execs, opens, ..., forks; text shows those that
 * are not zero) and how it ended. A child is
 * attributed to the program its parent was running when it forked it, not to
 * the parent's last program. rg-capture itself, when it started the command
 * (`rg-capture -- CMD`), is named for what it is, as is its start gate.
 */
import { isStartGate } from '../common/start-gate.js';
import { visible } from '../common/visible.js';
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessImage, type ProcessNode, type ProcessTable } from './process-table.js';
import { type NetState } from './net/net-state.js';

export interface TreeImageJson { exe: string | null; argv: string[] | null; time: string | null; start_gate: boolean }

export interface TreeNodeJson {
  pid: number; ppid: number; known: boolean; exe: string | null; argv: string[] | null; comm: string; uid: number;
  euid: number | null; start: string | null;
  /** What the process ran, in order: the program inherited at fork (when known), then each exec. */
  images: TreeImageJson[];
  /** Index into the parent's `images` of the program that forked this process; null when the fork was not seen. */
  forked_by_image: number | null;
  /** True for rg-capture itself: it forked the command it was asked to run (`rg-capture -- CMD`). */
  recorder: boolean;
  [count: string]: unknown;
  exit_code: number | null; signal: number | null;
  /** Its listening sockets and TCP connections out (with the name resolved), when it had any. */
  listeners?: string[]; connections?: string[];
  children: TreeNodeJson[];
}

/** The programs worth showing: an inherited program is shown only when it is known. */
function chain(n: ProcessNode): ProcessImage[] {
  return n.images.filter((img, i) => i > 0 || img.exe !== null || img.execNs !== null);
}

/** rg-capture: a process that forked its start gate. */
function isRecorder(n: ProcessNode): boolean {
  return n.children.some((c) => c.forkedBy === currentOf(n) && c.images.some((img) => isStartGate(img.argv)));
}

function currentOf(n: ProcessNode): ProcessImage | null {
  return n.images.length > 0 ? n.images[n.images.length - 1] : null;
}

export function treeJson(table: ProcessTable, clockFor: (host: string) => WallClock | null, net: NetState | null = null): TreeNodeJson[] {
  const toJson = (n: ProcessNode): TreeNodeJson => {
    const clock = clockFor(n.host);
    const activity = net?.activity(n) ?? null;
    const time = (ns: bigint | null) => (ns !== null && clock ? clock.format(ns) : null);
    const parentImages = n.parent?.images ?? [];
    const forkedBy = n.forkedBy === null ? -1 : parentImages.indexOf(n.forkedBy);
    return {
      pid: n.pid, ppid: n.ppid, known: n.startSeen, exe: n.exe, argv: n.argv, comm: n.comm, uid: n.uid, euid: n.euid,
      start: time(n.startNs),
      images: chain(n).map((img) => ({ exe: img.exe, argv: img.argv, time: time(img.execNs), start_gate: isStartGate(img.argv) })),
      forked_by_image: forkedBy < 0 ? null : chain(n.parent!).indexOf(n.forkedBy!),
      recorder: isRecorder(n),
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
    const known = n.startSeen ? '' : ' (started before capture)';
    const counts = table.schema.counted.flatMap((k, i) => (n.counts[i] > 0 ? [`${n.counts[i]} ${k.counter!.label}`] : [])).join(', ') || 'nothing recorded';
    const end = n.exited ? (n.signal ? ` killed by signal ${n.signal}` : ` exit ${n.exitCode}`) : '';
    const ids = n.euid !== null && n.euid !== n.uid ? `uid=${n.uid} euid=${n.euid}` : `uid=${n.uid}`;
    lines.push(`${prefix}${branch}${n.pid} ${describe(n)}${attribution(n)}${known} ${ids} [${counts}]${end}`);
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

/**
 * `bash -> make -> /usr/bin/cc -c a.c`: earlier programs by name, the last with its arguments.
 * Programs, arguments and comms are the traced host's: shown with controls escaped (cut first, so no escape is cut in half).
 */
function describe(n: ProcessNode): string {
  if (isRecorder(n) && n.images.every((img) => img.execNs === null)) return 'rg-capture (the recorder)';
  const images = chain(n);
  if (images.length === 0) return n.exe !== null ? visible(n.exe) : `[${visible(n.comm || '?')}]`;
  const lastImage = images[images.length - 1];
  const earlier = images.slice(0, -1).map(shortName);
  const args = lastImage.argv && lastImage.argv.length > 1 && !isStartGate(lastImage.argv) ? ` ${lastImage.argv.slice(1).join(' ')}` : '';
  const lastName = isStartGate(lastImage.argv) ? "rg-capture's start gate" : lastImage.exe !== null ? visible(lastImage.exe) : `[${visible(n.comm || '?')}]`;
  return [...earlier, `${lastName}${visible(truncate(args, 80))}`].join(' -> ');
}

function shortName(img: ProcessImage): string {
  if (isStartGate(img.argv)) return "rg-capture's start gate";
  if (img.exe === null) return '?';
  const slash = img.exe.lastIndexOf('/');
  return visible(slash >= 0 && slash < img.exe.length - 1 ? img.exe.slice(slash + 1) : img.exe);
}

/** ` (forked by bash)` when the parent ran another program later: the child belongs to the one that forked it. */
function attribution(n: ProcessNode): string {
  const p = n.parent;
  if (p === null || n.forkedBy === null || n.forkedBy === currentOf(p)) return '';
  return ` (forked by ${shortName(n.forkedBy)})`;
}

function truncate(s: string, n: number): string {
  if (s.length <= n) return s;
  // Never cut a character in two (an astral one is two UTF-16 units).
  const cut = s.charCodeAt(n - 2) >= 0xd800 && s.charCodeAt(n - 2) <= 0xdbff ? n - 2 : n - 1;
  return `${s.slice(0, cut)}…`;
}
