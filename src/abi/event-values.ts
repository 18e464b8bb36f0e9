/**
 * A decoded record as display values (strings, numbers, booleans), in output
 * key order: the slow but simple view of an event, for text output, process
 * context, rules and the `--schema manifest` translation. NDJSON takes the
 * fast path (src/output/ndjson.ts) and a property test holds the two equal.
 */
import { cStringBytes } from './bytes.js';
import { decodeRecord } from './decode.js';
import { BUILD_SCHEMA, EVENT_FLAG_USER_READ_FAILED, type KindLayout, type Schema } from './schema.js';
import {
  addrFlagsText, addressText, bytesToText, devText, enumText, errnoName, exitCodeOf, exitSignalOf, familyName, openFlagsText, pathFlagsText,
  splitArgv, syscallText,
} from './values.js';
import { viewEntries } from './intrusion-values.js';
import { unixPathText, unixSizeInvalid } from './unix-path.js';
import { resultUnseenMask, unixSizeInvalidKey } from './views.js';

export type DisplayValue = string | number | boolean | string[];

export interface EventValues {
  readonly kind: KindLayout;
  /** Key -> value, in output order (event_type first). u64 values are decimal strings when above 2^53. */
  readonly values: Map<string, DisplayValue>;
}

export function eventValues(kindId: number, bytes: Uint8Array, offset: number, schema: Schema = BUILD_SCHEMA): EventValues {
  const { kind, fields } = decodeRecord(bytes, offset, kindId, schema);
  const values = new Map<string, DisplayValue>();
  values.set('event_type', kind.eventType);
  const flags = fields.flags as number;
  for (const f of kind.schemaFields) {
    const v = fields[f.name];
    const key = f.key ?? f.name;
    switch (f.view) {
      case 'hidden': break;
      case 'string': values.set(key, bytesToText(cStringBytes(v as Uint8Array, 0, (v as Uint8Array).length))); break;
      case 'argv': values.set(key, splitArgv(v as Uint8Array, fields[f.sizeField!] as number).map(bytesToText)); break;
      case 'unix_path': {
        const buf = v as Uint8Array;
        const size = fields[f.sizeField!] as number;
        const abstract = fields[f.abstractField!] as number;
        values.set(key, unixPathText(buf, 0, buf.length, size, abstract));
        values.set(unixSizeInvalidKey(f), unixSizeInvalid(buf.length, size, abstract));
        break;
      }
      case 'open_flags': values.set(key, openFlagsText(v as number)); break;
      case 'result':
        // RESULT_UNSEEN: recorded at submission, the result not known (null, as in --json).
        if ((flags & resultUnseenMask(kind)) !== 0) {
          values.set(key, null as unknown as DisplayValue);
          break;
        }
        values.set(key, v as number);
        if ((v as number) < 0) values.set('error', errnoName(-(v as number)));
        break;
      case 'family': values.set(key, familyName(v as number)); break;
      case 'addr':
        values.set(key, (flags & EVENT_FLAG_USER_READ_FAILED) !== 0 ? '' : addressText(fields[f.familyField!] as number, v as Uint8Array));
        break;
      case 'enum': values.set(key, enumText(f.names!, v as number)); break;
      case 'exit_status':
        values.set('exit_code', exitCodeOf(v as number));
        values.set('signal', exitSignalOf(v as number));
        break;
      case 'path_flags': values.set(key, pathFlagsText(v as number)); break;
      case 'addr_flags': values.set(key, addrFlagsText(v as number)); break;
      case 'syscall': values.set(key, syscallText(v as number)); break;
      case 'dev': values.set(key, devText(v as number)); break;
      case 'mode': case 'bits': case 'named': case 'signal': case 'caps': case 'hex': case 'status':
        for (const [k, value] of viewEntries(f, v as number | bigint | Uint8Array)) values.set(k, value);
        break;
      default:
        values.set(key, typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : (v as number));
    }
  }
  for (const flag of kind.flags) values.set(flag.outputName, (flags & flag.bit) !== 0);
  return { kind, values };
}
