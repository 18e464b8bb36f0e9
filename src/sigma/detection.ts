/**
 * A rule's `detection` section as one test: each search identifier is a map
 * (every item must hold), a list (any element: maps, or plain keywords), or
 * a plain keyword; the condition (or list of conditions, any of which may
 * hold) combines them.
 */
import { parseCondition, type ConditionNode } from './condition.js';
import { RuleProblem } from './problems.js';
import { kleene, kleeneNot } from '../common/kleene.js';
import { best, combine, compileItem, type CompiledItem, type FieldResolver, type RuleScalar, union } from './values.js';
import { type YamlMap, type YamlValue } from './yaml-load.js';

export type CompiledDetection = CompiledItem;

const isMap = (v: YamlValue): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: YamlValue): v is RuleScalar => v === null || typeof v !== 'object';

export function compileDetection(detection: YamlValue, fields: FieldResolver): CompiledDetection {
  if (!isMap(detection)) throw RuleProblem.invalid('detection must be a map of search identifiers and a condition');
  const condition = detection.condition;
  const conditions = Array.isArray(condition) ? condition : condition === undefined || condition === null ? [] : [condition];
  if (conditions.length === 0) throw RuleProblem.invalid('detection has no condition');
  if (!conditions.every((c): c is string => typeof c === 'string')) throw RuleProblem.invalid('condition must be a string or a list of strings');
  // `timeframe` sits beside `condition` (the rule schema's detection attributes), no search identifier: taken as one,
  // `all of them` required a keyword "30s" and `1 of them` matched any event holding it. Without an aggregation (Sigma 1's,
  // refused by the condition parser) it bounds nothing, and pySigma leaves it out the same way.
  const names = Object.keys(detection).filter((k) => k !== 'condition' && k !== 'timeframe');
  if (names.length === 0) throw RuleProblem.invalid('detection defines no search identifier');
  const trees = conditions.map((c) => parseCondition(c, names));
  const used = new Set<string>();
  for (const t of trees) collectIds(t, used);
  const compiled = new Map<string, CompiledItem>();
  for (const name of names) {
    try {
      compiled.set(name, compileIdentifier(detection[name], fields));
    } catch (e) {
      if (!(e instanceof RuleProblem)) throw e;
      // An identifier the condition never uses cannot change a match: only a broken one stops the rule.
      if (used.has(name) || e.kind === 'invalid') throw new RuleProblem(e.kind, `${name}: ${e.message}`);
    }
  }
  const parts = trees.map((t) => compileNode(t, compiled));
  return parts.length === 1 ? parts[0] : { test: combine(parts.map((p) => p.test), 'or'), judge: kleene(parts.map((p) => p.judge), 'or'), requires: union(parts.map((p) => p.requires)) };
}

function collectIds(n: ConditionNode, into: Set<string>): void {
  if (n.op === 'id') into.add(n.name);
  else if (n.op === 'not') collectIds(n.arg, into);
  else for (const a of n.args) collectIds(a, into);
}

function compileNode(n: ConditionNode, ids: ReadonlyMap<string, CompiledItem>): CompiledItem {
  switch (n.op) {
    case 'id': return ids.get(n.name)!;
    case 'not': {
      const inner = compileNode(n.arg, ids);
      const test = inner.test;
      return { test: (c) => !test(c), judge: kleeneNot(inner.judge), requires: null };
    }
    case 'and': {
      const args = n.args.map((a) => compileNode(a, ids));
      return { test: combine(args.map((a) => a.test), 'and'), judge: kleene(args.map((a) => a.judge), 'and'), requires: best(args.map((a) => a.requires)) };
    }
    case 'or': {
      const args = n.args.map((a) => compileNode(a, ids));
      return { test: combine(args.map((a) => a.test), 'or'), judge: kleene(args.map((a) => a.judge), 'or'), requires: union(args.map((a) => a.requires)) };
    }
  }
}

/** One search identifier's definition. */
function compileIdentifier(def: YamlValue, fields: FieldResolver): CompiledItem {
  if (isMap(def)) {
    const keys = Object.keys(def);
    if (keys.length === 0) throw RuleProblem.invalid('is an empty map');
    const items = keys.map((key) => {
      const [field, ...modifiers] = key.split('|');
      const value = def[key];
      let values: RuleScalar[];
      if (Array.isArray(value)) {
        if (!value.every(isScalar)) throw RuleProblem.invalid(`${key}: values must be strings, numbers, booleans or null`);
        values = value as RuleScalar[];
      } else if (isScalar(value)) {
        values = [value];
      } else {
        throw RuleProblem.invalid(`${key}: a value cannot be a map`);
      }
      return compileItem(field === '' ? null : field, modifiers, values, fields);
    });
    return { test: combine(items.map((i) => i.test), 'and'), judge: kleene(items.map((i) => i.judge), 'and'), requires: best(items.map((i) => i.requires)) };
  }
  if (Array.isArray(def)) {
    if (def.length === 0) throw RuleProblem.invalid('is an empty list');
    if (def.every(isScalar)) return compileItem(null, [], def as RuleScalar[], fields);
    const members = def.map((d) => compileIdentifier(d, fields));
    return { test: combine(members.map((m) => m.test), 'or'), judge: kleene(members.map((m) => m.judge), 'or'), requires: union(members.map((m) => m.requires)) };
  }
  return compileItem(null, [], [def], fields);
}
