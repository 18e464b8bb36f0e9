/**
 * A DNS record's message as OCSF DNS Activity (and ECS `dns`) describe it:
 * the first question, the response code and the answers, decoded from the
 * bytes the record carries (src/abi/dns.ts: bounded, safe on hostile
 * packets). Both exports use it: the OCSF and ECS NDJSON writers per event,
 * the Parquet staging as columns of their own.
 */
import { AF_INET, AF_INET6 } from '../abi/constants.js';
import { dnsRcodeName, dnsTcpMessage, dnsTypeName, parseDnsMessage } from '../abi/dns.js';
import { type KindLayout } from '../abi/schema.js';
import { addressText } from '../abi/values.js';
import { storableText } from './text-bytes.js';

const IPPROTO_TCP = 6;

export interface DnsExportAnswer {
  readonly rdata: string;
  readonly type: string;
  readonly class: string;
  readonly ttl: number;
  readonly packet_uid: number;
}

export interface DnsExport {
  /** The message id (OCSF packet_uid). */
  readonly id: number;
  readonly response: boolean;
  /** The first question (OCSF has one query per event), or null when the message asks none that decoded. */
  readonly query: { readonly hostname: string; readonly type: string; readonly class: string; readonly packet_uid: number } | null;
  /** Responses: OCSF rcode_id and its caption. */
  readonly rcodeId: number | null;
  readonly rcode: string | null;
  /** Responses: the response code's RFC 1035 mnemonic (NOERROR, NXDOMAIN), as ECS dns.response_code has it. */
  readonly responseCode: string | null;
  /** Responses: the answer section as decoded (a record cut by the prefix is left out). */
  readonly answers: readonly DnsExportAnswer[] | null;
}

/** OCSF dns_activity rcode_id captions, 0..11 and 16..23 as RFC 6895 numbers them. */
const RCODES: Readonly<Record<number, string>> = {
  0: 'NoError', 1: 'FormError', 2: 'ServError', 3: 'NXDomain', 4: 'NotImp', 5: 'Refused', 6: 'YXDomain', 7: 'YXRRSet', 8: 'NXRRSet',
  9: 'NotAuth', 10: 'NotZone', 11: 'DSOTYPENI', 16: 'BADVERS', 17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME', 21: 'BADALG',
  22: 'BADTRUNC', 23: 'BADCOOKIE',
};

const CLASSES: Readonly<Record<number, string>> = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };
const className = (c: number) => CLASSES[c] ?? `CLASS${c}`;

/** OCSF rcode_id of an RFC 6895 response code (the 4 header bits): unassigned codes are 24. */
export function ocsfRcodeId(rcode: number): number {
  return RCODES[rcode] !== undefined ? rcode : 24;
}

export function ocsfRcodeName(id: number): string {
  return RCODES[id] ?? 'Unassigned';
}

/** Decodes a message (`tcp`: a piece of the stream that starts with a two-byte length); null when no header decodes. */
export function dnsExportOf(payload: Uint8Array, tcp: boolean): DnsExport | null {
  const bytes = tcp ? dnsTcpMessage(payload) : payload;
  if (bytes === null) return null;
  const parsed = parseDnsMessage(bytes);
  if (!parsed.ok) return null;
  const m = parsed.message;
  const q = m.questions[0];
  const answers = m.response
    ? m.answers.map((a) => ({
      rdata: storableText(a.data.kind === 'address' ? addressText(a.data.family === 4 ? AF_INET : AF_INET6, a.data.bytes)
        : a.data.kind === 'name' ? a.data.name : `\\# ${a.data.length}`),
      type: dnsTypeName(a.type), class: className(a.class), ttl: a.ttl, packet_uid: m.id,
    }))
    : null;
  return {
    id: m.id, response: m.response,
    query: q === undefined ? null : { hostname: storableText(q.name), type: dnsTypeName(q.type), class: className(q.class), packet_uid: m.id },
    rcodeId: m.response ? ocsfRcodeId(m.rcode) : null,
    rcode: m.response ? ocsfRcodeName(ocsfRcodeId(m.rcode)) : null,
    responseCode: m.response ? dnsRcodeName(m.rcode) : null,
    answers,
  };
}

/** Reads a record's message by its kind's `ocsf.dns` fields and decodes it; null for kinds without one. */
export function dnsExportOfRecord(kind: KindLayout, raw: Uint8Array, at: number): DnsExport | null {
  const spec = kind.ocsf?.dns;
  if (spec === undefined) return null;
  const f = (name: string) => kind.layout.fields.find((x) => x.name === name)!;
  const payload = f(spec.payload);
  const size = f(spec.payloadSize);
  const protocol = f(spec.protocol);
  const num = (x: typeof size) => (x.size === 2 ? raw[at + x.offset] | (raw[at + x.offset + 1] << 8)
    : (raw[at + x.offset] | (raw[at + x.offset + 1] << 8) | (raw[at + x.offset + 2] << 16) | (raw[at + x.offset + 3] << 24)) >>> 0);
  const used = Math.min(payload.size, num(size));
  return dnsExportOf(raw.subarray(at + payload.offset, at + payload.offset + used), num(protocol) === IPPROTO_TCP);
}
