/**
 * Three-valued (Kleene) truth, for rules judging values the capture cut: a
 * test of a cut value may be UNKNOWN, and `and`, `or`, `not` combine as
 * Kleene's logic does (FALSE decides an `and`, TRUE an `or`, whatever the
 * unknowns). The Sigma engine and the built-in and TOML rules share it.
 */
export type Judgement = 0 | 1 | 2;
export const FALSE = 0;
export const TRUE = 1;
export const UNKNOWN = 2;

/** Kleene's `and` (FALSE wins, then UNKNOWN) or `or` (TRUE wins, then UNKNOWN) of judges of the same input. */
export function kleene<T>(judges: readonly ((x: T) => Judgement)[], op: 'and' | 'or'): (x: T) => Judgement {
  if (judges.length === 1) return judges[0];
  const stop = op === 'and' ? FALSE : TRUE;
  const rest = op === 'and' ? TRUE : FALSE;
  return (x) => {
    let r: Judgement = rest;
    for (let i = 0; i < judges.length; i++) {
      const v = judges[i](x);
      if (v === stop) return stop;
      if (v === UNKNOWN) r = UNKNOWN;
    }
    return r;
  };
}

/** Kleene's `not`: UNKNOWN stays unknown. */
export function kleeneNot<T>(j: (x: T) => Judgement): (x: T) => Judgement {
  return (x) => { const v = j(x); return v === UNKNOWN ? UNKNOWN : v === TRUE ? FALSE : TRUE; };
}
