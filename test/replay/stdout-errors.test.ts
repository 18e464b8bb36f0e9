/**
 * Standard output that cannot be written (a full disk, a descriptor open for
 * reading only) is exit 3 and one line saying so, for every command that
 * prints; a reader that goes away (`| head`) stays a quiet exit 0.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { REPLAY_BIN, REPLAY_LAUNCHER, REPO_ROOT } from '../support/golden.js';

const DEMO = 'captures/demo.rgc';
/** Every way rg-replay prints to stdout, each a command line. */
const PRINTERS: readonly string[][] = [
  [DEMO, '--json'],
  [DEMO],
  [DEMO, '--stats'],
  [DEMO, '--stats', '--json'],
  ['tree', DEMO],
  ['audit', DEMO, '--json'],
  ['verify', DEMO],
  ['--help'],
  ['--version'],
  ['sigma-check', 'rules/sigma'],
  ['export', DEMO, '--format', 'ocsf'],
  ['export', DEMO, '--format', 'ecs', '-o', '-'],
  ['report', DEMO, '-o', '-'],
  ['sql', DEMO, 'SELECT count(*) AS n FROM events'],
];

const fds: number[] = [];
afterAll(() => fds.forEach((fd) => closeSync(fd)));
const open = (path: string, flags: string) => {
  const fd = openSync(path, flags);
  fds.push(fd);
  return fd;
};

function runWithStdout(bin: string, args: readonly string[], stdout: number) {
  const r = spawnSync(bin === REPLAY_BIN ? process.execPath : bin, bin === REPLAY_BIN ? [bin, ...args] : [...args],
    { cwd: REPO_ROOT, stdio: ['ignore', stdout, 'pipe'], env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { status: r.status, stderr: r.stderr.toString() };
}

describe('stdout that cannot be written: exit 3, one line', () => {
  it.each(PRINTERS.map((a) => [a.join(' '), a] as const))('/dev/full: %s', (_name, args) => {
    const r = runWithStdout(REPLAY_BIN, args, open('/dev/full', 'w'));
    expect(r.stderr).toBe('rg-replay: writing standard output failed: no space left on device\n');
    expect(r.status).toBe(3);
  });

  it.each([[DEMO, '--json'], ['--help'], ['tree', DEMO], ['export', DEMO, '--format', 'ocsf']])('stdout open for reading only (1</dev/null): %s', (...args) => {
    const r = runWithStdout(REPLAY_BIN, args, open('/dev/null', 'r'));
    expect(r.stderr).toBe('rg-replay: writing standard output failed: it is not open for writing\n');
    expect(r.status).toBe(3);
  });

  it('the start-up snapshot launcher says the same', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.NODE_OPTIONS;
    const r = spawnSync(REPLAY_LAUNCHER, [DEMO, '--json'], { cwd: REPO_ROOT, stdio: ['ignore', open('/dev/full', 'w'), 'pipe'], env });
    expect(r.stderr.toString()).toBe('rg-replay: writing standard output failed: no space left on device\n');
    expect(r.status).toBe(3);
  });

  it('a reader that closes the pipe early (| head) is still a quiet exit 0', () => {
    for (const args of [[DEMO, '--json'], ['--help'], ['export', DEMO, '--format', 'ocsf']]) {
      const line = `"${process.execPath}" "${REPLAY_BIN}" ${args.join(' ')} | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`;
      const r = spawnSync('bash', ['-c', line], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(r.stdout, args.join(' ')).toBe('0\n');
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });
});
