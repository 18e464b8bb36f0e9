/**
 * Which output keys a field prints as, from its view: the one rule NDJSON,
 * text, the `--schema manifest` translation and the schema checks share.
 */
import { type KindLayout, type SchemaField } from './kind-types.js';

/** The boolean a `unix_path` field prints beside its text: its size field holds a count sun_path cannot (unix-path.ts). */
export function unixSizeInvalidKey(f: SchemaField): string {
  return `${f.sizeField}_invalid`;
}

/** Keys a field prints, in order (none for hidden fields). */
export function outputKeys(f: SchemaField): string[] {
  switch (f.view) {
    case 'hidden': return [];
    case 'result': return [f.key ?? f.name, 'error'];
    case 'exit_status': return ['exit_code', 'signal'];
    case 'mode': return [f.key ?? f.name, `${f.key ?? f.name}_text`];
    case 'signal': return [f.key ?? f.name, `${f.key ?? f.name}_name`];
    case 'unix_path': return [f.key ?? f.name, unixSizeInvalidKey(f)];
    case 'status': return (f.statusBits ?? []).map((b) => b.key);
    default: return [f.key ?? f.name];
  }
}

/**
 * Keys whose values depend on field `name` of `kind`: its own keys, the keys
 * of fields read with it (an argv with its size, an address with its family,
 * a Unix socket path with its size and abstract flag) and, for the header's
 * `flags`, the kind's flag booleans. When a capture lacks the field
 * (`--schema manifest`), these print as null.
 */
export function keysDependingOn(kind: KindLayout, name: string): string[] {
  const keys: string[] = [];
  for (const f of kind.schemaFields) {
    if (f.name === name || f.sizeField === name || f.familyField === name || f.abstractField === name) keys.push(...outputKeys(f));
  }
  if (name === 'flags') keys.push(...kind.flags.map((f) => f.outputName));
  return keys;
}

/**
 * The header flag that says a kind's `result` is not known (RESULT_UNSEEN: an io_uring request submitted with
 * IOSQE_CQE_SKIP_SUCCESS, recorded at submission), or 0 when the kind, as its capture describes it, has no
 * such flag: a record of another kind setting the bit is read as its result says. Every reader of a result
 * (NDJSON, text, event values, rules, exports) takes it from here, so they agree.
 */
export function resultUnseenMask(kind: KindLayout): number {
  let mask = unseenMasks.get(kind);
  if (mask === undefined) {
    const f = kind.flagSpecs.find((s) => s.flag === 'RESULT_UNSEEN');
    mask = f === undefined ? 0 : kind.flags.find((k) => k.outputName === f.outputName)!.bit;
    unseenMasks.set(kind, mask);
  }
  return mask;
}
/** Per kind, once: eventValues asks for every record it decodes (the exports' NDJSON, rules). */
const unseenMasks = new WeakMap<KindLayout, number>();
