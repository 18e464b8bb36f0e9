/**
 * DNS wire format (RFC 1035) -> names, types and answers, for the query and
 * response bytes a capture carries. Everything here is hostile input: the
 * bytes are a bounded prefix of a packet that any process on the traced host
 * could have written. So every loop is bounded, a compression pointer must
 * point strictly backwards (no loops, each name ends in at most
 * MAX_NAME_STEPS steps), counts are believed only as far as the bytes go, and
 * a record cut by the prefix is left out and reported, never guessed at.
 */

/** At most this many questions and resource records are decoded per message. */
export const DNS_MAX_RECORDS = 64;
/** Labels and pointers followed for one name: 127 one-byte labels fill the 255-byte maximum. */
const MAX_NAME_STEPS = 128;
/** RFC 1035 2.3.4: a name is at most 255 bytes on the wire. */
const MAX_NAME_WIRE = 255;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV',
  35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS',
  99: 'SPF', 251: 'IXFR', 252: 'AXFR', 255: 'ANY', 257: 'CAA',
};

/** `A` for 1, `TYPE1234` (RFC 3597 form) for types without a name. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export function dnsRcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export interface DnsQuestion {
  /** Presentation form: labels joined by dots, `\.`, `\\` and `\DDD` escapes for other bytes; `.` is the root. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** What a resource record's data says, for the types replay uses; other types keep only their length. */
export type DnsRecordData =
  | { readonly kind: 'address'; readonly family: 4 | 6; readonly bytes: Uint8Array }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'other'; readonly length: number };

export interface DnsRecord extends DnsQuestion {
  readonly ttl: number;
  readonly data: DnsRecordData;
}

export interface DnsMessage {
  readonly id: number;
  /** QR: false for a query, true for a response. */
  readonly response: boolean;
  readonly opcode: number;
  readonly rcode: number;
  /** The TC bit: the sender cut the message (the client retries over TCP). */
  readonly truncatedBySender: boolean;
  readonly questions: readonly DnsQuestion[];
  /** Answer section only: authority and additional sections are not decoded. */
  readonly answers: readonly DnsRecord[];
  /** Counts the header claims; more than were decoded when the bytes ran out or past DNS_MAX_RECORDS. */
  readonly claimed: { readonly questions: number; readonly answers: number };
  /** Why decoding stopped early, or null when every claimed question and answer was decoded. */
  readonly incomplete: string | null;
}

export type DnsParse = { readonly ok: true; readonly message: DnsMessage } | { readonly ok: false; readonly error: string };

class Malformed extends Error {}

/**
 * Decodes a DNS message. `bytes` is the message itself (for DNS over TCP, strip
 * the two-byte length first: see dnsTcpMessage). Only a header that does not
 * fit is an error; anything after it that is cut or malformed ends decoding
 * with `incomplete` saying why, keeping what was decoded before it.
 */
export function parseDnsMessage(bytes: Uint8Array): DnsParse {
  if (bytes.length < 12) return { ok: false, error: `dns: ${bytes.length} bytes, shorter than the 12-byte header` };
  const u16 = (at: number) => (bytes[at] << 8) | bytes[at + 1];
  const flags = u16(2);
  const qdcount = u16(4);
  const ancount = u16(6);
  const questions: DnsQuestion[] = [];
  const answers: DnsRecord[] = [];
  let incomplete: string | null = null;
  let at = 12;
  try {
    for (let i = 0; i < qdcount; i++) {
      if (questions.length >= DNS_MAX_RECORDS) throw new Malformed(`more than ${DNS_MAX_RECORDS} questions`);
      const { name, end } = readName(bytes, at);
      need(bytes, end, 4, 'question');
      questions.push({ name, type: u16(end), class: u16(end + 2) });
      at = end + 4;
    }
    for (let i = 0; i < ancount; i++) {
      if (answers.length >= DNS_MAX_RECORDS) throw new Malformed(`more than ${DNS_MAX_RECORDS} answers`);
      const { name, end } = readName(bytes, at);
      need(bytes, end, 10, 'answer');
      const type = u16(end);
      const klass = u16(end + 2);
      const ttl = ((bytes[end + 4] << 24) | (bytes[end + 5] << 16) | (bytes[end + 6] << 8) | bytes[end + 7]) >>> 0;
      const rdlength = u16(end + 8);
      const rdata = end + 10;
      need(bytes, rdata, rdlength, 'answer data');
      answers.push({ name, type, class: klass, ttl, data: readData(bytes, type, rdata, rdlength) });
      at = rdata + rdlength;
    }
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    incomplete = e.message;
  }
  return {
    ok: true,
    message: {
      id: u16(0), response: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, rcode: flags & 0xf,
      truncatedBySender: (flags & 0x0200) !== 0, questions, answers, claimed: { questions: qdcount, answers: ancount }, incomplete,
    },
  };
}

/** The message inside a DNS-over-TCP prefix (RFC 1035 4.2.2: a two-byte length, then the message). */
export function dnsTcpMessage(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 2) return null;
  const length = (bytes[0] << 8) | bytes[1];
  return bytes.subarray(2, Math.min(bytes.length, 2 + length));
}

function need(bytes: Uint8Array, at: number, n: number, what: string): void {
  if (at + n > bytes.length) throw new Malformed(`${what} cut at byte ${bytes.length}`);
}

function readData(bytes: Uint8Array, type: number, at: number, length: number): DnsRecordData {
  if (type === 1 && length === 4) return { kind: 'address', family: 4, bytes: bytes.slice(at, at + 4) };
  if (type === 28 && length === 16) return { kind: 'address', family: 6, bytes: bytes.slice(at, at + 16) };
  if (type === 5 || type === 2 || type === 12 || type === 39) {
    const { name, end } = readName(bytes, at);
    // A name that runs past its rdata (through a pointer it may legitimately end elsewhere) is malformed.
    if (end > at + length) throw new Malformed(`${dnsTypeName(type)} name overruns its data`);
    return { kind: 'name', name };
  }
  return { kind: 'other', length };
}

/**
 * Reads the name at `start`; `end` is where the record continues (after the
 * first pointer, or after the root label). Pointers must go strictly
 * backwards from the label they are found in, so following them terminates.
 */
function readName(bytes: Uint8Array, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = start;
  let end = -1;
  let wire = 0;
  let lowest = start;
  for (let step = 0; step < MAX_NAME_STEPS; step++) {
    need(bytes, at, 1, 'name');
    const len = bytes[at];
    if (len === 0) {
      if (end < 0) end = at + 1;
      return { name: labels.length === 0 ? '.' : labels.join('.'), end };
    }
    const tag = len & 0xc0;
    if (tag === 0xc0) {
      need(bytes, at, 2, 'name pointer');
      const target = ((len & 0x3f) << 8) | bytes[at + 1];
      if (target >= lowest) throw new Malformed(`name pointer at byte ${at} to ${target} does not point backwards`);
      if (end < 0) end = at + 2;
      lowest = target;
      at = target;
      continue;
    }
    if (tag !== 0) throw new Malformed(`label type 0x${tag.toString(16)} at byte ${at} is not supported`);
    need(bytes, at + 1, len, 'label');
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE) throw new Malformed(`name longer than ${MAX_NAME_WIRE} bytes`);
    labels.push(labelText(bytes, at + 1, len));
    at += len + 1;
  }
  throw new Malformed(`name with more than ${MAX_NAME_STEPS} labels and pointers`);
}

/** A label in presentation form (RFC 4343 escapes): letters, digits, `-` and `_` as they are, the rest escaped. */
function labelText(bytes: Uint8Array, at: number, len: number): string {
  let out = '';
  for (let i = at; i < at + len; i++) {
    const c = bytes[i];
    if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\${c.toString().padStart(3, '0')}`;
  }
  return out;
}

/**
 * The addresses a response gives for each name asked, following CNAME (and
 * DNAME-free) chains inside the answer section: `www.example.com` CNAME
 * `cdn.example.net`, `cdn.example.net` A 192.0.2.1 maps 192.0.2.1 to the name
 * asked, `www.example.com`. Chains are followed at most DNS_MAX_RECORDS steps.
 */
export function resolvedAddresses(m: DnsMessage): { name: string; family: 4 | 6; bytes: Uint8Array; ttl: number }[] {
  const out: { name: string; family: 4 | 6; bytes: Uint8Array; ttl: number }[] = [];
  for (const q of m.questions) {
    const names = new Set([q.name.toLowerCase()]);
    // Grow the alias set until no CNAME adds a name (bounded: each pass adds one or stops).
    for (let pass = 0; pass < DNS_MAX_RECORDS; pass++) {
      let grew = false;
      for (const a of m.answers) {
        if (a.data.kind === 'name' && a.type === 5 && names.has(a.name.toLowerCase()) && !names.has(a.data.name.toLowerCase())) {
          names.add(a.data.name.toLowerCase());
          grew = true;
        }
      }
      if (!grew) break;
    }
    for (const a of m.answers) {
      if (a.data.kind === 'address' && names.has(a.name.toLowerCase())) out.push({ name: q.name, family: a.data.family, bytes: a.data.bytes, ttl: a.ttl });
    }
  }
  return out;
}
