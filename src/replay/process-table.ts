/**
 * The process table: events whose kind has an exec, fork or exit role (its
 * process role in the registry, schema.ts) build one node per process
 * lifetime, so every other event can be read with its process's context
 * (executable, command line, parent, start time). A pid reused after an exit
 * or a fork gets a new node, never the old one's history. Processes already
 * running when the capture started are `known: false`: what was not seen is
 * not guessed. Built from every event, before any filter is applied.
 */
import { cStringBytes, u16le, u32le, u64le } from '../abi/bytes.js';
import { COMM_OFFSET, PID_OFFSET, PPID_OFFSET, recordComm, recordPid, recordPpid, recordTsNs, recordUid } from '../abi/header-access.js';
import { type FieldLayout, fieldOf } from '../abi/layout.js';
import { type CutReader, stringCut } from '../abi/cut-strings.js';
import { BUILD_SCHEMA, type KindLayout, type Schema } from '../abi/schema.js';
import { bytesToText, exitCodeOf, exitSignalOf, splitArgv } from '../abi/values.js';
import { ancestryWillChange, lineageParent } from './ancestry.js';

/** A program a process ran: inherited from its parent at fork, or exec'd. */
export interface ProcessImage {
  readonly exe: string | null;
  readonly argv: string[] | null;
  /** CLOCK_MONOTONIC ns of the exec; null when inherited at fork or running before the capture. */
  readonly execNs: bigint | null;
}

/** A pipe, and the processes whose exec found it as their stdout (writers) or stdin (readers). */
export interface PipeEnds {
  readonly ino: number;
  readonly writers: ProcessNode[];
  readonly readers: ProcessNode[];
}

export interface ProcessNode {
  /** Order of creation in this table: a stable identity even when pids are reused. */
  readonly id: number;
  /** Which machine boot the pid belongs to (boot id from the manifest). */
  readonly host: string;
  readonly pid: number;
  ppid: number;
  /** Its parent now: the process its ppid names; null while that one is not in the table. */
  parent: ProcessNode | null;
  /**
   * The process whose fork the capture saw start this one; it never changes, so a process that its
   * parent's exit handed to init or a subreaper (a daemon's double fork) keeps where it came from.
   * Null when the fork was not seen. Rules' ancestors.* follow it (ancestry.ts).
   */
  creator: ProcessNode | null;
  readonly children: ProcessNode[];
  /** True when the capture saw this process start (fork) or, for exec-only, its exec. */
  startSeen: boolean;
  /** CLOCK_MONOTONIC ns of its start: the fork, or the kernel's start_ns at exit; null when unknown. */
  startNs: bigint | null;
  /** Executable and argv of its latest exec seen, or inherited from the parent at fork; null when unknown. */
  exe: string | null;
  argv: string[] | null;
  /** CUT_EXE, CUT_ARGV: its exe or argv is only the beginning (the exec's record cut it); inherited at fork like them. */
  cut: number;
  comm: string;
  uid: number;
  /** Effective ids from its last credential record (or its parent's, at fork); null until one is seen. */
  euid: number | null;
  egid: number | null;
  /**
   * With history (the tree): every program it ran, in order; the first is the
   * parent's at the fork, or the one it ran when first seen (added when asked).
   */
  readonly images: ProcessImage[];
  /** With history: the parent's program when it forked this process; null when the fork was not seen. */
  forkedBy: ProcessImage | null;
  /** The pipes its last exec found as its stdin and stdout (null: not a pipe, or not seen). */
  stdinPipe: PipeEnds | null;
  stdoutPipe: PipeEnds | null;
  /** Events of each counted kind (Schema.counted order): execs, opens, ..., forks; then those of the activity kinds without a counter (ProcessTable.otherSlot). */
  readonly counts: number[];
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
  /** descendsFrom's answer for this node and the link epoch it holds for (0: none). */
  descendsEpoch: number;
  descends: boolean;
  /** Some process was linked under this one (without history, children are not listed). */
  hasChildren: boolean;
  /** Rules' `ancestors.*` answers kept for this node (ancestry.ts), and the ancestry epoch they hold for (0: none). */
  ancestryEpoch: number;
  ancestry: Uint8Array | null;
}

/**
 * Bumped when a process that has descendants or a kept descendsFrom answer,
 * and whose fork was not seen, moves to another parent (its lineage changes):
 * every kept answer is then stale. Module-wide, so
 * the static descendsFrom needs no table (tables are few; a bump only costs
 * answers found again).
 */
let linkEpoch = 1;
/** The pid set descendsFrom's kept answers are about: asked about another, it starts over. */
let epochPids: ReadonlySet<number> | null = null;

/** Bytes an output rendered for a node, and the identity they were rendered from. */
export interface RenderedContext {
  /** The renderer: another one's bytes are never taken. */
  readonly owner: object;
  readonly version: number;
  readonly parent: ProcessNode | null;
  readonly parentVersion: number;
  /** The ppid rendered: text shows it, and it can change without a new parent node (reparented to a process not in the table). */
  readonly ppid: number;
  readonly bytes: Uint8Array;
}

/** What the table does with a kind's events (the kind's process role, schema.ts). */
const enum Role { Activity, Exec, Fork, Exit, Cred }

/** A kind as the table reads it: its role, the fields the role reads, and its counter. */
class KindRole {
  readonly role: Role;
  /** Index into ProcessNode.counts, or -1. */
  readonly counter: number;
  /** Exec: the program's path (the kernel's; else as passed), argv and argv's used size. */
  readonly exe: FieldLayout | null = null;
  readonly exeAsPassed: FieldLayout | null = null;
  readonly argv: FieldLayout | null = null;
  readonly argvSize: FieldLayout | null = null;
  /** Exec: whether the exe (the kernel's path, or as passed) and argv were cut (cut-strings.ts). */
  readonly exeCut: CutReader | null = null;
  readonly exeAsPassedCut: CutReader | null = null;
  readonly argvCut: CutReader | null = null;
  /** Fork: the child's tgid. */
  readonly child: FieldLayout | null = null;
  /** Exec: what the new program's stdin and stdout are (inode and file type), when the kind says. */
  readonly stdinIno: FieldLayout | null = null;
  readonly stdinType: FieldLayout | null = null;
  readonly stdoutIno: FieldLayout | null = null;
  readonly stdoutType: FieldLayout | null = null;
  /** Cred: the effective ids after the change, when the kind has them. */
  readonly euid: FieldLayout | null = null;
  readonly egid: FieldLayout | null = null;
  /** Exit: the wait status and the start time. */
  readonly status: FieldLayout | null = null;
  readonly start: FieldLayout | null = null;

  constructor(kind: KindLayout, counter: number) {
    this.counter = counter;
    const p = kind.process;
    const f = (name: string) => fieldOf(kind.layout, name);
    switch (p.role) {
      case 'exec':
        this.role = Role.Exec;
        this.exe = f(p.exe);
        this.exeAsPassed = p.exeAsPassed === undefined ? null : f(p.exeAsPassed);
        this.argv = f(p.argv);
        this.argvSize = f(kind.schemaFields.find((x) => x.name === p.argv)!.sizeField!);
        this.exeCut = stringCut(kind, p.exe);
        this.exeAsPassedCut = p.exeAsPassed === undefined ? null : stringCut(kind, p.exeAsPassed);
        this.argvCut = stringCut(kind, p.argv);
        if (p.stdio !== undefined) {
          this.stdinIno = f(p.stdio.stdinIno);
          this.stdinType = f(p.stdio.stdinType);
          this.stdoutIno = f(p.stdio.stdoutIno);
          this.stdoutType = f(p.stdio.stdoutType);
        }
        break;
      case 'fork': this.role = Role.Fork; this.child = f(p.child); break;
      case 'exit': this.role = Role.Exit; this.status = f(p.status); this.start = f(p.start); break;
      case 'cred':
        this.role = Role.Cred;
        if (p.euid !== undefined) this.euid = f(p.euid);
        if (p.egid !== undefined) this.egid = f(p.egid);
        break;
      case 'activity': this.role = Role.Activity; break;
    }
  }
}

/** ProcessNode.cut bits. */
export const CUT_EXE = 1;
export const CUT_ARGV = 2;

const NO_CHILDREN: ProcessNode[] = [];
const NO_IMAGES: ProcessImage[] = [];
/** S_IFIFO >> 12: the file type of a pipe. */
const FILE_TYPE_FIFO = 1;
/** Pipes remembered per host, and processes remembered per end of one. */
export const PIPES = 4096;
export const PIPE_ENDS = 8;
/** Programs remembered per process for the tree; one that execs more often keeps its first and latest. */
const MAX_IMAGES = 64;

/** The program a process runs now: the last of its images (added when it has none yet). */
function currentImage(node: ProcessNode): ProcessImage {
  if (node.images.length === 0) node.images.push({ exe: node.exe, argv: node.argv, execNs: null });
  return node.images[node.images.length - 1];
}
/** Records before the table warms up its rare paths, and the rounds it runs them (see ProcessTable.warmUp). */
const WARM_UP_AFTER = 32;
const WARM_UP_ROUNDS = 12;
/** Exited processes remembered, per host, for late events of their other threads. */
const RECENT_EXITS = 4096;

export class ProcessTable {
  /** Indexed by kind id. */
  private readonly roles: (KindRole | undefined)[] = [];
  /** The counters' keys, in ProcessNode.counts order. */
  readonly counterKeys: readonly string[];
  /**
   * ProcessNode.counts' last slot, after the counters': records of activity kinds with no counter, so that a
   * process that did only those does not read as having done nothing (`other_records` in the tree's JSON).
   */
  readonly otherSlot: number;
  /** A new node's counts, copied (a packed array of small integers: cheap to copy and to increment). */
  private readonly zeroCounts: number[];
  private readonly live = new Map<string, Map<number, ProcessNode>>();
  /** Per host, pipe inode -> its ends (see pipeEnd). */
  private readonly pipes = new Map<string, Map<number, PipeEnds>>();
  readonly all: ProcessNode[] = [];
  private nextId = 0;
  private lastHost: string | null = null;
  private lastPids: Map<number, ProcessNode> | undefined;
  /** The live node lookupLive returned last, for lastHost. */
  private lastNode: ProcessNode | undefined;
  /** Records applied so far, up to WARM_UP_AFTER (see warmUp). */
  private applied = 0;
  /** Pipes, and processes on a pipe's end, let go to keep PIPES and PIPE_ENDS (rules on pipes may miss a pair then). */
  forgottenPipes = 0;
  forgottenPipeEnds = 0;
  /** Per host, pid -> node, oldest first (a pid number key allocates nothing per exit, a host-and-pid string did). */
  private readonly recentExits = new Map<string, Map<number, ProcessNode>>();

  /**
   * `keepHistory`: remember every process and its children (the tree view).
   * Without it only live pids are kept, so memory follows the number of
   * processes alive at once, not the length of the capture.
   */
  constructor(private readonly keepHistory = false, readonly schema: Schema = BUILD_SCHEMA) {
    this.otherSlot = schema.counted.length;
    for (const k of schema.kinds) {
      const counter = schema.counted.indexOf(k);
      // An activity without a counter of its own (a bind, a TCP state change, ...) is still something the process did.
      this.roles[k.id] = new KindRole(k, counter < 0 && k.process.role === 'activity' ? this.otherSlot : counter);
    }
    this.counterKeys = schema.counted.map((k) => k.counter!.key);
    this.zeroCounts = [...this.counterKeys.map(() => 0), 0];
  }

  /** Applies one accepted record and returns the node of the process that produced it. */
  apply(host: string, kind: number, bytes: Uint8Array, at: number): ProcessNode {
    if (this.applied < WARM_UP_AFTER && ++this.applied === WARM_UP_AFTER) this.warmUp();
    const pid = recordPid(bytes, at);
    const ppid = recordPpid(bytes, at);
    const uid = recordUid(bytes, at);
    let node = this.lookup(host, pid) ?? this.create(host, pid, ppid, false, null);
    const r = this.roles[kind];
    // A kind the table has no role for (none in a consistent schema) is plain activity: it never invalidates the context.
    if (r === undefined) return this.touch(host, node, ppid, uid, bytes, at, false);
    switch (r.role) {
      case Role.Fork: {
        if (r.counter >= 0) node.counts[r.counter]++;
        const childPid = u32le(bytes, at + r.child!.offset);
        const child = this.create(host, childPid, pid, true, recordTsNs(bytes, at));
        child.exe = node.exe;
        child.argv = node.argv;
        child.cut = node.cut;
        // The child has its parent's comm (the kernel copies it at fork): the record's, when the parent's first record
        // is this fork (a process that started before the capture: touch() below reads it only after this).
        child.comm = node.comm !== '' ? node.comm : bytesToText(recordComm(bytes, at));
        child.uid = uid;
        child.euid = node.euid;
        child.egid = node.egid;
        child.parent = node;
        child.creator = node;
        if (this.keepHistory) {
          node.children.push(child);
          const running = currentImage(node);
          child.forkedBy = running;
          child.images.push(running);
        }
        // A fork changes nothing in the parent's own identity.
        return this.touch(host, node, ppid, uid, bytes, at, false);
      }
      case Role.Exec: {
        if (node.exited) node = this.create(host, pid, ppid, false, null);
        const argv = r.argv!;
        // The kernel's path of the program; a capture that did not record it (an older schema) has only the path as passed.
        const asPassed = bytes[at + r.exe!.offset] === 0 && r.exeAsPassed !== null;
        const exe = asPassed ? r.exeAsPassed! : r.exe!;
        const program = bytesToText(cStringBytes(bytes, at + exe.offset, exe.size));
        const exeCut = asPassed ? r.exeAsPassedCut : r.exeCut;
        node.cut = (exeCut !== null && exeCut(bytes, at) ? CUT_EXE : 0) | (r.argvCut !== null && r.argvCut(bytes, at) ? CUT_ARGV : 0);
        if (program !== node.exe) ancestryWillChange(node);
        node.exe = program;
        node.argv = splitArgv(bytes.subarray(at + argv.offset, at + argv.offset + argv.size), u32le(bytes, at + r.argvSize!.offset)).map(bytesToText);
        if (r.counter >= 0) node.counts[r.counter]++;
        if (r.stdinIno !== null) {
          node.stdinPipe = this.pipeEnd(host, node, bytes, at, r.stdinIno, r.stdinType!, 'readers');
          node.stdoutPipe = this.pipeEnd(host, node, bytes, at, r.stdoutIno!, r.stdoutType!, 'writers');
        }
        if (this.keepHistory) {
          if (node.images.length >= MAX_IMAGES) node.images.splice(1, 1);
          node.images.push({ exe: node.exe, argv: node.argv, execNs: recordTsNs(bytes, at) });
        }
        return this.touch(host, node, ppid, uid, bytes, at, true);
      }
      case Role.Exit: {
        node.exited = true;
        const status = u32le(bytes, at + r.status!.offset);
        node.exitCode = exitCodeOf(status);
        node.signal = exitSignalOf(status);
        if (r.counter >= 0) node.counts[r.counter]++;
        // Only a newly learnt start time changes what the context says.
        const learnt = node.startNs === null;
        if (learnt) node.startNs = u64le(bytes, at + r.start!.offset);
        const done = this.touch(host, node, ppid, uid, bytes, at, learnt);
        if (!this.keepHistory) this.retire(host, node);
        return done;
      }
      // A credential change is identity: uid and comm are read again and the context re-rendered.
      case Role.Cred:
        if (r.counter >= 0) node.counts[r.counter]++;
        if (r.euid !== null) node.euid = u32le(bytes, at + r.euid.offset);
        if (r.egid !== null) node.egid = u32le(bytes, at + r.egid.offset);
        return this.touch(host, node, ppid, uid, bytes, at, true);
      case Role.Activity:
        if (r.counter >= 0) node.counts[r.counter]++;
        return this.touch(host, node, ppid, uid, bytes, at, false);
    }
  }

  /**
   * The pipe an exec found on one of its fds (file type fifo), with the node
   * added to that end; null when the fd is not a pipe. Pipes are kept per
   * host, the most recent PIPES of them, each with its latest PIPE_ENDS
   * processes on either end: memory does not grow with the capture.
   */
  private pipeEnd(host: string, node: ProcessNode, bytes: Uint8Array, at: number, ino: FieldLayout, type: FieldLayout, end: 'readers' | 'writers'): PipeEnds | null {
    if (u16le(bytes, at + type.offset) !== FILE_TYPE_FIFO) return null;
    const n = Number(u64le(bytes, at + ino.offset));
    let byIno = this.pipes.get(host);
    if (byIno === undefined) {
      byIno = new Map();
      this.pipes.set(host, byIno);
    }
    let pipe = byIno.get(n);
    if (pipe === undefined) {
      pipe = { ino: n, writers: [], readers: [] };
      byIno.set(n, pipe);
      if (byIno.size > PIPES) {
        byIno.delete(byIno.keys().next().value!);
        this.forgottenPipes++;
      }
    }
    const list = pipe[end];
    if (!list.includes(node)) {
      list.push(node);
      if (list.length > PIPE_ENDS) {
        list.shift();
        this.forgottenPipeEnds++;
      }
    }
    return pipe;
  }

  /**
   * Runs a scratch table of the same kind through every role over made-up
   * records: a fork, the child's exec (argv not NUL-ended, stdio on pipes,
   * a path outside ASCII), a credential change, a new parent, its exit and a
   * late event from it, an exec in a reused pid, an exit that tells a start.
   * Why: these come rarely and late in a capture, after V8 has optimised
   * apply; each path first met then had no type feedback, so it deoptimised
   * and cost another TurboFan compile on the replay's CPU (work capture,
   * pinned: apply, touch, lookup and splitArgv compiled twice). V8 gives a
   * function its feedback store only after a few calls, hence after
   * WARM_UP_AFTER records and in rounds.
   */
  private warmUp(): void {
    const scratch = new ProcessTable(this.keepHistory, this.schema);
    scratch.applied = WARM_UP_AFTER;
    const roles = (role: Role) => this.roles.findIndex((r) => r !== undefined && r.role === role);
    const made = (kind: number, pid: number, ppid: number, fill: (b: Uint8Array, v: DataView, r: KindRole) => void): Uint8Array => {
      const layout = this.schema.kinds.find((k) => k.id === kind)!.layout;
      const b = new Uint8Array(layout.size);
      const v = new DataView(b.buffer);
      v.setUint32(PID_OFFSET, pid, true);
      v.setUint32(PPID_OFFSET, ppid, true);
      b[COMM_OFFSET] = 0x77;
      fill(b, v, this.roles[kind]!);
      return b;
    };
    const [activity, exec, fork, exit, cred] = [Role.Activity, Role.Exec, Role.Fork, Role.Exit, Role.Cred].map(roles);
    if ([activity, exec, fork, exit, cred].some((k) => k < 0)) return;
    const none = () => {};
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      const parent = 100 + 4 * round, child = parent + 1, other = parent + 2;
      const records: [number, Uint8Array][] = [
        [activity, made(activity, parent, 1, none)],
        [fork, made(fork, parent, 1, (_b, v, r) => v.setUint32(r.child!.offset, child, true))],
        [exec, made(exec, child, parent, (b, v, r) => {
          b.set([0x2f, 0xc3, 0xa9, 0xff], r.exe!.offset);
          b.set([0x61, 0, 0x62, 0x63], r.argv!.offset);
          v.setUint32(r.argvSize!.offset, 4, true);
          if (r.stdinIno !== null) {
            v.setUint16(r.stdinType!.offset, FILE_TYPE_FIFO, true);
            v.setUint16(r.stdoutType!.offset, FILE_TYPE_FIFO, true);
            v.setUint32(r.stdinIno.offset, 7, true);
            v.setUint32(r.stdoutIno!.offset, 8, true);
          }
        })],
        [cred, made(cred, child, parent, (_b, v, r) => { if (r.euid !== null) v.setUint32(r.euid.offset, 1, true); })],
        [activity, made(activity, other, 1, none)],
        [activity, made(activity, child, other, none)],
        [exit, made(exit, child, other, (_b, v, r) => v.setUint32(r.status!.offset, 0x100, true))],
        [activity, made(activity, child, other, none)],
        [exec, made(exec, child, other, none)],
        [exit, made(exit, parent, 1, (_b, v, r) => v.setUint32(r.start!.offset, 5, true))],
      ];
      for (const [kind, b] of records) scratch.apply('warm-up', kind, b, 0);
    }
  }

  /** The node's counts by counter key (`execs`, `opens`, ...), in tree order, then `other_records` (otherSlot). */
  countsOf(node: ProcessNode): Record<string, number> {
    return { ...Object.fromEntries(this.counterKeys.map((key, i) => [key, node.counts[i]])), other_records: node.counts[this.otherSlot] };
  }

  /** Keeps uid, comm and parent current; only identity changes bump the version. */
  private touch(host: string, node: ProcessNode, ppid: number, uid: number, bytes: Uint8Array, at: number, changed: boolean): ProcessNode {
    node.uid = uid;
    if (changed || node.comm === '') {
      const comm = bytesToText(recordComm(bytes, at));
      if (comm !== node.comm) ancestryWillChange(node);
      node.comm = comm;
    }
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

  /**
   * True if `node` or one of its ancestors has a pid of `pids` (`--pid P --tree`), at any depth, up the
   * line of who started whom (lineageParent: the creator, or the parent when the fork was not seen): a
   * daemon's double fork hands the daemon to init or a subreaper, and it stays in the tree of the
   * process that started it. The answer is kept on each node walked, so a walk stops at the first
   * ancestor with a current answer: a chain of forks as deep as the traced host likes costs each event a
   * step or two, not its depth. (The walk used to stop after 4,096 ancestors: a process nested deeper
   * than that under P was left out of P's tree without a word.)
   */
  static descendsFrom(node: ProcessNode, pids: ReadonlySet<number>): boolean {
    if (pids !== epochPids) {
      epochPids = pids;
      linkEpoch++;
    }
    if (node.descendsEpoch === linkEpoch) return node.descends;
    const path: ProcessNode[] = [];
    let answer = false;
    for (let n: ProcessNode | null = node; n !== null; n = lineageParent(n)) {
      if (n.descendsEpoch === linkEpoch) {
        answer = n.descends;
        break;
      }
      path.push(n);
      if (pids.has(n.pid)) {
        answer = true;
        break;
      }
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const n = path[i];
      // Each node walked is the matched one, or below it or below an ancestor whose answer was kept: the same answer.
      n.descends = answer;
      n.descendsEpoch = linkEpoch;
    }
    return answer;
  }

  private linkParent(host: string, node: ProcessNode, ppid: number): void {
    const moved = node.ppid !== ppid;
    node.ppid = ppid;
    const found = this.lookup(host, ppid);
    if (found === node) return;
    // A parent the table does not have (it started before the capture and did nothing since; or its pid is an
    // exited process's, reused by one not seen yet): a process the kernel moved there leaves its old parent,
    // whose facts are no longer its parent's. Searched for again as the table grows (touch).
    const parent = found === undefined || found.exited ? null : found;
    if (parent === null && !(moved && node.parent !== null)) return;
    // Never create a cycle (pid reuse can make stale links look circular): of parents, nor of the lineage
    // ancestors.* follows (a process without a creator continues it through its parent).
    for (let p: ProcessNode | null = parent; p !== null; p = p.parent) if (p === node) return;
    if (node.creator === null) for (let p: ProcessNode | null = parent; p !== null; p = lineageParent(p)) if (p === node) return;
    if (node.parent !== null && this.keepHistory) {
      const siblings = node.parent.children;
      siblings.splice(siblings.indexOf(node), 1);
    }
    // A process whose fork was seen keeps its lineage whoever its parent is; for one whose fork was not, kept
    // answers (descendsFrom's, ancestors.*'s) below it may name its old ancestors.
    if (node.creator === null) {
      if (node.hasChildren || node.descendsEpoch !== 0) linkEpoch++;
      ancestryWillChange(node);
    }
    node.parent = parent;
    if (parent === null) return;
    parent.hasChildren = true;
    if (this.keepHistory) parent.children.push(node);
  }

  private create(host: string, pid: number, ppid: number, startSeen: boolean, startNs: bigint | null): ProcessNode {
    const node: ProcessNode = {
      id: this.nextId++, host, pid, ppid, parent: null, creator: null, children: this.keepHistory ? [] : NO_CHILDREN, startSeen, startNs, exe: null, argv: null, cut: 0,
      comm: '', uid: 0, euid: null, egid: null, images: this.keepHistory ? [] : NO_IMAGES, forkedBy: null, stdinPipe: null, stdoutPipe: null, counts: this.zeroCounts.slice(), exited: false, exitCode: null, signal: null, version: 0, parentSearchedAt: -1, rendered: null,
      descendsEpoch: 0, descends: false, hasChildren: false, ancestryEpoch: 0, ancestry: null,
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
