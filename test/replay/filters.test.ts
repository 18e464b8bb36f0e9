/**
 * Filters decide on record bytes without decoding (comm compared as bytes,
 * times as u32 halves): the same decisions as the plain reading of each
 * option, for random records and bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordComm, recordTsNs } from '../../src/abi/header-access.js';
import { compileFilter } from '../../src/replay/filters.js';
import { type ProcessNode } from '../../src/replay/process-table.js';
import { openRecord } from '../support/records.js';

const COMMS = [Buffer.from('bash'), Buffer.from('mixed-loop'), Buffer.from('bas'), Buffer.from('bash2'), Buffer.from('café', 'utf8'), Buffer.from([0x63, 0x61, 0x66, 0xff]), Buffer.from('')];
const NAMES = ['bash', 'mixed-loop', 'café', 'caf\ufffd', 'bas'];
const NODE = { pid: 1, parent: null } as unknown as ProcessNode;

describe('filters on record bytes', () => {
  it('--comm and --since/--until decide as the decoded comm and the exact 64-bit time do', () => {
    const time = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(fc.property(fc.constantFrom(...COMMS), time, fc.subarray(NAMES), fc.option(time), fc.option(time), (comm, ts, names, since, until) => {
      const r = openRecord({ ts, pid: 1, ppid: 0, comm }, '/x', 0, 3);
      const f = compileFilter({ comm: names });
      expect(f.matches(4, r, 0, NODE, since, until)).toBe(
        (names.length === 0 || names.includes(Buffer.from(recordComm(r, 0)).toString('utf8')))
        && (since === null || recordTsNs(r, 0) >= since) && (until === null || recordTsNs(r, 0) <= until));
    }), { numRuns: 2000 });
  });

  it('keeps the bound of each input apart (merged replay switches between them)', () => {
    const f = compileFilter({ since: '0s' });
    const r = openRecord({ ts: 5000n, pid: 1, ppid: 0, comm: 'x' }, '/x', 0, 3);
    expect(f.matches(4, r, 0, NODE, 4000n, null)).toBe(true);
    expect(f.matches(4, r, 0, NODE, 6000n, null)).toBe(false);
    expect(f.matches(4, r, 0, NODE, 4000n, null)).toBe(true);
    expect(f.matches(4, r, 0, NODE, (1n << 64n) - 1n, null)).toBe(false);
    expect(f.matches(4, r, 0, NODE, -5n, 5000n)).toBe(true);
  });
});
