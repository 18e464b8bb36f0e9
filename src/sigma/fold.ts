/**
 * The case folding of Sigma's case-insensitive matching: lowercase, with the
 * Greek final sigma (ς) as σ. toLowerCase alone depends on context: `Σ` at
 * the end of a word lowers to ς, inside it to σ, so a pattern `ΟΔΥΣ` (ς)
 * missed the path `ΟΔΥΣΣΕΑΣ` (σσ...). RE2's `(?i)` folds σ, ς and Σ together;
 * `contains` and `re|i` now agree. Applied to patterns, event text and the
 * pre-filter's literals alike.
 */
export function fold(s: string): string {
  const l = s.toLowerCase();
  return l.indexOf('ς') < 0 ? l : l.replace(/ς/g, 'σ');
}
