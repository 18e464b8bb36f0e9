/**
 * A Unix socket pathname that fills all 108 bytes of sun_path has no NUL in
 * it (the kernel adds its own past sun_path). The kernel program read it as a
 * C string into a 108-byte buffer, which kept 107 bytes: the record named
 * another file, exactly as a 107-byte name would read. Now it reads the
 * name's bytes as they are, and the record holds all 108.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { program, runCapture } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('unix-full');

describe.skipIf(!runKernelTests)('a Unix socket name of all 108 bytes (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-ux-')));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is recorded whole, for bind and connect, as getsockname returns it', async () => {
    const out = join(work, 'ux.rgc');
    const run = await runCapture(['-o', out, '--follow', '--', program('unix-full'), work]);
    expect(run.status, run.stderr).toBe(0);
    const name = run.stdout.trim();
    expect(name.length).toBe(108);
    const unix = runReplayCli([out, '--json', '--kind', 'unix']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(unix.map((e) => [e.op, e.path, e.abstract, e.path_size_invalid])).toEqual([['bind', name, 0, false], ['connect', name, 0, false]]);
  }, 60_000);
});
