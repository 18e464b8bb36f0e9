/**
 * Bundles rg-replay into one ES module, dist/bin/rg-replay.mjs, the file its
 * `bin` entry runs. Why: started as ~50 modules of ours plus commander and
 * smol-toml, Node's ES module loader spent ~80 ms resolving, reading and
 * linking them before the first record; bundled, start-up is ~25 ms shorter
 * (rg-replay on a tiny capture, pinned to one CPU: 0.13 -> 0.10 s), which is
 * a few percent of a 1M-event replay and most of an analyst's short queries.
 * The same compiled sources as dist/src: golden tests run the bundle.
 *
 * Native modules (zstd-napi, cbor-x's decoder) stay external: they load
 * their binaries relative to their own package.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/rg-replay.ts'],
  outfile: 'dist/bin/rg-replay.mjs',
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
