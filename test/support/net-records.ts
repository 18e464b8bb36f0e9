/**
 * Test-only builders of the network kinds' records, from the ABI definition,
 * as the kernel program lays them out.
 */
import { AF_INET, AF_INET6, DNS_PAYLOAD_LEN, EventKind } from '../../src/abi/constants.js';
import { EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_IO_URING } from '../../src/abi/schema.js';
import { encodeRecord, type FieldInput } from '../../src/abi/encode.js';
import { type Identity } from './records.js';

export type Addr = { family: number; addr: number[] };

function header(id: Identity, flags = 0): Record<string, FieldInput> {
  return {
    ts_ns: id.ts, pid: id.pid, tid: id.tid ?? id.pid, ppid: id.ppid, uid: id.uid ?? 0, gid: id.gid ?? 0,
    auid: id.auid ?? 4294967295, cgroup_id: id.cgroup_id ?? 1n, flags: (id.flags ?? 0) | flags, cpu: id.cpu ?? 0,
    mntns: id.mntns ?? 4026531841, comm: id.comm,
  };
}

const bytes16 = (a: Addr) => {
  const b = new Uint8Array(16);
  b.set(a.addr);
  return b;
};

/** A net_dns record carrying `message` (a UDP query or response, or a TCP stream piece). */
export function dnsRecord(id: Identity, direction: 1 | 2, server: Addr, message: Uint8Array, o: { protocol?: number; cookie?: bigint; ioUring?: boolean } = {}): Uint8Array {
  const payload = message.subarray(0, DNS_PAYLOAD_LEN);
  const flags = (message.length > DNS_PAYLOAD_LEN ? EVENT_FLAG_FILENAME_TRUNCATED : 0) | (o.ioUring ? EVENT_FLAG_IO_URING : 0);
  return encodeRecord(EventKind.NetDns, {
    ...header(id, flags), fd: 3, result: message.length, direction, family: server.family, port: 53, protocol: o.protocol ?? 17,
    message_size: message.length, payload_size: payload.length, addr: bytes16(server), sock_cookie: o.cookie ?? 7n, payload,
  });
}

export function tcpConnectRecord(id: Identity, to: Addr, port: number, result = 0, o: { protocol?: number; ioUring?: boolean } = {}): Uint8Array {
  return encodeRecord(EventKind.NetConnect, {
    ...header(id, o.ioUring ? EVENT_FLAG_IO_URING : 0), fd: 3, result, family: to.family, port, protocol: o.protocol ?? 6, sock_type: o.protocol === 17 ? 2 : 1, addr: bytes16(to),
  });
}

export function listenRecord(id: Identity, local: Addr, port: number, result = 0): Uint8Array {
  return encodeRecord(EventKind.NetListen, {
    ...header(id), fd: 3, result, backlog: 5, family: local.family, port, protocol: 6, sock_type: 1, addr: bytes16(local), sock_cookie: 9n,
  });
}

export function acceptRecord(id: Identity, local: Addr, port: number, peer: Addr, peerPort: number): Uint8Array {
  return encodeRecord(EventKind.NetAccept, {
    ...header(id), fd: 3, result: 4, family: local.family, protocol: 6, sock_type: 1, port, peer_port: peerPort,
    addr: bytes16(local), peer_addr: bytes16(peer), sock_cookie: 11n,
  });
}

export function udpSendRecord(id: Identity, to: Addr, port: number, o: { repeats?: number; summary?: boolean } = {}): Uint8Array {
  return encodeRecord(EventKind.NetUdpSend, {
    ...header(id), fd: 3, result: o.summary ? 0 : 6, datagram_size: o.summary ? 0 : 6, repeats: o.repeats ?? 0, family: to.family, port,
    protocol: 17, summary: o.summary ? 1 : 0, addr: bytes16(to), sock_cookie: 12n,
  });
}

/**
 * A net_unix record of the address `sunPath` as a program passes it (a string, or its bytes): laid out as the
 * kernel program's copy_unix_path does, an abstract name (leading NUL) without its NUL and counted whole, a
 * pathname up to its NUL and counted with it (the kernel's length). `o` overrides what a hostile record may
 * say instead: its path_size and abstract fields.
 */
export function unixRecord(id: Identity, op: 1 | 2 | 3, sunPath: string | Uint8Array, result = 0, o: { pathSize?: number; abstract?: number } = {}): Uint8Array {
  const bytes = typeof sunPath === 'string' ? new TextEncoder().encode(sunPath) : sunPath;
  const abstract = bytes.length > 0 && bytes[0] === 0;
  const nul = bytes.indexOf(0);
  const path = abstract ? bytes.subarray(1) : nul < 0 ? bytes : bytes.subarray(0, nul);
  return encodeRecord(EventKind.NetUnix, {
    ...header(id), op, sock_type: 1, fd: 3, result, peer_pid: 0, path_size: o.pathSize ?? (abstract ? bytes.length : path.length + 1),
    abstract: o.abstract ?? (abstract ? 1 : 0), path,
  });
}

export function ioUringSetupRecord(id: Identity): Uint8Array {
  return encodeRecord(EventKind.IoUringSetup, { ...header(id), result: 3, entries: 8, sq_entries: 8, cq_entries: 16 });
}

export const v4 = (a: number, b: number, c: number, d: number): Addr => ({ family: AF_INET, addr: [a, b, c, d] });
export const v6 = (groups: number[]): Addr => ({ family: AF_INET6, addr: groups.flatMap((g) => [g >> 8, g & 0xff]) });

export function bindRecord(id: Identity, local: Addr, port: number, result = 0, protocol = 6): Uint8Array {
  return encodeRecord(EventKind.NetBind, {
    ...header(id), fd: 3, result, family: local.family, port, protocol, sock_type: protocol === 17 ? 2 : 1, addr: bytes16(local), sock_cookie: 8n,
  });
}

export function tcpStateRecord(id: Identity, outcome: 1 | 2 | 3 | 4, local: Addr, port: number, peer: Addr, peerPort: number,
  o: { result?: number; oldState?: number; newState?: number; sent?: bigint; received?: bigint; owner?: number } = {}): Uint8Array {
  return encodeRecord(EventKind.NetTcpState, {
    ...header(id), outcome, family: local.family, old_state: o.oldState ?? 2, new_state: o.newState ?? 1, port, peer_port: peerPort, owner: o.owner ?? 1,
    result: o.result ?? 0, addr: bytes16(local), peer_addr: bytes16(peer), bytes_sent: o.sent ?? 0n, bytes_received: o.received ?? 0n,
    duration_ns: 0n, sock_cookie: 13n,
  });
}
