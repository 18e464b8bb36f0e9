/**
 * Inputs that give their bytes once (a pipe, `<(zstdcat ...)`, a FIFO, a
 * device): replay reads each once, however many inputs there are; commands
 * that must read a capture twice (export, sql over captures, report) refuse
 * them in one line. A directory takes its regular *.rgc files only and says
 * which entries it skipped: a FIFO among them never blocks the replay.
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

describe('pipes among several inputs are read once', () => {
  const files = runReplayCli([DEMO, LOST, '--json']);

  it('two process substitutions replay as the two files do, event for event', () => {
    const r = inBash(`<(cat ${DEMO}) <(cat ${LOST}) --json`);
    expect(r.stderr).not.toMatch(/not a capture|empty input/);
    expect(r.status).toBe(files.status);
    expect(r.stdout).toBe(files.stdout.toString());
  });

  it('a file and a pipe, in either order, and --stats over them', () => {
    expect(inBash(`${DEMO} <(cat ${LOST}) --json`).stdout).toBe(files.stdout.toString());
    expect(inBash(`<(cat ${LOST}) ${DEMO} --json`).stdout).toBe(files.stdout.toString());
    const stats = JSON.parse(inBash(`<(cat ${DEMO}) <(cat ${LOST}) --stats --json`).stdout) as { events: number; lost: { kernel: number } };
    const whole = JSON.parse(runReplayCli([DEMO, LOST, '--stats', '--json']).stdout.toString()) as { events: number; lost: { kernel: number } };
    expect(stats.events).toBe(whole.events);
    expect(stats.lost).toEqual(whole.lost);
  });

  it('a named FIFO given on the command line, beside a file, is replayed once its writer starts', () => {
    const fifo = join(dir, 'named.rgc');
    spawnSync('mkfifo', [fifo]);
    const r = inBash(`${DEMO} ${fifo} --json & cat ${LOST} > ${fifo}; wait $!`);
    expect(r.stdout).toBe(files.stdout.toString().replaceAll(LOST, fifo));
  });

  it('tree and audit take pipes too', () => {
    expect(inBash(`tree <(cat ${DEMO}) <(cat ${LOST})`).stdout).toBe(runReplayCli(['tree', DEMO, LOST]).stdout.toString());
    expect(inBash(`audit <(cat ${DEMO}) <(cat ${LOST}) --json`).status).toBe(runReplayCli(['audit', DEMO, LOST, '--json']).status);
  });

  it('export, sql over captures and report, which read each capture twice, refuse a pipe in one line (exit 2)', () => {
    const cases: [string, string][] = [
      [`export <(cat ${DEMO}) --format ocsf`, 'each capture is read twice (its SHA-256 goes into every row, then its events)'],
      [`export ${DEMO} <(cat ${LOST}) -o ${join(dir, 'lake')}`, 'each capture is read twice (its SHA-256 goes into every row, then its events)'],
      [`sql <(cat ${DEMO}) "SELECT count(*) FROM events"`, 'each capture is read twice (its SHA-256 goes into every row, then its events)'],
      [`report <(cat ${DEMO}) -o ${join(dir, 'r.html')}`, 'report reads each capture twice (to replay and to verify)'],
    ];
    for (const [args, why] of cases) {
      const r = inBash(args);
      expect(r.status, args).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^rg-replay: /dev/fd/\\d+ is a pipe or FIFO: ${why.replace(/[()]/g, '\\$&')}: give capture files\\n$`));
    }
  });
});

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
