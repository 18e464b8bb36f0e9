/**
 * The schema as data: what a capture's manifest records about the build that
 * wrote it, so that a later build can audit (and partly decode) an older or
 * newer capture from the layouts the file itself declares.
 */
import * as C from './constants.js';
import { type FieldType } from './layout.js';
import { HEADER, KINDS } from './schema.js';

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

export function describeSchema(): SchemaDescription {
  const fieldsOf = (fields: typeof HEADER.fields) =>
    fields.map((f) => ({ name: f.name, type: f.type, offset: f.offset, count: f.count }));
  return {
    version: C.EVENT_SCHEMA_VERSION,
    byte_order: 'little',
    header_size: HEADER.size,
    constants: {
      EVENT_SCHEMA_VERSION: C.EVENT_SCHEMA_VERSION, COMM_LEN: C.COMM_LEN, PATH_LEN: C.PATH_LEN,
      ARGS_LEN: C.ARGS_LEN, ADDR_LEN: C.ADDR_LEN, FILE_FILTER_MAX_PREFIXES: C.FILE_FILTER_MAX_PREFIXES,
      FILE_FILTER_PREFIX_LEN: C.FILE_FILTER_PREFIX_LEN,
      EVENT_FLAG_FILENAME_TRUNCATED: C.EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_ARGS_TRUNCATED: C.EVENT_FLAG_ARGS_TRUNCATED,
      EVENT_FLAG_COMM_TRUNCATED: C.EVENT_FLAG_COMM_TRUNCATED, EVENT_FLAG_USER_READ_FAILED: C.EVENT_FLAG_USER_READ_FAILED,
      EVENT_FLAG_EXE_DELETED: C.EVENT_FLAG_EXE_DELETED, EVENT_FLAG_OPENAT2: C.EVENT_FLAG_OPENAT2,
    },
    header: fieldsOf(HEADER.fields),
    kinds: KINDS.map((k) => ({ id: k.id, name: k.name, event_type: k.eventType, size: k.layout.size, fields: fieldsOf(k.layout.fields) })),
  };
}
