/**
 * Compiles rules into predicates over an event's facts. String conditions on
 * list facts (argv, ancestors) hold when any element matches; `not_*`
 * conditions hold when no element does. A missing fact never matches a
 * positive condition: unknown is not guessed.
 */
import { BlockList, isIP } from 'node:net';
import { type Condition, type Facts, type Match, type Rule } from './model.js';

export type FactPredicate = (facts: Facts) => boolean;

export interface CompiledRule {
  readonly rule: Rule;
  readonly appliesTo: (eventType: string) => boolean;
  readonly test: FactPredicate;
}

export function compileRule(rule: Rule): CompiledRule {
  const all = compileMatch(rule.match);
  const alternatives = rule.any.map(compileMatch);
  const events = new Set(rule.events);
  return {
    rule,
    appliesTo: events.size === 0 ? () => true : (t) => events.has(t),
    test: alternatives.length === 0 ? all : (f) => all(f) && alternatives.some((alt) => alt(f)),
  };
}

function compileMatch(match: Match): FactPredicate {
  const checks = Object.entries(match).map(([field, cond]) => compileCondition(field, cond));
  return (facts) => checks.every((check) => check(facts));
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function compileCondition(field: string, c: Condition): FactPredicate {
  const tests: ((v: string | number | boolean) => boolean)[] = [];
  const negated: ((v: string | number | boolean) => boolean)[] = [];
  const eq = list(c.equals);
  if (eq.length) tests.push((v) => eq.includes(v as never));
  const oneOf = list(c.one_of);
  if (oneOf.length) tests.push((v) => oneOf.includes(v as never));
  const prefixes = list(c.prefix);
  if (prefixes.length) tests.push((v) => typeof v === 'string' && prefixes.some((p) => v.startsWith(p)));
  const suffixes = list(c.suffix);
  if (suffixes.length) tests.push((v) => typeof v === 'string' && suffixes.some((s) => v.endsWith(s)));
  const parts = list(c.contains);
  if (parts.length) tests.push((v) => typeof v === 'string' && parts.some((s) => v.includes(s)));
  const cidrs = list(c.cidr);
  if (cidrs.length) {
    const block = cidrBlock(cidrs);
    tests.push((v) => typeof v === 'string' && inBlock(block, v));
  }
  if (c.gt !== undefined) tests.push((v) => typeof v === 'number' && v > c.gt!);
  if (c.gte !== undefined) tests.push((v) => typeof v === 'number' && v >= c.gte!);
  if (c.lt !== undefined) tests.push((v) => typeof v === 'number' && v < c.lt!);
  if (c.lte !== undefined) tests.push((v) => typeof v === 'number' && v <= c.lte!);
  const neq = list(c.not_equals);
  if (neq.length) negated.push((v) => neq.includes(v as never));
  const notOneOf = list(c.not_one_of);
  if (notOneOf.length) negated.push((v) => notOneOf.includes(v as never));
  const notPrefixes = list(c.not_prefix);
  if (notPrefixes.length) negated.push((v) => typeof v === 'string' && notPrefixes.some((p) => v.startsWith(p)));
  const notSuffixes = list(c.not_suffix);
  if (notSuffixes.length) negated.push((v) => typeof v === 'string' && notSuffixes.some((s) => v.endsWith(s)));
  const notParts = list(c.not_contains);
  if (notParts.length) negated.push((v) => typeof v === 'string' && notParts.some((s) => v.includes(s)));
  const notCidrs = list(c.not_cidr);
  if (notCidrs.length) {
    const block = cidrBlock(notCidrs);
    negated.push((v) => typeof v === 'string' && inBlock(block, v));
  }
  return (facts) => {
    const value = facts.get(field);
    if (value === undefined || value === null) return tests.length === 0;
    const values = Array.isArray(value) ? value : [value];
    // Each positive test must hold for some element; no negated test may hold for any element.
    for (const t of tests) if (!values.some(t)) return false;
    for (const n of negated) if (values.some(n)) return false;
    return true;
  };
}

export function cidrBlock(cidrs: readonly string[]): BlockList {
  const block = new BlockList();
  for (const cidr of cidrs) {
    const [addr, bits] = cidr.split('/');
    const family = isIP(addr);
    if (family === 0) throw new Error(`not an IP network: ${JSON.stringify(cidr)}`);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`bad prefix length in ${JSON.stringify(cidr)}`);
    block.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return block;
}

function inBlock(block: BlockList, addr: string): boolean {
  const family = isIP(addr);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (mapped && block.check(mapped[1], 'ipv4')) return true;
  return block.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}
