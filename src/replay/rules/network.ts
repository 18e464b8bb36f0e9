/**
 * Built-in network detections, as rules of the same engine as the others.
 * Each names the ATT&CK technique it is evidence of. The lists they match
 * against are defaults a rule file's [detections] table replaces.
 */
import { type Rule } from './model.js';

/** Program names (exe suffixes) of shells. */
export const SHELLS = ['/sh', '/bash', '/dash', '/zsh', '/ksh', '/mksh', '/ash', '/csh', '/tcsh', '/fish', '/busybox'];
/** Directories anyone can write to: a program run from there was dropped. */
export const WORLD_WRITABLE = ['/tmp/', '/dev/shm/', '/var/tmp/', '/run/shm/', '/run/lock/'];
/** Programs known to use io_uring for their own I/O (exe suffixes); others setting up a ring are flagged. */
export const DEFAULT_IO_URING_ALLOWED = ['/mysqld', '/mariadbd', '/postgres', '/qemu-system-x86_64', '/qemu-system-aarch64', '/fio', '/tigerbeetle'];
/** Mining pools' domains (suffixes of the names asked). */
export const DEFAULT_MINING_POOLS = [
  'supportxmr.com', 'minexmr.com', 'moneroocean.stream', 'hashvault.pro', 'c3pool.com', 'xmrpool.eu', 'nanopool.org', '2miners.com',
  'f2pool.com', 'nicehash.com', 'unmineable.com', 'herominers.com', 'ethermine.org', 'viabtc.com', 'antpool.com', 'poolin.com',
];
/** Out-of-band interaction and DNS exfiltration services' domains. */
export const DEFAULT_TUNNEL_DOMAINS = [
  'dnslog.cn', 'ceye.io', 'interact.sh', 'oast.pro', 'oast.live', 'oast.site', 'oast.online', 'oast.fun', 'oast.me',
  'burpcollaborator.net', 'oastify.com', 'requestbin.net', 'canarytokens.com', 'dnsbin.zhack.ca',
];
/** A label this long carries data, not a name (the longest in common use, e.g. DKIM selectors, stay below it). */
export const TUNNEL_LABEL_LENGTH = 40;
/** A shell started this soon after it (or its parent) connected out reads its commands from the network. */
export const REVERSE_SHELL_WINDOW_MS = 10_000;
/** Where container runtimes take orders: connecting is running containers as root on the host. */
export const CONTAINER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/crio/crio.sock', '/run/podman/podman.sock'];
/** Container clients and daemons, which use those sockets by design (exe suffixes). */
const CONTAINER_CLIENTS = ['/docker', '/dockerd', '/containerd', '/docker-proxy', '/podman', '/crictl', '/kubelet', '/nerdctl', '/ctr'];

export interface NetworkDetectionLists {
  readonly ports: readonly number[];
  readonly cidrs: readonly string[];
  readonly ioUringAllowed: readonly string[];
  readonly miningPools: readonly string[];
  readonly tunnelDomains: readonly string[];
}

/** A domain or any name under it: equal, or ending in "." and the domain (not merely in its letters). */
const underDomains = (fact: string, domains: readonly string[]) => [{ [fact]: { equals: [...domains] } }, { [fact]: { suffix: domains.map((d) => `.${d}`) } }];

export function networkRules(l: NetworkDetectionLists): Rule[] {
  const rules: Rule[] = [
    {
      id: 'network.bind_shell', title: 'Listener opened by a shell or by a program from a world-writable directory', severity: 'critical',
      attack: ['T1059.004'], events: ['net_listen'], match: { result: { equals: 0 } },
      any: [{ 'process.exe': { suffix: SHELLS } }, { 'process.exe': { prefix: WORLD_WRITABLE } }],
    },
    {
      id: 'network.reverse_shell', title: 'Shell started right after it or its parent connected out', severity: 'critical',
      attack: ['T1059.004'], events: ['process_start'], match: { filename: { suffix: SHELLS } },
      any: [{ 'process.tcp_connect_ago_ms': { lte: REVERSE_SHELL_WINDOW_MS } }, { 'parent.tcp_connect_ago_ms': { lte: REVERSE_SHELL_WINDOW_MS } }],
    },
    {
      id: 'dns.mining_pool', title: 'Mining pool name resolved', severity: 'high',
      attack: ['T1496'], events: ['net_dns'], match: { 'dns.direction': { equals: 'query' } }, any: underDomains('dns.names', l.miningPools),
    },
    {
      id: 'dns.tunnelling', title: 'DNS query that carries data (an exfiltration domain, or a label too long to be a name)', severity: 'high',
      attack: ['T1071.004', 'T1048'], events: ['net_dns'], match: { 'dns.direction': { equals: 'query' } },
      any: [...underDomains('dns.names', l.tunnelDomains), { 'dns.longest_label': { gte: TUNNEL_LABEL_LENGTH } }],
    },
    {
      id: 'container.socket_access', title: 'Container runtime socket used by a program that is not a container client', severity: 'high',
      attack: ['T1611'], events: ['net_unix'], match: { op: { equals: 'connect' }, path: { equals: [...CONTAINER_SOCKETS] }, 'process.exe': { not_suffix: CONTAINER_CLIENTS } }, any: [],
    },
    {
      id: 'defense_evasion.io_uring', title: 'io_uring used by a program not known to need it (its I/O bypasses syscall monitoring)', severity: 'medium',
      attack: ['T1562.006'], events: ['io_uring_setup', 'file_open', 'net_connect', 'net_accept', 'net_bind', 'net_listen', 'net_dns', 'net_udp_send'],
      match: { 'process.exe': { not_suffix: [...l.ioUringAllowed] } },
      // The set-up, or, for a ring set up before the capture, its first operation seen.
      any: [{ event_type: { equals: 'io_uring_setup' } }, { io_uring_first: { equals: true } }],
    },
  ];
  const outbound: Rule['any'][number][] = [];
  const inbound: Rule['any'][number][] = [];
  if (l.ports.length > 0) {
    outbound.push({ port: { one_of: [...l.ports] } });
    inbound.push({ port: { one_of: [...l.ports] } });
  }
  if (l.cidrs.length > 0) {
    outbound.push({ addr: { cidr: [...l.cidrs] } });
    inbound.push({ peer_addr: { cidr: [...l.cidrs] } });
  }
  if (outbound.length > 0) {
    rules.push({
      id: 'network.watched_destination', title: 'Connect or UDP send to a watched port or network', severity: 'high', attack: ['T1571'],
      // summary records repeat sends already alerted on; a UDP connect sends nothing.
      events: ['net_connect', 'net_udp_send'], match: { summary: { not_equals: 1 }, udp_connect: { not_equals: true } }, any: outbound,
    });
    rules.push({ id: 'network.watched_inbound', title: 'Connection accepted on a watched port or from a watched network', severity: 'high', attack: ['T1571'], events: ['net_accept'], match: {}, any: inbound });
  }
  return rules;
}
