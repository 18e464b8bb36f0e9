/**
 * The `"process":{...}` context appended to each NDJSON event, encoded once
 * per process identity and reused for every event of that process.
 */
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessNode } from './process-table.js';

interface Cached {
  version: number;
  parent: ProcessNode | null;
  parentVersion: number;
  bytes: Uint8Array;
}

const enc = new TextEncoder();

export class ProcessContextEncoder {
  private readonly cache = new WeakMap<ProcessNode, Cached>();
  private lastNode: ProcessNode | null = null;
  private last: Cached | undefined = undefined;

  constructor(private readonly clockFor: (host: string) => WallClock | null) {}

  /** `,"process":{...}` for `node`, as bytes. */
  encode(node: ProcessNode): Uint8Array {
    // Runs of events from one process are the rule: check the last one before the WeakMap.
    const last = this.last;
    if (node === this.lastNode && last !== undefined && last.version === node.version && last.parent === node.parent && last.parentVersion === (node.parent?.version ?? -1)) return last.bytes;
    const hit = this.lookup(node);
    this.lastNode = node;
    this.last = hit;
    return hit.bytes;
  }

  private lookup(node: ProcessNode): Cached {
    const hit = this.cache.get(node);
    const parentVersion = node.parent?.version ?? -1;
    if (hit !== undefined && hit.version === node.version && hit.parent === node.parent && hit.parentVersion === parentVersion) return hit;
    const bytes = enc.encode(`,"process":${JSON.stringify(this.describe(node))}`);
    const fresh = { version: node.version, parent: node.parent, parentVersion, bytes };
    this.cache.set(node, fresh);
    return fresh;
  }

  describe(node: ProcessNode): Record<string, unknown> {
    const clock = this.clockFor(node.host);
    const start = node.startNs !== null && clock !== null ? clock.format(node.startNs) : null;
    const p = node.parent;
    return {
      known: node.startSeen,
      exe: node.exe,
      argv: node.argv,
      start,
      parent: { pid: node.ppid, known: p?.startSeen ?? false, exe: p?.exe ?? null },
    };
  }
}
