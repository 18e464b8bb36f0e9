/**
 * The schema as data: what a capture's manifest records about the build that
 * wrote it, so that a later build can audit (and partly decode) an older or
 * newer capture from the layouts the file itself declares.
 */
import * as C from './constants.js';
import { type FieldLayout, type FieldType } from './layout.js';
import { BUILD_SCHEMA, type Schema } from './schema.js';

export interface SchemaFieldDescription {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly count: number;
}

export interface SchemaKindDescription {
  readonly id: number;
  readonly name: string;
  readonly event_type: string;
  readonly size: number;
  readonly fields: readonly SchemaFieldDescription[];
}

export interface SchemaDescription {
  readonly version: number;
  readonly byte_order: 'little';
  readonly header_size: number;
  readonly constants: Readonly<Record<string, number>>;
  readonly header: readonly SchemaFieldDescription[];
  readonly kinds: readonly SchemaKindDescription[];
}

/** The schema as the manifest records it. The kind registry's other facts (roles, programs) are this build's, not the file's. */
export function describeSchema(schema: Schema = BUILD_SCHEMA): SchemaDescription {
  const fieldsOf = (fields: readonly FieldLayout[]) =>
    fields.map((f) => ({ name: f.name, type: f.type, offset: f.offset, count: f.count }));
  const flags = Object.fromEntries(schema.headerFlags.map((f) => [`EVENT_FLAG_${f.name}`, 1 << f.bit]));
  return {
    version: schema.version,
    byte_order: 'little',
    header_size: schema.header.size,
    constants: {
      EVENT_SCHEMA_VERSION: schema.version, COMM_LEN: C.COMM_LEN, PATH_LEN: C.PATH_LEN,
      ARGS_LEN: C.ARGS_LEN, ADDR_LEN: C.ADDR_LEN, FILE_FILTER_MAX_PREFIXES: C.FILE_FILTER_MAX_PREFIXES,
      FILE_FILTER_PREFIX_LEN: C.FILE_FILTER_PREFIX_LEN, PATH_WALK_MAX: C.PATH_WALK_MAX,
      ...flags,
      ...Object.fromEntries(C.PATH_FLAGS.map((f) => [`PATH_FLAG_${f.name.toUpperCase()}`, 1 << f.bit])),
      ...Object.fromEntries(C.ADDR_FLAGS.map((f) => [`ADDR_FLAG_${f.name.toUpperCase()}`, 1 << f.bit])),
    },
    header: fieldsOf(schema.header.fields),
    kinds: schema.kinds.map((k) => ({ id: k.id, name: k.name, event_type: k.eventType, size: k.layout.size, fields: fieldsOf(k.layout.fields) })),
  };
}
