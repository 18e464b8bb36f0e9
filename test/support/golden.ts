/** How golden files are produced and named: shared by the test and the regeneration script. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));
/** The file `rg-replay` runs (the bundle, see scripts/bundle-replay.ts): what ships is what the goldens check. */
export const REPLAY_BIN = `${REPO_ROOT}dist/bin/rg-replay.mjs`;
/** What package.json's `bin` runs: the launcher of rg-replay's start-up snapshot (scripts/bundle-replay.ts), which falls back to REPLAY_BIN. */
export const REPLAY_LAUNCHER = `${REPO_ROOT}dist/bin/rg-replay`;

export const GOLDEN_RUNS: readonly { suffix: string; args: string[] }[] = [
  { suffix: 'ndjson', args: ['--json'] },
  { suffix: 'stats.json', args: ['--stats', '--json'] },
  { suffix: 'txt', args: ['--no-color'] },
  { suffix: 'audit.txt', args: ['audit'] },
  { suffix: 'manifest-schema.ndjson', args: ['--json', '--schema', 'manifest'] },
  { suffix: 'alerts.ndjson', args: ['--alerts', '--json'] },
  { suffix: 'tree.txt', args: ['tree'] },
];

/** Subcommands take the file after their name. */
export function goldenArgs(capture: string, args: readonly string[]): string[] {
  return ['audit', 'tree', 'verify'].includes(args[0]) ? [args[0], capture, ...args.slice(1)] : [capture, ...args];
}

export function goldenPath(capture: string, suffix: string): string {
  return `test/golden/${capture.replace(/\.rgc$/, '')}.${suffix}`;
}

/** Per capture, the exit status and stderr lines of every golden run, keyed by its suffix (`<capture>.exit.json`). */
export type ExitGolden = Record<string, { status: number | null; stderr: string[] }>;

export function exitGoldenPath(capture: string): string {
  return goldenPath(capture, 'exit.json');
}

export function exitGoldenOf(run: CliRun): ExitGolden[string] {
  return { status: run.status, stderr: run.stderr.split('\n').filter((l) => l !== '') };
}

export interface CliRun { stdout: Buffer; stderr: string; status: number | null }

/** `timeoutMs`: kill the run after this long (its status is then null), for a test that a run ends at all. */
export function runReplayCli(args: string[], input?: Uint8Array, timeoutMs?: number): CliRun {
  const r = spawnSync(process.execPath, [REPLAY_BIN, ...args], { cwd: REPO_ROOT, input, maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' }, timeout: timeoutMs });
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

/** The same run through the launcher, as a shell runs `rg-replay` (without NODE_OPTIONS, under which the launcher leaves the snapshot out). */
export function runReplayLauncher(args: string[], input?: Uint8Array): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const r = spawnSync(REPLAY_LAUNCHER, args, { cwd: REPO_ROOT, input, maxBuffer: 1 << 30, env });
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}
