/**
 * Deliberate regeneration of the synthetic fixtures and of every golden file
 * (npm run gen:fixtures). Tests never write these; they compare against them.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { syntheticFixtures } from './fixture-set.js';
import { type ExitGolden, exitGoldenOf, exitGoldenPath, GOLDEN_RUNS, goldenArgs, goldenPath, runReplayCli } from './golden.js';
import { goldenText, reportDataOf, reportGoldenPath } from '../report/report-file.js';

const root = new URL('../../../', import.meta.url);
for (const f of syntheticFixtures()) {
  writeFileSync(new URL(`captures/${f.name}.rgc`, root), f.bytes);
  process.stderr.write(`wrote captures/${f.name}.rgc (${f.bytes.length} bytes)\n`);
}
for (const capture of readdirSync(new URL('captures/', root)).filter((n) => n.endsWith('.rgc'))) {
  const exits: ExitGolden = {};
  for (const run of GOLDEN_RUNS) {
    const result = runReplayCli(goldenArgs(`captures/${capture}`, run.args));
    writeFileSync(new URL(goldenPath(capture, run.suffix), root), result.stdout);
    exits[run.suffix] = exitGoldenOf(result);
  }
  writeFileSync(new URL(exitGoldenPath(capture), root), `${JSON.stringify(exits, null, 2)}\n`);
  const report = runReplayCli(['report', `captures/${capture}`, '-o', '-']).stdout.toString();
  writeFileSync(new URL(reportGoldenPath(capture), root), goldenText(reportDataOf(report)));
  process.stderr.write(`wrote golden files for ${capture}\n`);
}
