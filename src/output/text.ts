/**
 * One readable line per event: time, type, the identity of the process, then
 * what it did. Values with spaces or unusual bytes are quoted JSON-style;
 * bytes that are not UTF-8 show as \xHH.
 */
import { type DisplayValue, eventValues } from '../abi/event-values.js';
import { BUILD_SCHEMA, type Schema, type TextColor } from '../abi/schema.js';
import { type WallClock } from './wall-clock.js';

/** Header values a text line leaves out: they identify the record, not what the process did. */
const SKIP = new Set(['event_type', 'ts_ns', 'cgroup_id', 'mntns', 'cpu', 'auid', 'gid', 'tid']);
/** The terminal code of each colour a kind can have (schema.ts). */
const COLOR_CODES: Record<TextColor, string> = {
  green: '\x1b[32m', cyan: '\x1b[36m', gray: '\x1b[90m', blue: '\x1b[34m', magenta: '\x1b[35m', yellow: '\x1b[33m', red: '\x1b[31m', white: '\x1b[37m',
};

export function formatEventText(kindId: number, bytes: Uint8Array, offset: number, clock: WallClock | null, color: boolean, schema: Schema = BUILD_SCHEMA): string {
  const { kind, values } = eventValues(kindId, bytes, offset, schema);
  const ts = BigInt(values.get('ts_ns') as number | string);
  const time = clock ? clock.format(ts) : `mono:${ts}`;
  const parts: string[] = [];
  for (const [key, value] of values) {
    if (SKIP.has(key) || value === false || value === '') continue;
    parts.push(value === true ? key : `${key}=${textValue(value)}`);
  }
  const type = color ? `${COLOR_CODES[kind.color]}${kind.eventType}\x1b[0m` : kind.eventType;
  return `${time} ${type} ${parts.join(' ')}`;
}

export function textValue(value: DisplayValue): string {
  if (Array.isArray(value)) return quoteIfNeeded(value.join(' '));
  return typeof value === 'string' ? quoteIfNeeded(value) : String(value);
}

function quoteIfNeeded(s: string): string {
  const escaped = s.replace(/[\udc80-\udcff]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
  if (/^[\x21-\x7e\u00a0-\udbff\ue000-\uffff]+$/u.test(escaped) && !escaped.includes('"')) return escaped;
  return JSON.stringify(escaped).replace(/\\\\x/g, '\\x');
}
