/**
 * A path from the traced host with bidi overrides, zero-width and control
 * characters: `sql`'s table shows each as an escape (one rule with replay's
 * text, src/common/visible.ts), and the NDJSON exports (OCSF, ECS) and
 * `sql --json` write them as JSON \u escapes, which a JSON reader reads back
 * as the same path.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { execRecord, exitRecord, type Identity, openRecord } from '../support/records.js';
import { writeSynthetic } from '../support/synthetic.js';

const HOSTILE = '/tmp/x\u202etxt.exe\u200b\u001b[31m\u009b1m\u2066';
/** Raw in a terminal: what each output must not carry. */
const RAW = /[\u001b\u009b\u200b\u202e\u2066]/;

describe('hostile text in sql and the NDJSON exports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-hostile-text-'));
  const capture = join(dir, 'h.rgc');
  const id = (i: number): Identity => ({ ts: 1000_000000000n + BigInt(i) * 1_000_000n, pid: 100, ppid: 1, comm: 'sh' });
  writeFileSync(capture, writeSynthetic({ records: [execRecord(id(0), '/bin/sh', ['sh']), openRecord(id(1), HOSTILE, 0, 3), exitRecord(id(2), id(0).ts, 0)] }));

  it('sql shows the path escaped, on one line', () => {
    const r = runReplayCli(['sql', capture, "SELECT f.file.path AS p FROM file_system_activity f WHERE f.file.path LIKE '/tmp/x%'"]);
    expect(r.status).toBe(0);
    const out = r.stdout.toString();
    expect(out).not.toMatch(RAW);
    expect(out).toContain('\\u202e');
    expect(out).toContain('\\u200b');
    expect(out.split('\n').filter((l) => l.startsWith('/tmp/x'))).toHaveLength(1);
  });

  it('sql --json, OCSF and ECS NDJSON escape the same characters and read back as the same path', () => {
    const sqlJson = runReplayCli(['sql', capture, "SELECT f.file.path AS p FROM file_system_activity f WHERE f.file.path LIKE '/tmp/x%'", '--json']);
    expect(sqlJson.status).toBe(0);
    expect(sqlJson.stdout.toString()).not.toMatch(RAW);
    expect(JSON.parse(sqlJson.stdout.toString().trim()).p).toBe(HOSTILE);
    for (const format of ['ocsf', 'ecs']) {
      const r = runReplayCli(['export', capture, '--format', format]);
      expect(r.status).toBe(0);
      const text = r.stdout.toString();
      expect(text).not.toMatch(RAW);
      const docs = text.trim().split('\n').map((l) => JSON.parse(l) as { file?: { path?: string } });
      expect(docs.some((d) => d.file?.path === HOSTILE)).toBe(true);
    }
  });
});
