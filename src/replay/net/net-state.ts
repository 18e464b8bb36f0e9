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
import { AF_INET, AF_INET6 } from '../../abi/constants.js';
import { type DnsMessage, dnsRcodeName, dnsTcpMessage, dnsTypeName, parseDnsMessage, resolvedAddresses } from '../../abi/dns.js';
import { recordFlags, recordTsNs } from '../../abi/header-access.js';
import { DnsDirection, TcpOutcome } from '../../abi/net-kinds.js';
import { BUILD_SCHEMA, EVENT_FLAG_IO_URING, type NetRole, type Schema } from '../../abi/schema.js';
import { addressText } from '../../abi/values.js';
import { type ProcessNode } from '../process-table.js';
import { SHELLS } from '../rules/network.js';

/** Names remembered per process (most recent kept), and listeners and connections listed per process in `tree`. */
const NAMES_PER_PROCESS = 256;
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
  /** Its latest TCP connect out, until a shell start (its own or a child's) was attributed to it. */
  lastTcpConnectNs: bigint | null;
  ioUringSetup: boolean;
  ioUringOp: boolean;
  readonly listeners: string[];
  readonly connections: string[];
}

/** Facts a network event adds for rules (see facts()). */
export type NetFacts = Map<string, string | number | boolean | string[] | null>;

export class NetState {
  private readonly byNode = new WeakMap<ProcessNode, ProcessNet>();
  private readonly streams = new Map<string, Uint8Array>();
  /** Each kind's network role (the registry's `net`), by kind id. */
  private readonly roles: (NetRole | undefined)[] = [];

  constructor(private readonly schema: Schema = BUILD_SCHEMA) {
    for (const k of schema.kinds) this.roles[k.id] = k.net;
  }

  /**
   * Learns from an accepted record and returns what its output gains, plus
   * facts for rules (only when `withFacts`). Cheap for the kinds it does not
   * read: a lookup on the kind id.
   */
  observe(host: string, kindId: number, bytes: Uint8Array, at: number, node: ProcessNode | null, withFacts: boolean): { enrichment: NetEnrichment | null; facts: NetFacts | null } {
    const role = this.roles[kindId];
    if (role === undefined) {
      if (this.schema.byId[kindId]?.process.role === 'exec' && node !== null) return { enrichment: null, facts: this.execFacts(node, recordTsNs(bytes, at), withFacts) };
      if ((recordFlags(bytes, at) & EVENT_FLAG_IO_URING) !== 0) return { enrichment: null, facts: this.uringFacts(node, withFacts) };
      return { enrichment: null, facts: null };
    }
    const f = decodeRecord(bytes, at, kindId, this.schema).fields;
    const net = node === null ? null : this.of(node);
    const facts: NetFacts | null = withFacts ? new Map() : null;
    let enrichment: NetEnrichment | null = null;
    const ioUring = ((f.flags as number) & EVENT_FLAG_IO_URING) !== 0;
    if (ioUring && facts !== null) for (const [k, v] of this.uringFacts(node, true)!) facts.set(k, v);
    else if (ioUring) this.uringFacts(node, false);
    switch (role) {
      case 'dns': {
        const messages = this.dnsMessages(host, f);
        enrichment = { dns: messages.map(toJson) };
        if (net !== null && (f.direction as number) === DnsDirection.Response) {
          for (const m of messages) if (m !== null && !('error' in m)) for (const r of resolvedAddresses(m)) remember(net.resolved, addressText(r.family === 4 ? AF_INET : AF_INET6, r.bytes), r.name);
        }
        if (facts !== null) dnsFacts(facts, messages, f);
        break;
      }
      case 'connect':
      case 'udp_send': {
        const addr = addressText(f.family as number, f.addr as Uint8Array);
        enrichment = this.hostname(net, addr);
        // connect(2) on a UDP socket sends nothing (glibc does it to sort a name's addresses): not traffic.
        if (facts !== null && role === 'connect') facts.set('udp_connect', (f.protocol as number) === IPPROTO_UDP);
        if (role === 'connect' && net !== null && (f.protocol as number) === IPPROTO_TCP && ((f.result as number) === 0 || (f.result as number) === -EINPROGRESS)) {
          net.lastTcpConnectNs = f.ts_ns as bigint;
          if (note(net.connections, `${hostPort(addr, f.port as number)}${enrichment?.dst_hostname ? ` (${enrichment.dst_hostname})` : ''}`)) node!.version++;
        }
        break;
      }
      case 'tcp_state': {
        const outcome = f.outcome as number;
        if (outcome === TcpOutcome.OutEstablished || outcome === TcpOutcome.OutFailed || outcome === TcpOutcome.Closed) {
          enrichment = this.hostname(net, addressText(f.family as number, f.peer_addr as Uint8Array));
        }
        // io_uring and Fast Open connects make no connect syscall record with EINPROGRESS or 0 first: count them here.
        if (outcome === TcpOutcome.OutEstablished && net !== null && (f.owner as number) !== 0) net.lastTcpConnectNs = f.ts_ns as bigint;
        break;
      }
      case 'listen':
        if (net !== null && (f.result as number) === 0 && note(net.listeners, `${hostPort(addressText(f.family as number, f.addr as Uint8Array), f.port as number)}/${f.protocol === IPPROTO_TCP ? 'tcp' : String(f.protocol)}`)) node!.version++;
        break;
      case 'bind':
        if (net !== null && (f.result as number) === 0 && (f.protocol as number) === IPPROTO_UDP && note(net.listeners, `${hostPort(addressText(f.family as number, f.addr as Uint8Array), f.port as number)}/udp`)) node!.version++;
        break;
      case 'io_uring':
        if (net !== null) net.ioUringSetup = true;
        break;
    }
    return { enrichment, facts };
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
      net = { resolved: new Map(), lastTcpConnectNs: null, ioUringSetup: false, ioUringOp: false, listeners: [], connections: [] };
      this.byNode.set(node, net);
    }
    return net;
  }

  private hostname(net: ProcessNet | null, addr: string): NetEnrichment | null {
    const name = net?.resolved.get(addr);
    return name === undefined ? null : { dst_hostname: name };
  }

  /**
   * For an exec: how long before it this process, or else its parent,
   * opened a TCP connection out. A connection explains one shell: the first
   * shell started after it claims it, so the commands that shell runs (more
   * shells among them) are not each taken for a reverse shell of their own.
   */
  private execFacts(node: ProcessNode, ts: bigint, withFacts: boolean): NetFacts | null {
    const shell = node.exe !== null && SHELLS.some((s) => node.exe!.endsWith(s));
    const claim = (n: ProcessNode | null): number | null => {
      const net = n === null ? undefined : this.byNode.get(n);
      const t = net?.lastTcpConnectNs ?? null;
      if (t === null || t > ts) return null;
      if (shell) net!.lastTcpConnectNs = null;
      return Number((ts - t) / 1_000_000n);
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

function remember(map: Map<string, string>, key: string, value: string): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > NAMES_PER_PROCESS) map.delete(map.keys().next().value!);
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
