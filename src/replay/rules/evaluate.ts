/**
 * Compiles rules into predicates over an event's facts. String conditions on
 * list facts (argv, ancestors) hold when any element matches; `not_*`
 * conditions hold when no element does. A missing fact never matches a
 * positive condition: unknown is not guessed.
 */
import { type BlockList } from 'node:net';
import { inNetworks, networkBlock } from '../../common/networks.js';
import { type Condition, CUT_ALL, CUT_NONE, type FactSource, type FactValue, type Match, type Rule } from './model.js';
import { FALSE, type Judgement, kleene, TRUE, UNKNOWN } from '../../common/kleene.js';
import { AncestorTest, Ancestry } from '../ancestry.js';

export type FactPredicate = (facts: FactSource) => boolean;
/** The same in three values (Kleene's), for an event with a fact the capture cut (FactSource.cut). */
export type FactJudge = (facts: FactSource) => Judgement;

export interface CompiledRule {
  readonly rule: Rule;
  readonly appliesTo: (eventType: string) => boolean;
  readonly test: FactPredicate;
  /** `test` where a fact may be cut: UNKNOWN when the answer lies in the cut rest. */
  readonly judge: FactJudge;
  /** The facts the rule reads. */
  readonly reads: readonly string[];
}

export function compileRule(rule: Rule): CompiledRule {
  const all = compileMatch(rule.match);
  const alternatives = rule.any.map(compileMatch);
  const events = new Set(rule.events);
  const judgeAll = judgeMatch(rule.match);
  const judgeAny = rule.any.map(judgeMatch);
  return {
    rule,
    reads: [...new Set([...Object.keys(rule.match), ...rule.any.flatMap((m) => Object.keys(m))])],
    judge: judgeAny.length === 0 ? judgeAll : kleene([judgeAll, kleene(judgeAny, 'or')], 'and'),
    appliesTo: events.size === 0 ? () => true : (t) => events.has(t),
    test: alternatives.length === 0 ? all : (f) => {
      if (!all(f)) return false;
      for (let i = 0; i < alternatives.length; i++) if (alternatives[i](f)) return true;
      return false;
    },
  };
}

// Rules run on every event: the predicates below allocate nothing per call (no closures, no arrays for scalars).
function compileMatch(match: Match): FactPredicate {
  const checks = Object.entries(match).map(([field, cond]) => compileCondition(field, cond));
  return (facts) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i](facts)) return false;
    return true;
  };
}

/** A match in three values: Kleene's `and` of its conditions. */
function judgeMatch(match: Match): FactJudge {
  const checks = Object.entries(match).map(([field, cond]): FactJudge => {
    const judge = judgeCondition(cond);
    return (facts) => judge(facts.get(field), facts.cut?.(field) ?? CUT_NONE);
  });
  return checks.length === 0 ? () => TRUE : kleene(checks, 'and');
}

/**
 * A string operator on the beginning of a value whose rest was cut: TRUE when
 * no rest can undo it (the prefix or text is in the kept beginning), FALSE
 * when no rest can make it hold, else UNKNOWN. A cut string is no number, no
 * address: those tests say what they say of any string.
 */
const CUT_OPERATORS: Record<string, (arg: unknown) => (kept: string) => Judgement> = {
  equals: (arg) => { const xs = list(arg as Value | Value[]); return (v) => (xs.some((x) => typeof x === 'string' && x.startsWith(v)) ? UNKNOWN : FALSE); },
  one_of: (arg) => CUT_OPERATORS.equals(arg),
  prefix: (arg) => { const xs = list(arg as string | string[]); return (v) => (xs.some((x) => v.startsWith(x)) ? TRUE : xs.some((x) => x.startsWith(v)) ? UNKNOWN : FALSE); },
  suffix: (arg) => { const xs = list(arg as string | string[]); return () => (xs.length > 0 ? UNKNOWN : FALSE); },
  contains: (arg) => { const xs = list(arg as string | string[]); return (v) => (xs.some((x) => v.includes(x)) ? TRUE : xs.length > 0 ? UNKNOWN : FALSE); },
  cidr: () => () => UNKNOWN,
  gt: () => () => FALSE,
  gte: () => () => FALSE,
  lt: () => () => FALSE,
  lte: () => () => FALSE,
};

/**
 * A condition in three values. A value not cut is judged as `valueCondition`
 * tests it; a cut string (or a list with cut elements: the last one, or
 * CUT_ALL any) by CUT_OPERATORS, and a positive operator holds when some
 * element's judgement does, a `not_` one when none may.
 */
function judgeCondition(c: Condition): (value: FactValue | undefined, cut: number) => Judgement {
  const whole = valueCondition(c);
  const tests: [ValueTest, (kept: string) => Judgement][] = [];
  const negated: [ValueTest, (kept: string) => Judgement][] = [];
  for (const [op, arg] of Object.entries(c)) {
    if (arg === undefined) continue;
    const negative = op.startsWith('not_');
    const name = negative ? op.slice(4) : op;
    (negative ? negated : tests).push([OPERATORS[name](arg), CUT_OPERATORS[name](arg)]);
  }
  // One operator over the value: TRUE when it holds for some element (whole, or judged where cut).
  const some = ([t, j]: [ValueTest, (kept: string) => Judgement], value: FactValue, cut: number): Judgement => {
    if (!Array.isArray(value)) return typeof value === 'string' ? j(value) : t(value as Value) ? TRUE : FALSE;
    let r: Judgement = FALSE;
    for (let i = 0; i < value.length; i++) {
      const isCut = cut === CUT_ALL || i === value.length - 1;
      const v = isCut ? j(value[i]) : t(value[i]) ? TRUE : FALSE;
      if (v === TRUE) return TRUE;
      if (v === UNKNOWN) r = UNKNOWN;
    }
    return r;
  };
  return (value, cut) => {
    if (cut === CUT_NONE || value === undefined || value === null || value instanceof Ancestry) return whole(value) ? TRUE : FALSE;
    let r: Judgement = TRUE;
    for (const t of tests) {
      const v = some(t, value, cut);
      if (v === FALSE) return FALSE;
      if (v === UNKNOWN) r = UNKNOWN;
    }
    for (const n of negated) {
      const v = some(n, value, cut);
      if (v === TRUE) return FALSE;
      if (v === UNKNOWN) r = UNKNOWN;
    }
    return r;
  };
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

type Value = string | number | boolean;
type ValueTest = (v: Value) => boolean;

/** Each operator, given its argument, tests one value; `not_<op>` holds when `<op>` holds for no element. */
const OPERATORS: Record<string, (arg: unknown) => ValueTest> = {
  equals: (arg) => { const xs = list(arg as Value | Value[]); return (v) => xs.includes(v); },
  one_of: (arg) => { const xs = list(arg as Value[]); return (v) => xs.includes(v); },
  prefix: (arg) => { const xs = list(arg as string | string[]); return (v) => { if (typeof v === 'string') for (const x of xs) if (v.startsWith(x)) return true; return false; }; },
  suffix: (arg) => { const xs = list(arg as string | string[]); return (v) => { if (typeof v === 'string') for (const x of xs) if (v.endsWith(x)) return true; return false; }; },
  contains: (arg) => { const xs = list(arg as string | string[]); return (v) => { if (typeof v === 'string') for (const x of xs) if (v.includes(x)) return true; return false; }; },
  cidr: (arg) => { const block = cidrBlock(list(arg as string | string[])); return (v) => typeof v === 'string' && inNetworks(block, v); },
  gt: (arg) => (v) => typeof v === 'number' && v > (arg as number),
  gte: (arg) => (v) => typeof v === 'number' && v >= (arg as number),
  lt: (arg) => (v) => typeof v === 'number' && v < (arg as number),
  lte: (arg) => (v) => typeof v === 'number' && v <= (arg as number),
};

function compileCondition(field: string, c: Condition): FactPredicate {
  const test = valueCondition(c);
  return (facts) => test(facts.get(field));
}

/**
 * A condition as a test of one fact's value (undefined or null: the fact is
 * missing). The meaning of every operator lives here; the rules compiled over
 * record bytes (record-rules.ts) use it for every fact they do not read faster.
 */
export function valueCondition(c: Condition): (value: FactValue | undefined) => boolean {
  const tests: ValueTest[] = [];
  const negated: ValueTest[] = [];
  for (const [op, arg] of Object.entries(c)) {
    if (arg === undefined) continue;
    const negative = op.startsWith('not_');
    const build = OPERATORS[negative ? op.slice(4) : op];
    if (build === undefined) throw new Error(`unknown operator ${op}`);
    (negative ? negated : tests).push(build(arg));
  }
  // An Ancestry is a list too, of every ancestor's value: each test is asked of it (ancestry.ts), never over a list.
  const ancestral = (t: ValueTest) => {
    let exe: AncestorTest | null = null;
    let comm: AncestorTest | null = null;
    return (a: Ancestry) => a.some(a.field === 'exe' ? (exe ??= new AncestorTest('exe', t)) : (comm ??= new AncestorTest('comm', t)));
  };
  const testsOfAncestry = tests.map(ancestral);
  const negatedOfAncestry = negated.map(ancestral);
  return (value) => {
    if (value === undefined || value === null) return tests.length === 0;
    if (value instanceof Ancestry) {
      for (let i = 0; i < testsOfAncestry.length; i++) if (!testsOfAncestry[i](value)) return false;
      for (let i = 0; i < negatedOfAncestry.length; i++) if (negatedOfAncestry[i](value)) return false;
      return true;
    }
    if (Array.isArray(value)) {
      // Each positive test must hold for some element; no negated test may hold for any element.
      for (const t of tests) if (!value.some(t)) return false;
      for (const n of negated) if (value.some(n)) return false;
      return true;
    }
    for (let i = 0; i < tests.length; i++) if (!tests[i](value)) return false;
    for (let i = 0; i < negated.length; i++) if (negated[i](value)) return false;
    return true;
  };
}

/** The networks of a rule's or option's CIDR texts (src/common/networks.ts). */
export function cidrBlock(cidrs: readonly unknown[]): BlockList {
  return networkBlock(cidrs);
}
