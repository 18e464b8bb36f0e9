/**
 * npm run bench: measures on this machine, prints a table, writes bench/results.json.
 */
import { cpus, totalmem, release } from 'node:os';
import { writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureSyntheticCapture } from './synthetic-capture.js';
import { benchReplay } from './replay-bench.js';

const WORK = fileURLToPath(new URL('../../bench/work/', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${release()}, node ${process.version}`;
process.stderr.write(`bench: ${machine}, median of ${runs} runs\n`);

const SYNTHETIC_EVENTS = 1_000_000;
const synthetic = `${WORK}synthetic-1m.rgc`;
ensureSyntheticCapture(synthetic, SYNTHETIC_EVENTS);
const replay = benchReplay(synthetic, SYNTHETIC_EVENTS, runs);
rmSync(`${synthetic}.ndjson`, { force: true });

const rows: [string, string, string][] = [
  ['replay --json', `${(replay.json_events_per_s / 1e6).toFixed(2)} M events/s (${(replay.json_cpu_events_per_s / 1e6).toFixed(2)} M/s of CPU)`, '>= 1.5 M/s'],
  ['replay --json vs zstd -dc', `${replay.json_vs_zstd.toFixed(2)}x (${replay.json_ms.toFixed(0)} ms vs ${replay.zstd_ms.toFixed(0)} ms)`, '<= 5x'],
  ['replay --stats', `${(replay.stats_events_per_s / 1e6).toFixed(2)} M events/s`, '>= 4 M/s'],
  ['replay peak RSS', `${replay.json_peak_rss_mb.toFixed(0)} MB (--json), ${replay.stats_peak_rss_mb.toFixed(0)} MB (--stats)`, '< 150 MB'],
  ['NDJSON / capture size', `${replay.ndjson_ratio.toFixed(1)}x (${(replay.ndjson_bytes / 2 ** 20).toFixed(0)} MiB / ${(replay.file_bytes / 2 ** 20).toFixed(1)} MiB)`, '>= 8x'],
];
const width = Math.max(...rows.map((r) => r[0].length));
const table = [`| what | measured | target |`, `| --- | --- | --- |`, ...rows.map((r) => `| ${r[0].padEnd(width)} | ${r[1]} | ${r[2]} |`)].join('\n');
process.stdout.write(`machine: ${machine}\nsynthetic capture: ${SYNTHETIC_EVENTS} events\n\n${table}\n`);
writeFileSync(RESULTS, JSON.stringify({ machine, runs, date: new Date().toISOString(), replay_synthetic: replay }, null, 2) + '\n');
