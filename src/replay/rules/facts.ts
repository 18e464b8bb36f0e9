/** An event's facts for rules: its output fields plus its process, parent and ancestors. */
import { u32le } from '../../abi/bytes.js';
import { eventValues } from '../../abi/event-values.js';
import { BUILD_SCHEMA, type Schema } from '../../abi/schema.js';
import { opensForWrite } from '../../abi/values.js';
import { type ProcessNode } from '../process-table.js';
import { type Facts } from './model.js';

export function eventFacts(kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, schema: Schema = BUILD_SCHEMA): Facts {
  const { kind, values } = eventValues(kindId, bytes, at, schema);
  const facts: Facts = new Map(values as Map<string, string | number | boolean | string[]>);
  // `write`: opened for writing, for any kind that records open flags.
  kind.layout.fields.forEach((f, i) => {
    if (kind.schemaFields[i].view === 'open_flags') facts.set('write', opensForWrite(u32le(bytes, at + f.offset)));
  });
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
