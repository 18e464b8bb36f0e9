/**
 * Detection conditions: `and`, `or`, `not`, parentheses, `1 of pattern`,
 * `any of pattern`, `all of pattern` and `them`, with the specification's
 * precedence (least to most binding: or, and, not, x of, parentheses) and
 * pySigma's lexical rules: lowercase operators, identifiers of letters,
 * digits, `_` and `-`, patterns of letters, digits, `_` and `*` matched over
 * the whole identifier, and `them` (or a pattern not starting with `_`)
 * leaving out identifiers that start with `_`.
 */
import { SIGMA_LIMITS } from './limits.js';
import { RuleProblem } from './problems.js';

export type ConditionNode =
  | { readonly op: 'and' | 'or'; readonly args: readonly ConditionNode[] }
  | { readonly op: 'not'; readonly arg: ConditionNode }
  | { readonly op: 'id'; readonly name: string };

/** Parentheses and `not`s nested in one another (the parser recurses once per level). */
const MAX_DEPTH = 64;

type Token = { readonly kind: 'word' | '(' | ')'; readonly text: string };

function tokenize(s: string): Token[] {
  if (s.length > SIGMA_LIMITS.maxConditionLength) throw RuleProblem.invalid(`condition longer than ${SIGMA_LIMITS.maxConditionLength} characters`);
  if (s.includes('|')) throw RuleProblem.unsupported("condition uses the Sigma 1 aggregation syntax ('| count() ...'), replaced by correlation rules in Sigma 2");
  const out: Token[] = [];
  const re = /\s*(?:([()])|([A-Za-z0-9_*-]+)|(\S))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s)) !== null) {
    if (m[1] !== undefined) out.push({ kind: m[1] as '(' | ')', text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: 'word', text: m[2] });
    else if (m[3] !== undefined) throw RuleProblem.invalid(`unexpected character ${JSON.stringify(m[3])} in condition`);
    else break;
  }
  return out;
}

/** Parses a condition over the rule's search identifiers, expanding `x of` into and/or of identifiers. */
export function parseCondition(text: string, identifiers: readonly string[]): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const word = (w: string) => tokens[pos]?.kind === 'word' && tokens[pos].text === w;
  const fail = (what: string): never => { throw RuleProblem.invalid(`condition ${JSON.stringify(text)}: ${what}`); };

  const parseOr = (): ConditionNode => {
    const args = [parseAnd()];
    while (word('or')) { pos++; args.push(parseAnd()); }
    return args.length === 1 ? args[0] : { op: 'or', args };
  };
  const parseAnd = (): ConditionNode => {
    const args = [parseNot()];
    while (word('and')) { pos++; args.push(parseNot()); }
    return args.length === 1 ? args[0] : { op: 'and', args };
  };
  const parseNot = (): ConditionNode => {
    if (!word('not')) return parsePrimary();
    pos++;
    if (++depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    const arg = parseNot();
    depth--;
    return { op: 'not', arg };
  };
  const parsePrimary = (): ConditionNode => {
    const t = peek();
    if (t === undefined) return fail('ends too early');
    if (t.kind === '(') {
      if (++depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
      pos++;
      const inner = parseOr();
      if (peek()?.kind !== ')') fail("missing ')'");
      pos++;
      depth--;
      return inner;
    }
    if (t.kind === ')') return fail("unexpected ')'");
    if (['and', 'or', 'not', 'of'].includes(t.text)) return fail(`unexpected '${t.text}'`);
    if ((t.text === '1' || t.text === 'any' || t.text === 'all') && tokens[pos + 1]?.kind === 'word' && tokens[pos + 1].text === 'of') {
      const pattern = tokens[pos + 2];
      if (pattern === undefined || pattern.kind !== 'word') return fail(`'${t.text} of' needs a pattern or 'them'`);
      pos += 3;
      return selector(t.text === 'all' ? 'and' : 'or', pattern.text);
    }
    if (tokens[pos + 1]?.kind === 'word' && tokens[pos + 1].text === 'of') return fail(`'${t.text} of' is not a Sigma quantifier (1, any or all)`);
    if (t.text.includes('*')) return fail(`pattern '${t.text}' needs a quantifier ('1 of', 'all of')`);
    if (!identifiers.includes(t.text)) return fail(`unknown search identifier '${t.text}'`);
    pos++;
    return { op: 'id', name: t.text };
  };
  const selector = (op: 'and' | 'or', pattern: string): ConditionNode => {
    if (!/^[A-Za-z0-9_*]+$/.test(pattern)) fail(`bad identifier pattern '${pattern}'`);
    const re = pattern === 'them' ? null : new RegExp(`^${pattern.replace(/\*/g, '.*')}$`);
    const underscoreOk = pattern !== 'them' && pattern.startsWith('_');
    const names = identifiers.filter((id) => (re === null || re.test(id)) && (underscoreOk || !id.startsWith('_')));
    if (names.length === 0) fail(`'${pattern}' matches no search identifier`);
    const args = names.map((name): ConditionNode => ({ op: 'id', name }));
    return args.length === 1 ? args[0] : { op, args };
  };

  if (tokens.length === 0) fail('is empty');
  const node = parseOr();
  if (pos < tokens.length) {
    const t = tokens[pos].text;
    fail(`unexpected '${t}'${['and', 'or', 'not', 'of'].includes(t.toLowerCase()) && t !== t.toLowerCase() ? ' (operators are lowercase)' : ''}`);
  }
  return node;
}
