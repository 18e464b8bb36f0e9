/**
 * What replay learns from network records, per process: the names it
 * resolved (from the DNS answers its own sockets received), when it last
 * opened a TCP connection out, whether it set up io_uring, and its listeners
 * and connections for `tree`. From that, each event gets what only hindsight
 * gives: the name a connect's address was resolved from (`dst_hostname`),
 * the decoded DNS messages of a net_dns record, and facts for rules.
 * Everything kept is bounded: per process and across the capture.
 */
import { decodeRecord, type DecodedFields } from '../../abi/decode.js';
import { ADDR_LEN, AF_INET, AF_INET6 } from '../../abi/constants.js';
import { type DnsMessage, dnsRcodeName, dnsTcpMessage, dnsTypeName, parseDnsMessage, resolvedAddresses } from '../../abi/dns.js';
import { recordFlags, recordTsNsHi, recordTsNsLo } from '../../abi/header-access.js';
import { s32le, u16le, u32le } from '../../abi/bytes.js';
import { NET_ROLE_FIELDS } from '../../abi/define-schema.js';
import { DnsDirection, TcpOutcome } from '../../abi/net-kinds.js';
import { BUILD_SCHEMA, EVENT_FLAG_IO_URING, type NetRole, type Schema } from '../../abi/schema.js';
import { addressText } from '../../abi/values.js';
import { type ProcessNode } from '../process-table.js';
import { SHELLS } from '../rules/network.js';

/** Names remembered per process (most recent kept), and listeners and connections listed per process in `tree`. */
export const NAMES_PER_PROCESS = 256;
const ACTIVITY_PER_PROCESS = 16;
/** DNS-over-TCP streams being reassembled at once, and the bytes kept of each. */
const STREAMS = 1024;
const STREAM_BYTES = 4096;

/** A decoded DNS message as output prints it. */
export interface DnsMessageJson {
  id?: number;
  response?: boolean;
  rcode?: string;
  truncated_by_sender?: boolean;
  questions?: { name: string; type: string }[];
  answers?: { name: string; type: string; ttl: number; data: string | null }[];
  /** Why decoding stopped early (cut by the capture, malformed), or the whole message's error. */
  incomplete?: string | null;
  error?: string;
}

/** What an event's output gains from what came before it. */
export interface NetEnrichment {
  dst_hostname?: string;
  dns?: DnsMessageJson[];
}

interface ProcessNet {
  readonly resolved: Map<string, string>;
  /**
   * Its latest TCP connect out (CLOCK_MONOTONIC ns as a double: exact for 104 days of uptime, a few
   * ns off after, which a 10 s window does not see), until a shell start claimed it.
   */
  lastTcpConnectNs: number | null;
  /** IPv4 destinations (address << 16 | port) already listed, so a repeat costs no text. */
  readonly listedV4: Set<number>;
  ioUringSetup: boolean;
  ioUringOp: boolean;
  readonly listeners: string[];
  readonly connections: string[];
}

/** Facts a network event adds for rules. */
export type NetFacts = Map<string, string | number | boolean | string[] | null>;

/** What an event gains from network state: output keys, and facts for rules. */
export interface NetObservation {
  readonly enrichment: NetEnrichment | null;
  readonly facts: NetFacts | null;
}

export class NetState {
  /** Resolved addresses let go to keep NAMES_PER_PROCESS (their connects then have no dst_hostname). */
  forgottenNames = 0;
  private readonly byNode = new WeakMap<ProcessNode, ProcessNet>();
  private readonly streams = new Map<string, Uint8Array>();
  /** Each kind's network role (the registry's `net`), by kind id. */
  private readonly roles: (NetRole | undefined)[] = [];
  /** 1 for kinds whose process role is exec (a shell start is judged against recent connects). */
  private readonly execKinds = new Uint8Array(256);
  /** 1 for the network kinds and the exec kinds. */
  private readonly interesting = new Uint8Array(256);
  /** Per kind id, where the fields its network role reads are (NET_ROLE_FIELDS), as record offsets. */
  private readonly fields: (Readonly<Record<string, number>> | undefined)[] = [];

  constructor(private readonly schema: Schema = BUILD_SCHEMA) {
    for (const k of schema.kinds) {
      this.roles[k.id] = k.net;
      if (k.process.role === 'exec') this.execKinds[k.id] = 1;
      if (k.net !== undefined || k.process.role === 'exec') this.interesting[k.id] = 1;
      if (k.net !== undefined) this.fields[k.id] = Object.fromEntries(NET_ROLE_FIELDS[k.net].map((name) => [name, k.layout.fields.find((f) => f.name === name)!.offset]));
    }
  }

  /**
   * Whether observe() can learn anything from this record: a network kind, an
   * exec, or an io_uring operation. The replay loop asks this first, so that
   * the common record (an open) costs two byte reads and no call.
   */
  concerns(kindId: number, bytes: Uint8Array, at: number): boolean {
    return this.interesting[kindId] === 1 || (recordFlags(bytes, at) & EVENT_FLAG_IO_URING) !== 0;
  }

  /**
   * Learns from an accepted record and returns what its output gains, plus
   * facts for rules (only when `withFacts`); null when it gains nothing. Cheap
   * for the kinds it does not read (most events): two table reads and the
   * header's flags, nothing allocated.
   */
  observe(host: string, kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, withFacts: boolean): NetObservation | null {
    const role = this.roles[kindId];
    if (role === undefined) {
      if (this.execKinds[kindId] === 1 && node !== null) {
        const facts = this.execFacts(node, tsNumber(bytes, at), withFacts);
        return facts === null ? null : { enrichment: null, facts };
      }
      if ((recordFlags(bytes, at) & EVENT_FLAG_IO_URING) === 0) return null;
      const facts = this.uringFacts(node, withFacts);
      return facts === null ? null : { enrichment: null, facts };
    }
    const facts: NetFacts | null = withFacts ? new Map() : null;
    if ((recordFlags(bytes, at) & EVENT_FLAG_IO_URING) !== 0) {
      const uring = this.uringFacts(node, withFacts);
      if (facts !== null && uring !== null) for (const [k, v] of uring) facts.set(k, v);
    }
    let enrichment: NetEnrichment | null = null;
    if (role === 'dns') {
      // Rare and rich: decoded whole.
      const f = decodeRecord(bytes, at, kindId, this.schema).fields;
      const net = node === null ? null : this.of(node);
      const messages = this.dnsMessages(host, f);
      enrichment = { dns: messages.map(toJson) };
      if (net !== null && (f.direction as number) === DnsDirection.Response) {
        for (const m of messages) {
          if ('error' in m) continue;
          for (const r of resolvedAddresses(m)) if (remember(net.resolved, addressText(r.family === 4 ? AF_INET : AF_INET6, r.bytes), r.name)) this.forgottenNames++;
        }
      }
      if (facts !== null) dnsFacts(facts, messages, f);
      return { enrichment, facts };
    }
    // The others are common (a busy host connects a lot): their few fields are read in place.
    const x = this.fields[kindId]!;
    const family = u16le(bytes, at + x.family);
    const addrOf = (offset: number) => addressText(family, bytes.subarray(at + offset, at + offset + ADDR_LEN));
    const known = node === null ? undefined : this.byNode.get(node);
    switch (role) {
      case 'connect':
      case 'udp_send': {
        const tcpOut = role === 'connect' && u16le(bytes, at + x.protocol) === IPPROTO_TCP && (s32le(bytes, at + x.result) === 0 || s32le(bytes, at + x.result) === -EINPROGRESS);
        // connect(2) on a UDP socket sends nothing (glibc does it to sort a name's addresses): not traffic.
        if (facts !== null && role === 'connect') facts.set('udp_connect', u16le(bytes, at + x.protocol) === IPPROTO_UDP);
        if (known !== undefined && known.resolved.size > 0) enrichment = this.hostname(known, addrOf(x.addr));
        if (!tcpOut || node === null) break;
        const net = known ?? this.of(node);
        net.lastTcpConnectNs = tsNumber(bytes, at);
        if (net.connections.length >= ACTIVITY_PER_PROCESS) break;
        // Text only for a destination not listed yet: a busy process connects to the same few again and again.
        const port = u16le(bytes, at + x.port);
        const v4 = family === AF_INET ? u32le(bytes, at + x.addr) * 65536 + port : -1;
        if (v4 >= 0 && net.listedV4.has(v4)) break;
        if (v4 >= 0) net.listedV4.add(v4);
        if (note(net.connections, `${hostPort(addrOf(x.addr), port)}${enrichment?.dst_hostname ? ` (${enrichment.dst_hostname})` : ''}`)) node.version++;
        break;
      }
      case 'tcp_state': {
        const outcome = u16le(bytes, at + x.outcome);
        if (known !== undefined && known.resolved.size > 0 && (outcome === TcpOutcome.OutEstablished || outcome === TcpOutcome.OutFailed || outcome === TcpOutcome.Closed)) {
          enrichment = this.hostname(known, addrOf(x.peer_addr));
        }
        // io_uring and Fast Open connects make no connect syscall record with EINPROGRESS or 0 first: count them here.
        if (outcome === TcpOutcome.OutEstablished && node !== null && u16le(bytes, at + x.owner) !== 0) (known ?? this.of(node)).lastTcpConnectNs = tsNumber(bytes, at);
        break;
      }
      case 'listen':
      case 'bind': {
        const protocol = u16le(bytes, at + x.protocol);
        if (node === null || s32le(bytes, at + x.result) !== 0 || (role === 'bind' && protocol !== IPPROTO_UDP)) break;
        const what = `${hostPort(addrOf(x.addr), u16le(bytes, at + x.port))}/${protocol === IPPROTO_TCP ? 'tcp' : protocol === IPPROTO_UDP ? 'udp' : String(protocol)}`;
        if (note(this.of(node).listeners, what)) node.version++;
        break;
      }
      case 'io_uring':
        if (node !== null) this.of(node).ioUringSetup = true;
        break;
    }
    return enrichment === null && facts === null ? null : { enrichment, facts };
  }

  /** A process's listeners and outgoing connections, as `tree` lists them (null when it had none). */
  activity(node: ProcessNode): { listeners: string[]; connections: string[] } | null {
    const net = this.byNode.get(node);
    if (net === undefined || (net.listeners.length === 0 && net.connections.length === 0)) return null;
    return { listeners: [...net.listeners], connections: [...net.connections] };
  }

  private of(node: ProcessNode): ProcessNet {
    let net = this.byNode.get(node);
    if (net === undefined) {
      net = { resolved: new Map(), lastTcpConnectNs: null, listedV4: new Set(), ioUringSetup: false, ioUringOp: false, listeners: [], connections: [] };
      this.byNode.set(node, net);
    }
    return net;
  }

  private hostname(net: ProcessNet | null | undefined, addr: string): NetEnrichment | null {
    const name = net?.resolved.get(addr);
    return name === undefined ? null : { dst_hostname: name };
  }

  /**
   * For an exec: how long before it this process, or else its parent,
   * opened a TCP connection out. A connection explains one shell: the first
   * shell started after it claims it, so the commands that shell runs (more
   * shells among them) are not each taken for a reverse shell of their own.
   */
  private execFacts(node: ProcessNode, ts: number, withFacts: boolean): NetFacts | null {
    const shell = node.exe !== null && SHELLS.some((s) => node.exe!.endsWith(s));
    const claim = (n: ProcessNode | null): number | null => {
      const net = n === null ? undefined : this.byNode.get(n);
      const t = net?.lastTcpConnectNs ?? null;
      if (t === null || t > ts) return null;
      if (shell) net!.lastTcpConnectNs = null;
      return Math.floor((ts - t) / 1e6);
    };
    const own = claim(node);
    const parent = own === null ? claim(node.parent) : null;
    if (!withFacts) return null;
    return new Map([['process.tcp_connect_ago_ms', own], ['parent.tcp_connect_ago_ms', parent]]);
  }

  /** `io_uring_first`: the first io_uring operation seen of a process whose io_uring_setup was not seen. */
  private uringFacts(node: ProcessNode | null, withFacts: boolean): NetFacts | null {
    if (node === null) return null;
    const net = this.of(node);
    const first = !net.ioUringSetup && !net.ioUringOp;
    net.ioUringOp = true;
    return withFacts ? new Map([['io_uring_first', first]]) : null;
  }

  /** The messages a net_dns record completes: its UDP payload, or what a TCP stream's bytes so far hold. */
  private dnsMessages(host: string, f: DecodedFields): (DnsMessage | { error: string })[] {
    const payload = (f.payload as Uint8Array).subarray(0, Math.min(f.payload_size as number, (f.payload as Uint8Array).length));
    if ((f.protocol as number) !== IPPROTO_TCP) {
      const r = parseDnsMessage(payload);
      return [r.ok ? r.message : { error: r.error }];
    }
    // DNS over TCP (RFC 1035 4.2.2): a two-byte length, then the message; sends and receives split them anywhere.
    const key = `${host}/${String(f.sock_cookie)}/${String(f.direction)}`;
    const cut = (f.message_size as number) > payload.length;
    let buf = concat(this.streams.get(key), payload);
    this.streams.delete(key);
    const out: (DnsMessage | { error: string })[] = [];
    while (buf.length >= 2) {
      const length = (buf[0] << 8) | buf[1];
      if (buf.length < 2 + length) break;
      const r = parseDnsMessage(dnsTcpMessage(buf)!);
      out.push(r.ok ? r.message : { error: r.error });
      buf = buf.subarray(2 + length);
    }
    // A piece the capture cut makes the rest of the stream unreadable: start again at the next record.
    if (buf.length > 0 && !cut && buf.length <= STREAM_BYTES) {
      if (this.streams.size >= STREAMS) this.streams.delete(this.streams.keys().next().value!);
      this.streams.set(key, buf.slice());
    }
    return out;
  }
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const EINPROGRESS = 115;


function toJson(m: DnsMessage | { error: string }): DnsMessageJson {
  if ('error' in m) return { error: m.error };
  return {
    id: m.id, response: m.response, rcode: dnsRcodeName(m.rcode), truncated_by_sender: m.truncatedBySender,
    questions: m.questions.map((q) => ({ name: q.name, type: dnsTypeName(q.type) })),
    answers: m.answers.map((a) => ({
      name: a.name, type: dnsTypeName(a.type), ttl: a.ttl,
      data: a.data.kind === 'address' ? addressText(a.data.family === 4 ? AF_INET : AF_INET6, a.data.bytes) : a.data.kind === 'name' ? a.data.name : null,
    })),
    incomplete: m.incomplete,
  };
}

/**
 * Facts of a net_dns record: `dns.names` (every name asked), `dns.types`,
 * `dns.answers` (addresses and names answered), `dns.rcode`,
 * `dns.longest_label` (characters of the longest label asked: data smuggled
 * in names makes long labels), `dns.direction` (query or response).
 */
function dnsFacts(facts: NetFacts, messages: (DnsMessage | { error: string })[], f: DecodedFields): void {
  const names: string[] = [];
  const types: string[] = [];
  const answers: string[] = [];
  let rcode: string | null = null;
  let longest = 0;
  for (const m of messages) {
    if ('error' in m) continue;
    rcode = dnsRcodeName(m.rcode);
    for (const q of m.questions) {
      names.push(q.name.toLowerCase());
      types.push(dnsTypeName(q.type));
      for (const label of q.name.split(/(?<!\\)\./)) longest = Math.max(longest, label.length);
    }
    for (const a of m.answers) {
      if (a.data.kind === 'address') answers.push(addressText(a.data.family === 4 ? AF_INET : AF_INET6, a.data.bytes));
      else if (a.data.kind === 'name') answers.push(a.data.name.toLowerCase());
    }
  }
  facts.set('dns.direction', (f.direction as number) === DnsDirection.Query ? 'query' : 'response');
  facts.set('dns.names', names);
  facts.set('dns.types', types);
  facts.set('dns.answers', answers);
  facts.set('dns.rcode', rcode);
  facts.set('dns.longest_label', longest);
}

/** Keeps `key` as the most recent; true when the oldest was let go to keep NAMES_PER_PROCESS. */
function remember(map: Map<string, string>, key: string, value: string): boolean {
  map.delete(key);
  map.set(key, value);
  if (map.size <= NAMES_PER_PROCESS) return false;
  map.delete(map.keys().next().value!);
  return true;
}

/** Adds to a process's activity list; true when it changed (its rendered context is then stale). */
function note(list: string[], item: string): boolean {
  if (list.length >= ACTIVITY_PER_PROCESS || list.includes(item)) return false;
  list.push(item);
  return true;
}

function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function concat(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  if (a === undefined || a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A record's ts_ns as a double (see ProcessNet.lastTcpConnectNs). */
function tsNumber(b: Uint8Array, at: number): number {
  return recordTsNsHi(b, at) * 4294967296 + recordTsNsLo(b, at);
}
