/**
 * `rg-replay report` on the command line: usage mistakes and unreadable
 * inputs get one line and a documented exit code, no stack trace and no
 * partial file; damaged, incomplete and altered captures still give a report
 * that says so, with the exit code `rg-replay` uses for them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicKeySha256 } from '../../src/rgc/signing.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { isoOf } from '../../src/report/summary.js';
import { SYNTHETIC_MONOTONIC_NS, SYNTHETIC_REALTIME_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';
import { listItems } from '../support/frames.js';
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

  it('a damaged capture says how many records the damage lost, and not that nothing was lost', () => {
    const records = [];
    for (let i = 0; i < 3000; i++) records.push(openRecord({ ts: SYNTHETIC_MONOTONIC_NS + 1000n + BigInt(i), pid: 500, ppid: 1, comm: 'w' }, `/var/log/f${i}`, 0o1101, 3, 0o644));
    const bytes = Buffer.from(writeSynthetic({ records, frameBreaks: [999, 1999] }));
    // A byte in the middle of the second data frame: its 1000 records cannot be read.
    const frame = listItems(bytes).filter((i) => i.kind === 'data')[1];
    bytes[frame.offset + Math.floor(frame.length / 2)] ^= 0xff;
    const damaged = join(dir, 'damaged.rgc');
    writeFileSync(damaged, bytes);
    const out = join(dir, 'damaged.html');
    const r = runReplayCli(['report', damaged, '-o', out]);
    expect(r.stderr).toMatch(/\(1000 records lost\)/);
    const d = reportDataOf(readFileSync(out, 'utf8'));
    expect(d.totals.events).toBe(2000);
    expect(d.totals.lost_damaged).toBe(1000);
    expect(d.inputs[0]).toMatchObject({ damaged: true, records_lost: 1000 });
    const text = d.coverage.blind_spots.join('\n');
    expect(text).not.toMatch(/No events were lost/);
    expect(text).toMatch(/1 input\(s\) are DAMAGED: at least 1000 record\(s\) were LOST/);
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

describe('rg-replay report: processes with alerts past the process budget (8 MB)', () => {
  // These captures made the report loop forever: processes with alerts kept every panel entry and were never left out.
  const ended = (name: string) => {
    const out = join(dir, `${name}.html`);
    const r = runReplayCli(['report', join(dir, `${name}.rgc`), '-o', out], undefined, 90_000);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out);
    expect(html.length).toBeLessThan(30 << 20);
    return reportDataOf(html.toString());
  };

  it('30 programs from /tmp, each writing 200 files with 255-byte non-UTF-8 names: written, the panels of alerting processes trimmed and counted', () => {
    const records: Uint8Array[] = [];
    let ts = SYNTHETIC_MONOTONIC_NS + 1000n;
    for (let p = 0; p < 30; p++) {
      const id = () => ({ ts: ts++, pid: 1000 + p, ppid: 1, comm: 'dropper' });
      records.push(execRecord(id(), '/tmp/dropper', ['/tmp/dropper']));
      for (let f = 0; f < 200; f++) {
        const path = new Uint8Array(255).fill(0xff);
        const tag = Buffer.from(`/${p}-${f}/`);
        path.set(tag);
        records.push(openRecord(id(), path, 0o1101, 3, 0o644));
      }
      records.push(exitRecord(id(), ts, 0));
    }
    writeFileSync(join(dir, 'budget30.rgc'), writeSynthetic({ records }));
    const d = ended('budget30');
    expect(d.processes.items).toHaveLength(30);
    expect(d.processes.alerting_panel_entries_omitted).toBeGreaterThan(0);
    expect(d.processes.panel_entries_omitted).toBe(d.processes.alerting_panel_entries_omitted);
  }, 100_000);

  it('30,000 processes with alerts: written, those that do not fit left out and counted, every alert counted', () => {
    const records: Uint8Array[] = [];
    let ts = SYNTHETIC_MONOTONIC_NS + 1000n;
    records.push(execRecord({ ts: ts++, pid: 100, ppid: 1, comm: 'spawner' }, '/usr/bin/spawner', ['spawner']));
    for (let i = 0; i < 30_000; i++) {
      records.push(forkRecord({ ts: ts++, pid: 100, ppid: 1, comm: 'spawner' }, 1000 + i));
      records.push(execRecord({ ts: ts++, pid: 1000 + i, ppid: 100, comm: 'worker' }, `/tmp/w${i}`, [`/tmp/w${i}`, String(i)]));
      records.push(exitRecord({ ts: ts++, pid: 1000 + i, ppid: 100, comm: 'worker' }, ts, 0));
    }
    writeFileSync(join(dir, 'sib30000.rgc'), writeSynthetic({ records }));
    const d = ended('sib30000');
    expect(d.alerts.total).toBe(30_000);
    expect(d.processes.alerting_omitted).toBeGreaterThan(0);
    expect(d.processes.omitted).toBe(30_001 - d.processes.items.length);
    for (const a of d.alerts.items) expect(a.process === -2 || d.processes.items[a.process].alerts! > 0).toBe(true);
  }, 100_000);
});

describe('rg-replay report -o: what is already at the path', () => {
  const root = process.getuid?.() === 0;
  const out = mkdtempSync(join(tmpdir(), 'rg-report-out-'));
  const demoPage = () => runReplayCli(['report', 'captures/demo.rgc', '-o', '-']).stdout;

  it.skipIf(!root)('a character device (mknod c 1 3, a /dev/null) is written into, not replaced [skipped unless root: mknod needs it]', () => {
    const dev = join(out, 'null');
    expect(spawnSync('mknod', [dev, 'c', '1', '3']).status).toBe(0);
    const r = runReplayCli(['report', 'captures/demo.rgc', '-o', dev]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    expect(statSync(dev).rdev).toBe(statSync('/dev/null').rdev);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(!root)('a full device (mknod c 1 7, a /dev/full): one line, exit 3, the device stays [skipped unless root: mknod needs it]', () => {
    const dev = join(out, 'full');
    expect(spawnSync('mknod', [dev, 'c', '1', '7']).status).toBe(0);
    const r = runReplayCli(['report', 'captures/demo.rgc', '-o', dev]);
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toBe(`rg-replay: cannot write ${dev}: no space left on device`);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('a FIFO with a reader gets the page, and stays a FIFO', async () => {
    const fifo = join(out, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const received = join(out, 'fifo.out');
    const reader = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, received]);
    const done = new Promise((ok) => reader.on('exit', ok));
    const r = runReplayCli(['report', 'captures/demo.rgc', '-o', fifo]);
    expect(r.status, r.stderr).toBe(0);
    await done;
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readFileSync(received).equals(demoPage())).toBe(true);
  });

  it('a symlink: its target is replaced with the page, the link stays; a link to no file yet makes that file', () => {
    mkdirSync(join(out, 'real'));
    writeFileSync(join(out, 'real', 'report.html'), 'old');
    symlinkSync(join('real', 'report.html'), join(out, 'link.html'));
    symlinkSync(join('real', 'new.html'), join(out, 'dangling.html'));
    expect(runReplayCli(['report', 'captures/demo.rgc', '-o', join(out, 'link.html')]).status).toBe(0);
    expect(runReplayCli(['report', 'captures/demo.rgc', '-o', join(out, 'dangling.html')]).status).toBe(0);
    const page = demoPage();
    for (const [link, target] of [['link.html', 'report.html'], ['dangling.html', 'new.html']]) {
      expect(lstatSync(join(out, link)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(out, link))).toBe(join('real', target));
      expect(readFileSync(join(out, 'real', target)).equals(page)).toBe(true);
    }
    expect(readdirSync(join(out, 'real')).sort()).toEqual(['new.html', 'report.html']);
  });

  it('-o - to a full disk: one line, exit 3', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" dist/bin/rg-replay.mjs report captures/demo.rgc -o - > /dev/full`], { cwd: REPO_ROOT });
    expect(r.status).toBe(3);
    expect(r.stderr.toString().trim()).toBe('rg-replay: writing standard output failed: no space left on device');
  });
});

describe('rg-replay report: captures months apart', () => {
  it('every time the page holds is the one --json prints, to the nanosecond, 300 days after the first event', () => {
    const paths = ['a', 'b'].map((name, n) => {
      const clock = { source: 'CLOCK_MONOTONIC' as const, realtime_ns: SYNTHETIC_REALTIME_NS + BigInt(n * 300) * 86_400_000_000_000n, monotonic_ns: SYNTHETIC_MONOTONIC_NS };
      const manifest = syntheticManifest({ clock, segment: { capture_id: `cap-${name}`, index: 0, previous_sha256: null } });
      // Odd nanoseconds: a double 300 days out holds only multiples of 4.
      const records = [0, 1, 2].map((i) => openRecord({ ts: SYNTHETIC_MONOTONIC_NS + 123_456_789n + BigInt(i * 7 + 1), pid: 700, ppid: 1, comm: 'w' }, `/etc/cron.d/far-${name}${i}`, 0o1101, 3, 0o644));
      const path = join(dir, `far-${name}.rgc`);
      writeFileSync(path, writeSynthetic({ records, manifest }));
      return path;
    });
    const json = runReplayCli([...paths, '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { time: string; path: string });
    const d = reportDataOf(runReplayCli(['report', ...paths, '-o', '-']).stdout.toString());
    const base = BigInt(d.time.base_wall_ns!);
    const exact = new Map(d.events.exact);
    let t = 0;
    const rows = d.events.t.map((dt, r) => { t += dt; return [d.events.strings[d.events.a[r]], isoOf(base, exact.get(r) ?? t)]; });
    expect(rows).toEqual(json.map((e) => [e.path, e.time]));
    expect(exact.size).toBeGreaterThan(0);
    expect([d.time.first, d.time.last]).toEqual([json[0].time, json[5].time]);
    // Alerts carry their own exact time; the files-written indicator its first time.
    expect(d.alerts.items.map((a) => a.time).sort()).toEqual(json.map((e) => e.time).sort());
    const written = d.indicators.find((g) => d.groups[g.group].id === 'written')!.items;
    expect(written.map((e) => [e.value, isoOf(base, e.x ?? e.t)])).toEqual(json.map((e) => [e.path, e.time]));
  });
});
