/**
 * A process as output shows it with each event: the `"process":{...}`
 * context of an NDJSON line, encoded once per process identity and reused
 * for every event of that process, and the ` exe=... parent=...` of a text line.
 */
import { terminalSafeJson, textValue } from '../common/visible.js';
import { type ProcessRenderer } from '../output/sinks.js';
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessNode } from './process-table.js';

/** Listeners and connections shown in a context: the first few (`tree` lists them all). */
const CONTEXT_ACTIVITY = 4;

export class ProcessContextEncoder implements ProcessRenderer<ProcessNode> {
  constructor(
    private readonly clockFor: (host: string) => WallClock | null,
    /** A process's listeners and connections out (replay's network state), null when it had none. */
    private readonly activityOf: (node: ProcessNode) => { listeners: string[]; connections: string[] } | null = () => null,
  ) {}

  json(node: ProcessNode): Uint8Array {
    return this.encode(node);
  }

  /**
   * ` exe=... parent=PID:...` for `node`, as bytes, escaped for terminals,
   * cached like the JSON (a renderer is used for one output, never both).
   */
  text(node: ProcessNode): Uint8Array {
    const r = node.rendered;
    const parentVersion = node.parent?.version ?? -1;
    if (r !== null && r.owner === this.textOwner && r.version === node.version && r.parent === node.parent && r.parentVersion === parentVersion && r.ppid === node.ppid) return r.bytes;
    const exe = node.exe === null ? (node.startSeen ? '?' : 'unknown') : textValue(node.exe);
    const parentExe = node.parent?.exe;
    const bytes = Buffer.from(` exe=${exe} parent=${node.ppid}:${parentExe === undefined || parentExe === null ? 'unknown' : textValue(parentExe)}`);
    node.rendered = { owner: this.textOwner, version: node.version, parent: node.parent, parentVersion, ppid: node.ppid, bytes };
    return bytes;
  }

  /** Marks text renderings in the node's cache apart from JSON ones. */
  private readonly textOwner = {};

  /** `,"process":{...}` for `node`, as bytes: rendered again only when the node's identity or its parent's changed. */
  encode(node: ProcessNode): Uint8Array {
    const r = node.rendered;
    const parentVersion = node.parent?.version ?? -1;
    if (r !== null && r.owner === this && r.version === node.version && r.parent === node.parent && r.parentVersion === parentVersion) return r.bytes;
    // Buffer.from: small texts share Node's pooled slabs instead of an ArrayBuffer each.
    const bytes = Buffer.from(`,"process":${terminalSafeJson(this.describe(node))}`);
    node.rendered = { owner: this, version: node.version, parent: node.parent, parentVersion, ppid: node.ppid, bytes };
    return bytes;
  }

  describe(node: ProcessNode): Record<string, unknown> {
    const clock = this.clockFor(node.host);
    const start = node.startNs !== null && clock !== null ? clock.format(node.startNs) : null;
    const p = node.parent;
    const activity = this.activityOf(node);
    return {
      known: node.startSeen,
      exe: node.exe,
      argv: node.argv,
      start,
      // Effective ids once a credential record of the process (or of its parent before the fork) was seen.
      euid: node.euid,
      egid: node.egid,
      parent: { pid: node.ppid, known: p?.startSeen ?? false, exe: p?.exe ?? null },
      ...(activity !== null && activity.listeners.length > 0 ? { listeners: activity.listeners.slice(0, CONTEXT_ACTIVITY) } : {}),
      ...(activity !== null && activity.connections.length > 0 ? { connections: activity.connections.slice(0, CONTEXT_ACTIVITY) } : {}),
    };
  }
}
