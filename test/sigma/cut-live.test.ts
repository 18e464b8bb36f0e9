/**
 * Sigma rules on values the capture really cut (real eBPF): a command line
 * padded past the 512 bytes argv keeps, and a file created under a path
 * longer than the 255 bytes a path keeps. The record says it was cut
 * (`argv_truncated`, path flag `truncated`); a rule whose answer lies in the
 * cut rest is an undecided match naming the cut field, not a silent miss.
 * The same rules on the same programs with short values decide as usual.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { announceSkip, runKernelTests } from '../capture/privilege.js';
import { runCapture } from '../capture/capture-run.js';

announceSkip('sigma on cut values');

type Line = Record<string, unknown> & { event_type: string };

const RULE = (id: string, title: string, category: string, detection: string) =>
  `title: ${title}\nid: ${id}\nstatus: test\nlevel: high\nlogsource:\n    product: linux\n    category: ${category}\ndetection:\n${detection}\n`;

describe.skipIf(!runKernelTests)('Sigma on values the capture cut (real eBPF)', () => {
  const work = mkdtempSync(join(homedir(), '.rg-sigma-cut-'));
  const out = join(work, 'cut.rgc');
  const rules = join(work, 'rules');
  const pad = 'p'.repeat(600);
  // A directory chain whose path passes PATH_LEN (256) bytes, the file's name after the cut.
  const deep = join(work, 'd'.repeat(100), 'e'.repeat(100), 'f'.repeat(100));
  let lines: Line[] = [];
  let stderr = '';

  beforeAll(async () => {
    mkdirSync(rules);
    writeFileSync(join(rules, 'nc.yml'), RULE('44444444-4444-4444-8444-444444444444', 'netcat shell', 'process_creation', "    sel:\n        CommandLine|contains: 'nc -e /bin/sh'\n    condition: sel"));
    writeFileSync(join(rules, 'keys.yml'), RULE('55555555-5555-4555-8555-555555555555', 'authorized_keys written', 'file_event', "    sel:\n        TargetFilename|endswith: '/authorized_keys'\n    condition: sel"));
    mkdirSync(deep, { recursive: true });
    const script = [
      `/bin/echo ${pad} nc -e /bin/sh >/dev/null`, // hidden past the cut: undecided
      `/bin/echo nc -e /bin/sh ${pad} >/dev/null`, // in the kept beginning: a match
      '/bin/echo nc -e /bin/sh >/dev/null', // whole: a match
      `: > '${deep}/authorized_keys'`, // the name past the cut: undecided
      `: > '${work}/authorized_keys'`, // whole: a match
    ].join('\n');
    const r = runCapture(['-o', out, '--follow', '--', 'bash', '-c', script]);
    const run = await r;
    expect(run.status, run.stderr).toBe(0);
    const replay = runReplayCli([out, '--sigma', rules, '--alerts', '--with-events', '--json']);
    expect(replay.status, replay.stderr.toString()).toBe(0);
    stderr = replay.stderr.toString();
    lines = replay.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Line);
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const alerts = (title: string) => lines.filter((l) => l.event_type === 'alert' && l.title === title);
  /** The alerts listing rules an event left undecided, with `title` among them. */
  const undecided = (title: string) => lines.filter((l) => l.event_type === 'alert' && l.rule_id === 'sigma.undecided'
    && (l.rules as { title: string }[]).some((r) => r.title === title));
  const exeOf = (a: Line) => (a.process as { exe: string }).exe;
  const argvOf = (a: Line) => ((a.process as { argv: string[] | null }).argv ?? []).join(' ');

  it('a command line cut before what the rule looks for: undecided, naming the rule and CommandLine', () => {
    const hidden = undecided('netcat shell').filter((a) => exeOf(a) === '/usr/bin/echo');
    expect(hidden).toHaveLength(1);
    expect(argvOf(hidden[0]).startsWith(`/bin/echo ${pad.slice(0, 100)}`)).toBe(true);
    expect(hidden[0]).toMatchObject({ engine: 'sigma', severity: 'high', undecided: ['CommandLine'], title: '1 Sigma rule could not be judged: CommandLine cut by the capture' });
    expect(hidden[0].rules).toEqual([expect.objectContaining({ rule_id: '44444444-4444-4444-8444-444444444444', title: 'netcat shell', level: 'high', undecided: ['CommandLine'] })]);
    // The shell running the script had it all in its own command line, cut too: undecided as well (rightly: it held the text).
    expect(undecided('netcat shell').filter((a) => exeOf(a) === '/usr/bin/bash')).toHaveLength(1);
    // The record itself says so, and kept the beginning exactly as passed.
    const exec = lines.find((l) => l.event_type === 'process_start' && String((l.argv as string[] | undefined)?.[1] ?? '').startsWith('ppp'));
    expect(exec?.argv_truncated).toBe(true);
    expect((exec?.argv as string[])[1]).toBe(pad.slice(0, (exec?.argv as string[])[1].length));
    // Decided: the text in the kept beginning, and the whole command line.
    const decided = alerts('netcat shell').filter((a) => exeOf(a) === '/usr/bin/echo');
    expect(decided.map((a) => argvOf(a).slice(0, 24))).toEqual(['/bin/echo nc -e /bin/sh ', '/bin/echo nc -e /bin/sh']);
    expect(decided.every((a) => a.undecided === undefined)).toBe(true);
  });

  it('a path cut before its name: undecided, never a match on the kept beginning', () => {
    const cut = undecided('authorized_keys written');
    expect(cut).toHaveLength(1);
    expect(cut[0].undecided).toEqual(['TargetFilename']);
    expect(String(cut[0].path).startsWith(join(work, 'd'.repeat(100)))).toBe(true);
    expect(String(cut[0].path_flags)).toContain('truncated');
    expect(alerts('authorized_keys written').map((a) => a.path)).toEqual([join(work, 'authorized_keys')]);
    // The built-in rule on the same write: undecided on the cut path, decided on the whole one.
    const builtin = lines.filter((l) => l.event_type === 'alert' && l.rule_id === 'persistence.ssh_authorized_keys');
    expect(builtin.map((a) => [a.path === join(work, 'authorized_keys'), a.undecided ?? null])).toEqual([[false, ['written_path']], [true, null]]);
  });

  it('the count on stderr says how many were undecided', () => {
    const m = /(\d+) alert\(s\), (\d+) of them undecided \(a rule may have matched a value the capture cut/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m![1])).toBe(lines.filter((l) => l.event_type === 'alert').length);
    expect(Number(m![2])).toBe(lines.filter((l) => l.event_type === 'alert' && l.undecided !== undefined).length);
    expect(Number(m![2])).toBeGreaterThanOrEqual(3);
  });
});
