import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ExitGolden, exitGoldenOf, exitGoldenPath, GOLDEN_RUNS, goldenArgs, goldenPath, REPO_ROOT, REPLAY_BIN, runReplayCli, runReplayLauncher } from '../support/golden.js';
import { syntheticFixtures } from '../support/fixture-set.js';

const captures = readdirSync(`${REPO_ROOT}captures`).filter((n) => n.endsWith('.rgc')).sort();

describe('golden replay output (regenerate only with `npm run gen:fixtures`)', () => {
  it('ships fixtures', () => {
    expect(captures.length).toBeGreaterThanOrEqual(3);
  });

  for (const capture of captures) {
    const exits = JSON.parse(readFileSync(`${REPO_ROOT}${exitGoldenPath(capture)}`, 'utf8')) as ExitGolden;
    for (const run of GOLDEN_RUNS) {
      it(`${capture} ${run.args.join(' ')} matches ${goldenPath(capture, run.suffix)} byte for byte, and its exit status and stderr`, () => {
        const expected = readFileSync(`${REPO_ROOT}${goldenPath(capture, run.suffix)}`);
        const first = runReplayCli(goldenArgs(`captures/${capture}`, run.args));
        // The second run through what `rg-replay` runs: the start-up snapshot must print what the bundle prints.
        const second = runReplayLauncher(goldenArgs(`captures/${capture}`, run.args));
        expect(first.stdout.equals(expected)).toBe(true);
        expect(second.stdout.equals(first.stdout)).toBe(true);
        expect(exitGoldenOf(first)).toEqual(exits[run.suffix]);
        expect(exitGoldenOf(second)).toEqual(exits[run.suffix]);
      });
    }
  }

  it('ships the synthetic captures their generator writes, byte for byte (test/support/fixture-set.ts)', () => {
    const fixtures = syntheticFixtures();
    expect(fixtures.map((f) => `${f.name}.rgc`)).toEqual(captures.filter((c) => c.startsWith('synthetic-')));
    for (const f of fixtures) expect(Buffer.from(f.bytes).equals(readFileSync(`${REPO_ROOT}captures/${f.name}.rgc`)), f.name).toBe(true);
  });

  it('replays the same bytes from stdin as from the file', () => {
    const file = `${REPO_ROOT}captures/synthetic-all-kinds.rgc`;
    const fromStdin = runReplayCli(['-', '--json'], readFileSync(file));
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stdout.equals(readFileSync(`${REPO_ROOT}test/golden/synthetic-all-kinds.ndjson`))).toBe(true);
  });

  it('replays as an unprivileged user (no root, no kernel access)', () => {
    const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).status === 0;
    if (process.getuid?.() !== 0 || !hasSetpriv) {
      // Not root: this process is already unprivileged, which is the point.
      const r = runReplayCli(['captures/synthetic-all-kinds.rgc', '--json']);
      expect(r.status).toBe(0);
      return;
    }
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, REPLAY_BIN, `${REPO_ROOT}captures/synthetic-all-kinds.rgc`, '--json'], { env: { PATH: process.env.PATH ?? '' } });
    expect(out.equals(readFileSync(`${REPO_ROOT}test/golden/synthetic-all-kinds.ndjson`))).toBe(true);
  });
});

describe('the README', () => {
  it('shows a real NDJSON line of the shipped demo capture', () => {
    const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
    const example = /An NDJSON line:\n\n```json\n(.*)\n```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const lines = readFileSync(`${REPO_ROOT}test/golden/demo.ndjson`, 'utf8').split('\n');
    expect(lines).toContain(example);
    expect(runReplayCli(['captures/demo.rgc', '--json']).stdout.toString().split('\n')).toContain(example);
  });
});
