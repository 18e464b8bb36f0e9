/**
 * Bad command lines: a clear one-line error with a usage hint, a documented
 * exit code, and no partial output file. Parsing happens before anything
 * privileged, so these run without root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';

const CAPTURE = `${REPO_ROOT}dist/src/capture/cli.js`;
const dir = mkdtempSync(join(tmpdir(), 'rg-usage-'));

function capture(args: string[]) {
  const r = spawnSync(process.execPath, [CAPTURE, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('rg-capture rejects bad command lines before touching anything', () => {
  const out = join(dir, 'never.rgc');
  const cases: [string[], RegExp][] = [
    [['-o', out, '--bogus'], /unknown option '--bogus'/],
    [['--duration', '5s'], /required option '-o, --output <file>' not specified/],
    [['-o', out, '--duration', '5 parsecs'], /bad duration "5 parsecs"/],
    [['-o', out, '--duration', '0s'], /out of range/],
    [['-o', out, '--max-size', 'lots'], /bad size "lots"/],
    [['-o', out, '--max-size', '1K'], /--max-size must be at least 64K/],
    [['-o', out, '--ring-size', '3M'], /power of two/],
    [['-o', out, '--events', 'exec,teleport'], /unknown event "teleport"/],
    [['-o', out, '--watch-prefix', ''], /--watch-prefix must be 1-128 bytes/],
    [['-o', '-', '--json'], /--json prints events on stdout, which -o - already uses/],
    [['-o', out, '--follow'], /--follow needs a command to follow/],
    [['-o', out, '--keep', '3'], /--keep applies to --rotate/],
    [['-o', '-', '--rotate', '1h'], /cannot write to stdout/],
    [['-o', out, '--rotate', '10M', '--max-size', '1G'], /do not combine/],
    [['-o', out, '--rotate', '10M', '--keep', 'zero'], /--keep needs a whole number/],
    [['-o', out, '--compression-level', '99'], /--compression-level must be an integer from -5 to 19/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}`, () => {
      const r = capture(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('rg-replay rejects bad command lines', () => {
  it('unknown options, missing files and bad values: one line, exit 2', () => {
    for (const args of [['--bogus', 'x.rgc'], [], ['captures/demo.rgc', '--schema', 'newest'], ['audit'], ['verify', 'captures/demo.rgc', '--pubkey']]) {
      const r = runReplayCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a numeric filter that is empty, blank, hex, exponent, signed or out of range is refused (Number() read \'\' as uid 0: root)', () => {
    const bad: [string, string][] = [
      ['--uid', ''], ['--uid', ' '], ['--uid', '0x0'], ['--uid', '-1'], ['--uid', '4294967296'],
      ['--pid', ''], ['--pid', '1e3'], ['--pid', '+1'], ['--pid', '1.0'],
      ['--port', ''], ['--port', '0x115c'], ['--port', '1e3'], ['--port', '65536'], ['--port', '4444 '], ['--port', '0b1'],
    ];
    for (const [flag, value] of bad) {
      const r = runReplayCli(['captures/demo.rgc', '--json', flag, value]);
      expect(r.status, `${flag} ${JSON.stringify(value)}`).toBe(2);
      expect(r.stdout.length).toBe(0);
      expect(r.stderr).toBe(`rg-replay: ${flag} needs a ${flag === '--port' ? 'port number (0-65535)' : 'number'}, got ${JSON.stringify(value)}\n`);
    }
    // Decimal digits still select, leading zeros included; uid 0 is still a uid one can ask for.
    const lines = (args: string[]) => runReplayCli(['captures/demo.rgc', '--json', ...args]).stdout.toString().split('\n').filter((l) => l !== '').length;
    expect(lines(['--port', '04444'])).toBe(lines(['--port', '4444']));
    expect(lines(['--port', '4444'])).toBeGreaterThan(0);
    expect(lines(['--uid', '0'])).toBeGreaterThan(0);
  });

  it('a public key file that is not a key: exit 2 naming the file', () => {
    const r = runReplayCli(['verify', 'captures/demo.rgc', '--pubkey', 'README.md']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/README\.md is not an Ed25519 public key/);
  });

  it('a missing rule file: exit 3', () => {
    expect(runReplayCli(['captures/demo.rgc', '--rules', join(dir, 'none.toml')]).status).toBe(3);
  });
});
