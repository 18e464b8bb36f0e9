/**
 * The built-in detections of the file and process kinds, on synthetic
 * records: each fires on what it is about, carries its ATT&CK id, and stays
 * quiet on the benign look-alike next to it.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { CRED_OLD_UNKNOWN, CRED_SETID_EXEC } from '../../src/abi/kinds-files-processes.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { type Alert, AlertEngine } from '../../src/replay/rules/alerts.js';
import { builtinRules, DEFAULT_ALERT_PORTS } from '../../src/replay/rules/builtin.js';
import { compileRule } from '../../src/replay/rules/evaluate.js';
import { eventFacts } from '../../src/replay/rules/facts.js';
import { loadRuleFile } from '../../src/replay/rules/load.js';
import { CliError } from '../../src/common/exit-codes.js';
import { REPO_ROOT } from '../support/golden.js';
import { execRecord, type Identity, openRecord } from '../support/records.js';
import { credRecord, kindRecord, moduleRecord, processVmRecord, ptraceRecord } from '../support/intrusion-records.js';
import { EventKind, PATH_FLAG_DIR_CWD, PATH_FLAG_LEXICAL } from '../../src/abi/constants.js';
import { EVENT_FLAG_ARG2_TRUNCATED, EVENT_FLAG_FILENAME_TRUNCATED } from '../../src/abi/schema.js';
import { SyscallCall } from '../../src/abi/syscalls.js';

const id: Identity = { ts: 1n, pid: 700, ppid: 1, uid: 1000, comm: 'x' };
/** Records carry the schema's call ids (src/abi/syscalls.ts), not syscall numbers. */
const NR = {
  setuid: SyscallCall.Setuid, setresuid: SyscallCall.Setresuid, execve: SyscallCall.Execve, process_vm_readv: SyscallCall.ProcessVmReadv,
  process_vm_writev: SyscallCall.ProcessVmWritev, init_module: SyscallCall.InitModule, finit_module: SyscallCall.FinitModule, delete_module: SyscallCall.DeleteModule,
};

function alerts(records: Uint8Array[]): Alert[] {
  const engine = new AlertEngine(builtinRules(DEFAULT_ALERT_PORTS, []).map(compileRule));
  const table = new ProcessTable();
  const out: Alert[] = [];
  for (const r of records) {
    const kind = classifyRecord(r, 0, r.length);
    expect(kind).toBeGreaterThan(0);
    out.push(...engine.evaluate(eventFacts(kind, r, 0, table.apply('h', kind, r, 0)), null));
  }
  return out;
}
const ruleIds = (records: Uint8Array[]) => alerts(records).map((a) => a.rule_id);

describe('privilege escalation', () => {
  it('a non-root process becoming root by a set*id call (T1548), or by a set-user-id program (T1548.001)', () => {
    const [call] = alerts([credRecord(id, NR.setuid, 0, [1000, 1000, 0, 1000], [1000, 0, 0, 0])]);
    expect(call).toMatchObject({ rule_id: 'privilege_escalation.became_root', attack: ['T1548'], call: 'setuid', old_euid: 1000, new_euid: 0 });
    const [exec] = alerts([credRecord(id, NR.execve, 0, [65534, 65534, 65534, 65534], [65534, 0, 0, 0], CRED_SETID_EXEC)]);
    expect(exec).toMatchObject({ rule_id: 'privilege_escalation.setid_exec_root', attack: ['T1548.001'], new_euid: 0 });
  });

  it('quiet: root dropping privileges, a refused setuid(0), an unknown past, a set-id exec to another user', () => {
    expect(ruleIds([
      credRecord(id, NR.setresuid, 0, [0, 0, 0, 0], [1000, 1000, 1000, 1000]),
      credRecord(id, NR.setuid, -1, [1000, 1000, 1000, 1000], [1000, 1000, 1000, 1000]),
      credRecord(id, NR.setuid, 0, [0, 0, 0, 0], [0, 0, 0, 0], CRED_OLD_UNKNOWN),
      credRecord(id, NR.execve, 0, [0, 0, 0, 0], [0, 1000, 1000, 1000], CRED_SETID_EXEC),
    ])).toEqual([]);
  });
});

describe('injection', () => {
  it('ptrace attach or seize to another process (T1055.008); not reads, detaches or refusals', () => {
    expect(alerts([ptraceRecord(id, 16, 900, 0)])[0]).toMatchObject({ rule_id: 'injection.ptrace_attach', attack: ['T1055.008'], request: 'PTRACE_ATTACH', target_pid: 900, target_comm: 'victim' });
    expect(ruleIds([ptraceRecord(id, 0x4206, 900, 0)])).toEqual(['injection.ptrace_attach']);
    expect(ruleIds([ptraceRecord(id, 2, 900, 0), ptraceRecord(id, 17, 900, 0), ptraceRecord(id, 16, 1, -1), ptraceRecord(id, 0, 0, 0)])).toEqual([]);
  });

  it('process_vm_writev into another process (T1055); not readv, not a failed write', () => {
    expect(alerts([processVmRecord(id, NR.process_vm_writev, 900, 8)])[0]).toMatchObject({ rule_id: 'injection.process_vm_write', attack: ['T1055'], call: 'process_vm_writev' });
    expect(ruleIds([processVmRecord(id, NR.process_vm_readv, 900, 8), processVmRecord(id, NR.process_vm_writev, 900, -1)])).toEqual([]);
  });
});

describe('kernel modules', () => {
  it('every load attempt, even refused (T1547.006); not an unload', () => {
    expect(alerts([moduleRecord(id, NR.init_module, -38)])[0]).toMatchObject({ rule_id: 'persistence.kernel_module', attack: ['T1547.006'], result: -38, error: 'ENOSYS' });
    expect(ruleIds([moduleRecord(id, NR.finit_module, 0)])).toEqual(['persistence.kernel_module']);
    expect(ruleIds([moduleRecord(id, NR.delete_module, -38, 'rootkit')])).toEqual([]);
  });
});

describe('covering tracks: shell history', () => {
  const O_WRONLY_CREAT_TRUNC = 0o1101;
  const HISTORY = '/home/u/.bash_history';
  const as = (pid: number, exe: string): Uint8Array[] => [execRecord({ ...id, pid, comm: exe.slice(exe.lastIndexOf('/') + 1) }, exe, [exe])];
  const at = (pid: number, comm: string): Identity => ({ ...id, pid, comm });

  it('deleted, truncated to zero, or linked to /dev/null (T1070.003), whoever did it', () => {
    expect(ruleIds([...as(801, '/usr/bin/bash'), kindRecord(EventKind.FileDelete, at(801, 'bash'), { call: SyscallCall.Unlink, result: 0, path: HISTORY, path_arg: HISTORY })]))
      .toEqual(['defense_evasion.history_wipe']);
    expect(ruleIds([...as(802, '/usr/bin/truncate'), kindRecord(EventKind.FileTruncate, at(802, 'truncate'), { call: SyscallCall.Truncate, result: 0, length: 0n, path: HISTORY })]))
      .toEqual(['defense_evasion.history_wipe']);
    expect(alerts([...as(803, '/usr/bin/ln'), kindRecord(EventKind.FileLink, at(803, 'ln'), { call: SyscallCall.Symlink, status: 1, result: 0, target: '/dev/null', new_path: HISTORY })])[0])
      .toMatchObject({ rule_id: 'defense_evasion.history_wipe', attack: ['T1070.003'], new_path: HISTORY });
    // A truncating open by another program: cp /dev/null ~/.bash_history.
    expect(ruleIds([...as(804, '/usr/bin/cp'), openRecord(at(804, 'cp'), HISTORY, O_WRONLY_CREAT_TRUNC, 3)])).toEqual(['defense_evasion.history_wipe']);
    // A wiper named like a shell, outside the system's directories, is no shell saving its history.
    expect(ruleIds([...as(808, '/root/rgtest/bash'), openRecord(at(808, 'bash'), HISTORY, O_WRONLY_CREAT_TRUNC, 3)])).toEqual(['defense_evasion.history_wipe']);
    expect(ruleIds([...as(809, '/home/u/bin/zsh'), kindRecord(EventKind.FileRename, at(809, 'zsh'), {
      call: SyscallCall.Rename, result: 0, old_path: '/tmp/empty', new_path: '/home/u/.zsh_history' })])).toEqual(['defense_evasion.history_wipe']);
  });

  it('quiet: a shell saving its own history (bash truncates and rewrites it, zsh renames a new copy over it); a refused delete', () => {
    expect(ruleIds([...as(805, '/usr/bin/bash'), openRecord(at(805, 'bash'), HISTORY, O_WRONLY_CREAT_TRUNC, 3)])).toEqual([]);
    expect(ruleIds([...as(806, '/usr/bin/zsh'), kindRecord(EventKind.FileRename, at(806, 'zsh'), {
      call: SyscallCall.Rename, result: 0, old_path: '/home/u/.zsh_history.new', new_path: '/home/u/.zsh_history' })])).toEqual([]);
    expect(ruleIds([...as(807, '/usr/bin/rm'), kindRecord(EventKind.FileDelete, at(807, 'rm'), { call: SyscallCall.Unlink, result: -13, path: HISTORY })])).toEqual([]);
  });
});

describe('rule files: attack ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-attack-'));
  const write = (text: string) => { const p = join(dir, `${Math.random()}.toml`); writeFileSync(p, text); return p; };
  it('loads them, one or a list', () => {
    const f = loadRuleFile(write('[[rules]]\nid="a"\ntitle="A"\nevent="file_open"\nattack="T1070.002"\nmatch={path={equals="/x"}}\n[[rules]]\nid="b"\ntitle="B"\nattack=["T1055","T1055.008"]\nmatch={uid={equals=0}}\n'));
    expect(f.rules.map((r) => r.attack)).toEqual([['T1070.002'], ['T1055', 'T1055.008']]);
  });
  it('refuses what is not a technique id, with the rule named', () => {
    expect(() => loadRuleFile(write('[[rules]]\nid="bad"\ntitle="B"\nattack="TA0005"\nmatch={uid={equals=0}}\n'))).toThrow(CliError);
    expect(() => loadRuleFile(write('[[rules]]\nid="bad"\ntitle="B"\nattack="TA0005"\nmatch={uid={equals=0}}\n'))).toThrow(/rules\[0\] \(bad\): attack ids look like T1059 or T1059.004/);
  });
});

describe('execution.download_and_run (rules/example.toml): curl and sh tied by their pipe', () => {
  const exampleRules = loadRuleFile(`${REPO_ROOT}rules/example.toml`).rules;
  const run = (records: Uint8Array[]) => {
    const engine = new AlertEngine(exampleRules.map(compileRule));
    const table = new ProcessTable();
    return records.flatMap((r) => {
      const kind = classifyRecord(r, 0, r.length);
      return engine.evaluate(eventFacts(kind, r, 0, table.apply('h', kind, r, 0)), null).map((a) => a.rule_id);
    });
  };
  const shell: Identity = { ts: 1n, pid: 800, ppid: 1, comm: 'bash' };
  const FIFO = 1, CHR = 2;
  const exec = (pid: number, exe: string, stdin: [number, number], stdout: [number, number]) => {
    const args = new TextEncoder().encode(`${exe}\0`);
    return kindRecord(EventKind.ProcessExec, { ...shell, pid, ppid: 800, comm: exe.slice(exe.lastIndexOf('/') + 1) }, {
      argc: 1, args_size: args.length, filename: exe, args, stdin_ino: BigInt(stdin[0]), stdin_type: stdin[1], stdout_ino: BigInt(stdout[0]), stdout_type: stdout[1],
    });
  };
  const forks = [kindRecord(EventKind.ProcessFork, shell, { child_pid: 801, child_tid: 801 }), kindRecord(EventKind.ProcessFork, shell, { child_pid: 802, child_tid: 802 })];
  const tty: [number, number] = [3, CHR];

  it('fires once, whichever of the two execs last', () => {
    expect(run([...forks, exec(801, '/usr/bin/curl', tty, [77, FIFO]), exec(802, '/usr/bin/sh', [77, FIFO], tty)])).toEqual(['execution.download_and_run']);
    expect(run([...forks, exec(802, '/usr/bin/sh', [77, FIFO], tty), exec(801, '/usr/bin/curl', tty, [77, FIFO])])).toEqual(['execution.download_and_run']);
  });

  it('stays quiet when they do not share a pipe: curl -o file, then sh file; or curl piped into something else', () => {
    expect(run([...forks, exec(801, '/usr/bin/curl', tty, tty), exec(802, '/usr/bin/sh', tty, tty)])).toEqual([]);
    expect(run([...forks, exec(801, '/usr/bin/curl', tty, [77, FIFO]), exec(802, '/usr/bin/sh', [78, FIFO], tty)])).toEqual([]);
    expect(run([...forks, exec(801, '/usr/bin/curl', tty, [77, FIFO]), exec(802, '/usr/bin/jq', [77, FIFO], tty)])).toEqual([]);
  });
});

describe('a file changed by a name too long to record', () => {
  const long = '/tmp/ln/' + './'.repeat(130);
  const rename = (flags: number, result = 0) => kindRecord(EventKind.FileRename, { ...id, flags }, {
    call: SyscallCall.Rename, old_path_flags: 8, new_path_flags: flags === 0 ? 8 : 8 | 16, result, old_dirfd: -100, new_dirfd: -100,
    old_path: '/tmp/ln/job', old_path_arg: '/tmp/ln/job', new_path: '/tmp/ln', new_path_arg: long.slice(0, 255),
  });
  it('fires on the cut new name of a rename (T1036), also from a capture whose path lacks the truncated flag', () => {
    const [a] = alerts([rename(EVENT_FLAG_ARG2_TRUNCATED)]);
    expect(a).toMatchObject({ rule_id: 'defense_evasion.cut_path', attack: ['T1036'], new_path: '/tmp/ln' });
    const old = kindRecord(EventKind.FileDelete, { ...id, flags: EVENT_FLAG_FILENAME_TRUNCATED }, {
      call: SyscallCall.Unlink, path_flags: 8, result: 0, dirfd: -100, path: '/tmp/ln', path_arg: long.slice(0, 255),
    });
    expect(ruleIds([old])).toEqual(['defense_evasion.cut_path']);
  });
  it('quiet: a refused call, a name that fit', () => {
    expect(ruleIds([rename(EVENT_FLAG_ARG2_TRUNCATED, -2), rename(0)])).toEqual([]);
  });
});

describe('an alert names its path with the path\'s flags', () => {
  it('a delete joined past a name the kernel may have followed: the log_wipe alert says lexical', () => {
    const del = kindRecord(EventKind.FileDelete, id, {
      call: SyscallCall.Unlinkat, path_flags: PATH_FLAG_DIR_CWD | PATH_FLAG_LEXICAL, result: 0, dirfd: -100, path: '/var/log/auth.log', path_arg: 'vl/../../var/log/auth.log',
    });
    const [a] = alerts([del]);
    expect(a).toMatchObject({ rule_id: 'defense_evasion.log_wipe', path: '/var/log/auth.log', path_flags: 'dir_cwd|lexical' });
  });
});
