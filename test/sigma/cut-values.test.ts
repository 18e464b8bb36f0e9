/**
 * Values the capture cut (a command line or path longer than its buffer):
 * the rules judge them in three values. A match in the kept beginning that
 * no continuation can undo is a match; a rule whose answer depends on the
 * cut rest is an undecided match, named as such; a rule that no
 * continuation can satisfy is no match. Before, cut values were matched as
 * if whole: `endswith` matched a path cut right after the name, and a
 * command line padded past the buffer hid what followed from every rule.
 */
import { describe, expect, it } from 'vitest';
import { type SigmaEventView } from '../../src/sigma/event.js';
import { FALSE, TRUE, UNKNOWN } from '../../src/common/kleene.js';
import { compileStringTest, globJudgePrefix, parseSigmaString } from '../../src/sigma/strings.js';
import { engineFor, type Fields, ruleText, view } from './support.js';

/** An event whose fields in `cut` hold only the beginning of their values. */
function cutView(category: string, fields: Fields, cut: readonly string[], timeMs = 0): SigmaEventView {
  return { ...view(category, fields, timeMs), hasCut: () => cut.length > 0, cut: (f) => cut.includes(f) };
}

type Outcome = 'match' | 'undecided' | 'none';

function outcome(detection: string, fields: Fields, cut: readonly string[], category = 'process_creation'): Outcome {
  const engine = engineFor(ruleText(detection, category));
  const hits = engine.evaluate(cutView(category, fields, cut));
  if (hits.length === 0) return 'none';
  expect(hits).toHaveLength(1);
  return hits[0].undecided === null ? 'match' : 'undecided';
}

const PAD = 'x'.repeat(400);

describe('rules on a cut value', () => {
  const rows: [string, string, Fields, Outcome][] = [
    // contains: found in the kept beginning, nothing after can undo it; not found, the rest may hold it.
    ['contains, found before the cut', "    sel:\n        CommandLine|contains: 'curl'\n    condition: sel", { CommandLine: `curl ${PAD}` }, 'match'],
    ['contains, not in the kept beginning (a padded command line)', "    sel:\n        CommandLine|contains: 'curl'\n    condition: sel", { CommandLine: `sh -c ${PAD}` }, 'undecided'],
    // endswith: never decided by a beginning, whatever it ends with (it used to match here).
    ['endswith, the kept beginning ends with it', "    sel:\n        TargetFilename|endswith: '/authorized_keys'\n    condition: sel", { TargetFilename: `/root/${PAD}/authorized_keys` }, 'undecided'],
    ['endswith, another ending', "    sel:\n        TargetFilename|endswith: '/authorized_keys'\n    condition: sel", { TargetFilename: `/root/${PAD}` }, 'undecided'],
    // startswith and equality: decided by the beginning when it diverges.
    ['startswith, inside the kept beginning', "    sel:\n        CommandLine|startswith: 'sh -c'\n    condition: sel", { CommandLine: `sh -c ${PAD}` }, 'match'],
    ['startswith, diverges', "    sel:\n        CommandLine|startswith: 'bash'\n    condition: sel", { CommandLine: `sh -c ${PAD}` }, 'none'],
    ['startswith, longer than the kept beginning', "    sel:\n        CommandLine|startswith: 'sh -c xx evil'\n    condition: sel", { CommandLine: 'sh -c xx' }, 'undecided'],
    ['equality, diverges', "    sel:\n        TargetFilename: '/etc/passwd'\n    condition: sel", { TargetFilename: `/tmp/${PAD}` }, 'none'],
    ['equality, the beginning of the value', "    sel:\n        TargetFilename: '/etc/cron.d/job'\n    condition: sel", { TargetFilename: '/etc/cron.d/' }, 'undecided'],
    ['wildcards: * then a literal after the cut', "    sel:\n        CommandLine: 'sh -c *| bash'\n    condition: sel", { CommandLine: `sh -c ${PAD}` }, 'undecided'],
    ['wildcards: a trailing * after a match', "    sel:\n        CommandLine: 'sh*-c*'\n    condition: sel", { CommandLine: `sh -c ${PAD}` }, 'match'],
    ['case-insensitive, as whole values', "    sel:\n        CommandLine|contains: 'CURL'\n    condition: sel", { CommandLine: `Curl ${PAD}` }, 'match'],
    // Kleene's logic: a decided FALSE elsewhere wins over an unknown; `not` keeps unknown unknown.
    ['and: another field decides no', "    sel:\n        Image|endswith: '/curl'\n        CommandLine|contains: 'evil'\n    condition: sel", { Image: '/usr/bin/bash', CommandLine: `bash ${PAD}` }, 'none'],
    ['and: another field says yes', "    sel:\n        Image|endswith: '/curl'\n        CommandLine|contains: 'evil'\n    condition: sel", { Image: '/usr/bin/curl', CommandLine: `curl ${PAD}` }, 'undecided'],
    ['not: a filter the cut rest may satisfy', "    sel:\n        Image|endswith: '/sh'\n    filter:\n        CommandLine|contains: 'safe'\n    condition: sel and not filter", { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, 'undecided'],
    ['not: a filter already satisfied', "    sel:\n        Image|endswith: '/sh'\n    filter:\n        CommandLine|contains: 'safe'\n    condition: sel and not filter", { Image: '/bin/sh', CommandLine: `sh safe ${PAD}` }, 'none'],
    ['or: one branch matches whatever the cut', "    a:\n        CommandLine|contains: 'evil'\n    b:\n        Image|endswith: '/sh'\n    condition: a or b", { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, 'match'],
    ['|all: one value found, the other may follow', "    sel:\n        CommandLine|contains|all:\n            - 'sh'\n            - 'evil'\n    condition: sel", { CommandLine: `sh ${PAD}` }, 'undecided'],
    ['null: a cut value is there', '    sel:\n        CommandLine: null\n    condition: sel', { CommandLine: `sh ${PAD}` }, 'none'],
    ['exists', '    sel:\n        CommandLine|exists: true\n    condition: sel', { CommandLine: `sh ${PAD}` }, 'match'],
    // Regular expressions: a match ending before the cut stands; `$` or no match is unknown.
    ['re: matched before the cut', "    sel:\n        CommandLine|re: 'nc -e [a-z/]+'\n    condition: sel", { CommandLine: `nc -e /bin/sh ${PAD}` }, 'match'],
    ['re: anchored at the end', "    sel:\n        CommandLine|re: 'xx$'\n    condition: sel", { CommandLine: `sh ${PAD}` }, 'undecided'],
    ['re: no match in the kept beginning', "    sel:\n        CommandLine|re: 'nc -e'\n    condition: sel", { CommandLine: `sh ${PAD}` }, 'undecided'],
    // Keywords search every field: a cut field may hold the word.
    ['keywords', "    keywords:\n        - 'evil'\n    condition: keywords", { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, 'undecided'],
    ['keywords, found', "    keywords:\n        - 'xxx'\n    condition: keywords", { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, 'match'],
  ];
  for (const [name, detection, fields, want] of rows) {
    it(name, () => {
      const category = 'TargetFilename' in fields ? 'file_event' : 'process_creation';
      expect(outcome(detection, fields, ['CommandLine', 'TargetFilename'].filter((f) => f in fields), category)).toBe(want);
    });
  }

  it('the same events, not cut, are judged as whole values', () => {
    // Each undecided row above is a definite answer when the value is whole: the cut alone made it unknown.
    expect(outcome("    sel:\n        CommandLine|contains: 'curl'\n    condition: sel", { CommandLine: `sh -c ${PAD}` }, [])).toBe('none');
    expect(outcome("    sel:\n        TargetFilename|endswith: '/authorized_keys'\n    condition: sel", { TargetFilename: `/root/${PAD}/authorized_keys` }, [], 'file_event')).toBe('match');
  });

  it('names the cut fields, and keeps undecided matches out of the match counts', () => {
    const engine = engineFor(ruleText("    sel:\n        CommandLine|contains: 'curl'\n    condition: sel"));
    const hits = engine.evaluate(cutView('process_creation', { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, ['CommandLine']));
    expect(hits.map((h) => h.undecided)).toEqual([['CommandLine']]);
    expect(engine.counts().map((c) => [c.matches, c.undecided])).toEqual([[0, 1]]);
    expect(engine.cutEvents).toBe(1);
  });

  it('a correlation counts only decided matches', () => {
    const base = "title: base\nid: 22222222-2222-4222-8222-222222222222\nname: base\nstatus: test\nlevel: low\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        CommandLine|contains: 'curl'\n    condition: sel\n";
    const corr = 'title: twice\nid: 33333333-3333-4333-8333-333333333333\nstatus: test\nlevel: high\ncorrelation:\n    type: event_count\n    rules:\n        - base\n    group-by:\n        - Image\n    timespan: 1m\n    condition:\n        gte: 2\n';
    const engine = engineFor(`${base}---\n${corr}`);
    const events = [
      cutView('process_creation', { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, ['CommandLine'], 1000),
      cutView('process_creation', { Image: '/bin/sh', CommandLine: `sh ${PAD}` }, ['CommandLine'], 2000),
    ];
    expect(events.flatMap((e) => engine.evaluate(e).map((h) => h.rule.title))).toEqual([]);
    // Two decided matches do complete it.
    const decided = [
      cutView('process_creation', { Image: '/bin/sh', CommandLine: `curl ${PAD}` }, ['CommandLine'], 3000),
      cutView('process_creation', { Image: '/bin/sh', CommandLine: `curl ${PAD}` }, ['CommandLine'], 4000),
    ];
    expect(decided.flatMap((e) => engine.evaluate(e).map((h) => h.rule.title))).toEqual(['twice']);
  });
});

describe('globJudgePrefix', () => {
  const p = (codes: (string | number)[]) => Int32Array.from(codes.flatMap((c) => (typeof c === 'number' ? [c] : [...c].map((x) => x.charCodeAt(0)))));
  it('judges a pattern on the beginning of a value', () => {
    expect(globJudgePrefix(p(['abc']), 'ab')).toBe(UNKNOWN);
    expect(globJudgePrefix(p(['abc']), 'abc')).toBe(UNKNOWN); // the value may end here
    expect(globJudgePrefix(p(['abc']), 'abd')).toBe(FALSE);
    expect(globJudgePrefix(p(['abc']), 'abcd')).toBe(FALSE);
    expect(globJudgePrefix(p(['ab', -1]), 'abzz')).toBe(TRUE);
    expect(globJudgePrefix(p([-1, 'ab', -1]), 'zzabzz')).toBe(TRUE);
    expect(globJudgePrefix(p([-1, 'ab', -1]), 'zzazz')).toBe(UNKNOWN);
    expect(globJudgePrefix(p([-1, 'ab']), 'zzab')).toBe(UNKNOWN);
    expect(globJudgePrefix(p(['a', -2, 'c', -1]), 'axcq')).toBe(TRUE);
    expect(globJudgePrefix(p(['a', -2, 'c', -1]), 'axd')).toBe(FALSE);
    expect(globJudgePrefix(p(['a', -2, 'c']), 'a\u{1F600}')).toBe(UNKNOWN); // ? takes a whole character
    expect(globJudgePrefix(p([]), 'a')).toBe(FALSE);
    expect(globJudgePrefix(p([]), '')).toBe(UNKNOWN);
  });

  it('the direct judges of the common shapes say what the general run says', () => {
    const codes = (pattern: string) => Int32Array.from([...pattern].map((c) => (c === '*' ? -1 : c === '?' ? -2 : c.charCodeAt(0))));
    for (const pattern of ['', 'abc', 'ab*', '*bc', '*b*', '*', 'a*c', 'a?c*']) {
      const st = compileStringTest(parseSigmaString(pattern), true);
      for (const t of ['', 'a', 'ab', 'abc', 'abcd', 'xbc', 'b', 'xab']) expect(st.cut(t), `${pattern} on ${t}`).toBe(globJudgePrefix(codes(pattern), t));
    }
  });
});
