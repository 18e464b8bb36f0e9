/**
 * Careless or hostile rules: each must end in a one-line reason or a
 * correct answer, never a hang, a crash or unbounded memory. (A hang shows
 * as this file's test timeout; no timings are asserted.)
 */
import { describe, expect, it } from 'vitest';
import { SIGMA_LIMITS } from '../../src/sigma/limits.js';
import { parseYamlDocuments } from '../../src/sigma/yaml-load.js';
import { engineFor, load, ruleText, view } from './support.js';

function reason(text: string): string | undefined {
  const set = load(text);
  return set.reports.find((r) => !r.loaded)?.problem?.reason;
}

describe('regular expressions run in linear time (RE2)', () => {
  const cases: [string, string][] = [
    ['nested quantifiers', '(a+)+$'],
    ['alternation under a star', '(a|a)*b'],
    ['overlapping groups', '(a|aa)+c'],
    ['a counted repeat of a wildcard', '(.*a){20}x'],
  ];
  for (const [name, re] of cases) {
    it(`${name}: ${re} on 100,000 characters`, () => {
      const engine = engineFor(ruleText(`    sel:\n        CommandLine|re: '${re}'\n    condition: sel`));
      expect(engine.evaluate(view('process_creation', { CommandLine: `${'a'.repeat(100_000)}!` }))).toHaveLength(0);
      expect(engine.evaluate(view('process_creation', { CommandLine: re === '(a+)+$' ? 'aaa' : re.includes('c') ? 'aac' : re.includes('x') ? `${'a'.repeat(25)}x` : 'aab' }))).toHaveLength(1);
    });
  }

  it('a regex too large for RE2 is not loaded, with the reason', () => {
    expect(reason(ruleText("    sel:\n        CommandLine|re: '((a{1000}){1000}){1000}'\n    condition: sel"))).toMatch(/RE2/);
  });

  it('a regex longer than the limit is not loaded', () => {
    expect(reason(ruleText(`    sel:\n        CommandLine|re: '${'a'.repeat(SIGMA_LIMITS.maxRegexLength + 1)}'\n    condition: sel`))).toMatch(/longer than/);
  });
});

describe('wildcards never backtrack exponentially', () => {
  it('*a*a*a*a*a*a*a*a*b against 100,000 a', () => {
    const engine = engineFor(ruleText("    sel:\n        CommandLine: '*a*a*a*a*a*a*a*a*b'\n    condition: sel"));
    expect(engine.evaluate(view('process_creation', { CommandLine: 'a'.repeat(100_000) }))).toHaveLength(0);
    expect(engine.evaluate(view('process_creation', { CommandLine: 'xaaaaaaaaab' }))).toHaveLength(1);
  });
});

describe('YAML is bounded', () => {
  it('a file over the size limit is not parsed', () => {
    expect(load('x'.repeat(SIGMA_LIMITS.maxFileBytes + 1)).reports[0].problem).toEqual({ kind: 'file', reason: 'larger than 1 MiB' });
  });

  it('a billion-laughs alias bomb is refused', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const r = reason(lines.join('\n'));
    expect(r).toMatch(/not valid YAML|YAML nodes/);
  });

  it('deeply nested flow collections (20,000 levels) are refused without a stack overflow', () => {
    const r = reason(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expect(r).toMatch(/^not valid YAML: Maximum call stack size exceeded/);
  });

  it('a text with far more lines or brackets than nodes allowed is refused before parsing', () => {
    expect(reason(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)).toMatch(/too large for a rule file/);
    expect(reason(`a:\n${'- x\n'.repeat(2 * SIGMA_LIMITS.maxNodes)}`)).toMatch(/too large for a rule file/);
  });

  it('block nesting deeper than the limit is refused', () => {
    let text = '';
    for (let i = 0; i < 100; i++) text += `${' '.repeat(i)}k${i}:\n`;
    expect(reason(`${text}${' '.repeat(100)}v`)).toBe(`YAML nested deeper than ${SIGMA_LIMITS.maxDepth} levels`);
  });

  it('too many nodes in one document are refused', () => {
    expect(reason(`a:\n${'- x\n'.repeat(SIGMA_LIMITS.maxNodes + 1)}`)).toBe(`more than ${SIGMA_LIMITS.maxNodes} YAML nodes in one document`);
  });

  it('too many documents in one file are refused', () => {
    const r = parseYamlDocuments('a: 1\n---\n'.repeat(SIGMA_LIMITS.maxDocuments + 1));
    expect(r).toEqual({ error: `more than ${SIGMA_LIMITS.maxDocuments} YAML documents` });
  });

  it('__proto__ and constructor as identifiers and fields pollute nothing', () => {
    const set = load(ruleText("    __proto__:\n        Image: a\n    constructor:\n        __proto__: b\n    condition: __proto__ or constructor"));
    expect(set.reports[0].problem?.reason).toBe("constructor: field '__proto__' is not in this log source's events");
    expect(({} as Record<string, unknown>).Image).toBeUndefined();
    const ok = load(ruleText("    __proto__:\n        Image: a\n    condition: __proto__"));
    expect(ok.reports[0].loaded).toBe(true);
  });
});

describe('conditions and expansions are bounded', () => {
  it('10,000 nested parentheses are refused', () => {
    expect(reason(ruleText(`    sel:\n        Image: a\n    condition: ${'('.repeat(5_000)}sel${')'.repeat(5_000)}`))).toMatch(/nested deeper than 64/);
  });

  it('10,000 nots are refused', () => {
    expect(reason(ruleText(`    sel:\n        Image: a\n    condition: ${'not '.repeat(3_000)}sel`))).toMatch(/nested deeper than 64/);
  });

  it('a condition longer than the limit is refused', () => {
    expect(reason(ruleText(`    sel:\n        Image: a\n    condition: sel${' or sel'.repeat(SIGMA_LIMITS.maxConditionLength / 7 + 1)}`))).toMatch(/condition longer than/);
  });

  it('windash over many dashes would expand 5^n ways: refused', () => {
    expect(reason(ruleText(`    sel:\n        CommandLine|windash: '${' -a'.repeat(12)}'\n    condition: sel`))).toMatch(/windash' expands to more than/);
  });

  it('a long list of values times base64offset variants past the limit is refused', () => {
    const values = Array.from({ length: 1500 }, (_, i) => `            - 'v${i}'`).join('\n');
    expect(reason(ruleText(`    sel:\n        CommandLine|base64offset|contains:\n${values}\n    condition: sel`))).toMatch(/expands to more than/);
  });
});
