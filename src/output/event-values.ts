/**
 * A decoded record as display values (strings, numbers, booleans), in output
 * key order. The slow but simple view of an event, for text output, process
 * context and rules; NDJSON takes the fast path in ndjson.ts.
 */
import { decodeRecord } from '../abi/decode.js';
import { EVENT_FLAG_USER_READ_FAILED } from '../abi/constants.js';
import { HEADER_FIELDS, type KindLayout } from '../abi/schema.js';
import { addressText, bytesToText, errnoName, familyName, openFlagsText, splitArgv } from './values.js';

export type DisplayValue = string | number | boolean | string[];

export interface EventValues {
  readonly kind: KindLayout;
  /** Key -> value, in output order (event_type first). u64 values are decimal strings when above 2^53. */
  readonly values: Map<string, DisplayValue>;
}

export function eventValues(kindId: number, bytes: Uint8Array, offset: number): EventValues {
  const { kind, fields } = decodeRecord(bytes, offset, kindId);
  const values = new Map<string, DisplayValue>();
  values.set('event_type', kind.eventType);
  const flags = fields.flags as number;
  const schemaFields = [...HEADER_FIELDS, ...kind.fields];
  for (const f of schemaFields) {
    const v = fields[f.name];
    switch (f.view) {
      case 'hidden': break;
      case 'string': values.set(f.name, bytesToText(cStringOf(v as Uint8Array))); break;
      case 'argv': values.set('argv', splitArgv(v as Uint8Array, fields.args_size as number).map(bytesToText)); break;
      case 'open_flags': values.set(f.name, openFlagsText(v as number)); break;
      case 'result':
        values.set(f.name, v as number);
        if ((v as number) < 0) values.set('error', errnoName(-(v as number)));
        break;
      case 'family': values.set(f.name, familyName(v as number)); break;
      case 'addr':
        values.set(f.name, (flags & EVENT_FLAG_USER_READ_FAILED) !== 0 ? '' : addressText(fields.family as number, v as Uint8Array));
        break;
      case 'exit_status':
        values.set('exit_code', ((v as number) >>> 8) & 0xff);
        values.set('signal', (v as number) & 0x7f);
        break;
      default:
        values.set(f.name, typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : (v as number));
    }
  }
  for (const flag of kind.flags) values.set(flag.outputName, (flags & flag.bit) !== 0);
  return { kind, values };
}

function cStringOf(buf: Uint8Array): Uint8Array {
  const end = buf.indexOf(0);
  return end < 0 ? buf : buf.subarray(0, end);
}
