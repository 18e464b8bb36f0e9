/**
 * Writes the files generated from the TypeScript schema (npm run gen:header):
 * bpf/rg_abi.h for the kernel program and src/abi/header-access.ts for user
 * space. Tests regenerate both and fail on any difference.
 */
import { writeFileSync } from 'node:fs';
import { renderCHeader } from '../src/abi/cheader.js';
import { renderHeaderAccess } from '../src/abi/header-access-source.js';

for (const [path, text] of [['bpf/rg_abi.h', renderCHeader()], ['src/abi/header-access.ts', renderHeaderAccess()]] as const) {
  const target = new URL(`../../${path}`, import.meta.url);
  writeFileSync(target, text);
  process.stderr.write(`wrote ${target.pathname}\n`);
}
