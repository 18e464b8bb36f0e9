import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPLAY_BIN, REPLAY_LAUNCHER, REPO_ROOT } from '../support/golden.js';

/** Runs the launcher under `sh -x`: its trace on stderr shows which `exec` it took. */
function traced(launcher: string, args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.NODE_OPTIONS;
  const r = spawnSync('sh', ['-x', launcher, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...base, ...env }, maxBuffer: 1 << 28 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const execLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('+ exec node')) ?? '';

describe('rg-replay launcher (start-up snapshot, scripts/bundle-replay.ts)', () => {
  const bundle = spawnSync(process.execPath, [REPLAY_BIN, 'captures/demo.rgc', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });

  it('starts node from the snapshot when node is the one that built it, and prints what the bundle prints', () => {
    const r = traced(REPLAY_LAUNCHER, ['captures/demo.rgc', '--json']);
    expect(execLine(r.stderr)).toContain('--snapshot-blob');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(bundle.stdout);
  });

  it('runs the bundle instead under NODE_OPTIONS (V8 flags a snapshot was not built with would stop it from loading)', () => {
    const r = traced(REPLAY_LAUNCHER, ['captures/demo.rgc', '--json'], { NODE_OPTIONS: '--no-warnings' });
    expect(execLine(r.stderr)).not.toContain('--snapshot-blob');
    expect(execLine(r.stderr)).toContain('rg-replay.mjs');
    expect(r.stdout).toBe(bundle.stdout);
  });

  it('runs the bundle instead when node is not the build that made the snapshot', () => {
    // A copy beside the original (it finds the blob and the bundle by its own directory) that names another node.
    const copy = `${REPLAY_LAUNCHER}-other-node-test`;
    writeFileSync(copy, readFileSync(REPLAY_LAUNCHER, 'utf8').replace(/= "\d+:\d+:\d+:\d+:\d+"/, '= "0:0:0:0:0"'), { mode: 0o755 });
    try {
      const r = traced(copy, ['captures/demo.rgc', '--json']);
      expect(execLine(r.stderr)).toContain('rg-replay.mjs');
      expect(execLine(r.stderr)).not.toContain('--snapshot-blob');
      expect(r.stdout).toBe(bundle.stdout);
    } finally {
      rmSync(copy, { force: true });
    }
  });

  it('finds its files through a symlink in another directory (npx runs node_modules/.bin\'s), and runs readlink only then', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-launcher-'));
    try {
      const link = join(dir, 'rg-replay');
      symlinkSync(REPLAY_LAUNCHER, link);
      const viaLink = traced(link, ['captures/demo.rgc', '--json']);
      expect(viaLink.stderr).toContain('readlink -f');
      expect(execLine(viaLink.stderr)).toContain('--snapshot-blob');
      expect(viaLink.stdout).toBe(bundle.stdout);
      const direct = traced(REPLAY_LAUNCHER, ['--version']);
      expect(direct.stderr).not.toContain('readlink');
      expect(direct.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same exit codes and one-line errors as the bundle', () => {
    for (const args of [['/nonexistent.rgc'], ['README.md'], ['--bogus'], ['captures/demo.rgc', '--schema', 'nope'], ['--version']]) {
      const viaBundle = spawnSync(process.execPath, [REPLAY_BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
      const r = traced(REPLAY_LAUNCHER, args);
      expect(execLine(r.stderr)).toContain('--snapshot-blob');
      expect(r.status, args.join(' ')).toBe(viaBundle.status);
      expect(r.stdout).toBe(viaBundle.stdout);
      expect(r.stderr.split('\n').filter((l) => !l.startsWith('+ '))).toEqual(viaBundle.stderr.split('\n'));
    }
  });
});
