/**
 * Built-in and TOML rules on values the capture cut: judged in three values.
 * A path cut before its name cannot be said to end with `/authorized_keys`,
 * nor not to: the rule is undecided, and says so (`undecided` names the cut
 * facts) instead of staying silent; a prefix in the kept beginning still
 * decides. Records are made from the ABI (test/support/records.ts).
 */
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { PATH_FLAG_FROM_FILE, PATH_FLAG_TRUNCATED, PATH_LEN } from '../../src/abi/constants.js';
import { EVENT_FLAG_FILENAME_TRUNCATED } from '../../src/abi/schema.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { type Alert, AlertEngine } from '../../src/replay/rules/alerts.js';
import { builtinRules, DEFAULT_ALERT_PORTS } from '../../src/replay/rules/builtin.js';
import { compileRule } from '../../src/replay/rules/evaluate.js';
import { parseRuleDocument } from '../../src/replay/rules/load.js';
import { CUT_ALL, CUT_LAST, CUT_NONE, type FactValue } from '../../src/replay/rules/model.js';
import { FALSE, TRUE, UNKNOWN } from '../../src/common/kleene.js';
import { execRecord, type Identity, openRecord } from '../support/records.js';

const SOURCE = { host: 'h', clock: null, users: new Map<number, string>() };
const id: Identity = { ts: 1n, pid: 500, ppid: 1, uid: 0, comm: 'sh' };
const WRITE = 0o1101; // O_WRONLY|O_CREAT|O_TRUNC

/** A path longer than the record keeps, cut at PATH_LEN - 1 bytes as the kernel program cuts it. */
function cutPath(start: string): string {
  return (start + 'x'.repeat(PATH_LEN)).slice(0, PATH_LEN - 1);
}

function run(records: Uint8Array[], engine: AlertEngine): Alert[] {
  const table = new ProcessTable();
  const out: Alert[] = [];
  for (const r of records) {
    const kind = classifyRecord(r, 0, r.length);
    const node = table.apply('h', kind, r, 0);
    out.push(...engine.evaluateRecord(kind, r, 0, node, SOURCE));
  }
  return out;
}

const builtin = () => new AlertEngine(builtinRules(DEFAULT_ALERT_PORTS, []).map(compileRule));
const brief = (a: Alert) => `${a.rule_id}${a.undecided === undefined ? '' : ` undecided:${a.undecided.join(',')}`}`;

describe('built-in rules on a cut path', () => {
  const cutOpen = (start: string) => openRecord({ ...id, flags: EVENT_FLAG_FILENAME_TRUNCATED }, cutPath(start), WRITE, 3, 0o644, -100,
    { pathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_TRUNCATED });

  it('a write under a path whose end was cut: the rules on its ending are undecided, never silent', () => {
    const alerts = run([cutOpen('/root/.ssh/')], builtin());
    expect(alerts.map(brief)).toEqual(expect.arrayContaining(['persistence.ssh_authorized_keys undecided:written_path']));
    expect(alerts.every((a) => a.undecided !== undefined)).toBe(true);
  });

  it('a prefix in the kept beginning decides: a cron file is a cron file however its name goes on', () => {
    const alerts = run([cutOpen('/etc/cron.d/')], builtin());
    expect(alerts.map(brief)).toContain('persistence.cron');
  });

  it('the same write, its path whole, is judged as before', () => {
    const whole = openRecord(id, '/root/.ssh/authorized_keys', WRITE, 3);
    expect(run([whole], builtin()).map(brief)).toEqual(['persistence.ssh_authorized_keys']);
    // A whole path that does not end so: no alert at all (the cut one above was undecided).
    expect(run([openRecord(id, '/root/.ssh/known', WRITE, 3)], builtin()).map(brief)).toEqual([]);
  });
});

describe('TOML rules on a cut command line', () => {
  const rules = parseRuleDocument({
    rules: [
      { id: 'argv.nc', title: 'netcat shell', severity: 'high', event: 'process_start', match: { argv: { contains: 'nc -e' } } },
      { id: 'argv.not_safe', title: 'not marked safe', severity: 'low', event: 'process_start', match: { 'process.argv': { not_contains: 'SAFE' }, filename: { suffix: '/sh' } } },
      { id: 'exe.prefix', title: 'from /opt', severity: 'low', event: 'process_start', match: { filename: { prefix: '/opt/' } } },
    ],
  }, 'test.toml').rules.map(compileRule);
  const engine = () => new AlertEngine(rules);
  const pad = 'p'.repeat(600);

  it('argv cut before what a rule looks for: undecided; found in the kept part: a match', () => {
    const hidden = execRecord(id, '/bin/sh', ['/bin/sh', pad, 'nc -e']);
    const shown = execRecord(id, '/bin/sh', ['/bin/sh', 'nc -e', pad]);
    const whole = execRecord(id, '/bin/sh', ['/bin/sh', 'nc -x']);
    expect(run([hidden], engine()).map(brief)).toEqual(['argv.nc undecided:argv', 'argv.not_safe undecided:process.argv']);
    expect(run([shown], engine()).map(brief)).toEqual(['argv.nc', 'argv.not_safe undecided:process.argv']);
    expect(run([whole], engine()).map(brief)).toEqual(['argv.not_safe']);
  });

  it('undecided alerts are counted apart from the rules\' matches', () => {
    const e = engine();
    run([execRecord(id, '/bin/sh', ['/bin/sh', pad, 'nc -e'])], e);
    expect(e.undecidedCount).toBe(2);
    expect([...e.countsByRule]).toEqual([]);
  });
});

describe('the three-valued judge of one condition', () => {
  const judge = (cond: Record<string, unknown>, value: FactValue, cut: number) => {
    const r = compileRule({ id: 'x', title: 'x', severity: 'low', events: [], match: { f: cond }, any: [] });
    return r.judge({ get: (k) => (k === 'f' ? value : undefined), cut: (k) => (k === 'f' ? cut : CUT_NONE) });
  };
  it('says what each operator can say of a beginning', () => {
    expect(judge({ equals: '/etc/passwd' }, '/etc/pa', CUT_LAST)).toBe(UNKNOWN);
    expect(judge({ equals: '/etc/passwd' }, '/tmp/x', CUT_LAST)).toBe(FALSE);
    expect(judge({ prefix: '/etc/' }, '/etc/xx', CUT_LAST)).toBe(TRUE);
    expect(judge({ prefix: '/etc/cron.d/' }, '/etc/cr', CUT_LAST)).toBe(UNKNOWN);
    expect(judge({ prefix: '/etc/' }, '/tmp/xx', CUT_LAST)).toBe(FALSE);
    expect(judge({ suffix: '.service' }, '/etc/x.service', CUT_LAST)).toBe(UNKNOWN);
    expect(judge({ contains: 'evil' }, 'an evil', CUT_LAST)).toBe(TRUE);
    expect(judge({ contains: 'evil' }, 'a good', CUT_LAST)).toBe(UNKNOWN);
    expect(judge({ not_contains: 'evil' }, 'a good', CUT_LAST)).toBe(UNKNOWN);
    expect(judge({ not_contains: 'evil' }, 'an evil', CUT_LAST)).toBe(FALSE);
    expect(judge({ not_prefix: '/etc/' }, '/tmp/xx', CUT_LAST)).toBe(TRUE);
    expect(judge({ gt: 3 }, 'text', CUT_LAST)).toBe(FALSE);
    // Not cut: as the two-valued test.
    expect(judge({ suffix: '.service' }, '/etc/x.service', CUT_NONE)).toBe(TRUE);
    expect(judge({ contains: 'evil' }, 'a good', CUT_NONE)).toBe(FALSE);
  });
  it('a list: only its last element was cut, unless all may be', () => {
    expect(judge({ equals: 'nc' }, ['nc', 'xx'], CUT_LAST)).toBe(TRUE);
    expect(judge({ equals: 'zz' }, ['nc', 'xx'], CUT_LAST)).toBe(FALSE);
    expect(judge({ equals: 'xxy' }, ['nc', 'xx'], CUT_LAST)).toBe(UNKNOWN);
    expect(judge({ suffix: '/keys' }, ['/a/b', '/c/keys'], CUT_ALL)).toBe(UNKNOWN);
    expect(judge({ contains: 'b' }, ['/a/b', '/c'], CUT_ALL)).toBe(TRUE);
  });
});
