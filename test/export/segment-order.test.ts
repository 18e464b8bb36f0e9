/**
 * Segments of one capture given out of order (segment 1 before segment 0) export as in order: the export
 * replays inputs one after another, so it puts a capture's segments in segment order (replay merges by time).
 * Was: segment 1's process had no exe or command line and another GUID.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-segorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('export: segments of a capture given out of order', () => {
  const t = (n: number) => SYNTHETIC_MONOTONIC_NS + BigInt(n) * 1_000_000n;
  const seg0 = writeSynthetic({ records: [
    forkRecord({ ts: t(1), pid: 8000, ppid: 1, comm: 'bash' }, 8001),
    execRecord({ ts: t(2), pid: 8001, ppid: 8000, comm: 'tool' }, '/opt/tool', ['/opt/tool', '--seg']),
  ], manifest: syntheticManifest({ segment: { capture_id: 'segcap', index: 0, previous_sha256: null } }) });
  const seg1 = writeSynthetic({ records: [
    openRecord({ ts: t(3), pid: 8001, ppid: 8000, comm: 'tool' }, '/etc/passwd', 0, 3),
    exitRecord({ ts: t(4), pid: 8001, ppid: 8000, comm: 'tool' }, t(1), 0),
  ], manifest: syntheticManifest({ segment: { capture_id: 'segcap', index: 1, previous_sha256: createHash('sha256').update(seg0).digest('hex') } }) });
  const [a, b] = [join(dir, 'a.rgc'), join(dir, 'b.rgc')];
  writeFileSync(a, seg1); // named first: segment 1
  writeFileSync(b, seg0);

  it('exports what the segments in order export', () => {
    const outOfOrder = runReplayCli(['export', a, b, '--format', 'ocsf']);
    const inOrder = runReplayCli(['export', b, a, '--format', 'ocsf']);
    expect(outOfOrder.status, outOfOrder.stderr).toBe(0);
    expect(outOfOrder.stdout.toString()).toBe(inOrder.stdout.toString());
    const open = outOfOrder.stdout.toString().split('\n').filter((l) => l.includes('"file_open"')).map((l) => JSON.parse(l) as { actor: { process: { file: { path: string }; cmd_line: string } } });
    expect(open[0].actor.process.file.path).toBe('/opt/tool');
    expect(open[0].actor.process.cmd_line).toBe('/opt/tool --seg');
  });
});
