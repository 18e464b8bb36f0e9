/**
 * The one escape for terminals: how every string that came from elsewhere
 * (the traced host, a capture file, a rule file) is printed as text, so that
 * it can never act on the analyst's terminal, and one event stays one line.
 *
 * - `\` prints as `\\`; `\n` `\t` `\r` `\b` `\f` as those escapes.
 * - Every other character that does not print as itself is `\uXXXX` (JSON's
 *   spelling; astral ones as their two UTF-16 halves): C0 controls and ESC,
 *   DEL, C1 controls (U+0080..U+009F, which some terminals obey as CSI, OSC,
 *   ...), format characters (bidirectional overrides and isolates, zero-width
 *   characters, tag characters), line and paragraph separators, and spaces
 *   other than the ASCII space. Why the bidi and invisible ones too: they do
 *   not move the cursor, but a right-to-left override makes the rest of the
 *   line display in another order (`/tmp/‮txt.exe` reads as `/tmp/exe.txt`)
 *   and an invisible character makes two different paths look the same.
 * - A byte that is not part of valid UTF-8 is `\xHH` (lowercase). In text it
 *   arrives as the lone surrogate U+DC80..U+DCFF (the surrogateescape of
 *   abi/values.ts bytesToText).
 * Nothing else is changed: printable UTF-8 stays readable as it is.
 *
 * `visible` applies this to free text (alert lines, tree, stats, errors);
 * `textValue` makes a `key=value` token of event text: unquoted when the value
 * is only printable characters other than space, `"` and `\` (and \xHH
 * escapes), else in double quotes with `"` as `\"`. The byte writer of text
 * output (src/output/text-bytes.ts) implements the same rule straight from
 * record bytes; a property test holds the two equal.
 */

/**
 * Code points (inclusive ranges) printed as `\uXXXX`: Unicode categories Cc,
 * Cf, Zl, Zp and Zs, without the ASCII space (Unicode 17, Node 20's ICU; a
 * test checks the list covers the running Node's categories).
 */
export const ESCAPED_CODE_POINTS: readonly (readonly [number, number])[] = [
  [0x0, 0x1f], [0x7f, 0xa0], [0xad, 0xad], [0x600, 0x605], [0x61c, 0x61c], [0x6dd, 0x6dd], [0x70f, 0x70f], [0x890, 0x891],
  [0x8e2, 0x8e2], [0x1680, 0x1680], [0x180e, 0x180e], [0x2000, 0x200f], [0x2028, 0x202f], [0x205f, 0x2064], [0x2066, 0x206f],
  [0x3000, 0x3000], [0xfeff, 0xfeff], [0xfff9, 0xfffb], [0x110bd, 0x110bd], [0x110cd, 0x110cd], [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3], [0x1d173, 0x1d17a], [0xe0001, 0xe0001], [0xe0020, 0xe007f],
];

/** One bit per BMP code point: set when it is escaped. 8 KiB, built once from the ranges. */
const ESCAPED_BMP = (() => {
  const bits = new Uint8Array(0x10000 >> 3);
  for (const [from, to] of ESCAPED_CODE_POINTS) {
    for (let c = from; c <= Math.min(to, 0xffff); c++) bits[c >> 3] |= 1 << (c & 7);
  }
  return bits;
})();

/** True when the code point prints as `\uXXXX`. */
export function isEscapedCodePoint(cp: number): boolean {
  if (cp <= 0xffff) return (ESCAPED_BMP[cp >> 3] & (1 << (cp & 7))) !== 0;
  for (const [from, to] of ESCAPED_CODE_POINTS) if (cp >= from && cp <= to) return true;
  return false;
}

const HEX = '0123456789abcdef';
const hex4 = (n: number) => HEX[(n >> 12) & 15] + HEX[(n >> 8) & 15] + HEX[(n >> 4) & 15] + HEX[n & 15];
/** The short escapes JSON has, by code: \b \t \n \f \r. */
const SHORT: Readonly<Record<number, string>> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** Text with every character the rule escapes escaped (`quote`: `"` too, for a quoted value). */
function escapeText(s: string, quote: boolean): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c < 0x80) {
      if (c === 0x5c) esc = '\\\\';
      else if (c === 0x22 && quote) esc = '\\"';
      else if (c < 0x20 || c === 0x7f) esc = SHORT[c] ?? `\\u${hex4(c)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        // A pair: an astral character.
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        if (isEscapedCodePoint(cp)) esc = `\\u${hex4(c)}\\u${hex4(next)}`;
        else { i++; continue; }
        out += s.slice(plainFrom, i) + esc;
        i++;
        plainFrom = i + 1;
        continue;
      }
      esc = c >= 0xdc80 && c <= 0xdcff ? `\\x${HEX[(c >> 4) & 15]}${HEX[c & 15]}` : `\\u${hex4(c)}`;
    } else if (isEscapedCodePoint(c)) {
      esc = `\\u${hex4(c)}`;
    }
    if (esc !== null) {
      out += s.slice(plainFrom, i) + esc;
      plainFrom = i + 1;
    }
  }
  return plainFrom === 0 ? s : out + s.slice(plainFrom);
}

/** Free text for a terminal: every character the rule escapes, escaped (see the file's comment). */
export function visible(s: string): string {
  return escapeText(s, false);
}

/**
 * A value of a `key=value` token in event text: as it is when non-empty and
 * made only of printable characters other than space, `"`, `\` and astral
 * characters (bytes that were not UTF-8 show as \xHH either way); otherwise
 * in double quotes, escaped.
 */
export function textValue(s: string): string {
  return isPlainToken(s) ? escapeText(s, false) : `"${escapeText(s, true)}"`;
}

function isPlainToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c <= 0x20 || c === 0x22 || c === 0x5c || c === 0x7f) return false;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // Bytes that were not UTF-8 print as \xHH in a token too; anything else of this range (astral pairs, other lone halves) is quoted.
      if (c < 0xdc80 || c > 0xdcff) return false;
    } else if (isEscapedCodePoint(c)) {
      return false;
    }
  }
  return true;
}

const BEYOND_ASCII = /[\x7f-\uffff]/;
/** The characters JSON.stringify leaves raw that the rule escapes (all but the C0 controls, which JSON escapes itself). */
const RAW_IN_JSON = new RegExp(`[${ESCAPED_CODE_POINTS.filter(([, to]) => to >= 0x20)
  .map(([from, to]) => `\\u{${Math.max(from, 0x20).toString(16)}}-\\u{${to.toString(16)}}`).join('')}]`, 'gu');

/**
 * JSON.stringify, with every character the rule escapes as a JSON `\u`
 * escape (DEL, C1, bidi, invisible and separator characters, which JSON
 * allows raw): NDJSON is read on terminals too (`| head`), and a JSON
 * parser reads back exactly the same value.
 */
export function terminalSafeJson(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    // A bigint (an exact count past 2^53 - 1) as its digits: only a value that holds one takes this path.
    if (!(e instanceof TypeError)) throw e;
    json = jsonWithBigints(value);
  }
  return terminalSafeJsonText(json);
}

/** JSON text of `v` with each bigint as its exact digits (JSON.stringify throws on one); toJSON objects as JSON.stringify gives them. */
export function jsonWithBigints(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : jsonWithBigints(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${jsonWithBigints(x)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** terminalSafeJson of JSON text already made (a serialiser of its own: the process tree's, which has no depth limit). */
export function terminalSafeJsonText(json: string): string {
  // Nearly all JSON is ASCII: one plain scan decides, before the Unicode-aware replace (10x slower per call).
  if (!BEYOND_ASCII.test(json)) return json;
  return json.replace(RAW_IN_JSON, (c) => {
    const cp = c.codePointAt(0)!;
    if (cp <= 0xffff) return `\\u${hex4(cp)}`;
    return `\\u${hex4(0xd800 + ((cp - 0x10000) >> 10))}\\u${hex4(0xdc00 + ((cp - 0x10000) & 0x3ff))}`;
  });
}
