/**
 * `rg-replay report` on the command line: usage mistakes and unreadable
 * inputs get one line and a documented exit code, no stack trace and no
 * partial file; damaged, incomplete and altered captures still give a report
 * that says so, with the exit code `rg-replay` uses for them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicKeySha256 } from '../../src/rgc/signing.js';
import { runReplayCli } from '../support/golden.js';
import { openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';
import { reportDataOf } from './report-file.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-report-cli-'));

describe('rg-replay report: errors', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['no output named', ['report', 'captures/demo.rgc'], 2, /give the file to write with -o FILE/],
    ['stdin as input', ['report', '-', '-o', join(dir, 'x.html')], 2, /give files, not stdin/],
    ['a missing input', ['report', join(dir, 'nope.rgc'), '-o', join(dir, 'x.html')], 3, /cannot open .*nope\.rgc: no such file or directory/],
    ['an output in a missing directory', ['report', 'captures/demo.rgc', '-o', join(dir, 'no', 'such', 'x.html')], 3, /cannot write .*x\.html: no such file or directory$/],
    ['a bad alert port', ['report', 'captures/demo.rgc', '-o', join(dir, 'x.html'), '--alert-port', 'http'], 2, /--alert-port needs a port number/],
    ['not a capture', ['report', 'package.json', '-o', join(dir, 'x.html')], 4, /^rg-replay: package\.json: no manifest at the start of the file: not a rand-guard capture$/],
  ];
  for (const [what, args, code, message] of cases) {
    it(`${what}: exit ${code}, one line, no file`, () => {
      const r = runReplayCli(args);
      expect(r.status).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines.some((l) => message.test(l)), r.stderr).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'x.html'))).toBe(false);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }
});

describe('rg-replay report: output', () => {
  it('-o - writes the page to stdout', () => {
    const r = runReplayCli(['report', 'captures/demo.rgc', '-o', '-']);
    expect(r.status).toBe(0);
    const html = r.stdout.toString();
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    const events = reportDataOf(html).totals.events;
    expect(events).toBeGreaterThan(400);
    expect(r.stderr).toMatch(new RegExp(`^rg-replay: report: [\\d.]+ KiB, ${events} events \\(${events} in the table\\), 88 processes, 34 alert\\(s\\)$`, 'm'));
  });

  it('an incomplete capture: exit 6, the page says INCOMPLETE', () => {
    const out = join(dir, 'incomplete.html');
    const r = runReplayCli(['report', 'captures/synthetic-incomplete.rgc', '-o', out]);
    expect(r.status).toBe(6);
    const d = reportDataOf(readFileSync(out, 'utf8'));
    expect(d.inputs[0]).toMatchObject({ complete: false, verify: { verdict: 'incomplete' } });
    expect(d.coverage.blind_spots.join(' ')).toMatch(/have no end record/);
  });

  it('a capture that lost events says how many, plainly', () => {
    const out = join(dir, 'lost.html');
    const r = runReplayCli(['report', 'captures/synthetic-lost.rgc', '-o', out]);
    expect(r.status).toBe(0);
    const d = reportDataOf(readFileSync(out, 'utf8'));
    expect(d.totals.lost_kernel).toBe(14);
    expect(d.coverage.blind_spots.join(' ')).toMatch(/14 event\(s\) were LOST \(14 in the kernel, 0 in user space\)/);
  });

  it('an altered capture: the report is written, marked ALTERED, exit 7', () => {
    const altered = join(dir, 'altered.rgc');
    copyFileSync('captures/demo.rgc', altered);
    const bytes = readFileSync(altered);
    // A byte inside the first data frame's compressed payload: its checksum and the hash chain break.
    bytes[bytes.length - 600] ^= 0x40;
    writeFileSync(altered, bytes);
    const out = join(dir, 'altered.html');
    const r = runReplayCli(['report', altered, '-o', out]);
    expect(r.status).toBe(7);
    const d = reportDataOf(readFileSync(out, 'utf8'));
    expect(d.inputs[0].verify.verdict).toBe('altered');
    expect(d.inputs[0].verify.problems.length).toBeGreaterThan(0);
  });

  it('a signed capture: the signature is checked with --pubkey, and a wrong key marks it ALTERED', () => {
    const key = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const signed = join(dir, 'signed.rgc');
    const records = [openRecord({ ts: SYNTHETIC_MONOTONIC_NS + 1000n, pid: 42, ppid: 1, comm: 'cat' }, '/etc/hosts', 0, 3)];
    writeFileSync(signed, writeSynthetic({ records, writer: { signingKey: key.privateKey }, manifest: syntheticManifest({ signing_key_sha256: publicKeySha256(key.publicKey) }) }));
    const pub = join(dir, 'pub.pem');
    const wrong = join(dir, 'wrong.pem');
    writeFileSync(pub, key.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(wrong, other.publicKey.export({ type: 'spki', format: 'pem' }));
    const out = join(dir, 'signed.html');
    expect(runReplayCli(['report', signed, '--pubkey', pub, '-o', out]).status).toBe(0);
    expect(reportDataOf(readFileSync(out, 'utf8')).inputs[0].verify).toMatchObject({ verdict: 'verified', signature: 'valid' });
    expect(runReplayCli(['report', signed, '-o', out]).status).toBe(0);
    expect(reportDataOf(readFileSync(out, 'utf8')).inputs[0].verify).toMatchObject({ verdict: 'verified', signature: 'not_checked' });
    expect(runReplayCli(['report', signed, '--pubkey', wrong, '-o', out]).status).toBe(7);
    expect(reportDataOf(readFileSync(out, 'utf8')).inputs[0].verify).toMatchObject({ verdict: 'altered', signature: 'key_mismatch' });
  });

  it('several captures: one report, one input entry each', () => {
    const out = join(dir, 'two.html');
    const r = runReplayCli(['report', 'captures/demo.rgc', 'captures/synthetic-all-kinds.rgc', '-o', out]);
    expect(r.status).toBe(0);
    const d = reportDataOf(readFileSync(out, 'utf8'));
    expect(d.inputs.map((i) => i.host)).toEqual(['vm', 'synthetic-host']);
    const one = (c: string) => reportDataOf(runReplayCli(['report', c, '-o', '-']).stdout.toString()).totals.events;
    expect(d.totals.events).toBe(one('captures/demo.rgc') + one('captures/synthetic-all-kinds.rgc'));
  });
});
