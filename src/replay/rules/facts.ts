/** An event's facts for rules: its output fields plus its process, parent and ancestors. */
import { EventKind } from '../../abi/constants.js';
import { KIND_BY_ID } from '../../abi/schema.js';
import { eventValues } from '../../output/event-values.js';
import { opensForWrite } from '../../output/values.js';
import { type ProcessNode } from '../process-table.js';
import { type Facts } from './model.js';

const OPEN_FLAGS_OFFSET = KIND_BY_ID[EventKind.FileOpen]!.layout.fields.find((f) => f.name === 'open_flags')!.offset;

export function eventFacts(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null): Facts {
  const { values } = eventValues(kindId, bytes, at);
  const facts: Facts = new Map(values as Map<string, string | number | boolean | string[]>);
  if (kindId === EventKind.FileOpen) {
    const flags = (bytes[at + OPEN_FLAGS_OFFSET] | (bytes[at + OPEN_FLAGS_OFFSET + 1] << 8) | (bytes[at + OPEN_FLAGS_OFFSET + 2] << 16) | (bytes[at + OPEN_FLAGS_OFFSET + 3] << 24)) >>> 0;
    facts.set('write', opensForWrite(flags));
  }
  if (node !== null) {
    facts.set('process.exe', node.exe);
    facts.set('process.argv', node.argv);
    facts.set('process.known', node.startSeen);
    facts.set('parent.exe', node.parent?.exe ?? null);
    facts.set('parent.comm', node.parent?.comm ?? null);
    const exes: string[] = [];
    const comms: string[] = [];
    for (let p = node.parent, depth = 0; p !== null && depth < 256; p = p.parent, depth++) {
      if (p.exe !== null) exes.push(p.exe);
      comms.push(p.comm);
    }
    facts.set('ancestors.exe', exes);
    facts.set('ancestors.comm', comms);
  }
  return facts;
}
