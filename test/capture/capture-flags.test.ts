/**
 * rg-capture's flags on the real kernel, each against what a known command
 * really did: --duration, --events, --watch-prefix, -o - (a stream), live
 * --json, --rotate SIZE, a second Ctrl-C, and exit codes 3 (output not
 * writable) and 11 (no kernel BTF, in a mount namespace that hides it).
 * Needs root; skipped with a visible reason otherwise, never in CI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { announceSkip, runKernelTests } from './privilege.js';

const CAPTURE_BIN = `${REPO_ROOT}dist/src/capture/cli.js`;
announceSkip('capture-flags');

type Event = Record<string, unknown> & { event_type: string; pid: number };
const dir = mkdtempSync(join(tmpdir(), 'rg-flags-'));

interface Run { status: number | null; stdout: Buffer; stderr: string }

/** Runs rg-capture to its end; `signals` are sent (all at once) once it prints ready. */
function capture(args: string[], signals: NodeJS.Signals[] = []): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CAPTURE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!signalled && signals.length > 0 && /ready/.test(stderr)) {
        signalled = true;
        for (const s of signals) child.kill(s);
      }
    });
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
  });
}

function replayJson(args: string[], input?: Uint8Array): { status: number | null; events: Event[] } {
  const r = runReplayCli([...args, '--json'], input);
  const text = r.stdout.toString().trim();
  return { status: r.status, events: text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Event) };
}

function stats(args: string[], input?: Uint8Array) {
  const r = runReplayCli([...args, '--stats', '--json'], input);
  return { status: r.status, ...JSON.parse(r.stdout.toString()) };
}

describe.skipIf(!runKernelTests)('rg-capture flags against known commands (real eBPF)', () => {
  it('--duration stops by itself, cleanly, after about that long', async () => {
    const out = join(dir, 'duration.rgc');
    const t0 = Date.now();
    const r = await capture(['-o', out, '--duration', '1s']);
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const s = stats([out]);
    expect(s).toMatchObject({ status: 0, complete: true, damaged: false });
    expect(s.files[0].stop_reason).toBe('duration');
  });

  it('--events exec records execs and nothing else', async () => {
    const out = join(dir, 'events.rgc');
    const r = await capture(['-o', out, '--events', 'exec', '--follow', '--', 'sh', '-c', 'cat /etc/hostname > /dev/null; exec /bin/true']);
    expect(r.status, r.stderr).toBe(0);
    const { events } = replayJson([out]);
    expect(events.map((e) => e.filename)).toEqual(expect.arrayContaining(['/usr/bin/cat', '/bin/true']));
    expect(new Set(events.map((e) => e.event_type))).toEqual(new Set(['process_start']));
    const s = stats([out]);
    expect(s.by_kind).toMatchObject({ file_open: 0, net_connect: 0, process_fork: 0, process_exit: 0 });
  });

  it('--watch-prefix records only opens under the prefix, filtered in the kernel', async () => {
    const watched = join(dir, 'watched');
    mkdirSync(watched);
    writeFileSync(join(watched, 'a'), 'x');
    const out = join(dir, 'watch.rgc');
    const r = await capture(['-o', out, '--watch-prefix', `${watched}/`, '--follow', '--', 'sh', '-c', `cat ${watched}/a /etc/hostname > /dev/null`]);
    expect(r.status, r.stderr).toBe(0);
    const opens = replayJson([out]).events.filter((e) => e.event_type === 'file_open');
    expect(opens.map((e) => e.path)).toEqual([`${watched}/a`]);
    // The rest is still recorded: the shell's and cat's execs.
    expect(replayJson([out]).events.some((e) => e.event_type === 'process_start' && e.filename === '/usr/bin/cat')).toBe(true);
  });

  it('-o - streams a capture on stdout that replays from stdin, complete', async () => {
    const r = await capture(['-o', '-', '--follow', '--', 'sh', '-c', 'echo to-stderr; exec /bin/true']);
    expect(r.status, r.stderr).toBe(0);
    // The command's stdout goes to stderr: stdout carries only the capture.
    expect(r.stderr).toContain('to-stderr');
    const { status, events } = replayJson(['-'], r.stdout);
    expect(status).toBe(0);
    expect(events.some((e) => e.event_type === 'process_start' && e.filename === '/bin/true')).toBe(true);
    expect(stats(['-'], r.stdout)).toMatchObject({ complete: true, damaged: false });
  });

  it('--json prints, live, exactly the events the file holds', async () => {
    const out = join(dir, 'live.rgc');
    const r = await capture(['-o', out, '--json', '--follow', '--', 'sh', '-c', 'cat /etc/hostname > /dev/null']);
    expect(r.status, r.stderr).toBe(0);
    const live = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Event);
    expect(live.some((e) => e.event_type === 'file_open' && e.path === '/etc/hostname')).toBe(true);
    const fromFile = replayJson([out, '--no-context']).events;
    expect(live).toEqual(fromFile);
  });

  it('--rotate SIZE writes linked segments that replay and verify as one capture', async () => {
    const segments = join(dir, 'segments');
    mkdirSync(segments);
    const out = join(segments, 'host.rgc');
    const opens = 30000;
    const r = await capture(['-o', out, '--rotate', '64K', '--follow', '--', 'bash', '-c', `for i in $(seq 1 ${opens}); do : < /etc/hostname; done`]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(segments).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files[0]).toBe('host.000000.rgc');
    expect(existsSync(out)).toBe(false);
    const s = stats([segments]);
    expect(s).toMatchObject({ status: 0, complete: true, damaged: false, lost: { kernel: 0, user: 0 } });
    expect(s.files.length).toBe(files.length);
    const hostname = replayJson([segments]).events.filter((e) => e.event_type === 'file_open' && e.path === '/etc/hostname');
    expect(hostname.length).toBe(opens);
    expect(runReplayCli(['verify', segments]).status).toBe(0);
  });

  // Two SIGINTs sent at once merge into one pending signal in the kernel: the second stop signal is a SIGTERM,
  // which rg-capture counts the same way (Ctrl-C then `kill`, or Ctrl-C twice).
  it('a second stop signal forces the exit (130); the file replays up to its last frame', async () => {
    const out = join(dir, 'forced.rgc');
    const r = await capture(['-o', out], ['SIGINT', 'SIGTERM']);
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/forced exit: the capture has no end record but replays up to its last frame/);
    const replay = runReplayCli([out, '--stats', '--json']);
    expect(replay.status).toBe(6);
    expect(replay.stderr).toMatch(/incomplete: no end record/);
  });

  it('an output that cannot be written: one line, exit 3', async () => {
    const r = await capture(['-o', join(dir, 'no-such-dir', 'x.rgc'), '--duration', '1s']);
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(/^rg-capture: cannot write .*no-such-dir\/x\.rgc: no such directory$/);
  });

  it('a kernel without BTF: one line, exit 11, no file left', () => {
    const out = join(dir, 'nobtf.rgc');
    // A private mount namespace where /sys/kernel/btf is an empty tmpfs: the check sees what such a kernel shows.
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs none /sys/kernel/btf && exec "${process.execPath}" "${CAPTURE_BIN}" -o "${out}" --duration 1s`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(11);
    expect(r.stderr.trim()).toBe('rg-capture: no kernel BTF at /sys/kernel/btf/vmlinux: capture needs a kernel built with CONFIG_DEBUG_INFO_BTF=y');
    expect(existsSync(out)).toBe(false);
  });
});
