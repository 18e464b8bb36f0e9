/**
 * A small OCSF validator over the schema's own JSON files
 * (test/export/ocsf-schema/, copied from github.com/ocsf/ocsf-schema):
 * resolves a class through `extends` and `$include`d profiles, then checks a
 * document against it: required attributes present, `at_least_one`
 * constraints met, no attribute the class or object does not define, the
 * classification ids consistent, recursively into every object attribute.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './golden.js';

const ROOT = join(REPO_ROOT, 'test/export/ocsf-schema');
type Attr = { requirement?: string; type?: string; enum?: Record<string, unknown> };
type Def = { name: string; uid?: number; extends?: string; category?: string; attributes?: Record<string, Attr | string[]>; constraints?: { at_least_one?: string[] } };

const read = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8')) as Def;
const dictionary = (JSON.parse(readFileSync(join(ROOT, 'dictionary.json'), 'utf8')) as { attributes: Record<string, { type: string; is_array?: boolean }> }).attributes;
const categories = (JSON.parse(readFileSync(join(ROOT, 'categories.json'), 'utf8')) as { attributes: Record<string, { uid: number }> }).attributes;
const objects = new Map(readdirSync(join(ROOT, 'objects')).map((f) => { const d = read(`objects/${f}`); return [d.name, d]; }));
const events = new Map<string, Def>();
for (const dir of ['', 'system', 'network', 'findings']) {
  for (const f of readdirSync(join(ROOT, 'events', dir)).filter((x) => x.endsWith('.json'))) {
    const d = read(join('events', dir, f));
    events.set(d.name, d);
  }
}

interface Resolved { attributes: Map<string, Attr>; atLeastOne: string[][]; uid: number | null; category: string | null }

/** Profiles the document applies (metadata.profiles): only their attributes count. */
let applied = new Set<string>();

function merge(into: Map<string, Attr>, attrs: Def['attributes']): void {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (k === '$include') {
      for (const inc of v as string[]) {
        const def = read(inc) as Def & { meta?: string };
        if (def.meta === 'profile' && !applied.has(def.name)) continue;
        merge(into, def.attributes);
      }
      continue;
    }
    // As the OCSF schema compiles: an enum that extends one keeps the values it extends (every class's activity_id has 0 Unknown and 99 Other).
    const before = into.get(k);
    const attr = v as Attr;
    into.set(k, { ...before, ...attr, ...(before?.enum !== undefined && attr.enum !== undefined ? { enum: { ...before.enum, ...attr.enum } } : {}) });
  }
}

function resolve(def: Def, table: Map<string, Def>): Resolved {
  const parent = def.extends !== undefined ? table.get(def.extends) : undefined;
  const base: Resolved = parent !== undefined ? resolve(parent, table) : { attributes: new Map(), atLeastOne: [], uid: null, category: null };
  const attributes = new Map(base.attributes);
  merge(attributes, def.attributes);
  // A definition's own constraints replace those it extends (network_endpoint's list replaces _entity's name-or-uid).
  const atLeastOne = def.constraints !== undefined ? (def.constraints.at_least_one ? [def.constraints.at_least_one] : []) : base.atLeastOne;
  return { attributes, atLeastOne, uid: def.uid ?? base.uid, category: def.category ?? base.category };
}

/** The class with this class_uid (category uid * 1000 + class uid). */
export function ocsfClass(classUid: number): { name: string; resolved: Resolved } {
  for (const def of events.values()) {
    const r = resolve(def, events);
    if (r.category === null || r.uid === null || def.uid === undefined) {
      if (classUid === 0 && def.name === 'base_event') return { name: def.name, resolved: r };
      continue;
    }
    if (categories[r.category].uid * 1000 + r.uid === classUid) return { name: def.name, resolved: r };
  }
  throw new Error(`ocsf: no class with uid ${classUid}`);
}

/** Required attributes of a class, from the schema. */
export function requiredAttributes(classUid: number, profiles: string[] = []): string[] {
  applied = new Set(profiles);
  return [...ocsfClass(classUid).resolved.attributes].filter(([, a]) => a.requirement === 'required').map(([k]) => k).sort();
}

const present = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);

function checkObject(value: Record<string, unknown>, r: Resolved, where: string, errors: string[]): void {
  for (const [name, a] of r.attributes) if (a.requirement === 'required' && !present(value[name])) errors.push(`${where}: required ${name} missing`);
  for (const group of r.atLeastOne) if (!group.some((k) => present(value[k]))) errors.push(`${where}: needs at least one of ${group.join(', ')}`);
  for (const [key, v] of Object.entries(value)) {
    // The datetime profile adds an RFC 3339 twin `X_dt` of every timestamp attribute X.
    const dt = key.endsWith('_dt') && applied.has('datetime') && dictionary[key.slice(0, -3)]?.type === 'timestamp_t' && r.attributes.has(key.slice(0, -3));
    if (dt) continue;
    if (!r.attributes.has(key)) { errors.push(`${where}: ${key} is not an attribute here`); continue; }
    if (!present(v) || key === 'unmapped') continue;
    const type = r.attributes.get(key)!.type ?? dictionary[key]?.type;
    const obj = type !== undefined ? objects.get(type) : undefined;
    if (obj === undefined) continue;
    const sub = resolve(obj, objects);
    for (const [i, item] of (Array.isArray(v) ? v : [v]).entries()) {
      if (typeof item !== 'object' || item === null) { errors.push(`${where}.${key}: not an object`); continue; }
      checkObject(item as Record<string, unknown>, sub, `${where}.${key}${Array.isArray(v) ? `[${i}]` : ''}`, errors);
    }
  }
}

/** Problems of one OCSF document (empty when valid). Nulls count as absent. */
export function validateOcsf(doc: Record<string, unknown>): string[] {
  applied = new Set(((doc.metadata as { profiles?: string[] } | undefined)?.profiles) ?? []);
  const classUid = Number(doc.class_uid);
  const { name, resolved } = ocsfClass(classUid);
  const errors: string[] = [];
  checkObject(doc, resolved, name, errors);
  const activities = resolved.attributes.get('activity_id')?.enum ?? {};
  if (!(String(doc.activity_id) in activities)) errors.push(`${name}: activity_id ${String(doc.activity_id)} is not in the class's enum`);
  if (Number(doc.type_uid) !== classUid * 100 + Number(doc.activity_id)) errors.push(`${name}: type_uid ${String(doc.type_uid)} != class_uid * 100 + activity_id`);
  const category = resolved.category === null ? 0 : categories[resolved.category]?.uid ?? 0;
  if (Number(doc.category_uid) !== category) errors.push(`${name}: category_uid ${String(doc.category_uid)} != ${category}`);
  return errors;
}

/** Drops nulls recursively (Parquet rows carry absent attributes as NULL). */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, withoutNulls(x)]));
}
