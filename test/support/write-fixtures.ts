/**
 * Deliberate regeneration of the synthetic fixtures and of every golden file
 * (npm run gen:fixtures). Tests never write these; they compare against them.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { syntheticFixtures } from './fixture-set.js';
import { GOLDEN_RUNS, goldenArgs, goldenPath, runReplayCli } from './golden.js';

const root = new URL('../../../', import.meta.url);
for (const f of syntheticFixtures()) {
  writeFileSync(new URL(`captures/${f.name}.rgc`, root), f.bytes);
  process.stderr.write(`wrote captures/${f.name}.rgc (${f.bytes.length} bytes)\n`);
}
for (const capture of readdirSync(new URL('captures/', root)).filter((n) => n.endsWith('.rgc'))) {
  for (const run of GOLDEN_RUNS) {
    const { stdout } = runReplayCli(goldenArgs(`captures/${capture}`, run.args));
    writeFileSync(new URL(goldenPath(capture, run.suffix), root), stdout);
  }
  process.stderr.write(`wrote golden files for ${capture}\n`);
}
