/**
 * One readable line per event, the simple way: time, type, then ` key=value`
 * for what the process did. This is the reference the compiled writer
 * (text-writers.ts, what rg-replay prints) is held equal to by a property
 * test, and the form of records decoded by a file's own schema. Values are
 * escaped by the one terminal rule (src/common/visible.ts): quoted when they
 * hold a space, a quote, a backslash or anything that does not print as
 * itself; bytes that are not UTF-8 show as \xHH.
 */
import { type DisplayValue, eventValues } from '../abi/event-values.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { textValue as textToken } from '../common/visible.js';
import { COLOR_CODES, COLOR_RESET, TEXT_SKIPPED_KEYS } from './text-writers.js';
import { type WallClock } from './wall-clock.js';

export function formatEventText(kindId: number, bytes: Uint8Array, offset: number, clock: WallClock | null, color: boolean, schema: Schema = BUILD_SCHEMA): string {
  const { kind, values } = eventValues(kindId, bytes, offset, schema);
  const ts = BigInt(values.get('ts_ns') as number | string);
  const time = clock ? clock.format(ts) : `mono:${ts}`;
  const parts: string[] = [];
  for (const [key, value] of values) {
    if (TEXT_SKIPPED_KEYS.has(key) || value === false || value === '') continue;
    parts.push(value === true ? key : `${key}=${textValue(value)}`);
  }
  const type = color ? `${COLOR_CODES[kind.color]}${kind.eventType}${COLOR_RESET}` : kind.eventType;
  return `${time} ${type} ${parts.join(' ')}`;
}

/** A display value as a token's value: argv joined by spaces, strings escaped and quoted when needed. */
export function textValue(value: DisplayValue): string {
  // null: a value the record does not know (a result RESULT_UNSEEN), printed as the compiled writer does.
  if (value === null) return 'unseen';
  if (Array.isArray(value)) return textToken(value.join(' '));
  return typeof value === 'string' ? textToken(value) : String(value);
}
