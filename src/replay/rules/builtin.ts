/**
 * Built-in detections, as rules in the same engine user rules run in:
 * persistence (written, renamed or linked into place), execution from
 * world-writable or deleted locations, covering tracks, privilege
 * escalation, injection into other processes, kernel modules, process
 * hiding; and the network detections of network.ts (watched ports and
 * networks, bind and reverse shells, DNS names, container sockets, io_uring).
 * Each carries the MITRE ATT&CK technique it is evidence of.
 */
import { type FactValue, type Match, type Rule } from './model.js';
import {
  DEFAULT_IO_URING_ALLOWED, DEFAULT_MINING_POOLS, DEFAULT_TUNNEL_DOMAINS, type NetworkDetectionLists, networkRules,
} from './network.js';

/** Common reverse-shell and C2 listener ports; override with [detections] ports = [...]. */
export const DEFAULT_ALERT_PORTS = [1337, 4444, 4445, 5555, 6666, 6667, 31337];

/** Programs whose job is to replace system files: they install packages, not implants (matched by exact path). */
const PACKAGE_TOOLS = [
  '/usr/bin/dpkg', '/usr/bin/rpm', '/usr/bin/rpmdb', '/usr/bin/dnf', '/usr/bin/yum', '/usr/bin/microdnf', '/usr/bin/zypper',
  '/sbin/apk', '/usr/bin/pacman', '/usr/sbin/ldconfig', '/sbin/ldconfig', '/usr/bin/update-alternatives', '/usr/sbin/update-alternatives',
];
/** Programs that rotate and expire logs as their job (matched by exact path). */
const LOG_TOOLS = ['/usr/sbin/logrotate', '/usr/lib/systemd/systemd-journald', '/lib/systemd/systemd-journald', '/usr/bin/journalctl'];

const BIN_DIRS = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/', '/usr/local/bin/', '/usr/local/sbin/'];
const LIB_DIRS = ['/lib/', '/lib32/', '/lib64/', '/libx32/', '/usr/lib/', '/usr/lib32/', '/usr/lib64/', '/usr/libx32/', '/usr/local/lib/'];
/** Shells, which save their own history files (matched by the program's path suffix). */
/**
 * Shells installed where only root writes, by exact path: a program is not a shell because its name ends like one
 * (a copy of a wiper named `bash` in a home directory was exempt while the name matched).
 */
const SYSTEM_SHELLS = ['/usr/bin', '/bin', '/usr/local/bin', '/usr/sbin', '/sbin'].flatMap((dir) =>
  ['bash', 'zsh', 'sh', 'dash', 'ksh', 'mksh', 'fish', 'ash', 'busybox'].map((name) => `${dir}/${name}`));
/** The names an exec through an fd is made by (fexecve's /proc/self/fd/N, execveat's /dev/fd/N). */
const FD_EXEC_NAMES = ['/dev/fd/', '/proc/self/fd/', 'memfd:'];
const HISTORY_FILES = ['/.bash_history', '/.zsh_history', '/.sh_history', '/.ash_history', '/.history', '/.mysql_history', '/.psql_history', '/.python_history'];
/** /proc/<pid>: pids never start with 0, and nothing else in /proc starts with a digit. */
const PROC_PID_DIRS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => `/proc/${d}`);
const FILE_WRITES = ['file_open', 'file_rename', 'file_link'];

/** A persistence location: the path written, renamed or linked into place. */
function persistence(id: string, title: string, severity: Rule['severity'], attack: string, any: Match[]): Rule {
  return { id, title, severity, attack: [attack], events: FILE_WRITES, match: {}, any };
}

/** Directories anyone can write to (mode 1777 on Debian): a program run from one was dropped there. */
const WORLD_WRITABLE = ['/tmp/', '/dev/shm/', '/var/tmp/', '/run/shm/', '/run/lock/'];

/** The lists the built-in detections use when no rule file replaces them. */
export const DEFAULT_DETECTION_LISTS: NetworkDetectionLists = {
  ports: DEFAULT_ALERT_PORTS, cidrs: [], ioUringAllowed: DEFAULT_IO_URING_ALLOWED, miningPools: DEFAULT_MINING_POOLS, tunnelDomains: DEFAULT_TUNNEL_DOMAINS,
};

export function builtinRules(ports: readonly number[], cidrs: readonly string[], lists: Partial<NetworkDetectionLists> = {}): Rule[] {
  const rules: Rule[] = [
    persistence('persistence.cron', 'Cron job written', 'high', 'T1053.003', [
      { written_path: { prefix: ['/etc/cron.d/', '/etc/cron.hourly/', '/etc/cron.daily/', '/etc/cron.weekly/', '/etc/cron.monthly/', '/var/spool/cron/'] } },
      { written_path: { equals: ['/etc/crontab', '/etc/anacrontab'] } },
    ]),
    persistence('persistence.systemd', 'systemd unit written', 'high', 'T1543.002', [
      { written_path: { prefix: ['/etc/systemd/system/', '/etc/systemd/user/', '/usr/lib/systemd/system/', '/lib/systemd/system/', '/run/systemd/system/'] } },
      { written_path: { contains: '/.config/systemd/user/' } },
    ]),
    persistence('persistence.ssh_authorized_keys', 'SSH authorized_keys written', 'high', 'T1098.004', [
      // A relative name is matched too: a capture of the old schema recorded paths as passed.
      { written_path: { suffix: ['/authorized_keys', '/authorized_keys2'] } }, { written_path: { equals: ['authorized_keys', 'authorized_keys2'] } },
    ]),
    persistence('persistence.ld_preload', '/etc/ld.so.preload written', 'critical', 'T1574.006', [{ written_path: { equals: '/etc/ld.so.preload' } }]),
    persistence('persistence.shell_startup', 'Shell start-up file written', 'medium', 'T1546.004', [
      { written_path: { equals: ['/etc/profile', '/etc/bash.bashrc', '/etc/zsh/zshrc', '/etc/zsh/zprofile', '/etc/environment'] } },
      { written_path: { prefix: '/etc/profile.d/' } },
      { written_path: { suffix: ['/.bashrc', '/.bash_profile', '/.bash_login', '/.bash_logout', '/.profile', '/.zshrc', '/.zprofile', '/.zshenv'] } },
    ]),
    persistence('persistence.sudoers', 'sudoers written', 'critical', 'T1548.003', [
      { written_path: { equals: '/etc/sudoers' } }, { written_path: { prefix: '/etc/sudoers.d/' } },
    ]),
    {
      id: 'persistence.system_binary', title: 'System binary or library written, renamed or linked over', severity: 'high', attack: ['T1554'],
      events: FILE_WRITES, match: { 'process.exe': { not_equals: PACKAGE_TOOLS } },
      any: [{ written_path: { prefix: BIN_DIRS } }, { written_path: { prefix: LIB_DIRS, contains: '.so' } }],
    },
    {
      // The kernel's path of the program: any spelling (//tmp/x, ./x in /tmp, /proc/self/cwd/x, a symlink) ends
      // there. A script's exe_path is its interpreter: the name it was run by, joined to the cwd, says where it is.
      id: 'execution.tmp', title: 'Program executed from a world-writable directory', severity: 'high', attack: [], events: ['process_start'], match: {},
      any: [
        { exe_path: { prefix: WORLD_WRITABLE } },
        { filename_in_cwd: { prefix: WORLD_WRITABLE } },
        { filename: { prefix: WORLD_WRITABLE }, schema_version: { lt: 2 } },
      ],
    },
    {
      id: 'execution.deleted', title: 'Deleted or memory-only program executed', severity: 'critical', attack: ['T1620'], events: ['process_start'], match: {},
      any: [
        { exe_deleted: { equals: true } },
        { exe_path: { prefix: '/memfd:' } },
        { exe_path_flags: { contains: 'deleted' } },
        // Run through an fd (fexecve, execveat): memory-only unless the kernel named a file for it (a file on disk
        // so run is neither deleted nor in memory: its exe_path says which file, and it alerts as any program does).
        { filename: { prefix: FD_EXEC_NAMES }, exe_path: { not_prefix: '/' } },
        { filename: { prefix: FD_EXEC_NAMES }, exe_path: { prefix: ['/dev/fd/', '/proc/'] } },
      ],
    },
    {
      id: 'defense_evasion.log_wipe', title: 'System log deleted or truncated', severity: 'high', attack: ['T1070.002'],
      events: ['file_delete', 'file_open', 'file_truncate'], match: { 'process.exe': { not_equals: LOG_TOOLS } },
      any: [{ wiped_path: { prefix: '/var/log/' } }, { wiped_path: { equals: ['/var/run/utmp', '/run/utmp'] } }],
    },
    {
      // A name longer than the capture keeps (PATH_LEN - 1 bytes) makes a path from its cut beginning: a ".."
      // past the cut can lead anywhere (ln/ + ./ x130 + ../../../etc/cron.d/x), so no path rule can judge it.
      // The argument's own truncation flag, not the path's: captures before path flag `truncated` was set for it have it too.
      id: 'defense_evasion.cut_path', title: 'File changed by a name too long to record: its real path is unknown', severity: 'medium',
      attack: ['T1036'], events: ['file_delete', 'file_rename', 'file_link', 'file_chmod', 'file_chown', 'file_truncate'], match: { result: { gte: 0 } },
      any: [
        { path_arg_truncated: { equals: true } }, { old_path_arg_truncated: { equals: true } }, { new_path_arg_truncated: { equals: true } },
        { target_arg_truncated: { equals: true }, symbolic: { equals: false } },
      ],
    },
    {
      id: 'defense_evasion.history_wipe', title: 'Shell history deleted, truncated or sent to /dev/null', severity: 'high', attack: ['T1070.003'],
      events: ['file_delete', 'file_open', 'file_truncate', 'file_link', 'file_rename'], match: {},
      any: [
        { event_type: { one_of: ['file_delete', 'file_truncate'] }, wiped_path: { suffix: HISTORY_FILES } },
        // A shell saving its own history truncates the file and writes it again (bash) or renames a new copy over it
        // (zsh): from a shell, neither is told from a wipe, so only other programs' are alerted (README: a gap).
        { event_type: { equals: 'file_open' }, wiped_path: { suffix: HISTORY_FILES }, 'process.exe': { not_equals: SYSTEM_SHELLS } },
        { event_type: { equals: 'file_rename' }, new_path: { suffix: HISTORY_FILES }, result: { equals: 0 }, 'process.exe': { not_equals: SYSTEM_SHELLS } },
        // ln -s /dev/null ~/.bash_history (ln -sf renames a new link onto it: from ln, not a shell)
        { event_type: { equals: 'file_link' }, new_path: { suffix: HISTORY_FILES }, target: { equals: '/dev/null' }, result: { equals: 0 } },
      ],
    },
    {
      id: 'privilege_escalation.setid_bit', title: 'Set-user-id or set-group-id bit set', severity: 'high', attack: ['T1548.001'],
      events: ['file_chmod'], match: { result: { equals: 0 }, mode_text: { contains: ['s', 'S'] }, 'process.exe': { not_equals: PACKAGE_TOOLS } }, any: [],
    },
    {
      id: 'privilege_escalation.setid_exec_root', title: 'Non-root process became root by a set-user-id program', severity: 'high', attack: ['T1548.001'],
      events: ['process_cred'], match: { setid_exec: { equals: true }, old_euid: { gt: 0 }, new_euid: { equals: 0 } }, any: [],
    },
    {
      id: 'privilege_escalation.became_root', title: 'Non-root process became root', severity: 'critical', attack: ['T1548'],
      events: ['process_cred'], match: { setid_exec: { equals: false }, result: { gte: 0 } },
      any: [{ old_euid: { gt: 0 }, new_euid: { equals: 0 } }, { old_uid: { gt: 0 }, new_uid: { equals: 0 } }],
    },
    {
      id: 'injection.ptrace_attach', title: 'ptrace attach to another process', severity: 'high', attack: ['T1055.008'],
      events: ['process_ptrace'], match: { request: { one_of: ['PTRACE_ATTACH', 'PTRACE_SEIZE'] }, result: { equals: 0 } }, any: [],
    },
    {
      id: 'injection.process_vm_write', title: 'Memory of another process written (process_vm_writev)', severity: 'critical', attack: ['T1055'],
      events: ['process_vm'], match: { call: { equals: 'process_vm_writev' }, result: { gt: 0 } }, any: [],
    },
    {
      id: 'persistence.kernel_module', title: 'Kernel module load attempted', severity: 'high', attack: ['T1547.006'],
      events: ['kernel_module'], match: { call: { one_of: ['init_module', 'finit_module'] } }, any: [],
    },
    {
      id: 'defense_evasion.proc_mount', title: 'Mount over /proc/<pid> (process hiding)', severity: 'critical', attack: ['T1564'],
      events: ['fs_mount'], match: { call: { one_of: ['mount', 'move_mount'] }, target: { prefix: PROC_PID_DIRS } }, any: [],
    },
  ];
  return [...rules, ...networkRules({ ...DEFAULT_DETECTION_LISTS, ...lists, ports, cidrs })];
}

/** Facts these detections derive about file contents (see fileFact). */
export const FILE_FACTS = ['written_path', 'wiped_path'] as const;

const O_TRUNC = 0o1000;
/** file_open's kind flag: openat2's O_TRUNC cannot be told (files.bpf.h). */
const OPEN_FLAGS_DISPUTED = 'open_flags_disputed';
const RENAME_EXCHANGE = 2;

/**
 * The record's facts a derived fact is made of (written_path, wiped_path,
 * filename_in_cwd: cut when one of them is), by event type (fileFact: a
 * file's path is `path`, schema 1's the name as passed).
 */
export function derivedFrom(key: string, eventType: string, schemaVersion: number): readonly string[] {
  const path = schemaVersion < 2 ? 'path_arg' : 'path';
  switch (key) {
    case 'written_path': return eventType === 'file_open' ? [path] : eventType === 'file_rename' ? ['new_path'] : eventType === 'file_link' ? ['new_path'] : [];
    case 'wiped_path': return eventType === 'file_open' || eventType === 'file_delete' || eventType === 'file_truncate' ? [path] : [];
    case 'filename_in_cwd': return ['filename', 'cwd'];
    default: return [];
  }
}

/**
 * Facts these detections derive (content, like the rules above) about what
 * an event did to file contents, whichever call did it, so one rule covers
 * every door: `written_path` (content created or replaced: a write open, the
 * new name of a rename or link, both names of an exchange) and `wiped_path`
 * (content destroyed: a delete, a truncating open, a truncate to zero). Only
 * successful calls: a refused write changed nothing. `get` reads the event's
 * other facts (flags as numbers or as their output names); an open of a
 * schema-1 capture has only the path as passed, so that is its path.
 */
export function fileFact(key: (typeof FILE_FACTS)[number], get: (key: string) => FactValue | undefined): FactValue | undefined {
  const type = get('event_type');
  if (type !== 'file_open' && type !== 'file_rename' && type !== 'file_link' && type !== 'file_delete' && type !== 'file_truncate') return undefined;
  // A result not known (an io_uring request recorded at submission, RESULT_UNSEEN) counts as done: its failure
  // would be a record of its own.
  const result = get('result');
  if (result !== undefined && result !== null && !((result as number) >= 0)) return undefined;
  const path = (): FactValue | undefined => {
    const v = get('schema_version');
    return typeof v === 'number' && v < 2 ? get('path_arg') : get('path');
  };
  const hasFlag = (field: string, name: string, bit: number): boolean => {
    const v = get(field);
    return typeof v === 'number' ? (v & bit) !== 0 : Array.isArray(v) ? v.includes(name) : String(v).includes(name);
  };
  if (key === 'written_path') {
    switch (type) {
      case 'file_open': return get('write') === true ? path() : undefined;
      case 'file_rename':
        return hasFlag('rename_flags', 'RENAME_EXCHANGE', RENAME_EXCHANGE) ? [get('new_path') as string, get('old_path') as string] : get('new_path');
      case 'file_link': return get('new_path');
      default: return undefined;
    }
  }
  switch (type) {
    // An openat2 whose flags are disputed (the caller raced its open_how against the kernel) may have truncated: counted.
    case 'file_open': return get('write') === true && (hasFlag('open_flags', 'O_TRUNC', O_TRUNC) || get(OPEN_FLAGS_DISPUTED) === true) ? path() : undefined;
    case 'file_delete': return get('path');
    case 'file_truncate': return Number(get('length')) === 0 ? get('path') : undefined;
    default: return undefined;
  }
}

/**
 * One of fileFact's derivations as data, for the rules compiled over record
 * bytes (record-rules.ts), which read fields by these names: every step needs
 * a successful call (result >= 0), then what is set below, and gives the
 * path field `path` (in a capture of schema 1, `pathBefore2`), or with the
 * exchange bit set both names, [path, other]. Tests hold it to fileFact.
 */
export interface FileFactStep {
  /** opened for writing (the kind's open_flags field) */
  readonly write?: true;
  /** this bit of this u32 field is set, or (`orKindFlag`) the kind flag of this output name is */
  readonly flag?: { readonly field: string; readonly bit: number; readonly orKindFlag?: string };
  /** this u64 field is 0 */
  readonly zero?: string;
  readonly path: string;
  readonly pathBefore2?: string;
  readonly exchange?: { readonly field: string; readonly bit: number; readonly other: string };
}

/** fileFact's derivations per event type (a missing key: the fact is missing for every record of the type). */
export const FILE_FACT_STEPS: Readonly<Record<string, { readonly written?: FileFactStep; readonly wiped?: FileFactStep }>> = {
  file_open: {
    written: { write: true, path: 'path', pathBefore2: 'path_arg' },
    wiped: { write: true, flag: { field: 'open_flags', bit: O_TRUNC, orKindFlag: OPEN_FLAGS_DISPUTED }, path: 'path', pathBefore2: 'path_arg' },
  },
  file_rename: { written: { path: 'new_path', exchange: { field: 'rename_flags', bit: RENAME_EXCHANGE, other: 'old_path' } } },
  file_link: { written: { path: 'new_path' } },
  file_delete: { wiped: { path: 'path' } },
  file_truncate: { wiped: { zero: 'length', path: 'path' } },
};

/**
 * An event's full facts, with the file facts (fileFact) derived when asked:
 * from the facts as they are then, so a fact set later (the capture's
 * schema_version) still counts.
 */
export class FactsWithFileFacts extends Map<string, FactValue> {
  override get(key: string): FactValue | undefined {
    if (key === 'written_path' || key === 'wiped_path') {
      if (super.has(key)) return super.get(key);
      return fileFact(key, (k) => this.get(k));
    }
    return super.get(key);
  }
}
