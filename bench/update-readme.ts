/** npm run bench:readme: rewrites README.md's Performance tables from bench/results.json (see readme.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BenchResults, renderResults, replaceBetweenMarkers } from './readme.js';

const RESULTS_JSON = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

const results = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as BenchResults;
if (!Array.isArray(results.sections)) {
  process.stderr.write('bench:readme: bench/results.json has no sections (written by an older bench): run npm run bench first\n');
  process.exit(1);
}
const before = readFileSync(README, 'utf8');
const after = replaceBetweenMarkers(before, renderResults(results));
writeFileSync(README, after);
process.stderr.write(`bench:readme: README.md ${after === before ? 'already up to date' : 'updated'} from bench/results.json (${results.date})\n`);
