/**
 * rg-replay from a V8 start-up snapshot: scripts/bundle-replay.ts bundles
 * this file as one CommonJS script, runs its top level (every module's: the
 * schema, layouts, tables, commander) under `node --build-snapshot`, and
 * saves the heap as dist/bin/rg-replay.blob. The launcher, dist/bin/rg-replay,
 * starts `node --snapshot-blob dist/bin/rg-replay.blob -- ARGS`: Node then
 * deserialises that heap instead of loading, compiling and running the
 * bundle, and calls the function below.
 *
 * Why: start-up is in every replay figure. Pinned, quiet rounds: `rg-replay
 * --version` ~110 -> ~65 ms of CPU, a 13-event replay ~130 -> ~90 ms (`node
 * -e 0` alone is ~50).
 *
 * What cannot be in a snapshot is made at run time: native addons (zstd-napi,
 * loaded by the first decompressor), WebAssembly (the plain-ASCII arena),
 * SharedArrayBuffer (fd waits). Modules resolve files from `import.meta.url`,
 * which this bundle reads from a global: the bundle's path at build time
 * (for package.json, read while building), the blob's directory at run time
 * (for zstd-napi and DuckDB, found from there as from the bundle).
 */
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { buildSchemaItem } from '../rgc/manifest.js';
import { main } from '../replay/main.js';
import { addCommands } from './rg-replay-commands.js';

/** The global the snapshot bundle reads as `import.meta.url` (a `define` in scripts/bundle-replay.ts). */
const MODULE_URL_GLOBAL = '__rgReplayModuleUrl';

// This build's schema as manifests carry it, encoded and decoded, in the snapshot's heap: a manifest of this build is then compared, not decoded (src/rgc/manifest.ts).
buildSchemaItem();

startupSnapshot.setDeserializeMainFunction(() => {
  const at = process.execArgv.indexOf('--snapshot-blob');
  const blob = at >= 0 ? process.execArgv[at + 1] : undefined;
  if (blob === undefined) throw new Error('rg-replay snapshot: started without --snapshot-blob');
  (globalThis as Record<string, unknown>)[MODULE_URL_GLOBAL] = pathToFileURL(resolve(dirname(blob), 'rg-replay.mjs')).href;
  // argv as Node gives a script's: [node, script, ...args] (a snapshot's main has no script).
  void main([process.argv[0], 'rg-replay', ...process.argv.slice(1)], addCommands);
});
