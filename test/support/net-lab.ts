/**
 * The network lab (scripts/net/lab.sh) for real-kernel tests: a private
 * network and mount namespace with a fake DNS server on 127.0.0.53, a C2 on
 * 10.66.0.1:4444, web servers and a fake Docker daemon, so network tests
 * neither touch the host's network nor collide with other tests' ports. A
 * capture follows a command run inside it (nsenter); the lab itself is not
 * recorded.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runReplayCli } from './golden.js';

export interface Lab {
  /** A process inside the lab's namespaces (nsenter --target). */
  readonly pid: number;
  stop(): void;
}

export async function startLab(): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-lab-'));
  const ready = join(dir, 'ready');
  const child = spawn('unshare', ['--net', '--mount', '--fork', 'bash', `${REPO_ROOT}scripts/net/lab.sh`, ready], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(ready)) {
    process.kill(-child.pid!, 'SIGKILL');
    throw new Error('net lab: did not start within 5 s');
  }
  const pid = Number(readFileSync(ready, 'utf8'));
  return {
    pid,
    stop() {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds a C program of test/capture/programs or scripts/net into dir; returns its path. */
export function buildProgram(source: string, dir: string, flags: string[] = []): string {
  const out = join(dir, source.replace(/^.*\//, '').replace(/\.c$/, ''));
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', out, `${REPO_ROOT}${source}`, ...flags]);
  return out;
}

export interface LabCapture {
  /** Every event of the capture, decoded by rg-replay --json. */
  readonly events: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The followed command's stdout. */
  readonly stdout: string;
  readonly status: number | null;
}

/** Records `command` run inside the lab, followed from its start (rg-capture --follow), into `out`. */
export function captureInLab(lab: Lab, out: string, command: string[], env: Record<string, string> = {}, captureArgs: string[] = []): LabCapture {
  const r = spawnSync(process.execPath, [`${REPO_ROOT}dist/src/capture/cli.js`, '-o', out, '--force', '--follow', ...captureArgs, '--',
    'nsenter', '--target', String(lab.pid), '--net', '--mount', ...command], { env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 120_000 });
  const replay = runReplayCli([out, '--json']);
  if (replay.status !== 0) throw new Error(`rg-replay failed (${replay.status}): ${replay.stderr}`);
  const events = replay.stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { events, stdout: r.stdout.toString(), status: r.status };
}
