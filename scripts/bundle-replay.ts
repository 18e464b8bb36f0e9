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
 * Native modules (zstd-napi, cbor-x's string extractor) stay external: they load
 * their binaries relative to their own package.
 *
 * Then the same program as a V8 start-up snapshot, dist/bin/rg-replay.blob,
 * and dist/bin/rg-replay, the launcher package.json's `bin` names: it starts
 * Node from the snapshot when it can, else runs this bundle (see below and
 * src/cli/rg-replay-snapshot.ts).
 */
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Chunk names carry a hash: clear the last build's, so only this build's chunks ship.
rmSync(`${root}dist/bin/chunks`, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  // The Parquet export's worker threads (src/export/parallel-export.ts, row-group-thread.ts) start from scripts of their own, sharing chunks with rg-replay.
  entryPoints: { 'rg-replay': 'src/cli/rg-replay.ts', 'export-worker': 'src/export/export-worker.ts', 'row-group-worker': 'src/export/row-group-worker.ts' },
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

/**
 * The start-up snapshot (src/cli/rg-replay-snapshot.ts says why and how it
 * runs) and the launcher that starts it. One CommonJS script, everything
 * inlined (no chunks: a snapshot is one script) but the native zstd binding
 * and DuckDB, which are loaded at run time; `import.meta.url` read from a
 * global the script sets to its own path while the snapshot is built.
 */
/**
 * Packages the snapshot loads with require() when first imported (a snapshot
 * has no dynamic import() of files: "A dynamic import callback was not
 * specified"). DuckDB's are CommonJS; import() of them gave the same exports.
 */
function requiredAtRunTime(packages: string[]): Plugin {
  return {
    name: 'required-at-run-time',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^(${packages.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`) }, (a) => ({ path: a.path, namespace: 'run-time-require' }));
      b.onLoad({ filter: /.*/, namespace: 'run-time-require' }, (a) => ({
        contents: `module.exports = require('node:module').createRequire(globalThis.__rgReplayModuleUrl)(${JSON.stringify(a.path)});`, loader: 'js',
      }));
    },
  };
}

const SNAPSHOT_SCRIPT = 'dist/bin/rg-replay-snapshot.cjs';
const SNAPSHOT_BLOB = 'dist/bin/rg-replay.blob';
/** The V8 flags of every rg-replay run (see src/cli/rg-replay.ts): a snapshot loads only under the flags it was built with. */
const NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=50'];
const shebang = readFileSync(`${root}dist/bin/rg-replay.mjs`, 'utf8').split('\n', 1)[0];
if (shebang !== `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`) {
  throw new Error(`bundle-replay: the bundle's #! line (${shebang}) and the launcher's flags (${NODE_FLAGS.join(' ')}) differ: src/cli/rg-replay.ts`);
}

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/rg-replay-snapshot.ts'],
  outfile: SNAPSHOT_SCRIPT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['zstd-napi'],
  define: { 'import.meta.url': 'globalThis.__rgReplayModuleUrl' },
  plugins: [requiredAtRunTime(['@duckdb/node-api', '@duckdb/node-bindings'])],
  banner: { js: `globalThis.__rgReplayModuleUrl = ${JSON.stringify(pathToFileURL(`${root}dist/bin/rg-replay.mjs`).href)};` },
  logLevel: 'warning',
});

rmSync(`${root}${SNAPSHOT_BLOB}`, { force: true });
// cbor-x (bundled for its encoder; replay decodes CBOR itself: src/rgc/cbor-decode.ts) loads its optional native
// string extractor, an addon, when imported: not in a snapshot.
const made = spawnSync(process.execPath, [...NODE_FLAGS, '--no-warnings', '--snapshot-blob', SNAPSHOT_BLOB, '--build-snapshot', SNAPSHOT_SCRIPT],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_OPTIONS: '', CBOR_NATIVE_ACCELERATION_DISABLED: 'true' } });
if (made.status !== 0) throw new Error(`bundle-replay: building the start-up snapshot failed (${made.status ?? made.signal})`);

/**
 * The node that built the snapshot, as `stat -L -c %d:%i:%s:%Y:%Z` prints it
 * (device, inode, size, modified, changed): a snapshot loads only in the Node
 * build that made it (another one exits 14 before running anything), so the
 * launcher uses it only when `node` is still that very file.
 */
function nodeIdentity(): string {
  const st = statSync(realpathSync(process.execPath));
  return [st.dev, st.ino, st.size, Math.floor(st.mtimeMs / 1000), Math.floor(st.ctimeMs / 1000)].join(':');
}

const flags = NODE_FLAGS.join(' ');
writeFileSync(`${root}dist/bin/rg-replay`, `#!/bin/sh
# rg-replay, generated by scripts/bundle-replay.ts: Node started from the
# start-up snapshot of rg-replay (rg-replay.blob) when it fits the node on
# PATH (the one that built it, no NODE_OPTIONS), else the bundle itself
# (rg-replay.mjs). Same program, same output; the snapshot starts ~45 ms sooner.
# rg-replay opens no TLS connection, but Node parses the NODE_EXTRA_CA_CERTS
# file at start-up whatever the program: ~30 ms of every run with Debian's
# bundle (/etc/ssl/certs/ca-certificates.crt), more than the rest of start-up.
# readlink (a fork and an exec, ~1 ms of every run) only when $0 is a
# symlink: npx runs node_modules/.bin's.
unset NODE_EXTRA_CA_CERTS
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || self=$0; fi
case $self in */*) ;; *) self=./$self ;; esac
dir=\${self%/*}
if [ -z "\${NODE_OPTIONS:-}" ] && [ -r "$dir/rg-replay.blob" ] && [ "$(stat -L -c %d:%i:%s:%Y:%Z -- "$(command -v node)" 2>/dev/null)" = "${nodeIdentity()}" ]; then
  exec node ${flags} --snapshot-blob "$dir/rg-replay.blob" -- "$@"
fi
exec node ${flags} "$dir/rg-replay.mjs" "$@"
`);
chmodSync(`${root}dist/bin/rg-replay`, 0o755);
