import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DNS_MAX_RECORDS, type DnsMessage, dnsTcpMessage, parseDnsMessage, resolvedAddresses } from '../../src/abi/dns.js';
import { writeDnsMessage, type WireAnswer, type WireMessage } from '../support/dns-wire.js';

const parsed = (bytes: Uint8Array): DnsMessage => {
  const r = parseDnsMessage(bytes);
  if (!r.ok) throw new Error(r.error);
  return r.message;
};
const v4 = (...b: number[]) => Uint8Array.from(b);

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,14}$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
const answer: fc.Arbitrary<WireAnswer> = fc.oneof(
  fc.record({ name: hostname, type: fc.constant(1), ttl: fc.nat(), data: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
  fc.record({ name: hostname, type: fc.constant(28), ttl: fc.nat(), data: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({ name: hostname, type: fc.constant(5), ttl: fc.nat(), data: hostname.map((name) => ({ name })) }),
);
const message: fc.Arbitrary<WireMessage> = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  response: fc.boolean(),
  questions: fc.array(fc.record({ name: hostname, type: fc.constantFrom(1, 28, 16, 65) }), { minLength: 0, maxLength: 3 }),
  answers: fc.array(answer, { maxLength: 6 }),
  compress: fc.boolean(),
});

describe('DNS wire format', () => {
  it('reads a query glibc sends for an A record', () => {
    const m = parsed(writeDnsMessage({ id: 0xbeef, questions: [{ name: 'example.com', type: 1 }] }));
    expect(m).toMatchObject({ id: 0xbeef, response: false, rcode: 0, incomplete: null, questions: [{ name: 'example.com', type: 1, class: 1 }], answers: [] });
  });

  it('follows compression pointers and CNAME chains back to the name asked', () => {
    const bytes = writeDnsMessage({
      response: true, compress: true,
      questions: [{ name: 'www.example.com', type: 1 }],
      answers: [
        { name: 'www.example.com', type: 5, data: { name: 'cdn.example.net' } },
        { name: 'cdn.example.net', type: 1, ttl: 60, data: v4(192, 0, 2, 7) },
      ],
    });
    // The second answer's name is a bare pointer into the CNAME's data: compression really happened.
    expect(bytes.length).toBeLessThan(writeDnsMessage({ response: true, questions: [{ name: 'www.example.com', type: 1 }], answers: [
      { name: 'www.example.com', type: 5, data: { name: 'cdn.example.net' } }, { name: 'cdn.example.net', type: 1, data: v4(192, 0, 2, 7) }] }).length);
    const m = parsed(bytes);
    expect(m.answers.map((a) => [a.name, a.type])).toEqual([['www.example.com', 5], ['cdn.example.net', 1]]);
    expect(resolvedAddresses(m)).toEqual([{ name: 'www.example.com', family: 4, bytes: v4(192, 0, 2, 7), ttl: 60 }]);
  });

  it('does not map an answer for an unrelated name to the name asked', () => {
    const m = parsed(writeDnsMessage({ response: true, questions: [{ name: 'a.example', type: 1 }], answers: [{ name: 'b.example', type: 1, data: v4(10, 0, 0, 1) }] }));
    expect(resolvedAddresses(m)).toEqual([]);
  });

  it('escapes bytes that are not printable in a label, and the dot and backslash', () => {
    const bytes = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61, 0x2e, 0x5c, 0x1b, 0xff, 0, 0, 1, 0, 1]);
    expect(parsed(bytes).questions[0].name).toBe('a\\.\\\\\\027\\255');
  });

  it('stops at a compression loop instead of following it', () => {
    // question name = pointer to itself (offset 12), then a pointer cycle 12 -> 14 -> 12
    const self = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parsed(self)).toMatchObject({ questions: [], incomplete: expect.stringMatching(/does not point backwards/) });
    const forward = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
    expect(parsed(forward).incomplete).toMatch(/does not point backwards/);
  });

  it('stops at a chain of backward pointers longer than any name can be', () => {
    // Answer 1 (name "a" at 12) carries TXT data made of 200 pointers, each to the one before it;
    // answer 2's name points at the last: strictly backwards all the way, but 201 steps.
    const chain: number[] = [];
    const rdata = 12 + 3 + 10;
    for (let i = 0; i < 200; i++) {
      const target = i === 0 ? 12 : rdata + (i - 1) * 2;
      chain.push(0xc0 | (target >> 8), target & 0xff);
    }
    const last = rdata + 199 * 2;
    const bytes = Uint8Array.from([
      0, 1, 0x81, 0, 0, 0, 0, 2, 0, 0, 0, 0,
      1, 0x61, 0, 0, 16, 0, 1, 0, 0, 0, 0, chain.length >> 8, chain.length & 0xff, ...chain,
      0xc0 | (last >> 8), last & 0xff, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 1,
    ]);
    const m = parsed(bytes);
    expect(m.answers.map((a) => a.name)).toEqual(['a']);
    expect(m.incomplete).toMatch(/more than 128 labels and pointers/);
  });

  it('believes absurd counts only as far as the bytes go', () => {
    const bytes = writeDnsMessage({ questions: [{ name: 'x.example', type: 1 }] });
    bytes[4] = 0xff; bytes[5] = 0xff; bytes[6] = 0xff; bytes[7] = 0xff;
    const m = parsed(bytes);
    expect(m.questions).toHaveLength(1);
    expect(m.claimed).toEqual({ questions: 65535, answers: 65535 });
    expect(m.incomplete).toMatch(/cut/);
  });

  it('decodes at most DNS_MAX_RECORDS answers however many a message holds', () => {
    const answers = Array.from({ length: DNS_MAX_RECORDS + 10 }, (_, i) => ({ name: 'a.example', type: 1, data: v4(10, 0, 0, i) }));
    const m = parsed(writeDnsMessage({ response: true, compress: true, questions: [{ name: 'a.example', type: 1 }], answers }));
    expect(m.answers).toHaveLength(DNS_MAX_RECORDS);
    expect(m.incomplete).toMatch(/more than 64 answers/);
  });

  it('rejects only a header that does not fit', () => {
    expect(parseDnsMessage(new Uint8Array(11))).toEqual({ ok: false, error: 'dns: 11 bytes, shorter than the 12-byte header' });
    expect(parseDnsMessage(new Uint8Array(12)).ok).toBe(true);
  });

  it('strips the DNS-over-TCP length and keeps no more than it says', () => {
    const msg = writeDnsMessage({ questions: [{ name: 'tcp.example', type: 28 }] });
    const framed = Uint8Array.from([msg.length >> 8, msg.length & 0xff, ...msg, 9, 9, 9]);
    expect(dnsTcpMessage(framed)).toEqual(msg);
    expect(dnsTcpMessage(Uint8Array.of(0))).toBeNull();
  });

  it('round-trips any message the writer builds, compressed or not', () => {
    fc.assert(fc.property(message, (w) => {
      const m = parsed(writeDnsMessage(w));
      expect(m.incomplete).toBeNull();
      expect(m.id).toBe(w.id);
      expect(m.response).toBe(w.response);
      expect(m.questions.map((q) => [q.name, q.type])).toEqual(w.questions.map((q) => [q.name, q.type]));
      expect(m.answers.map((a) => [a.name, a.type, a.ttl])).toEqual((w.answers ?? []).map((a) => [a.name, a.type, a.ttl]));
      for (const [i, a] of (w.answers ?? []).entries()) {
        const d = m.answers[i].data;
        if (a.data instanceof Uint8Array) expect(d).toEqual({ kind: 'address', family: a.data.length === 4 ? 4 : 6, bytes: a.data });
        else expect(d).toEqual({ kind: 'name', name: a.data.name });
      }
    }));
  });

  it('reads every prefix of a message without throwing, keeping only whole records', () => {
    fc.assert(fc.property(message, fc.nat(), (w, cut) => {
      const full = writeDnsMessage(w);
      const whole = parsed(full);
      const r = parseDnsMessage(full.subarray(0, cut % (full.length + 1)));
      if (!r.ok) return;
      expect(whole.questions.slice(0, r.message.questions.length)).toEqual(r.message.questions);
      expect(whole.answers.slice(0, r.message.answers.length)).toEqual(r.message.answers);
    }));
  });

  it('reads any bytes without throwing, within the record bound', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = parseDnsMessage(bytes);
      if (r.ok) {
        expect(r.message.questions.length).toBeLessThanOrEqual(DNS_MAX_RECORDS);
        expect(r.message.answers.length).toBeLessThanOrEqual(DNS_MAX_RECORDS);
        resolvedAddresses(r.message);
      }
    }), { numRuns: 2000 });
  });

  it('reads hostile mutations of valid messages without throwing', () => {
    fc.assert(fc.property(message, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (w, edits) => {
      const bytes = writeDnsMessage(w);
      for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
      const r = parseDnsMessage(bytes);
      if (r.ok) resolvedAddresses(r.message);
    }), { numRuns: 2000 });
  });
});
