/**
 * A directory takes its regular *.rgc files only and says which entries it
 * skipped: a FIFO among them never blocks the replay.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { REPLAY_BIN, REPO_ROOT, runReplayCli } from '../support/golden.js';

const DEMO = 'captures/demo.rgc';
const LOST = 'captures/synthetic-lost.rgc';
const dir = mkdtempSync(join(tmpdir(), 'rg-pipes-'));

/** Runs rg-replay from bash, where `<(cat FILE)` is a real pipe (/dev/fd/N). */
function inBash(args: string, timeoutMs = 60_000) {
  const r = spawnSync('bash', ['-c', `exec "${process.execPath}" "${REPLAY_BIN}" ${args}`], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('a directory takes its regular *.rgc files only', () => {
  it('a FIFO and a device named *.rgc are skipped with one note, and the replay does not wait on them', () => {
    const d = join(dir, 'mixed');
    mkdirSync(d);
    copyFileSync(DEMO, join(d, 'a.rgc'));
    spawnSync('mkfifo', [join(d, 'p.rgc')]);
    symlinkSync('/dev/null', join(d, 'null.rgc'));
    mkdirSync(join(d, 'sub.rgc'));
    const r = inBash(`${d} --stats --json`, 20_000);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`rg-replay: note: ${d}: skipped 3 entries named *.rgc that are not a regular file: null.rgc (a character device), p.rgc (a pipe or FIFO), sub.rgc (a directory)\n`);
    expect((JSON.parse(r.stdout) as { events: number }).events).toBe((JSON.parse(runReplayCli([DEMO, '--stats', '--json']).stdout.toString()) as { events: number }).events);
  });

  it('a directory holding only a FIFO: exit 3, no wait', () => {
    const d = join(dir, 'only-fifo');
    mkdirSync(d);
    spawnSync('mkfifo', [join(d, 'p.rgc')]);
    const r = inBash(`${d} --stats`, 20_000);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(`rg-replay: note: ${d}: skipped an entry named *.rgc that is not a regular file: p.rgc (a pipe or FIFO)\nrg-replay: ${d} holds no .rgc files\n`);
  });

  it('a symlink to a capture file counts as the file', () => {
    const d = join(dir, 'linked');
    mkdirSync(d);
    symlinkSync(join(REPO_ROOT, DEMO), join(d, 'demo.rgc'));
    const r = runReplayCli([d, '--stats', '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
