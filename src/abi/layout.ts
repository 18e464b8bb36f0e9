/**
 * Computes C layouts (offsets, sizes, alignment) from field lists, so the
 * schema states field order and types once and every offset is derived the way
 * a C compiler for x86_64/aarch64 (natural alignment, little-endian) derives it.
 */

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's32' | 's64';
/** `char` is a NUL-padded string buffer; `bytes` is raw binary of fixed length. */
export type FieldType = ScalarType | 'char' | 'bytes';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Array length for `char` and `bytes` (and optional for scalars); 1 when absent. */
  readonly count?: number;
  /** The C constant that names `count` in the generated header (`PATH_LEN`), when one does. */
  readonly countName?: string;
  /** What the field holds, printed into the generated C header. */
  readonly doc: string;
}

export interface FieldLayout extends FieldSpec {
  readonly offset: number;
  /** Bytes the whole field occupies (element size x count). */
  readonly size: number;
  readonly count: number;
}

export interface StructLayout {
  readonly cName: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly FieldLayout[];
}

const ELEMENT_SIZE: Record<FieldType, number> = {
  u8: 1, u16: 2, u32: 4, u64: 8, s32: 4, s64: 8, char: 1, bytes: 1,
};

export function elementSize(type: FieldType): number {
  return ELEMENT_SIZE[type];
}

/** True for a type this build lays out (a manifest from a newer build may name others). */
export function isFieldType(type: string): type is FieldType {
  return Object.hasOwn(ELEMENT_SIZE, type);
}

/**
 * Lays out fields in order with natural alignment. Throws if the layout would
 * contain a padding hole: padding bytes are not zeroed by bpf_ringbuf_reserve,
 * so a hole would put uninitialised kernel memory into the evidence.
 */
export function layoutStruct(cName: string, specs: readonly FieldSpec[], startOffset = 0, startAlign = 1): StructLayout {
  let offset = startOffset;
  let align = startAlign;
  const fields: FieldLayout[] = [];
  for (const spec of specs) {
    const elem = ELEMENT_SIZE[spec.type];
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error(`abi: ${cName}.${spec.name}: bad count ${count}`);
    if (offset % elem !== 0) {
      throw new Error(`abi: ${cName}.${spec.name} at offset ${offset} needs ${elem}-byte alignment: add an explicit field`);
    }
    fields.push({ ...spec, count, offset, size: elem * count });
    offset += elem * count;
    align = Math.max(align, elem);
  }
  if (offset % align !== 0) {
    throw new Error(`abi: ${cName} ends at ${offset}, not a multiple of its alignment ${align}: add an explicit field`);
  }
  return { cName, size: offset, align, fields };
}

/** The field `name` of a struct; a missing name is a bug in the schema or its caller. */
export function fieldOf(layout: StructLayout, name: string): FieldLayout {
  const f = layout.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`abi: ${layout.cName} has no field ${name}`);
  return f;
}
