/**
 * Thrift's compact protocol, write side only, as Parquet's metadata uses it
 * (FileMetaData, PageHeader): structs of numbered fields, each with a
 * one-byte header (delta from the previous field id and a type nibble),
 * zigzag varints for integers, length-prefixed binaries, lists with a
 * size-and-type header. The caller writes fields in ascending id order;
 * the writer keeps the last id of each open struct.
 */
import { type ByteSink } from './byte-sink.js';

/** Compact protocol type nibbles. */
export const enum TType { Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Struct = 12 }

const textEncoder = new TextEncoder();

export class ThriftWriter {
  private lastId = 0;
  private readonly stack: number[] = [];

  constructor(readonly out: ByteSink) {}

  private fieldHeader(id: number, type: TType): void {
    const delta = id - this.lastId;
    if (delta <= 0) throw new Error(`parquet: thrift field ${id} written after field ${this.lastId}`);
    if (delta <= 15) {
      this.out.u8((delta << 4) | type);
    } else {
      this.out.u8(type);
      this.out.zigzag(id);
    }
    this.lastId = id;
  }

  i32(id: number, v: number): void {
    this.fieldHeader(id, TType.I32);
    this.out.zigzag(v);
  }

  /** An i64 field; values here are sizes and offsets, exact as numbers (< 2^52). */
  i64(id: number, v: number): void {
    this.fieldHeader(id, TType.I64);
    this.out.zigzag(v);
  }

  i16(id: number, v: number): void {
    this.fieldHeader(id, TType.I16);
    this.out.zigzag(v);
  }

  i8(id: number, v: number): void {
    this.fieldHeader(id, TType.Byte);
    this.out.u8(v & 0xff);
  }

  bool(id: number, v: boolean): void {
    this.fieldHeader(id, v ? TType.True : TType.False);
  }

  binary(id: number, v: Uint8Array): void {
    this.fieldHeader(id, TType.Binary);
    this.out.varint(v.length);
    this.out.append(v);
  }

  string(id: number, v: string): void {
    this.binary(id, textEncoder.encode(v));
  }

  /** Opens a struct field; close it with `end()`. */
  struct(id: number): void {
    this.fieldHeader(id, TType.Struct);
    this.begin();
  }

  /** Opens a struct that is not a field (the top-level message, a list element). */
  begin(): void {
    this.stack.push(this.lastId);
    this.lastId = 0;
  }

  /** Closes the innermost struct. */
  end(): void {
    this.out.u8(TType.Stop);
    this.lastId = this.stack.pop() ?? 0;
  }

  /** A list field's header; then write `size` elements of `elementType` (listI32, listString, or begin()/end() per struct). */
  list(id: number, elementType: TType, size: number): void {
    this.fieldHeader(id, TType.List);
    if (size < 15) {
      this.out.u8((size << 4) | elementType);
    } else {
      this.out.u8(0xf0 | elementType);
      this.out.varint(size);
    }
  }

  listI32(v: number): void {
    this.out.zigzag(v);
  }

  listI64(v: number): void {
    this.out.zigzag(v);
  }

  listString(v: string): void {
    this.listBinary(textEncoder.encode(v));
  }

  listBinary(b: Uint8Array): void {
    this.out.varint(b.length);
    this.out.append(b);
  }
}
