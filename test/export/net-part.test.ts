/**
 * netPart (ocsf-parts.ts) keeps the text of the last hostname and addresses
 * it decoded: the text of each key must still be that key's own, whatever
 * came before it (the same bytes in another family, unreadable, a longer or
 * shorter address, another hostname).
 */
import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6 } from '../../src/abi/constants.js';
import { NET_HEADER, netPart } from '../../src/export/ocsf-parts.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An endpoint key as PartitionBuilder.addAddresses interns it (its layout: ocsf-parts.ts NET_HEADER). */
function key(o: { unreadable?: boolean; family: number; remote: number[]; remotePort: number; local?: number[]; localPort?: number; hostname?: string; direction?: number }): Uint8Array {
  const host = o.hostname === undefined ? new Uint8Array(0) : new TextEncoder().encode(o.hostname);
  const local = o.local ?? [];
  const b = new Uint8Array(NET_HEADER + o.remote.length + local.length + host.length);
  b[0] = o.unreadable === true ? 1 : 0;
  new DataView(b.buffer).setUint32(1, o.family, true);
  b[5] = o.remotePort & 0xff;
  b[6] = o.remotePort >> 8;
  b[7] = 6;
  b[11] = o.direction ?? 2;
  b[12] = 1 | (o.local !== undefined ? 2 : 0) | (o.hostname !== undefined ? 4 : 0);
  b[13] = (o.localPort ?? 0) & 0xff;
  b[14] = (o.localPort ?? 0) >> 8;
  b[15] = o.remote.length;
  b[16] = local.length;
  b[17] = host.length;
  b.set(o.remote, NET_HEADER);
  b.set(local, NET_HEADER + o.remote.length);
  b.set(host, NET_HEADER + o.remote.length + local.length);
  return b;
}

const v6bytes = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

describe('netPart', () => {
  it('draws each key from its own bytes, after keys that share some of them', () => {
    const draw = (b: Uint8Array) => netPart(b) as Doc;
    const a = draw(key({ family: AF_INET, remote: [198, 51, 100, 7], remotePort: 443, local: [10, 0, 0, 5], localPort: 40000, hostname: 'web-1' }));
    expect(a.dst_endpoint).toEqual({ hostname: null, ip: '198.51.100.7', port: 443 });
    expect(a.src_endpoint).toEqual({ hostname: 'web-1', ip: '10.0.0.5', port: 40000 });
    // The same address bytes, another port: the same texts.
    const b = draw(key({ family: AF_INET, remote: [198, 51, 100, 7], remotePort: 444, local: [10, 0, 0, 5], localPort: 40001, hostname: 'web-1' }));
    expect(b.dst_endpoint.ip).toBe('198.51.100.7');
    expect(b.src_endpoint.hostname).toBe('web-1');
    // The same four bytes in a family that is not IP (a hostile record): no address, not the last one's text.
    const c = draw(key({ family: AF_INET + 256, remote: [198, 51, 100, 7], remotePort: 443, local: [10, 0, 0, 5], localPort: 40000, hostname: 'web-1' }));
    expect(c.dst_endpoint).toBeNull();
    expect(c.src_endpoint.ip).toBeNull();
    // Unreadable: no address either, then readable again.
    expect(draw(key({ unreadable: true, family: AF_INET, remote: [198, 51, 100, 7], remotePort: 443 })).dst_endpoint).toBeNull();
    expect(draw(key({ family: AF_INET, remote: [198, 51, 100, 7], remotePort: 443 })).dst_endpoint.ip).toBe('198.51.100.7');
    // Another address, another length, another hostname (one byte more, then one byte less).
    const d = draw(key({ family: AF_INET6, remote: v6bytes, remotePort: 53, local: v6bytes, localPort: 5353, hostname: 'web-12' }));
    expect(d.dst_endpoint.ip).toBe('2001:db8::1');
    expect(d.src_endpoint).toEqual({ hostname: 'web-12', ip: '2001:db8::1', port: 5353 });
    expect(draw(key({ family: AF_INET, remote: [198, 51, 100, 8], remotePort: 1, hostname: 'web-' })).dst_endpoint.ip).toBe('198.51.100.8');
    expect(draw(key({ family: AF_INET, remote: [198, 51, 100, 8], remotePort: 1, local: [10, 0, 0, 6], localPort: 2, hostname: 'web-' })).src_endpoint.hostname).toBe('web-');
    // An accept (direction 1): the peer is the source.
    const e = draw(key({ family: AF_INET, remote: [198, 51, 100, 8], remotePort: 51000, local: [10, 0, 0, 6], localPort: 8080, direction: 1 }));
    expect(e.src_endpoint.ip).toBe('198.51.100.8');
    expect(e.dst_endpoint).toEqual({ hostname: null, ip: '10.0.0.6', port: 8080 });
  });
});
