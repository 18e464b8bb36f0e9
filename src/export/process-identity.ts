/**
 * What an export says about a process: its stable GUID and its context
 * (executable, command line, parent, start time) as of an event.
 *
 * The GUID is a UUID (RFC 9562 version 8, name-based on SHA-256) of the
 * boot id, the pid and the start time: the same process gets the same GUID
 * in every export of the same evidence, and two lifetimes of a reused pid
 * never share one. The start time is the one the process table knows when
 * the process is first exported: the fork record's time when the capture saw
 * the fork. A process that was already running when the capture started has
 * no start time in the records until it exits, so its GUID uses the capture
 * id instead (stable across that capture's segments, not across captures).
 * Records that carried the kernel's task start time would make it stable
 * everywhere; see docs/fleet.md.
 */
import * as crypto from 'node:crypto';
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessNode } from '../replay/process-table.js';
import { storableText } from './text-bytes.js';

export function processGuid(bootId: string, pid: number, startNs: bigint | null, captureId: string): string {
  const name = startNs !== null ? `${bootId}|${pid}|${startNs}` : `${bootId}|${pid}|running-before:${captureId}`;
  const h = sha256Hex(name);
  const variant = ((parseInt(h[16], 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * SHA-256 of a string, hex: crypto.hash (Node 20.12 and later) where there is one, a Hash object else.
 * The one-shot call took 1.4 us here against 3.0 us for createHash, update and digest: one per process.
 */
const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex = hashOnce !== undefined ? (s: string) => hashOnce('sha256', s, 'hex') : (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** A process as the exports describe it (strings storable as UTF-8). */
export interface ProcessFacts {
  readonly pid: number;
  readonly guid: string;
  readonly name: string;
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
  readonly cmdLine: string | null;
  /** Wall-clock start, ns since the epoch; null when unknown. */
  readonly startNs: bigint | null;
  readonly uid: number;
  readonly known: boolean;
  readonly ppid: number;
  /** The parent's GUID (from the table, or as a process the table has not seen). */
  /** Null when the process has no parent the record names (ppid 0): no GUID is made up for pid 0. */
  readonly parentGuid: string | null;
  /** Not recorded by this build's schema: null (issue 12 adds cwd). */
  readonly cwd: string | null;
}

/**
 * What a node's facts were built from: facts() reads nothing of the node but
 * these (exe, argv and the start time change only with its version) and the
 * parent's GUID (fixed at first sight).
 */
interface BuiltFacts {
  readonly facts: ProcessFacts;
  readonly version: number;
  readonly parent: ProcessNode | null;
  readonly ppid: number;
  readonly uid: number;
  readonly comm: string;
  readonly captureId: string;
  readonly clock: WallClock | null;
}

/** GUIDs of unseen processes kept (host, pid and capture id each); past it, the cache starts over. */
const UNSEEN_GUIDS = 16_384;

/** Remembers each process's GUID (fixed at first sight) and builds its facts. */
export class ProcessIdentities {
  private readonly guids = new WeakMap<ProcessNode, string>();
  /**
   * Each node's facts as last built. A process's view is made again when it or its parent changes
   * (ocsf-parts.ts ProcessViews), and a parent with many children had its own facts built again for each
   * (work capture: 19.8k builds before, 9.9k now; the export's wall time the same within the noise).
   */
  private readonly built = new WeakMap<ProcessNode, BuiltFacts>();
  /** GUIDs of processes the table has not seen, by host, pid and capture id (each a SHA-256). */
  private unseen = new Map<string, string>();
  /** Set per input file: the capture id a GUID of a process running before the capture uses. */
  captureId = '';

  constructor(private readonly clockFor: (host: string) => WallClock | null) {}

  guid(node: ProcessNode): string {
    let g = this.guids.get(node);
    if (g === undefined) {
      g = processGuid(node.host, node.pid, node.startNs, this.captureId);
      this.guids.set(node, g);
    }
    return g;
  }

  /** The GUID of a process the table has not seen: it started before the capture (what it would get if it appeared). */
  guidOfUnseen(host: string, pid: number): string {
    const key = `${host}\u0000${pid}\u0000${this.captureId}`;
    let g = this.unseen.get(key);
    if (g === undefined) {
      if (this.unseen.size >= UNSEEN_GUIDS) this.unseen = new Map();
      g = processGuid(host, pid, null, this.captureId);
      this.unseen.set(key, g);
    }
    return g;
  }

  facts(node: ProcessNode): ProcessFacts {
    const clock = this.clockFor(node.host);
    const b = this.built.get(node);
    if (b !== undefined && b.version === node.version && b.parent === node.parent && b.ppid === node.ppid && b.uid === node.uid && b.comm === node.comm
      && b.captureId === this.captureId && b.clock === clock) return b.facts;
    const argv = node.argv === null ? null : node.argv.map(storableText);
    const facts: ProcessFacts = {
      pid: node.pid, guid: this.guid(node), name: storableText(node.comm), exe: node.exe === null ? null : storableText(node.exe),
      argv, cmdLine: argv === null ? null : argv.join(' '),
      startNs: node.startNs !== null && clock !== null ? clock.realtimeNs(node.startNs) : null,
      uid: node.uid, known: node.startSeen, ppid: node.ppid, cwd: null,
      parentGuid: node.parent !== null ? this.guid(node.parent) : node.ppid === 0 ? null : this.guidOfUnseen(node.host, node.ppid),
    };
    this.built.set(node, { facts, version: node.version, parent: node.parent, ppid: node.ppid, uid: node.uid, comm: node.comm, captureId: this.captureId, clock });
    return facts;
  }
}

/** The last path component, and the directory before it ('' when none). */
export function splitPath(path: string): { name: string; dir: string } {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? { name: path, dir: '' } : { name: path.slice(cut + 1), dir: cut === 0 ? '/' : path.slice(0, cut) };
}
