/**
 * The tree names rg-capture and its start gate by the recorder's pid in the
 * manifest, not by the gate's command line, which any process can copy (an
 * exploratory tester's finding: a shell that ran `/bin/sh -c 'read -r _ <&3;
 * ...' rg-capture IMPLANT` was drawn as "rg-capture (the recorder)" and its
 * child as "rg-capture's start gate -> IMPLANT"). Real eBPF.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { START_GATE_ARGV } from '../../src/common/start-gate.js';
import { runReplayCli } from '../support/golden.js';
import { runCapture } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('tree-recorder');
type Node = { pid: number; recorder: boolean; images: { argv: string[] | null; start_gate: boolean }[]; children: Node[] };

describe.skipIf(!runKernelTests)('the recorder and its start gate, by pid (real eBPF)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-tree-recorder-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a command that runs a copy of the start gate is not drawn as rg-capture, nor its child as the gate', async () => {
    const out = join(work, 'fake-gate.rgc');
    const gate = START_GATE_ARGV.map((a) => `'${a}'`).join(' ');
    const run = await runCapture(['-o', out, '--follow', '--', '/bin/sh', '-c', `exec 3</dev/null; ${gate} /bin/echo implant; echo "pid $$"`]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('implant');
    const shell = Number(/^pid (\d+)$/m.exec(run.stdout)?.[1]);
    const tree = runReplayCli(['tree', out, '--json']);
    expect(tree.status, tree.stderr).toBe(0);
    const nodes: Node[] = [];
    const walk = (n: Node) => { nodes.push(n); n.children.forEach(walk); };
    (JSON.parse(tree.stdout.toString()) as Node[]).forEach(walk);
    const byPid = new Map(nodes.map((n) => [n.pid, n]));
    // The real ones: rg-capture's process, and the command's first image.
    expect(byPid.get(run.capturePid)?.recorder).toBe(true);
    expect(byPid.get(shell)?.images[0]?.start_gate).toBe(true);
    // The copy: its shell is no recorder, its child's gate-shaped image no gate.
    expect(byPid.get(shell)?.recorder).toBe(false);
    const fake = nodes.find((n) => n.images.some((i) => i.argv?.includes('implant')));
    // Its images: the shell it was forked as, the gate's copy, then echo: none of them the gate.
    expect(fake?.images.filter((i) => i.argv?.includes('implant')).map((i) => [i.argv?.slice(0, 4), i.start_gate]))
      .toEqual([[[...START_GATE_ARGV], false], [['/bin/echo', 'implant'], false]]);
    expect(fake?.images.some((i) => i.start_gate)).toBe(false);
    expect(nodes.filter((n) => n.recorder).map((n) => n.pid)).toEqual([run.capturePid]);
    const text = runReplayCli(['tree', out]).stdout.toString();
    expect(text.match(/rg-capture's start gate/g)).toHaveLength(1);
    expect(text.match(/rg-capture \(the recorder\)/g)).toHaveLength(1);
    expect(text).toMatch(/dash -> \/usr\/bin\/echo implant/);
  });
});
