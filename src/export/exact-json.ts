/**
 * Exact 64-bit integers in NDJSON (OCSF and ECS). JSON.stringify has no bigint and Node 20 no JSON.rawJSON: a
 * value above 2^53 was written as a string, so a typed long field (OCSF traffic.bytes_out, ECS source.bytes)
 * was a number in one row and a string in the next, which an index mapped from the first rejects.
 */

import { jsonWithBigints } from '../common/visible.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * A 64-bit integer as a JSON long (OCSF long_t, Elasticsearch long) can hold it: a JSON number (a bigint above 2^53,
 * written as its exact digits by exactJson), or null when a signed 64-bit long
 * cannot hold it (above 2^63 - 1, or below -2^63).
 */
export function jsonLong(v: unknown): number | bigint | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return null;
  const n = BigInt(v);
  return n > INT64_MAX || n < INT64_MIN ? null : n;
}

/**
 * A document's JSON text: as JSON.stringify writes it, and a bigint (a 64-bit
 * integer above 2^53) as its exact digits, which Elasticsearch and OCSF readers read exactly
 * into a long. Only a document that holds one takes the slower path.
 */
export function exactJson(doc: unknown): string {
  try {
    return JSON.stringify(doc);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return jsonWithBigints(doc);
  }
}
