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

  constructor(private readonly clockFor: (host: string) => WallClock | null) {}

  /** `,"process":{...}` for `node`, as bytes. */
  encode(node: ProcessNode): Uint8Array {
    const hit = this.cache.get(node);
    const parentVersion = node.parent?.version ?? -1;
    if (hit !== undefined && hit.version === node.version && hit.parent === node.parent && hit.parentVersion === parentVersion) return hit.bytes;
    const bytes = enc.encode(`,"process":${JSON.stringify(this.describe(node))}`);
    this.cache.set(node, { version: node.version, parent: node.parent, parentVersion, bytes });
    return bytes;
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
