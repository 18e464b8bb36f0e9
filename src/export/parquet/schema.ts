/**
 * A Parquet schema as the writer needs it: a tree of groups and leaves, each
 * optional (or required), lists in the standard three-level form
 * (`<name>` LIST / repeated `list` / `element`), and for every leaf its
 * path, maximum definition and repetition levels, physical type and the
 * logical type it carries (STRING, INTEGER(bits, signed), TIMESTAMP(NANOS)).
 */

export type PhysicalType = 'BOOLEAN' | 'INT32' | 'INT64' | 'BYTE_ARRAY';

/**
 * What a leaf's values mean. Integers name their width and sign (a u64 is
 * INT64 with INTEGER(64, unsigned)); `bytes` is a BYTE_ARRAY without
 * annotation (a BLOB); `timestamp_ns` an INT64 TIMESTAMP(NANOS).
 */
export type ValueKind =
  | 'bool' | 'string' | 'bytes' | 'timestamp_ns'
  | 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';

export interface LeafSpec {
  readonly type: 'leaf';
  readonly value: ValueKind;
  readonly required?: boolean;
  /** The caller's note about the leaf (where its values come from), copied to its Leaf. */
  readonly tag?: unknown;
}

export interface GroupSpec {
  readonly type: 'group';
  readonly fields: readonly (readonly [string, SchemaSpec])[];
  readonly required?: boolean;
}

/** A list of `element`: optional list, optional elements (as DuckDB, Arrow and Spark write them). */
export interface ListSpec {
  readonly type: 'list';
  readonly element: SchemaSpec;
  readonly required?: boolean;
}

export type SchemaSpec = LeafSpec | GroupSpec | ListSpec;

export interface Leaf {
  /** Index among the leaves, in schema order (the order of column chunks). */
  readonly index: number;
  /** Path in the schema, with the list levels (`attestation_list.list.element.uid`). */
  readonly path: readonly string[];
  /** Path of object keys (without `list`/`element`): how a row object is walked. */
  readonly keys: readonly string[];
  readonly value: ValueKind;
  readonly physical: PhysicalType;
  readonly maxDef: number;
  readonly maxRep: number;
  /**
   * Per step of `keys` (and per list): the definition level reached when that
   * step is present, and whether the step is a list. Used to shred rows.
   */
  readonly steps: readonly LeafStep[];
  readonly tag: unknown;
}

export interface LeafStep {
  readonly key: string;
  /** Definition level once this field is non-null (unchanged when the field is required). */
  readonly def: number;
  /** The field is a list: its elements each go one level deeper (def + 1 for an element's presence, +1 rep). */
  readonly list: boolean;
  /** For a list: definition level of a present element (def of the list + 1 for `list`, + 1 when the element is optional). */
  readonly elementDef: number;
  readonly rep: number;
}

/** A flattened schema node as FileMetaData lists it (depth-first). */
export interface SchemaElement {
  readonly name: string;
  readonly repetition: 'REQUIRED' | 'OPTIONAL' | 'REPEATED' | null;
  readonly numChildren: number | null;
  readonly physical: PhysicalType | null;
  readonly value: ValueKind | null;
  readonly isList: boolean;
}

export interface ParquetSchema {
  readonly root: GroupSpec;
  readonly leaves: readonly Leaf[];
  readonly elements: readonly SchemaElement[];
}

export const PHYSICAL: Readonly<Record<ValueKind, PhysicalType>> = {
  bool: 'BOOLEAN', string: 'BYTE_ARRAY', bytes: 'BYTE_ARRAY', timestamp_ns: 'INT64',
  u8: 'INT32', u16: 'INT32', u32: 'INT32', u64: 'INT64', i8: 'INT32', i16: 'INT32', i32: 'INT32', i64: 'INT64',
};

export const leaf = (value: ValueKind): LeafSpec => ({ type: 'leaf', value });
export const group = (fields: readonly (readonly [string, SchemaSpec])[]): GroupSpec => ({ type: 'group', fields });
export const list = (element: SchemaSpec): ListSpec => ({ type: 'list', element });

/** Resolves a schema tree (the root group is the message; its fields are the columns). */
export function buildSchema(root: GroupSpec): ParquetSchema {
  const leaves: Leaf[] = [];
  const elements: SchemaElement[] = [{ name: 'schema', repetition: null, numChildren: root.fields.length, physical: null, value: null, isList: false }];
  checkNames(root);
  const walk = (name: string, spec: SchemaSpec, path: string[], keys: string[], steps: LeafStep[], def: number, rep: number): void => {
    const d = spec.required ? def : def + 1;
    if (spec.type === 'list') {
      elements.push({ name, repetition: spec.required ? 'REQUIRED' : 'OPTIONAL', numChildren: 1, physical: null, value: null, isList: true });
      elements.push({ name: 'list', repetition: 'REPEATED', numChildren: 1, physical: null, value: null, isList: false });
      const elementDef = spec.element.required ? d + 1 : d + 2;
      const step: LeafStep = { key: name, def: d, list: true, elementDef, rep: rep + 1 };
      // The element is walked as a field named 'element' below 'list', with the repeated level's def (d + 1) as its base.
      walkElement(spec.element, [...path, name, 'list', 'element'], [...keys, name], [...steps, step], d + 1, rep + 1);
      return;
    }
    if (spec.type === 'group') {
      elements.push({ name, repetition: spec.required ? 'REQUIRED' : 'OPTIONAL', numChildren: spec.fields.length, physical: null, value: null, isList: false });
      const step: LeafStep = { key: name, def: d, list: false, elementDef: 0, rep };
      for (const [n, child] of spec.fields) walk(n, child, [...path, name], [...keys, name], [...steps, step], d, rep);
      return;
    }
    elements.push({ name, repetition: spec.required ? 'REQUIRED' : 'OPTIONAL', numChildren: null, physical: PHYSICAL[spec.value], value: spec.value, isList: false });
    leaves.push({
      index: leaves.length, path: [...path, name], keys: [...keys, name], value: spec.value, physical: PHYSICAL[spec.value],
      maxDef: d, maxRep: rep, steps: [...steps, { key: name, def: d, list: false, elementDef: 0, rep }], tag: spec.tag,
    });
  };
  // A list element: its own subtree, without a key step of its own (elements are reached through the list step).
  const walkElement = (spec: SchemaSpec, path: string[], keys: string[], steps: LeafStep[], def: number, rep: number): void => {
    const d = spec.required ? def : def + 1;
    if (spec.type === 'leaf') {
      elements.push({ name: 'element', repetition: spec.required ? 'REQUIRED' : 'OPTIONAL', numChildren: null, physical: PHYSICAL[spec.value], value: spec.value, isList: false });
      leaves.push({ index: leaves.length, path, keys, value: spec.value, physical: PHYSICAL[spec.value], maxDef: d, maxRep: rep, steps, tag: spec.tag });
      return;
    }
    if (spec.type === 'list') throw new Error('parquet: a list of lists is not supported');
    elements.push({ name: 'element', repetition: spec.required ? 'REQUIRED' : 'OPTIONAL', numChildren: spec.fields.length, physical: null, value: null, isList: false });
    for (const [n, child] of spec.fields) walk(n, child, path, keys, steps, d, rep);
  };
  for (const [name, spec] of root.fields) walk(name, spec, [], [], [], 0, 0);
  return { root, leaves, elements };
}

function checkNames(g: GroupSpec): void {
  const seen = new Set<string>();
  for (const [n, child] of g.fields) {
    if (n === '' || seen.has(n)) throw new Error(`parquet: field name ${JSON.stringify(n)} is empty or repeated`);
    seen.add(n);
    if (child.type === 'group') checkNames(child);
    if (child.type === 'list' && child.element.type === 'group') checkNames(child.element);
  }
}

/** Bits an RLE level of `max` needs (0 when the level is always 0). */
export function levelWidth(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}
