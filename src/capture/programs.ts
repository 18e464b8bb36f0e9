/**
 * What rg-capture attaches and recognises, from the kind registry (schema.ts):
 * the --events names, the BPF programs each selection needs, and the kind that
 * carries its readiness canary. No koffi here: tests call these directly.
 */
import { type FieldLayout, fieldOf } from '../abi/layout.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';

/** `rg-capture --events` names -> kind ids, in registry order. */
export function eventNames(schema: Schema = BUILD_SCHEMA): Readonly<Record<string, number>> {
  return Object.fromEntries(schema.kinds.map((k) => [k.cliName, k.id]));
}

/**
 * The BPF programs to attach to record `kinds`: each kind's own, always those
 * of the kind that carries the readiness canary (capture cannot start
 * without it), and, when following a command, those of the fork and exit
 * kinds (they keep the FOLLOWED map current, recorded or not). A program that
 * feeds several kinds is attached once; order is registry order.
 */
export function programsToAttach(kinds: ReadonlySet<number>, follow: boolean, schema: Schema = BUILD_SCHEMA): string[] {
  const wanted = schema.kinds.filter((k) => kinds.has(k.id) || k.capture.canaryField !== undefined
    || (follow && (k.process.role === 'fork' || k.process.role === 'exit')));
  return [...new Set(wanted.flatMap((k) => k.capture.programs))];
}

/**
 * The iterator programs to run once the programs of `kinds` are attached
 * (each selected kind's capture.iterators), in registry order.
 */
export function iteratorsToRun(kinds: ReadonlySet<number>, schema: Schema = BUILD_SCHEMA): string[] {
  return [...new Set(schema.kinds.filter((k) => kinds.has(k.id)).flatMap((k) => k.capture.iterators ?? []))];
}

/** The kind rg-capture's readiness canary is recorded as, and the field its marker is in. */
export function canaryOf(schema: Schema = BUILD_SCHEMA): { readonly kind: number; readonly field: FieldLayout } {
  const kinds = schema.kinds.filter((k) => k.capture.canaryField !== undefined);
  if (kinds.length !== 1) throw new Error(`capture: the schema must have exactly one kind with a canaryField, not ${kinds.length}`);
  return { kind: kinds[0].id, field: fieldOf(kinds[0].layout, kinds[0].capture.canaryField!) };
}

/** Kind ids of process creation (fork role): rg-capture records its own only for the command it starts. */
export function forkKinds(schema: Schema = BUILD_SCHEMA): ReadonlySet<number> {
  return new Set(schema.kinds.filter((k) => k.process.role === 'fork').map((k) => k.id));
}
