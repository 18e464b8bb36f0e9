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
import { terminalSafeJsonText, visible } from '../common/visible.js';
import { type WallClock } from '../output/wall-clock.js';
import { movedFrom } from './ancestry.js';
import { type ProcessImage, type ProcessNode, type ProcessTable } from './process-table.js';
import { type NetState } from './net/net-state.js';
import { type InputOrigin } from './hosts.js';

/** A process table key's origin, when the tree is of several captures (merged replay); null otherwise. */
export type OriginOf = (host: string) => InputOrigin | null;
const NO_ORIGINS: OriginOf = () => null;

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
  /**
   * The pid of the process that forked it, when the kernel has since given it to another parent (its
   * starter's exit: a daemon's double fork): the one it is listed under, or, when that one is not in the
   * capture, `ppid` (it is then listed at the top); absent otherwise.
   */
  started_by?: number;
  /** A root's host and boot id, when the tree is of several captures: pids of two hosts are two trees. */
  host?: string | null;
  boot_id?: string | null;
  children: TreeNodeJson[];
}

/** The programs worth showing: an inherited program is shown only when it is known. */
function chain(n: ProcessNode): ProcessImage[] {
  return n.images.filter((img, i) => i > 0 || img.exe !== null || img.execNs !== null);
}

/**
 * The pids of the captures' recorders (rg-capture itself) on a host, from the manifests (`capture.recorder_pid`), or
 * null when a capture of that host does not name it (written by an older build): then the recorder is told by its
 * start gate's command line alone, which any process can copy.
 */
export type RecordersOf = (host: string) => ReadonlySet<number> | null;
const BY_COMMAND_LINE: RecordersOf = () => null;

/** rg-capture: the process the manifest names, or (older captures) a process that forked its start gate. */
function isRecorder(n: ProcessNode, recorders: RecordersOf): boolean {
  const pids = recorders(n.host);
  if (pids !== null) return pids.has(n.pid) && n.images.every((img) => img.execNs === null);
  return n.children.some((c) => c.forkedBy === currentOf(n) && c.images.some((img) => isStartGate(img.argv)));
}

/** An image that is rg-capture's start gate: its command line, in a child of the recorder where the manifest names it. */
function isGate(n: ProcessNode, img: ProcessImage, recorders: RecordersOf): boolean {
  if (!isStartGate(img.argv)) return false;
  const pids = recorders(n.host);
  return pids === null || pids.has(n.ppid);
}

function currentOf(n: ProcessNode): ProcessImage | null {
  return n.images.length > 0 ? n.images[n.images.length - 1] : null;
}

/**
 * The tree as nested objects. Built without recursion: a traced host decides how deep its tree is (a
 * chain of forks, each parent exiting, is cheap to make), and JavaScript's stack is not (~10k frames).
 */
export function treeJson(table: ProcessTable, clockFor: (host: string) => WallClock | null, net: NetState | null = null, originOf: OriginOf = NO_ORIGINS,
  recorders: RecordersOf = BY_COMMAND_LINE): TreeNodeJson[] {
  const toJson = (n: ProcessNode): TreeNodeJson => {
    const clock = clockFor(n.host);
    const activity = net?.activity(n) ?? null;
    const time = (ns: bigint | null) => (ns !== null && clock ? clock.format(ns) : null);
    const parentImages = n.parent?.images ?? [];
    const forkedBy = n.forkedBy === null ? -1 : parentImages.indexOf(n.forkedBy);
    const starter = movedFrom(n);
    return {
      pid: n.pid, ppid: n.ppid, known: n.startSeen, exe: n.exe, argv: n.argv, comm: n.comm, uid: n.uid, euid: n.euid,
      start: time(n.startNs),
      images: chain(n).map((img) => ({ exe: img.exe, argv: img.argv, time: time(img.execNs), start_gate: isGate(n, img, recorders) })),
      forked_by_image: forkedBy < 0 ? null : chain(n.parent!).indexOf(n.forkedBy!),
      recorder: isRecorder(n, recorders),
      ...table.countsOf(n),
      exit_code: n.exited ? n.exitCode : null, signal: n.exited ? n.signal : null,
      ...(activity !== null ? { listeners: activity.listeners, connections: activity.connections } : {}),
      ...(starter !== null ? { started_by: starter.pid } : {}),
      children: [],
    };
  };
  const roots: TreeNodeJson[] = [];
  // Each entry: a node and the list its object goes into (its parent's children), taken in pre-order.
  const stack: [ProcessNode, TreeNodeJson[]][] = table.roots().map((r) => [r, roots] as [ProcessNode, TreeNodeJson[]]).reverse();
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [n, into] = top;
    const j = toJson(n);
    const origin = into === roots ? originOf(n.host) : null;
    if (origin !== null) {
      // Before its children (the last key, as treeJsonText expects).
      const { children, ...rest } = j;
      into.push({ ...rest, host: origin.host, boot_id: origin.boot, children });
      for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], children]);
      continue;
    }
    into.push(j);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], j.children]);
  }
  return roots;
}

/**
 * The tree's JSON text, as terminalSafeJson(treeJson(...)) would give it for a tree of any depth:
 * JSON.stringify recurses, and a chain of 100,000 forks overflowed its stack. Each node is
 * stringified without its children (the last key), which are then written in place, iteratively.
 */
export function treeJsonText(roots: readonly TreeNodeJson[]): string {
  const parts: string[] = ['['];
  // A node to open, or the text that closes a node's children (']}') or separates siblings (',').
  const stack: (TreeNodeJson | string)[] = [];
  const pushList = (list: readonly TreeNodeJson[]) => {
    for (let i = list.length - 1; i >= 0; i--) {
      stack.push(list[i]);
      if (i > 0) stack.push(',');
    }
  };
  pushList(roots);
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top === 'string') {
      parts.push(top);
      continue;
    }
    const { children, ...rest } = top;
    const head = JSON.stringify(rest);
    // A node always has fields before its children (pid, ...): the key follows a comma.
    parts.push(head.slice(0, -1), ',"children":[');
    stack.push(']}');
    pushList(children);
  }
  parts.push(']');
  return terminalSafeJsonText(parts.join(''));
}

/**
 * Levels of indentation the text tree draws; a process deeper than this is drawn at this depth with its
 * depth written out (`[depth 5000]`). Each level adds three characters to every line below it, so a
 * chain of 100,000 forks would have printed ~15 GB.
 */
export const MAX_TREE_INDENT = 100;

export function treeText(table: ProcessTable, net: NetState | null = null, originOf: OriginOf = NO_ORIGINS, recorders: RecordersOf = BY_COMMAND_LINE): string {
  const lines: string[] = [];
  const line = (n: ProcessNode, prefix: string, last: boolean, root: boolean, depth: number) => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    const deep = depth > MAX_TREE_INDENT ? `[depth ${depth}] ` : '';
    const known = n.startSeen ? '' : ' (started before capture)';
    const counted = table.schema.counted.flatMap((k, i) => (n.counts[i] > 0 ? [`${n.counts[i]} ${k.counter!.label}`] : []));
    const other = n.counts[table.otherSlot];
    const counts = (other > 0 ? [...counted, `${other} other`] : counted).join(', ') || 'nothing recorded';
    const end = n.exited ? (n.signal ? ` killed by signal ${n.signal}` : ` exit ${n.exitCode}`) : '';
    const ids = n.euid !== null && n.euid !== n.uid ? `uid=${n.uid} euid=${n.euid}` : `uid=${n.uid}`;
    // Several captures: each root says its host (two hosts' pid 100 are two processes).
    const origin = root ? originOf(n.host) : null;
    const host = origin === null ? '' : `[${origin.host === null ? 'unknown host' : visible(origin.host)}] `;
    lines.push(`${prefix}${branch}${deep}${host}${n.pid} ${describe(n, recorders)}${attribution(n, recorders)}${known} ${ids} [${counts}]${end}`);
    const childPrefix = root || depth >= MAX_TREE_INDENT ? prefix : prefix + (last ? '   ' : '│  ');
    const activity = net?.activity(n) ?? null;
    if (activity !== null) {
      // Names resolved from captured DNS answers are the traced host's words: escaped like the rest.
      const rail = childPrefix + (n.children.length > 0 ? '│  ' : '   ');
      if (activity.listeners.length > 0) lines.push(`${rail}listens ${visible(activity.listeners.join(', '))}`);
      if (activity.connections.length > 0) lines.push(`${rail}connects ${visible(activity.connections.join(', '))}`);
    }
    return childPrefix;
  };
  // Pre-order without recursion (treeJson says why): node, its children's prefix, last among its siblings, a root, depth.
  const stack: [ProcessNode, string, boolean, boolean, number][] = table.roots().map((r) => [r, '', true, true, 0] as [ProcessNode, string, boolean, boolean, number]).reverse();
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [n, prefix, last, root, depth] = top;
    const childPrefix = line(n, prefix, last, root, depth);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], childPrefix, i === n.children.length - 1, false, depth + 1]);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/**
 * `bash -> make -> /usr/bin/cc -c a.c`: earlier programs by name, the last with its arguments.
 * Programs, arguments and comms are the traced host's: shown with controls escaped (cut first, so no escape is cut in half).
 */
function describe(n: ProcessNode, recorders: RecordersOf): string {
  if (isRecorder(n, recorders) && n.images.every((img) => img.execNs === null)) return 'rg-capture (the recorder)';
  const images = chain(n);
  if (images.length === 0) return n.exe !== null ? visible(n.exe) : `[${visible(n.comm || '?')}]`;
  const lastImage = images[images.length - 1];
  const earlier = images.slice(0, -1).map((img) => shortName(n, img, recorders));
  const gate = isGate(n, lastImage, recorders);
  const args = lastImage.argv && lastImage.argv.length > 1 && !gate ? ` ${lastImage.argv.slice(1).join(' ')}` : '';
  const lastName = gate ? "rg-capture's start gate" : lastImage.exe !== null ? visible(lastImage.exe) : `[${visible(n.comm || '?')}]`;
  return [...earlier, `${lastName}${visible(truncate(args, 80))}`].join(' -> ');
}

function shortName(n: ProcessNode, img: ProcessImage, recorders: RecordersOf): string {
  if (isGate(n, img, recorders)) return "rg-capture's start gate";
  if (img.exe === null) return '?';
  const slash = img.exe.lastIndexOf('/');
  return visible(slash >= 0 && slash < img.exe.length - 1 ? img.exe.slice(slash + 1) : img.exe);
}

/**
 * ` (forked by bash)` when the parent ran another program later: the child belongs to the one that forked it.
 * ` (started by 4101 sh, given to this parent)` when another process forked it and the kernel handed it to
 * this one when that one exited (a daemon's double fork): who started it is evidence too. `given to 1, not
 * seen` when the new parent is not in the capture (the process is then listed at the top).
 */
function attribution(n: ProcessNode, recorders: RecordersOf): string {
  const p = n.parent;
  const c = movedFrom(n);
  if (c !== null) return ` (started by ${c.pid}${n.forkedBy !== null ? ` ${shortName(c, n.forkedBy, recorders)}` : ''}, given to ${p === null ? `${n.ppid}, not seen` : 'this parent'})`;
  if (p === null || n.forkedBy === null || n.forkedBy === currentOf(p)) return '';
  return ` (forked by ${shortName(p, n.forkedBy, recorders)})`;
}

function truncate(s: string, n: number): string {
  if (s.length <= n) return s;
  // Never cut a character in two (an astral one is two UTF-16 units).
  const cut = s.charCodeAt(n - 2) >= 0xd800 && s.charCodeAt(n - 2) <= 0xdbff ? n - 2 : n - 1;
  return `${s.slice(0, cut)}…`;
}
