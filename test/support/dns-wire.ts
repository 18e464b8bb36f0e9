/**
 * A small DNS message writer for tests: names are written whole or, with
 * `compress`, as a pointer to an earlier copy of their longest known suffix,
 * as real servers do. It writes only what the tests build; the parser under
 * test must read any byte string.
 */
export interface WireQuestion { name: string; type: number; class?: number }
export interface WireAnswer { name: string; type: number; ttl?: number; data: Uint8Array | { name: string } }
export interface WireMessage {
  id?: number;
  response?: boolean;
  rcode?: number;
  tc?: boolean;
  questions: WireQuestion[];
  answers?: WireAnswer[];
  compress?: boolean;
}

/** Labels of a plain dotted name ('.' is the root); the tests only build names without escapes. */
function labelsOf(name: string): string[] {
  return name === '.' ? [] : name.split('.');
}

export function writeDnsMessage(m: WireMessage): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push((v >> 8) & 0xff, v & 0xff);
  const known = new Map<string, number>();
  const writeName = (name: string) => {
    const labels = labelsOf(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = known.get(suffix);
      if (m.compress && at !== undefined) {
        u16(0xc000 | at);
        return;
      }
      if (out.length < 0x3fff) known.set(suffix, out.length);
      const bytes = Buffer.from(labels[i], 'latin1');
      out.push(bytes.length, ...bytes);
    }
    out.push(0);
  };
  u16(m.id ?? 0x1234);
  u16((m.response ? 0x8000 : 0) | (m.tc ? 0x0200 : 0) | 0x0100 | (m.rcode ?? 0));
  u16(m.questions.length);
  u16(m.answers?.length ?? 0);
  u16(0);
  u16(0);
  for (const q of m.questions) {
    writeName(q.name);
    u16(q.type);
    u16(q.class ?? 1);
  }
  for (const a of m.answers ?? []) {
    writeName(a.name);
    u16(a.type);
    u16(1);
    const ttl = a.ttl ?? 300;
    out.push((ttl >>> 24) & 0xff, (ttl >>> 16) & 0xff, (ttl >>> 8) & 0xff, ttl & 0xff);
    const lengthAt = out.length;
    u16(0);
    if (a.data instanceof Uint8Array) out.push(...a.data);
    else writeName(a.data.name);
    const length = out.length - lengthAt - 2;
    out[lengthAt] = length >> 8;
    out[lengthAt + 1] = length & 0xff;
  }
  return Uint8Array.from(out);
}
