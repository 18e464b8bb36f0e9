/**
 * Registry entries of the network kinds beyond connect: listeners, accepts,
 * TCP outcomes, UDP sends, DNS messages, Unix sockets and io_uring set-up
 * (ids 30..49, header flags 12..15). Addresses are the kernel's (struct sock,
 * or the packet the kernel queued) unless the record carries
 * from_user_memory. The BPF side is bpf/sockets.bpf.h and bpf/io_uring.bpf.h.
 */
import { ADDR_LEN, DNS_PAYLOAD_LEN, EventKind, UNIX_PATH_LEN } from './constants.js';
import { type KindDefinition, type KindFlagSpec } from './kind-types.js';

/** The programs that read io_uring requests (submission) and record them (completion). */
export const IO_URING_PROGRAMS = ['handle_io_uring_submit_req', 'handle_io_uring_complete', 'handle_io_uring_cqe_overflow'] as const;
/** TCP state changes: outcomes, socket owners, and the cookies every socket record carries. */
export const TCP_STATE_PROGRAM = 'handle_inet_sock_set_state';
/** UDP sends and DNS queries (sock_send_length), with the datagram the kernel queued (net_dev_queue). */
const SEND_PROGRAMS = ['handle_sock_send_length', 'handle_net_dev_queue'];

/** net_tcp_state.outcome */
export const TcpOutcome = { OutEstablished: 1, OutFailed: 2, InEstablished: 3, Closed: 4 } as const;
/** net_tcp_state.owner: whose identity the header carries (the change often runs in softirq, where `current` is anyone). */
export const SocketOwner = { Unknown: 0, Current: 1, LastTask: 2, Listener: 3 } as const;
/** net_dns.direction */
export const DnsDirection = { Query: 1, Response: 2 } as const;
/** net_unix.op */
export const UnixOp = { Bind: 1, Connect: 2, Accept: 3 } as const;

/** include/net/tcp_states.h */
const TCP_STATES = ['', 'established', 'syn_sent', 'syn_recv', 'fin_wait1', 'fin_wait2', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'closing', 'new_syn_recv', 'bound_inactive'];

const ioUring: KindFlagSpec = { flag: 'IO_URING', outputName: 'io_uring' };
/** An io_uring operation recorded from its completion alone (io_uring.bpf.h): fd -1, the caller's sockaddr read at completion. */
const submissionUnseen: KindFlagSpec = { flag: 'SUBMISSION_UNSEEN', outputName: 'submission_unseen' };
/** An io_uring operation submitted with IOSQE_CQE_SKIP_SUCCESS, recorded at its submission: its result not known. */
const resultUnseen: KindFlagSpec = { flag: 'RESULT_UNSEEN', outputName: 'result_unseen' };
const fromUser: KindFlagSpec = { flag: 'FROM_USER_MEMORY', outputName: 'from_user_memory' };
const addrUnreadable: KindFlagSpec = { flag: 'USER_READ_FAILED', outputName: 'addr_unreadable' };
/** An ia32 syscall (the records made at sys_exit). */
const compat: KindFlagSpec = { flag: 'COMPAT', outputName: 'compat' };

const fd = { name: 'fd', type: 's32', view: 'int', doc: 'socket fd' } as const;
const family = { name: 'family', type: 'u16', view: 'family', doc: 'AF_INET or AF_INET6' } as const;
const protocol = { name: 'protocol', type: 'u16', view: 'uint', doc: 'IPPROTO_* of the socket' } as const;
const sockType = { name: 'sock_type', type: 'u16', view: 'uint', doc: 'SOCK_* type of the socket' } as const;
const cookie = { name: 'sock_cookie', type: 'u64', view: 'uint', doc: 'socket cookie (joins the records of one socket); 0 = none assigned yet' } as const;
const addr = (name: string, doc: string) => ({ name, type: 'bytes', count: ADDR_LEN, countName: 'ADDR_LEN', view: 'addr', familyField: 'family', doc }) as const;
const pad = (name: string, type: 'u16' | 'u32') => ({ name, type, view: 'hidden', doc: 'zero; keeps the record free of padding' }) as const;

export const NET_KIND_DEFINITIONS: readonly KindDefinition[] = [
  {
    id: EventKind.NetBind, name: 'net_bind', eventType: 'net_bind', cliName: 'bind',
    process: { role: 'activity' }, net: 'bind',
    capture: { programs: ['handle_sys_exit', TCP_STATE_PROGRAM, ...IO_URING_PROGRAMS], syscalls: ['bind', 'io_uring BIND'] },
    pathFields: [], color: 'magenta', counter: null,
    fields: [
      fd,
      { name: 'result', type: 's32', view: 'result', doc: '0 on success, -errno on failure' },
      family,
      { name: 'port', type: 'u16', view: 'port', doc: "local port the socket holds (the kernel's choice for port 0), host byte order" },
      protocol, sockType,
      addr('addr', 'local address, network byte order'),
      cookie,
    ],
    flags: [ioUring, submissionUnseen, resultUnseen, fromUser, addrUnreadable, compat],
    // A bound socket has no remote end: dst_endpoint is its own address (what others reach it by).
    // Network Activity has no bind activity (nor Other): Unknown, event_type in unmapped.
    ecs: { category: 'network', type: ['info'] },
    ocsf: { classUid: 4001, activity: 0, actor: 'self', resultField: 'result', dst: { addr: 'addr', port: 'port', family: 'family', protocol: 'protocol' }, direction: 0 },
  },
  {
    id: EventKind.NetListen, name: 'net_listen', eventType: 'net_listen', cliName: 'listen',
    process: { role: 'activity' }, net: 'listen',
    capture: { programs: ['handle_sys_exit', TCP_STATE_PROGRAM, ...IO_URING_PROGRAMS], syscalls: ['listen', 'io_uring LISTEN'] },
    pathFields: [], color: 'magenta', counter: { key: 'listens', label: 'listen' },
    fields: [
      fd,
      { name: 'result', type: 's32', view: 'result', doc: '0 on success, -errno on failure' },
      { name: 'backlog', type: 's32', view: 'int', doc: 'backlog as passed' },
      family,
      { name: 'port', type: 'u16', view: 'port', doc: 'local port from the kernel socket, host byte order' },
      protocol, sockType, pad('reserved', 'u32'),
      addr('addr', 'local address from the kernel socket, network byte order'),
      cookie,
    ],
    flags: [ioUring, submissionUnseen, resultUnseen, compat],
    ecs: { category: 'network', type: ['info'] },
    ocsf: { classUid: 4001, activity: 7, actor: 'self', resultField: 'result', dst: { addr: 'addr', port: 'port', family: 'family', protocol: 'protocol' }, direction: 0 },
  },
  {
    id: EventKind.NetAccept, name: 'net_accept', eventType: 'net_accept', cliName: 'accept',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit', TCP_STATE_PROGRAM, ...IO_URING_PROGRAMS], syscalls: ['accept', 'accept4', 'io_uring ACCEPT'] },
    pathFields: [], color: 'magenta', counter: { key: 'accepts', label: 'accept' },
    fields: [
      { name: 'fd', type: 's32', view: 'int', doc: 'listening socket fd' },
      { name: 'result', type: 's32', view: 'result', doc: 'new socket fd (failed accepts are not recorded)' },
      { name: 'accept_flags', type: 'u32', view: 'uint', doc: 'accept4 flags (SOCK_NONBLOCK, SOCK_CLOEXEC)' },
      family, protocol, sockType,
      { name: 'port', type: 'u16', view: 'port', doc: 'local port of the new socket, host byte order' },
      { name: 'peer_port', type: 'u16', view: 'port', doc: 'peer port of the new socket, host byte order' },
      pad('reserved', 'u16'),
      addr('addr', 'local address of the new socket, network byte order'),
      addr('peer_addr', 'peer address of the new socket, network byte order'),
      { ...cookie, doc: 'socket cookie of the new socket' },
    ],
    flags: [ioUring, submissionUnseen, compat],
    // Sysmon's inbound connection: Initiated false, the local end is the Destination. (Its SourceIp and
    // SourcePort would be the peer's, but a connect has no local address to give them: not offered.)
    sigma: { category: 'network_connection', constants: { Initiated: false }, fields: { DestinationIp: 'addr', DestinationPort: 'port', Protocol: 'protocol' } },
    ecs: { category: 'network', type: ['connection', 'start'] },
    ocsf: {
      classUid: 4001, activity: 1, actor: 'self', resultField: 'result', direction: 1,
      dst: { addr: 'peer_addr', port: 'peer_port', family: 'family', protocol: 'protocol' }, local: { addr: 'addr', port: 'port' },
    },
  },
  {
    id: EventKind.NetTcpState, name: 'net_tcp_state', eventType: 'net_tcp_state', cliName: 'tcp',
    process: { role: 'activity' }, net: 'tcp_state',
    capture: { programs: [TCP_STATE_PROGRAM], syscalls: ['TCP state changes (sock:inet_sock_set_state)'] },
    pathFields: [], color: 'magenta', counter: null,
    fields: [
      { name: 'outcome', type: 'u16', view: 'enum', names: ['', 'out_established', 'out_failed', 'in_established', 'closed'], doc: '1 out_established, 2 out_failed, 3 in_established, 4 closed' },
      family,
      { name: 'old_state', type: 'u16', view: 'enum', names: TCP_STATES, doc: 'TCP_* state before the change' },
      { name: 'new_state', type: 'u16', view: 'enum', names: TCP_STATES, doc: 'TCP_* state after the change' },
      { name: 'port', type: 'u16', view: 'port', doc: 'local port, host byte order (0 when the kernel released it first: a refused connect)' },
      { name: 'peer_port', type: 'u16', view: 'port', doc: 'peer port, host byte order' },
      { name: 'owner', type: 'u16', view: 'enum', names: ['unknown', 'current', 'last_task', 'listener'], doc: "whose identity the header carries: 0 unknown (zeroed), 1 current, 2 last_task (the last task that acted on the socket), 3 listener (the listening socket's)" },
      pad('reserved', 'u16'),
      { name: 'result', type: 's32', view: 'result', doc: '-sk_err: why a connection failed or ended (-ECONNREFUSED, -ETIMEDOUT, -ECONNRESET); 0 otherwise' },
      pad('reserved2', 'u32'),
      addr('addr', 'local address, network byte order'),
      addr('peer_addr', 'peer address, network byte order'),
      { name: 'bytes_sent', type: 'u64', view: 'uint', doc: 'at close: payload bytes sent (tcp_sock.bytes_sent, retransmissions included)' },
      { name: 'bytes_received', type: 'u64', view: 'uint', doc: 'at close: payload bytes received (tcp_sock.bytes_received, without a FIN)' },
      { name: 'duration_ns', type: 'u64', view: 'uint', doc: 'at close: time since the connection was established, when that was seen; 0 otherwise' },
      cookie,
    ],
    flags: [],
    ecs: { category: 'network', type: ['connection'], typeByActivity: { 1: ['connection', 'start'], 2: ['connection', 'end'] } },
    ocsf: {
      classUid: 4001, actor: 'self', resultField: 'result',
      activity: { field: 'outcome', ids: { [TcpOutcome.OutEstablished]: 1, [TcpOutcome.OutFailed]: 'connect_result', [TcpOutcome.InEstablished]: 1, [TcpOutcome.Closed]: 2 } },
      direction: { field: 'outcome', ids: { [TcpOutcome.OutEstablished]: 2, [TcpOutcome.OutFailed]: 2, [TcpOutcome.InEstablished]: 1, [TcpOutcome.Closed]: 0 } },
      dst: { addr: 'peer_addr', port: 'peer_port', family: 'family', protocol: 6 }, local: { addr: 'addr', port: 'port' },
      traffic: { bytesOut: 'bytes_sent', bytesIn: 'bytes_received' },
    },
  },
  {
    id: EventKind.NetUdpSend, name: 'net_udp_send', eventType: 'net_udp_send', cliName: 'udp',
    process: { role: 'activity' }, net: 'udp_send',
    sigma: {
      category: 'network_connection', fields: { DestinationIp: 'addr', DestinationPort: 'port', Protocol: 'protocol' }, constants: { Initiated: true },
      facts: { DestinationHostname: 'dst_hostname' },
    },
    ecs: { category: 'network', type: ['connection'] },
    ocsf: { classUid: 4001, activity: 6, actor: 'self', resultField: 'result', dst: { addr: 'addr', port: 'port', family: 'family', protocol: 'protocol' } },
    capture: { programs: [TCP_STATE_PROGRAM, ...SEND_PROGRAMS], syscalls: ['sendto', 'sendmsg', 'sendmmsg', 'write/send on a connected UDP socket', 'io_uring SEND/SENDMSG'] },
    pathFields: [], color: 'magenta', counter: { key: 'udp_sends', label: 'udp' },
    fields: [
      { name: 'fd', type: 's32', view: 'int', doc: 'socket fd; -1 when not known (io_uring)' },
      { name: 'result', type: 's32', view: 'result', doc: 'bytes sent, -errno on failure (0 in a summary)' },
      { name: 'datagram_size', type: 'u32', view: 'uint', doc: 'UDP payload bytes of the datagram the kernel queued; 0 when it was not seen' },
      { name: 'repeats', type: 'u32', view: 'uint', doc: 'sends to the same (process, socket, destination) not recorded since the previous record of it' },
      family,
      { name: 'port', type: 'u16', view: 'port', doc: 'destination port, host byte order' },
      { name: 'protocol', type: 'u16', view: 'uint', doc: 'IPPROTO_UDP or IPPROTO_UDPLITE' },
      { name: 'connected', type: 'u16', view: 'uint', doc: '1 = the socket is connected: the destination is its peer' },
      { name: 'summary', type: 'u16', view: 'uint', doc: '1 = not a send: the repeats counted since the last record, written when the capture stopped' },
      pad('reserved', 'u16'), pad('reserved2', 'u32'),
      addr('addr', 'destination address, network byte order'),
      cookie,
    ],
    flags: [ioUring, fromUser, addrUnreadable],
  },
  {
    id: EventKind.NetDns, name: 'net_dns', eventType: 'net_dns', cliName: 'dns',
    process: { role: 'activity' }, net: 'dns',
    capture: { programs: [TCP_STATE_PROGRAM, ...SEND_PROGRAMS, 'handle_sock_recv_length'], syscalls: ['sends to port 53 (UDP, TCP, io_uring)', 'receives on sockets that sent one'] },
    pathFields: [], color: 'yellow', counter: { key: 'dns', label: 'dns' },
    fields: [
      { name: 'fd', type: 's32', view: 'int', doc: 'socket fd; -1 when not known (io_uring)' },
      { name: 'result', type: 's32', view: 'result', doc: 'bytes sent or received, -errno on failure' },
      { name: 'direction', type: 'u16', view: 'enum', names: ['', 'query', 'response'], doc: '1 query (sent to port 53), 2 response (received on a socket that sent one)' },
      family,
      { name: 'port', type: 'u16', view: 'port', doc: "the server's port, host byte order" },
      { name: 'protocol', type: 'u16', view: 'uint', doc: 'IPPROTO_UDP, or IPPROTO_TCP (the payload is then a piece of the stream: two-byte lengths and messages)' },
      { name: 'message_size', type: 'u32', view: 'uint', doc: 'bytes of the message (UDP) or of this send or receive (TCP)' },
      { name: 'payload_size', type: 'u32', view: 'hidden', doc: 'bytes of payload[] holding the message prefix' },
      addr('addr', "the server's address, network byte order (family 0: an unconnected socket's response, sender not recorded)"),
      cookie,
      { name: 'payload', type: 'bytes', count: DNS_PAYLOAD_LEN, countName: 'DNS_PAYLOAD_LEN', view: 'hidden', doc: 'the message as the kernel queued it (query) or copied it to the receiver (response), payload_size bytes' },
    ],
    flags: [{ flag: 'FILENAME_TRUNCATED', outputName: 'payload_truncated' }, { flag: 'USER_READ_FAILED', outputName: 'payload_unreadable' }, ioUring, fromUser],
    // Sysmon's DNS query event: the names a process asked for, as it sent them.
    sigma: { category: 'dns_query', facts: { QueryName: 'dns.names' }, when: { field: 'direction', equals: DnsDirection.Query } },
    ecs: { category: 'network', type: ['protocol'] },
    ocsf: {
      classUid: 4003, actor: 'self', resultField: 'result', activity: { field: 'direction', ids: { [DnsDirection.Query]: 1, [DnsDirection.Response]: 2 } },
      dst: { addr: 'addr', port: 'port', family: 'family', protocol: 'protocol' }, dns: { payload: 'payload', payloadSize: 'payload_size', protocol: 'protocol' },
    },
  },
  {
    id: EventKind.NetUnix, name: 'net_unix', eventType: 'net_unix', cliName: 'unix',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['bind', 'connect', 'accept', 'accept4 on AF_UNIX sockets'] },
    pathFields: ['path'], color: 'white', counter: null,
    fields: [
      { name: 'op', type: 'u16', view: 'enum', names: ['', 'bind', 'connect', 'accept'], doc: '1 bind, 2 connect, 3 accept' },
      { name: 'sock_type', type: 'u16', view: 'uint', doc: 'SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET' },
      fd,
      { name: 'result', type: 's32', view: 'result', doc: '0 (accept: the new fd) on success, -errno on failure' },
      { name: 'peer_pid', type: 'u32', view: 'uint', doc: 'pid the kernel recorded for the other end (SO_PEERCRED); 0 when none' },
      { name: 'path_size', type: 'u16', view: 'hidden', doc: 'bytes of sun_path in use' },
      { name: 'abstract', type: 'u16', view: 'uint', doc: '1 = an abstract name (Linux): path holds it without its leading NUL' },
      {
        name: 'path', type: 'char', count: UNIX_PATH_LEN, countName: 'UNIX_PATH_LEN', view: 'unix_path', sizeField: 'path_size', abstractField: 'abstract',
        doc: "bind: the address bound; connect: the listener's; accept: the listener's",
      },
    ],
    flags: [fromUser, compat],
    // No IP endpoints: the socket path is in unmapped.path.
    ecs: { category: 'network', type: ['info'], typeByActivity: { 1: ['connection', 'start'] } },
    ocsf: { classUid: 4001, actor: 'self', resultField: 'result', activity: { field: 'op', ids: { [UnixOp.Bind]: 0, [UnixOp.Connect]: 1, [UnixOp.Accept]: 1 } } },
  },
  {
    id: EventKind.IoUringSetup, name: 'io_uring_setup', eventType: 'io_uring_setup', cliName: 'io-uring',
    process: { role: 'activity' }, net: 'io_uring',
    capture: { programs: ['handle_sys_exit'], syscalls: ['io_uring_setup'] },
    pathFields: [], color: 'red', counter: null,
    fields: [
      { name: 'result', type: 's32', view: 'result', doc: 'the ring fd, -errno on failure' },
      { name: 'entries', type: 'u32', view: 'uint', doc: 'entries as passed' },
      { name: 'sq_entries', type: 'u32', view: 'uint', doc: 'submission queue entries the kernel set up' },
      { name: 'cq_entries', type: 'u32', view: 'uint', doc: 'completion queue entries the kernel set up' },
      { name: 'setup_flags', type: 'u32', view: 'uint', doc: 'IORING_SETUP_* flags of the ring the kernel set up (SQPOLL = 2)' },
      pad('reserved', 'u32'),
    ],
    flags: [compat],
    // OCSF has no class for setting up a kernel interface: Base Event, explicitly.
    ecs: { category: 'process', type: ['info'] },
    ocsf: { classUid: 0, activity: 99, actor: 'self', resultField: 'result' },
  },
];
