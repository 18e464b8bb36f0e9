/**
 * Loss totals are summed exactly: each counter is a safe integer, their sum
 * need not be (2^53 - 1 + 2^53 - 1 + 3 added as doubles ends in ...984, not
 * ...985). --stats (text and JSON) and audit print the exact digits.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { shellSession } from '../support/records.js';
import { writeSynthetic } from '../support/synthetic.js';

const MAX = Number.MAX_SAFE_INTEGER;
const path = join(mkdtempSync(join(tmpdir(), 'rg-loss-')), 'bigloss.rgc');
writeFileSync(path, writeSynthetic({ records: shellSession(1000_000000000n), lostKernelByCpu: [MAX, MAX, 3] }));
const EXACT = ((2n ** 53n - 1n) * 2n + 3n).toString(); // 18014398509481985

describe('loss totals past 2^53', () => {
  it('--stats text and JSON, audit: the exact sum', () => {
    expect(runReplayCli([path, '--stats']).stdout.toString()).toContain(`lost:      ${EXACT} in kernel`);
    const json = runReplayCli([path, '--stats', '--json']).stdout.toString();
    expect(json).toContain(`"kernel":${EXACT},`);
    expect(runReplayCli(['audit', path]).stdout.toString()).toContain(`lost: ${EXACT} in the kernel`);
    expect(runReplayCli([path]).stderr).toContain(`lost ${EXACT} events in the kernel`);
  });
});
