/**
 * Real kernel: a failed open's path is its directory joined with the name.
 * The join says `lexical` when the kernel may have followed a symlink the text
 * cannot show; with O_NOFOLLOW or O_CREAT|O_EXCL the kernel follows no symlink
 * that is the last component (ELOOP, EEXIST), so a one-component name relative
 * to the kernel's directory is exactly the kernel's path: not lexical (it was,
 * for every failed open). A dangling link, followed, still is. A name longer
 * than the capture keeps (PATH_LEN - 1 bytes) makes a path from its cut
 * beginning: `truncated`, as the other kinds of records say (it was not).
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/index.js';
import { pathFlagsText } from '../../src/abi/values.js';
import { announceSkip, runKernelTests } from './privilege.js';
import { LiveCapture, repoRoot, runJson, text } from './live-ring.js';

announceSkip('failed-open-paths');

describe.skipIf(!runKernelTests)('the path of a failed open (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-failed-open-')));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('lexical only where the kernel may have followed a last-component symlink; truncated for a cut name', async () => {
    const live = await LiveCapture.start([EventKind.FileOpen]);
    const dir = join(work, 'w');
    let r: Awaited<ReturnType<typeof runJson>>;
    try {
      r = await runJson('python3', [join(repoRoot(), 'test/capture/intruder/failed-open-paths.py'), dir]);
      expect(r.code).toBe(0);
      await live.barrier();
    } finally {
      live.close();
    }
    const errnos = Object.fromEntries(r.out.map((o) => [o.label, o.errno]));
    expect(errnos).toEqual({ nofollow: 40, excl: 17, followed: 2, long: 2 }); // ELOOP, EEXIST, ENOENT, ENOENT
    const failed = live.events.filter((e) => e.kind === EventKind.FileOpen && e.f.pid === r.pid && (e.f.result as number) < 0);
    const byName = (name: string) => {
      const found = failed.filter((e) => text(e.f.path_arg) === name.slice(0, 255));
      expect(found, name).toHaveLength(1);
      return found[0].f;
    };
    const flags = (name: string) => pathFlagsText(byName(name).path_flags as number).split('|');
    const nofollow = failed.filter((e) => text(e.f.path_arg) === 'lnk');
    expect(nofollow.map((e) => [e.f.result, text(e.f.path), pathFlagsText(e.f.path_flags as number).split('|').includes('lexical')]))
      .toEqual([[-40, join(dir, 'lnk'), false], [-17, join(dir, 'lnk'), false]]);
    expect(flags('dangling')).toContain('lexical');
    const long = 'a'.repeat(200) + '/' + 'b'.repeat(100);
    expect(flags(long)).toContain('truncated');
    expect(text(byName(long).path).startsWith(join(dir, 'a'.repeat(200)))).toBe(true);
  }, 60_000);
});
