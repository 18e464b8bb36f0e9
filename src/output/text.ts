/**
 * One readable line per event: time, type, the identity of the process, then
 * what it did. Values with spaces or unusual bytes are quoted JSON-style;
 * bytes that are not UTF-8 show as \xHH.
 */
import { type WallClock } from './wall-clock.js';
import { eventValues, type DisplayValue } from './event-values.js';

const SKIP = new Set(['event_type', 'ts_ns', 'cgroup_id', 'mntns', 'cpu', 'auid', 'gid', 'tid']);
const COLORS: Record<string, string> = {
  process_start: '\x1b[32m', process_fork: '\x1b[36m', process_exit: '\x1b[90m', file_open: '\x1b[34m', net_connect: '\x1b[35m',
};

export function formatEventText(kindId: number, bytes: Uint8Array, offset: number, clock: WallClock | null, color: boolean): string {
  const { kind, values } = eventValues(kindId, bytes, offset);
  const ts = BigInt(values.get('ts_ns') as number | string);
  const time = clock ? clock.format(ts) : `mono:${ts}`;
  const parts: string[] = [];
  for (const [key, value] of values) {
    if (SKIP.has(key) || value === false || value === '') continue;
    parts.push(value === true ? key : `${key}=${textValue(value)}`);
  }
  const type = color ? `${COLORS[kind.eventType] ?? ''}${kind.eventType}\x1b[0m` : kind.eventType;
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
