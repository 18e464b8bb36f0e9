/**
 * Text for a terminal from strings that came from elsewhere (the traced host,
 * a rule file): control characters, bidirectional overrides and lone
 * surrogates become visible escapes, never sent as they are. U+DC80..U+DCFF
 * are bytes that were not UTF-8 (the surrogateescape of abi/values.ts) and
 * show as \xNN, as text output shows them.
 */
export function visible(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
