/**
 * IP networks as rules and filters name them (`10.0.0.0/8`, `2001:db8::/32`,
 * an address alone for one host), parsed one way for every place that takes
 * them: --addr, --alert-cidr, TOML rules (`cidr`, `[detections] cidrs`) and
 * Sigma's `|cidr`. Strict: a slash with no length (`10.0.0.0/`) or a second
 * slash is refused, where reading the length as a number made the first /0
 * (every address) and dropped what followed the second.
 */
import { BlockList, isIP } from 'node:net';

/** A block of the networks named by `texts`; throws an Error saying which text is not a network. */
export function networkBlock(texts: readonly unknown[]): BlockList {
  const block = new BlockList();
  for (const text of texts) {
    if (typeof text !== 'string') throw new Error(`not an IP network: ${JSON.stringify(text) ?? String(text)}`);
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
    const family = m === null ? 0 : isIP(m[1]);
    if (m === null || family === 0) throw new Error(`not an IP network: ${JSON.stringify(text)}`);
    const max = family === 4 ? 32 : 128;
    const prefix = m[2] === undefined ? max : Number(m[2]);
    if (prefix > max) throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
    block.addSubnet(m[1], prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return block;
}

/** True when `addr` (an address's text) is in `block`; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) also as its IPv4 address. */
export function inNetworks(block: BlockList, addr: string): boolean {
  const family = isIP(addr);
  if (family === 0) return false;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr) : null;
  if (mapped !== null && block.check(mapped[1], 'ipv4')) return true;
  return block.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}
