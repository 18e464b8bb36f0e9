/**
 * Bundles rg-replay into one ES module, dist/bin/rg-replay.mjs, the file its
 * `bin` entry runs. Why: started as ~50 modules of ours plus commander and
 * smol-toml, Node's ES module loader spent ~80 ms resolving, reading and
 * linking them before the first record; bundled, start-up is ~25 ms shorter
 * (rg-replay on a tiny capture, pinned to one CPU: 0.13 -> 0.10 s), which is
 * a few percent of a 1M-event replay and most of an analyst's short queries.
 * The same compiled sources as dist/src: golden tests run the bundle.
 *
 * Split: what most runs never use is in chunks (dist/bin/chunks/) that the
 * bundle imports when a command or option needs them: the Sigma engine (YAML,
 * RE2: 620 KB, over half of the code), TOML rules, the rule engine, export
 * and sql. rg-replay's start-up parses ~310 KB instead of ~1 MB (a 10-event
 * replay, pinned, quiet rounds: ~140 -> ~125 ms; `node` itself takes ~60).
 *
 * Native modules (zstd-napi, cbor-x's decoder) stay external: they load
 * their binaries relative to their own package.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Chunk names carry a hash: clear the last build's, so only this build's chunks ship.
rmSync(`${root}dist/bin/chunks`, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { 'rg-replay': 'src/cli/rg-replay.ts' },
  outdir: 'dist/bin',
  outExtension: { '.js': '.mjs' },
  // What a run does not need stays out of its start-up: the Sigma engine (YAML, RE2), the TOML reader and
  // sigma-check are chunks of their own (dist/bin/chunks/), imported when their options are given.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // DuckDB (optional) is imported only by `export --format parquet` and `sql`, at run time.
  external: ['zstd-napi', 'cbor-x', '@duckdb/node-api', '@duckdb/node-bindings'],
  // Bundled CommonJS (commander) calls require(): give the module one.
  banner: { js: "import { createRequire as rgCreateRequire } from 'node:module'; const require = rgCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
