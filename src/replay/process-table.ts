/**
 * The process table: exec, fork and exit events build one node per process
 * lifetime, so every other event can be read with its process's context
 * (executable, command line, parent, start time). A pid reused after an exit
 * or a fork gets a new node, never the old one's history. Processes already
 * running when the capture started are `known: false`: what was not seen is
 * not guessed. Built from every event, before any filter is applied.
 */
import { EventKind } from '../abi/constants.js';
import { KIND_BY_ID } from '../abi/schema.js';
import { bytesToText, splitArgv } from '../output/values.js';

export interface ProcessNode {
  /** Order of creation in this table: a stable identity even when pids are reused. */
  readonly id: number;
  /** Which machine boot the pid belongs to (boot id from the manifest). */
  readonly host: string;
  readonly pid: number;
  ppid: number;
  parent: ProcessNode | null;
  readonly children: ProcessNode[];
  /** True when the capture saw this process start (fork) or, for exec-only, its exec. */
  startSeen: boolean;
  /** CLOCK_MONOTONIC ns of its start: the fork, or the kernel's start_ns at exit; null when unknown. */
  startNs: bigint | null;
  /** Executable and argv of its latest exec seen, or inherited from the parent at fork; null when unknown. */
  exe: string | null;
  argv: string[] | null;
  comm: string;
  uid: number;
  execs: number;
  opens: number;
  connects: number;
  forks: number;
  exited: boolean;
  exitCode: number | null;
  signal: number | null;
  /** Bumped when identity (exe, argv, parent, start, exit) changes, not on counts: output caches key on it. */
  version: number;
  /** Table size when a parent was last looked for: an orphan retries only once a new process appeared. */
  parentSearchedAt: number;
  /**
   * This node's context as an output last rendered it (context-json.ts), or
   * null. Kept on the node, not in a WeakMap beside it: the map's table was
   * garbage that grew with every process of a long capture.
   */
  rendered: RenderedContext | null;
}

/** Bytes an output rendered for a node, and the identity they were rendered from. */
export interface RenderedContext {
  /** The renderer: another one's bytes are never taken. */
  readonly owner: object;
  readonly version: number;
  readonly parent: ProcessNode | null;
  readonly parentVersion: number;
  readonly bytes: Uint8Array;
}

const field = (kind: number, name: string) => KIND_BY_ID[kind]!.layout.fields.find((f) => f.name === name)!;
const EXEC_FILENAME = field(EventKind.ProcessExec, 'filename');
const EXEC_ARGS = field(EventKind.ProcessExec, 'args');
const EXEC_ARGS_SIZE = field(EventKind.ProcessExec, 'args_size');
const FORK_CHILD = field(EventKind.ProcessFork, 'child_pid');
const EXIT_START = field(EventKind.ProcessExit, 'start_ns');
const EXIT_STATUS = field(EventKind.ProcessExit, 'exit_status');
const COMM = field(EventKind.FileOpen, 'comm');

const NO_CHILDREN: ProcessNode[] = [];
/** Exited processes remembered, per host, for late events of their other threads. */
const RECENT_EXITS = 4096;

export class ProcessTable {
  private readonly live = new Map<string, Map<number, ProcessNode>>();
  readonly all: ProcessNode[] = [];
  private nextId = 0;
  private lastHost: string | null = null;
  private lastPids: Map<number, ProcessNode> | undefined;
  /** The live node lookupLive returned last, for lastHost. */
  private lastNode: ProcessNode | undefined;
  /** Per host, pid -> node, oldest first (a pid number key allocates nothing per exit, a host-and-pid string did). */
  private readonly recentExits = new Map<string, Map<number, ProcessNode>>();

  /**
   * `keepHistory`: remember every process and its children (the tree view).
   * Without it only live pids are kept, so memory follows the number of
   * processes alive at once, not the length of the capture.
   */
  constructor(private readonly keepHistory = false) {}

  /** Applies one accepted record and returns the node of the process that produced it. */
  apply(host: string, kind: number, bytes: Uint8Array, at: number): ProcessNode {
    const pid = u32(bytes, at + 16);
    const ppid = u32(bytes, at + 24);
    const uid = u32(bytes, at + 28);
    let node = this.lookup(host, pid) ?? this.create(host, pid, ppid, false, null);
    switch (kind) {
      case EventKind.ProcessFork: {
        node.forks++;
        const childPid = u32(bytes, at + FORK_CHILD.offset);
        const child = this.create(host, childPid, pid, true, u64(bytes, at + 8));
        child.exe = node.exe;
        child.argv = node.argv;
        child.comm = node.comm;
        child.uid = uid;
        child.parent = node;
        if (this.keepHistory) node.children.push(child);
        // A fork changes nothing in the parent's own identity.
        return this.touch(host, node, ppid, uid, bytes, at, false);
      }
      case EventKind.ProcessExec: {
        if (node.exited) node = this.create(host, pid, ppid, false, null);
        node.exe = bytesToText(cString(bytes, at + EXEC_FILENAME.offset, EXEC_FILENAME.size));
        node.argv = splitArgv(bytes.subarray(at + EXEC_ARGS.offset, at + EXEC_ARGS.offset + EXEC_ARGS.size), u32(bytes, at + EXEC_ARGS_SIZE.offset)).map(bytesToText);
        node.execs++;
        break;
      }
      case EventKind.ProcessExit: {
        node.exited = true;
        const status = u32(bytes, at + EXIT_STATUS.offset);
        node.exitCode = (status >>> 8) & 0xff;
        node.signal = status & 0x7f;
        // Only a newly learnt start time changes what the context says.
        const learnt = node.startNs === null;
        if (learnt) node.startNs = u64(bytes, at + EXIT_START.offset);
        const done = this.touch(host, node, ppid, uid, bytes, at, learnt);
        if (!this.keepHistory) this.retire(host, node);
        return done;
      }
      case EventKind.FileOpen: node.opens++; return this.touch(host, node, ppid, uid, bytes, at, false);
      case EventKind.NetConnect: node.connects++; return this.touch(host, node, ppid, uid, bytes, at, false);
    }
    return this.touch(host, node, ppid, uid, bytes, at, true);
  }

  /** Keeps uid, comm and parent current; only identity changes bump the version. */
  private touch(host: string, node: ProcessNode, ppid: number, uid: number, bytes: Uint8Array, at: number, changed: boolean): ProcessNode {
    node.uid = uid;
    if (changed || node.comm === '') node.comm = bytesToText(cString(bytes, at + COMM.offset, COMM.size));
    // A parent that started before the capture is never in the table: without the check below its
    // children would search for it on every event of theirs.
    if (node.ppid !== ppid || (node.parent === null && node.parentSearchedAt !== this.nextId)) {
      const before = node.parent;
      this.linkParent(host, node, ppid);
      node.parentSearchedAt = this.nextId;
      if (node.parent !== before) changed = true;
    }
    if (changed) node.version++;
    return node;
  }

  /**
   * Without history, an exited process leaves the live table for a short
   * list of recent exits (late events of its other threads still find it),
   * so memory follows the processes alive at once, not the capture's length.
   */
  private retire(host: string, node: ProcessNode): void {
    const byPid = this.live.get(host);
    if (byPid?.get(node.pid) !== node) return;
    byPid.delete(node.pid);
    this.lastNode = undefined;
    let recent = this.recentExits.get(host);
    if (recent === undefined) {
      recent = new Map();
      this.recentExits.set(host, recent);
    }
    recent.delete(node.pid);
    recent.set(node.pid, node);
    if (recent.size > RECENT_EXITS) recent.delete(recent.keys().next().value!);
  }

  lookup(host: string, pid: number): ProcessNode | undefined {
    return this.lookupLive(host, pid) ?? (this.recentExits.size > 0 ? this.recentExits.get(host)?.get(pid) : undefined);
  }

  private lookupLive(host: string, pid: number): ProcessNode | undefined {
    // Nearly every lookup is for the same host as the last one: skip the outer map then.
    if (host !== this.lastHost) {
      this.lastHost = host;
      this.lastPids = this.live.get(host);
      this.lastNode = undefined;
    }
    // And for the same process as the last one: skip the pid map too (create and retire forget it).
    const last = this.lastNode;
    if (last !== undefined && last.pid === pid) return last;
    const node = this.lastPids?.get(pid);
    this.lastNode = node;
    return node;
  }

  /** Nodes without a parent in the table, in order of appearance. */
  roots(): ProcessNode[] {
    return this.all.filter((n) => n.parent === null);
  }

  /** True if `node` or one of its ancestors has pid `pid`. */
  static descendsFrom(node: ProcessNode, pids: ReadonlySet<number>): boolean {
    for (let n: ProcessNode | null = node, depth = 0; n !== null && depth < 4096; n = n.parent, depth++) {
      if (pids.has(n.pid)) return true;
    }
    return false;
  }

  private linkParent(host: string, node: ProcessNode, ppid: number): void {
    node.ppid = ppid;
    const parent = this.lookup(host, ppid);
    if (parent === undefined || parent === node || parent.exited) return;
    // Never create a cycle (pid reuse can make stale links look circular).
    for (let p: ProcessNode | null = parent; p !== null; p = p.parent) if (p === node) return;
    if (node.parent !== null && this.keepHistory) {
      const siblings = node.parent.children;
      siblings.splice(siblings.indexOf(node), 1);
    }
    node.parent = parent;
    if (this.keepHistory) parent.children.push(node);
  }

  private create(host: string, pid: number, ppid: number, startSeen: boolean, startNs: bigint | null): ProcessNode {
    const node: ProcessNode = {
      id: this.nextId++, host, pid, ppid, parent: null, children: this.keepHistory ? [] : NO_CHILDREN, startSeen, startNs, exe: null, argv: null,
      comm: '', uid: 0, execs: 0, opens: 0, connects: 0, forks: 0, exited: false, exitCode: null, signal: null, version: 0, parentSearchedAt: -1, rendered: null,
    };
    let byPid = this.live.get(host);
    if (byPid === undefined) {
      byPid = new Map();
      this.live.set(host, byPid);
      this.lastHost = null;
    }
    byPid.set(pid, node);
    this.lastNode = undefined;
    if (this.keepHistory) this.all.push(node);
    return node;
  }
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function u64(b: Uint8Array, at: number): bigint {
  return (BigInt(u32(b, at + 4)) << 32n) | BigInt(u32(b, at));
}

function cString(b: Uint8Array, at: number, max: number): Uint8Array {
  let end = at;
  while (end < at + max && b[end] !== 0) end++;
  return b.subarray(at, end);
}
