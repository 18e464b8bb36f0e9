/** Which rules load, and the one-line reason for each that does not. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkJson, formatCheckText } from '../../src/sigma/check.js';
import { visible } from '../../src/common/visible.js';
import { loadSigmaRules, SigmaPathError } from '../../src/sigma/load.js';
import { SigmaEngine } from '../../src/sigma/engine.js';
import { load, ruleText, TEST_SOURCES, view } from './support.js';

const SEL = "    sel:\n        Image|endswith: '/nc'\n    condition: sel";

function problem(text: string): { kind: string; reason: string } | null {
  const set = load(text);
  expect(set.reports).toHaveLength(1);
  return set.reports[0].problem;
}

describe('log source routing', () => {
  it('loads product linux rules for categories the events have', () => {
    const set = load(ruleText(SEL, 'process_creation'));
    expect(set.reports[0]).toMatchObject({ loaded: true, category: 'process_creation', title: 'test rule' });
  });

  it('skips other products, services and categories with the reason, never applying them', () => {
    const windows = ruleText(SEL).replace('product: linux', 'product: windows');
    expect(problem(windows)).toEqual({ kind: 'logsource', reason: 'product windows: rand-guard records Linux hosts' });
    const auditd = 'title: t\nlogsource:\n    product: linux\n    service: auditd\ndetection:\n    sel:\n        type: EXECVE\n    condition: sel\n';
    expect(problem(auditd)?.kind).toBe('logsource');
    expect(problem(auditd)?.reason).toMatch(/^service auditd: a log rand-guard does not record/);
    const noCategory = 'title: t\nlogsource:\n    product: linux\ndetection:\n    keywords:\n        - evil\n    condition: keywords\n';
    expect(problem(noCategory)?.reason).toMatch(/^no category/);
    expect(problem(ruleText(SEL, 'file_access'))).toEqual({ kind: 'logsource', reason: 'category file_access: reads are not recorded' });
    expect(problem(ruleText(SEL, 'registry_set'))).toEqual({ kind: 'logsource', reason: 'category registry_set: no rand-guard events of this kind' });
  });

  it('a rule without a product still loads for a category the events have (its fields are checked)', () => {
    const generic = ruleText(SEL).replace('    product: linux\n', '');
    expect(load(generic).reports[0].loaded).toBe(true);
  });

  it('a rule using a field the category lacks is not loaded: it would never be evaluated faithfully', () => {
    expect(problem(ruleText("    sel:\n        OriginalFileName: 'nc'\n    condition: sel"))).toEqual({ kind: 'unsupported', reason: "sel: field 'OriginalFileName' is not in this log source's events" });
  });

  it('an unused identifier with an unknown field does not stop the rule; an invalid one does', () => {
    expect(load(ruleText(`${SEL}\n    unused:\n        Hashes: x`)).reports[0].loaded).toBe(true);
    expect(problem(ruleText("    sel:\n        Image: x\n    unused:\n        Image|nosuchmod: x\n    condition: sel"))).toEqual({ kind: 'invalid', reason: "unused: unknown modifier 'nosuchmod'" });
  });
});

describe('rules that do not load say why, in one line', () => {
  const cases: [string, string, string, RegExp][] = [
    ['expand (placeholders)', "    sel:\n        User|expand: '%Admins%'\n    condition: sel", 'unsupported', /placeholders/],
    ['time-part modifiers', '    sel:\n        ProcessId|hour: 3\n    condition: sel', 'unsupported', /no date fields/],
    ['utf16 without base64', "    sel:\n        CommandLine|wide|contains: 'x'\n    condition: sel", 'unsupported', /only match when base64-encoded/],
    ['a regex RE2 cannot run (backreference)', "    sel:\n        CommandLine|re: '(a)\\1'\n    condition: sel", 'unsupported', /RE2/],
    ['a regex RE2 cannot run (lookahead)', "    sel:\n        CommandLine|re: 'a(?=b)'\n    condition: sel", 'unsupported', /RE2/],
    ['Sigma 1 aggregation', '    sel:\n        Image: x\n    condition: sel | count() by User > 5', 'unsupported', /aggregation/],
    ['unknown modifier', '    sel:\n        Image|sw: x\n    condition: sel', 'invalid', /unknown modifier 'sw'/],
    ['re not first', "    sel:\n        Image|contains|re: 'x'\n    condition: sel", 'invalid', /'re' must come first/],
    ['i without re', "    sel:\n        Image|i: 'x'\n    condition: sel", 'invalid', /only follows 're'/],
    ['base64 with wildcards', "    sel:\n        Image|base64: 'a*'\n    condition: sel", 'invalid', /wildcards/],
    ['gt on a string', "    sel:\n        ProcessId|gt: '5'\n    condition: sel", 'invalid', /needs a number/],
    ['exists on a string', "    sel:\n        Image|exists: 'yes'\n    condition: sel", 'invalid', /true or false/],
    ['a bad network', "    sel:\n        Image|cidr: '10.0.0.0/33'\n    condition: sel", 'invalid', /prefix length/],
    ['fieldref with a wildcard', "    sel:\n        Image|fieldref: 'Comm*'\n    condition: sel", 'invalid', /wildcards/],
    ['fieldref to a missing field', "    sel:\n        Image|fieldref: 'Hashes'\n    condition: sel", 'unsupported', /field reference 'Hashes'/],
    ['null as a keyword', '    keywords:\n        - null\n    condition: keywords', 'invalid', /bound to a field/],
    ['unknown identifier', '    sel:\n        Image: x\n    condition: sel and other', 'invalid', /unknown search identifier 'other'/],
    ['uppercase operator', '    a:\n        Image: x\n    b:\n        Image: y\n    condition: a AND b', 'invalid', /unexpected 'AND' \(operators are lowercase\)/],
    ['a pattern matching nothing', '    sel:\n        Image: x\n    condition: 1 of filter*', 'invalid', /matches no search identifier/],
    ['2 of', '    sel:\n        Image: x\n    condition: 2 of sel*', 'invalid', /not a Sigma quantifier/],
    ['unbalanced parentheses', '    sel:\n        Image: x\n    condition: (sel', 'invalid', /missing '\)'/],
    ['no condition', '    sel:\n        Image: x', 'invalid', /no condition/],
    ['empty selection', '    sel: {}\n    condition: sel', 'invalid', /empty map/],
    ['a map as a value', '    sel:\n        Image:\n            a: b\n    condition: sel', 'invalid', /cannot be a map/],
  ];
  for (const [name, detection, kind, reason] of cases) {
    it(name, () => {
      const p = problem(ruleText(detection));
      expect(p?.kind).toBe(kind);
      expect(p?.reason).toMatch(reason);
      expect(p?.reason).not.toContain('\n');
    });
  }

  it('metadata the specification constrains', () => {
    expect(problem(ruleText(SEL).replace('level: high', 'level: severe'))?.reason).toMatch(/level 'severe'/);
    expect(problem(ruleText(SEL).replace('status: test', 'status: great'))?.reason).toMatch(/status 'great'/);
    expect(problem(ruleText(SEL).replace('title: test rule\n', ''))?.reason).toBe('a rule needs a title');
    expect(problem(ruleText(SEL) + 'tags: attack.t1059\n')?.reason).toBe('tags must be a list of strings');
    expect(problem(ruleText(SEL) + 'taxonomy: ecs\n')?.kind).toBe('unsupported');
    expect(problem('title: f\nfilter:\n    rules: [x]\n')?.reason).toMatch(/Sigma filters/);
    expect(problem('- a\n- b\n')?.reason).toBe('a rule document must be a map');
    expect(problem(ruleText(SEL) + 'level: low\n')?.reason).toMatch(/not valid YAML: .*[Dd]uplicate|not valid YAML/);
  });

  it('a syntax error is reported for its document only', () => {
    const set = load(`${ruleText(SEL)}---\ntitle: [unclosed\n---\n${ruleText(SEL).replace('11111111-1111', '22222222-2222')}`);
    expect(set.reports.map((r) => r.loaded)).toEqual([true, false, true]);
    expect(set.reports[1].problem?.reason).toMatch(/^not valid YAML/);
  });

  it('two rules with one id: the second is not loaded', () => {
    const set = load(ruleText(SEL), ruleText(SEL));
    expect(set.reports.map((r) => r.loaded)).toEqual([true, false]);
    expect(set.reports[1].problem?.reason).toMatch(/already used by rule0.yml/);
  });
});

describe('collection actions (multi-document files, as pySigma reads them)', () => {
  it('action: global is merged into every rule after it, and repeat reuses the previous rule', () => {
    const text = [
      'action: global\ntitle: shared\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    condition: sel\nlevel: low',
      "id: 33333333-3333-4333-8333-333333333333\ndetection:\n    sel:\n        Image|endswith: '/nc'",
      "action: repeat\nid: 44444444-4444-4444-8444-444444444444\ndetection:\n    sel:\n        Image|endswith: '/ncat'",
      'action: reset',
      'title: after reset\nid: 55555555-5555-4555-8555-555555555555\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image: x\n    condition: sel',
    ].join('\n---\n');
    const set = load(text);
    expect(set.reports.map((r) => [r.document, r.loaded])).toEqual([[2, true], [3, true], [5, false]]);
    expect(set.reports[2].problem?.kind).toBe('logsource');
    const engine = new SigmaEngine(set);
    expect(engine.evaluate(view('process_creation', { Image: '/bin/nc' })).map((h) => [h.rule.title, h.rule.id, h.rule.level])).toEqual([['shared', '33333333-3333-4333-8333-333333333333', 'low']]);
    expect(engine.evaluate(view('process_creation', { Image: '/bin/ncat' })).map((h) => h.rule.id)).toEqual(['44444444-4444-4444-8444-444444444444']);
  });
});

describe('files and directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-sigma-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.yml'), ruleText(SEL));
  writeFileSync(join(dir, 'sub', 'b.yaml'), ruleText(SEL, 'network_connection').replace('11111111-1111', '66666666-6666'));
  writeFileSync(join(dir, 'notes.txt'), 'not a rule');
  writeFileSync(join(dir, 'big.yml'), 'x'.repeat((1 << 20) + 1));

  it('reads .yml and .yaml files recursively, in name order; a huge file is reported, not read', () => {
    const set = loadSigmaRules([dir], TEST_SOURCES);
    expect(set.reports.map((r) => [r.file.slice(dir.length), r.loaded, r.problem?.reason ?? null])).toEqual([
      ['/a.yml', true, null], ['/big.yml', false, 'larger than 1 MiB'], ['/sub/b.yaml', true, null],
    ]);
  });

  it('a rule-file name in a directory that cannot be read as one is reported, not skipped: a link to nothing, a link loop, a FIFO, not UTF-8', () => {
    const links = mkdtempSync(join(tmpdir(), 'rg-sigma-links-'));
    writeFileSync(join(links, 'a.yml'), ruleText(SEL));
    symlinkSync('missing.yml', join(links, 'dangling.yml'));
    symlinkSync('loopb.yml', join(links, 'loopa.yml'));
    symlinkSync('loopa.yml', join(links, 'loopb.yml'));
    execFileSync('mkfifo', [join(links, 'pipe.yml')]);
    // Latin-1 bytes (0xe9, é): decoded as UTF-8 they became U+FFFD and the rule never matched.
    writeFileSync(join(links, 'latin1.yml'), Buffer.from(ruleText("    sel:\n        Image|endswith: '/caf\u00e9'\n    condition: sel"), 'latin1'));
    // Loading must not wait on the FIFO (a writer never comes).
    const set = loadSigmaRules([links], TEST_SOURCES);
    expect(set.reports.map((r) => [r.file.slice(links.length), r.loaded, r.problem?.reason ?? null])).toEqual([
      ['/a.yml', true, null],
      ['/dangling.yml', false, 'a symbolic link to nothing'],
      ['/latin1.yml', false, 'not UTF-8 text (a rule file is UTF-8)'],
      ['/loopa.yml', false, 'a loop of symbolic links'],
      ['/loopb.yml', false, 'a loop of symbolic links'],
      ['/pipe.yml', false, 'not a regular file'],
    ]);
  });

  it('a missing path is an error for the command line to report', () => {
    expect(() => loadSigmaRules([join(dir, 'nope')], TEST_SOURCES)).toThrow(SigmaPathError);
  });

  it('sigma-check text: a line per document and a summary; titles are shown with control characters escaped', () => {
    const set = load(ruleText(SEL).replace('title: test rule', 'title: "evil \\e[31m title"'), ruleText(SEL, 'file_access').replace('11111111-1111', '77777777-7777'));
    const text = formatCheckText(set.reports);
    expect(text).not.toContain('\x1b');
    expect(text.split('\n')).toEqual([
      "loaded      process_creation  rule0.yml  evil \\u001b[31m title",
      'not loaded  other log source  rule1.yml  test rule: category file_access: reads are not recorded',
      '1 loaded (1 process_creation), 1 not loaded (1 other log source)',
      '',
    ]);
    expect(checkJson(set.reports)).toMatchObject({ summary: { loaded: 1, notLoaded: 1 } });
    expect(visible('a\u202eb\x7f')).toBe('a\\u202eb\\u007f');
  });
});
