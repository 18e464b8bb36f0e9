/**
 * Built-in detections, as rules in the same engine user rules run in:
 * persistence writes, execution from world-writable or deleted locations,
 * and the network detections of network.ts (watched ports and networks,
 * bind and reverse shells, DNS names, container sockets, io_uring).
 */
import { type Condition, type Match, type Rule } from './model.js';
import {
  DEFAULT_IO_URING_ALLOWED, DEFAULT_MINING_POOLS, DEFAULT_TUNNEL_DOMAINS, type NetworkDetectionLists, networkRules,
} from './network.js';

/** Common reverse-shell and C2 listener ports; override with [detections] ports = [...]. */
export const DEFAULT_ALERT_PORTS = [1337, 4444, 4445, 5555, 6666, 6667, 31337];

const writeOk = { write: { equals: true }, result: { gte: 0 } };

/** Directories anyone can write to (mode 1777 on Debian): a program run from one was dropped there. */
const WORLD_WRITABLE = ['/tmp/', '/dev/shm/', '/var/tmp/', '/run/shm/', '/run/lock/'];

/**
 * A condition on an open's path: the kernel's (`path`, schema 2); for a
 * capture of schema 1, which recorded only the path as passed (now
 * `path_arg`), on that, since it is all there is.
 */
function onPath(...conds: Condition[]): Match[] {
  return conds.flatMap((c): Match[] => [{ path: c }, { path_arg: c, schema_version: { lt: 2 } }]);
}

/** The lists the built-in detections use when no rule file replaces them. */
export const DEFAULT_DETECTION_LISTS: NetworkDetectionLists = {
  ports: DEFAULT_ALERT_PORTS, cidrs: [], ioUringAllowed: DEFAULT_IO_URING_ALLOWED, miningPools: DEFAULT_MINING_POOLS, tunnelDomains: DEFAULT_TUNNEL_DOMAINS,
};

export function builtinRules(ports: readonly number[], cidrs: readonly string[], lists: Partial<NetworkDetectionLists> = {}): Rule[] {
  const rules: Rule[] = [
    {
      id: 'persistence.cron', title: 'Cron job written', severity: 'high', events: ['file_open'], match: writeOk,
      any: onPath(
        { prefix: ['/etc/cron.d/', '/etc/cron.hourly/', '/etc/cron.daily/', '/etc/cron.weekly/', '/etc/cron.monthly/', '/var/spool/cron/'] },
        { equals: ['/etc/crontab', '/etc/anacrontab'] },
      ),
    },
    {
      id: 'persistence.systemd', title: 'systemd unit written', severity: 'high', events: ['file_open'], match: writeOk,
      any: onPath(
        { prefix: ['/etc/systemd/system/', '/etc/systemd/user/', '/usr/lib/systemd/system/', '/lib/systemd/system/', '/run/systemd/system/'] },
        { contains: '/.config/systemd/user/' },
      ),
    },
    {
      id: 'persistence.ssh_authorized_keys', title: 'SSH authorized_keys written', severity: 'high', events: ['file_open'], match: writeOk,
      // A schema-1 capture has only the name as passed, which may be relative.
      any: [
        ...onPath({ suffix: ['/authorized_keys', '/authorized_keys2'] }),
        { path_arg: { equals: ['authorized_keys', 'authorized_keys2'] }, schema_version: { lt: 2 } },
      ],
    },
    {
      id: 'persistence.ld_preload', title: '/etc/ld.so.preload written', severity: 'critical', events: ['file_open'],
      match: writeOk, any: onPath({ equals: '/etc/ld.so.preload' }),
    },
    {
      id: 'persistence.shell_startup', title: 'Shell start-up file written', severity: 'medium', events: ['file_open'], match: writeOk,
      any: onPath(
        { equals: ['/etc/profile', '/etc/bash.bashrc', '/etc/zsh/zshrc', '/etc/zsh/zprofile', '/etc/environment'] },
        { prefix: '/etc/profile.d/' },
        { suffix: ['/.bashrc', '/.bash_profile', '/.bash_login', '/.bash_logout', '/.profile', '/.zshrc', '/.zprofile', '/.zshenv'] },
      ),
    },
    {
      // The kernel's path of the program: any spelling (//tmp/x, ./x in /tmp, /proc/self/cwd/x, a symlink) ends
      // there. A script's exe_path is its interpreter: the name it was run by, joined to the cwd, says where it is.
      id: 'execution.tmp', title: 'Program executed from a world-writable directory', severity: 'high', events: ['process_start'], match: {},
      any: [
        { exe_path: { prefix: WORLD_WRITABLE } },
        { filename_in_cwd: { prefix: WORLD_WRITABLE } },
        { filename: { prefix: WORLD_WRITABLE }, schema_version: { lt: 2 } },
      ],
    },
    {
      id: 'execution.deleted', title: 'Deleted or memory-only program executed', severity: 'critical', events: ['process_start'], match: {},
      any: [
        { exe_deleted: { equals: true } },
        { exe_path: { prefix: '/memfd:' } },
        { exe_path_flags: { contains: 'deleted' } },
        { filename: { prefix: ['/dev/fd/', '/proc/self/fd/', 'memfd:'] } },
      ],
    },
  ];
  return [...rules, ...networkRules({ ...DEFAULT_DETECTION_LISTS, ...lists, ports, cidrs })];
}
