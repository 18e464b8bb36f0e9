/**
 * Real hostile names on the real kernel (issue 12, section 5): a program
 * whose file name holds a newline that forges a `process_start pid=1
 * comm=systemd` line, terminal escape sequences (set the title, clear the
 * screen, colour), CSI as a C1 control, a right-to-left override and a byte
 * that is not UTF-8; it renames its own thread (comm) to escape sequences and
 * opens a file named the same way. Captured with rg-capture --follow, then
 * every text output: no control character reaches the terminal, one event is
 * one line, and the escaped names are exactly the captured bytes.
 * Needs root (or CAP_BPF + CAP_PERFMON); see ./privilege.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('hostile-names');
const CAPTURE_BIN = `${REPO_ROOT}dist/src/capture/cli.js`;

const latin1 = (s: string) => Buffer.from(s, 'latin1');
/** The program's file name (no `/`): a forged line after a newline, then escapes, CSI as C1, RLO and 0xff. */
const NAME = latin1('x\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\x1b]0;owned\x07\x1b[2J\x1b[31m\xc2\x9b1m\xe2\x80\xaetxt\xff');
const NAME_ESCAPED = 'x\\n2026-01-02T03:04:05.000000000Z process_start pid=1 comm=systemd\\u001b]0;owned\\u0007\\u001b[2J\\u001b[31m\\u009b1m\\u202etxt\\xff';
/** What it renames its thread to (15 bytes: the kernel keeps no more). */
const COMM = latin1('\x1b]0;pw\x07\x1b[2J\n\xc2\x85');
const COMM_ESCAPED = '"\\u001b]0;pw\\u0007\\u001b[2J\\n\\u0085"';
/** The file it opens for writing. */
const FILE = latin1('out\x1b[1;1H\x1b[K\r\x7f\xe2\x80\xae');
const FILE_ESCAPED = 'out\\u001b[1;1H\\u001b[K\\r\\u007f\\u202e';

/** Anything a terminal would act on: C0 but the line feed, DEL, C1 (as UTF-8), bidi controls (as UTF-8). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/* A small C program: rename the thread, open the hostile file, exit 0. Built by the system cc. */
const PROGRAM = String.raw`
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  prctl(PR_SET_NAME, argv[1]);
  int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  return fd < 0 ? 1 : 0;
}
`;

describe.skipIf(!runKernelTests)('hostile names from a real program (real eBPF)', () => {
  let dir = '';
  let capture = '';
  let captureStderr = '';

  beforeAll(() => {
    // Under /tmp: the built-in detection for programs run from world-writable directories fires, so alerts are exercised too.
    dir = mkdtempSync(join(tmpdir(), 'rg-hostile-'));
    writeFileSync(join(dir, 'prog.c'), PROGRAM);
    const cc = spawnSync('cc', ['-O1', '-o', join(dir, 'prog'), join(dir, 'prog.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    // Names that are not UTF-8 cannot pass through Node's argv: a shell script holds them as bytes (in single quotes) and runs the program under its hostile name.
    const q = (b: Buffer) => Buffer.concat([Buffer.from("'"), b, Buffer.from("'")]);
    writeFileSync(join(dir, 'run.sh'), Buffer.concat([
      Buffer.from('d="$1"\nexe="$d/"'), q(NAME), Buffer.from('\ncomm='), q(COMM), Buffer.from('\nfile="$d/"'), q(FILE),
      Buffer.from('\ncp "$d/prog" "$exe"\nexec "$exe" "$comm" "$file"\n'),
    ]));
    // The output's own name carries an escape sequence too: rg-capture's status lines quote it.
    capture = join(dir, 'hostile\x1b]0;x\x07.rgc');
    const r = spawnSync(process.execPath, [CAPTURE_BIN, '-o', capture, '--follow', '--', 'bash', join(dir, 'run.sh'), dir], { timeout: 60_000 });
    captureStderr = r.stderr.toString('utf8');
    expect(r.status, captureStderr).toBe(0);
  }, 90_000);

  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it("rg-capture's status lines quote the output path with its controls escaped", () => {
    expect(CONTROL.test(captureStderr)).toBe(false);
    expect(captureStderr).toContain(`rg-capture: ready: recording to ${dir}/hostile\\u001b]0;x\\u0007.rgc; started bash (pid `);
  });

  it('text: one line per event, the exec and the open exactly as captured, escaped', () => {
    const stats = JSON.parse(runReplayCli([capture, '--stats', '--json']).stdout.toString()) as { events: number };
    const r = runReplayCli([capture, '--no-color']);
    const text = r.stdout.toString('utf8');
    expect(CONTROL.test(text) || CONTROL.test(r.stderr)).toBe(false);
    const lines = text.split('\n').slice(0, -1);
    expect(lines).toHaveLength(stats.events);
    const exec = lines.filter((l) => /^\S+ process_start /.test(l) && l.includes(` filename="${dir}/${NAME_ESCAPED}"`));
    expect(exec).toHaveLength(1);
    // The kernel's path of the program (mm->exe_file) is the one run: the same hostile name, escaped the same way.
    expect(exec[0]).toContain(` filename="${dir}/${NAME_ESCAPED}" exe_path="${dir}/${NAME_ESCAPED}" `);
    expect(exec[0]).toContain(` argv="${dir}/${NAME_ESCAPED} ${COMM_ESCAPED.slice(1, -1)} ${dir}/${FILE_ESCAPED}" `);
    expect(exec[0]).toMatch(new RegExp(` exe="${escapeRe(`${dir}/${NAME_ESCAPED}`)}" parent=\\d+:`));
    // The forged line is inside a quoted value of the real one, never a line of its own.
    expect(lines.filter((l) => l.startsWith('2026-01-02T03:04:05.000000000Z'))).toEqual([]);
    const open = lines.filter((l) => /^\S+ file_open /.test(l) && l.includes(FILE_ESCAPED));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatch(new RegExp(escapeRe(` comm=${COMM_ESCAPED} open_flags=O_WRONLY|O_CREAT|O_TRUNC mode=384 result=3 dirfd=-100 `)
      + String.raw`ino=\d+ dev=\d+:\d+ path_flags=from_file call=open(?:at)? `
      + escapeRe(`path="${dir}/${FILE_ESCAPED}" path_arg="${dir}/${FILE_ESCAPED}" exe="${dir}/${NAME_ESCAPED}" `)));
  });

  it('tree and --alerts: inert, with the escaped program', () => {
    const tree = runReplayCli(['tree', capture]).stdout.toString('utf8');
    expect(CONTROL.test(tree)).toBe(false);
    expect(tree).toContain(`${dir}/${NAME_ESCAPED} ${COMM_ESCAPED.slice(1, -1)} ${dir}/${FILE_ESCAPED}`.slice(0, 60));
    const alerts = runReplayCli([capture, '--alerts']).stdout.toString('utf8');
    expect(CONTROL.test(alerts)).toBe(false);
    expect(alerts).toContain(`ALERT HIGH execution.tmp: Program executed from a world-writable directory: pid=`);
    expect(alerts).toContain(`exe="${dir}/${NAME_ESCAPED}" "${dir}/${NAME_ESCAPED}"\n`);
  });

  it('NDJSON: inert too, and the strings are the captured bytes', () => {
    const text = runReplayCli([capture, '--json']).stdout.toString('utf8');
    expect(CONTROL.test(text)).toBe(false);
    const events = text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    const open = events.find((e) => e.event_type === 'file_open' && String(e.path).startsWith(`${dir}/out`))!;
    expect(Buffer.from(String(open.path), 'utf8').equals(Buffer.concat([Buffer.from(`${dir}/`), latin1('out\x1b[1;1H\x1b[K\r\x7f'), Buffer.from('\u202e')]))).toBe(true);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
