/**
 * Captured strings never act on the analyst's terminal (issue 12, section 5):
 * a capture full of hostile names (newlines that forge events, escape
 * sequences that set the title, clear the screen or colour, C1 controls,
 * bidi overrides, bytes that are not UTF-8), replayed through every text
 * output rg-replay has. The exact bytes printed are asserted; no control
 * character reaches stdout or stderr, and one event is one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF_INET } from '../../src/abi/constants.js';
import { bytesToText } from '../../src/abi/values.js';
import { runReplayCli } from '../support/golden.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
/** A program whose name holds a newline and a forged event, then ESC sequences (title, clear screen, colour), CSI as a C1 control, a right-to-left override and a byte that is not UTF-8. */
const HOSTILE_EXE = bytes('/tmp/x\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\x1b]0;owned\x07\x1b[2J\x1b[31m\xc2\x9b1m\xe2\x80\xaetxt.exe\xff');
const HOSTILE_COMM = bytes('sh\x1b[2J\nx');
const HOSTILE_PATH = bytes('/etc/cron.d/\x1b[1;1H\x1b[Kjob\r\x7f');
const ESCAPED_EXE = '/tmp/x\\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\\u001b]0;owned\\u0007\\u001b[2J\\u001b[31m\\u009b1m\\u202etxt.exe\\xff';
const ESCAPED_PATH = '/etc/cron.d/\\u001b[1;1H\\u001b[Kjob\\r\\u007f';

/** Anything a terminal would act on: C0 but the line feed, DEL, C1 (as UTF-8), bidi controls (as UTF-8). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

const T = 1000_000000000n;
const RECORDS = [
  forkRecord({ ts: T + 1n, pid: 4100, ppid: 1, comm: 'bash' }, 4101),
  execRecord({ ts: T + 2n, pid: 4101, ppid: 4100, comm: HOSTILE_COMM }, HOSTILE_EXE, [HOSTILE_EXE, bytes('-c'), bytes('\x1b[H\x1bc')]),
  openRecord({ ts: T + 3n, pid: 4101, ppid: 4100, comm: HOSTILE_COMM }, HOSTILE_PATH, 0o1101, 3),
  connectRecord({ ts: T + 4n, pid: 4101, ppid: 4100, comm: HOSTILE_COMM }, AF_INET, [10, 0, 0, 1], 4444, 0),
  exitRecord({ ts: T + 5n, pid: 4101, ppid: 4100, comm: HOSTILE_COMM }, T + 1n, 0),
];

let dir = '';
let capture = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rg-hostile-'));
  const m = syntheticManifest();
  const manifest = { ...m, host: { ...m.host, hostname: 'evil\x1b]0;owned\x07host', kernel_release: '6.18\n2026-01-02 forged line' } };
  // A file name of its own with an escape: paths are quoted in errors and reports too.
  capture = join(dir, 'host\x1b[2J.rgc');
  writeFileSync(capture, writeSynthetic({ records: RECORDS, manifest }));
});

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function run(args: string[]) {
  const r = runReplayCli(args);
  expect(CONTROL.test(r.stderr)).toBe(false);
  return { ...r, text: r.stdout.toString('utf8') };
}

function assertInert(text: string): string[] {
  expect(CONTROL.test(text)).toBe(false);
  return text.split('\n').slice(0, -1);
}

describe('captured strings never act on the terminal', () => {
  it('text output: one line per event, every hostile string escaped, exact bytes', () => {
    for (const color of [[], ['--color']]) {
      const r = run([capture, ...color]);
      expect(r.status).toBe(0);
      // Only our own colour codes may be there: take them out, then nothing a terminal obeys is left.
      const lines = assertInert(r.text.replace(/\x1b\[(?:3[0-7]|90|0)m/g, ''));
      expect(lines).toHaveLength(RECORDS.length);
      expect(lines[1]).toBe('2026-01-02T03:04:05.000000002Z process_start pid=4101 ppid=4100 uid=0 comm="sh\\u001b[2J\\nx" argc=3 exe_ino=0 exe_dev=254:0 old_tid=4101 exe_path_flags=from_file '
        + `filename="${ESCAPED_EXE}" exe_path="${ESCAPED_EXE}" cwd=/ argv="${ESCAPED_EXE} -c \\u001b[H\\u001bc" stdin_ino=0 stdout_ino=0 stdin_type=none stdout_type=none exe="${ESCAPED_EXE}" parent=4100:unknown`);
      expect(lines[2]).toBe('2026-01-02T03:04:05.000000003Z file_open pid=4101 ppid=4100 uid=0 comm="sh\\u001b[2J\\nx" open_flags=O_WRONLY|O_CREAT|O_TRUNC mode=0 '
        + `result=3 dirfd=-100 ino=1003 dev=254:0 path_flags=from_file call=openat path="${ESCAPED_PATH}" path_arg="${ESCAPED_PATH}" exe="${ESCAPED_EXE}" parent=4100:unknown`);
    }
  });

  it('text without context, and a filter: the same escaping', () => {
    const lines = assertInert(run([capture, '--no-context', '--kind', 'file_open']).text);
    expect(lines).toEqual([`2026-01-02T03:04:05.000000003Z file_open pid=4101 ppid=4100 uid=0 comm="sh\\u001b[2J\\nx" open_flags=O_WRONLY|O_CREAT|O_TRUNC mode=0 result=3 dirfd=-100 ino=1003 dev=254:0 path_flags=from_file call=openat path="${ESCAPED_PATH}" path_arg="${ESCAPED_PATH}"`]);
  });

  it('--alerts: alert lines quote the hostile program and path, escaped', () => {
    const r = run([capture, '--alerts']);
    const lines = assertInert(r.text);
    expect(lines).toEqual([
      `2026-01-02T03:04:05.000000002Z ALERT HIGH execution.tmp: Program executed from a world-writable directory: pid=4101 exe="${ESCAPED_EXE}" "${ESCAPED_EXE}"`,
      `2026-01-02T03:04:05.000000003Z ALERT HIGH persistence.cron [T1053.003]: Cron job written: pid=4101 exe="${ESCAPED_EXE}" "${ESCAPED_PATH}"`,
      `2026-01-02T03:04:05.000000004Z ALERT HIGH network.watched_destination [T1571]: Connect or UDP send to a watched port or network: pid=4101 exe="${ESCAPED_EXE}" 10.0.0.1:4444`,
    ]);
  });

  it('--detect: events and alerts, every line inert', () => {
    expect(assertInert(run([capture, '--detect']).text)).toHaveLength(RECORDS.length + 3);
  });

  it('tree: the program, its arguments and comms escaped', () => {
    const lines = assertInert(run(['tree', capture]).text);
    expect(lines).toEqual([
      // Only the counters that are not zero (the lead's decision for tree text).
      '4100 [bash] (started before capture) uid=0 [1 fork]',
      `└─ 4101 ${ESCAPED_EXE} -c \\u001b[H\\u001bc uid=0 [1 exec, 1 open, 1 connect] exit 0`,
      '      connects 10.0.0.1:4444',
    ]);
  });

  it('--stats, audit and the stderr lines: host name, kernel and file name escaped', () => {
    const stats = run([capture, '--stats']);
    const lines = assertInert(stats.text);
    expect(lines[0]).toBe('host:      evil\\u001b]0;owned\\u0007host (kernel 6.18\\n2026-01-02 forged line)');
    expect(lines.some((l) => l.includes('host\\u001b[2J.rgc: complete'))).toBe(true);
    assertInert(run(['audit', capture]).text);
    const missing = run([join(dir, 'gone\x1b]0;x\x07.rgc')]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('gone\\u001b]0;x\\u0007.rgc');
    const badRules = run([capture, '--rules', join(dir, 'r\x1b[2J.toml')]);
    expect(badRules.stderr).toContain('r\\u001b[2J.toml');
  });

  it('NDJSON stays safe: controls as JSON escapes, one line per event, and every string exactly the captured one', () => {
    const lines = assertInert(run([capture, '--json']).text);
    expect(lines).toHaveLength(RECORDS.length);
    const exec = JSON.parse(lines[1]) as Record<string, unknown>;
    expect(exec.filename).toBe(bytesToText(HOSTILE_EXE));
    expect(exec.comm).toBe(bytesToText(HOSTILE_COMM));
    expect((exec.process as { exe: string }).exe).toBe(bytesToText(HOSTILE_EXE));
    expect(lines[1]).toContain('\\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\\u001b]0;owned\\u0007\\u001b[2J');
    const alerts = assertInert(run([capture, '--alerts', '--json']).text).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.map((a) => a.path ?? a.addr ?? a.filename)).toEqual([bytesToText(HOSTILE_EXE), bytesToText(HOSTILE_PATH), '10.0.0.1']);
  });
});
