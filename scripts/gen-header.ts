/** Writes bpf/rg_abi.h from the TypeScript schema (npm run gen:header). */
import { writeFileSync } from 'node:fs';
import { renderCHeader } from '../src/abi/cheader.js';

const target = new URL('../../bpf/rg_abi.h', import.meta.url);
writeFileSync(target, renderCHeader());
process.stderr.write(`wrote ${target.pathname}\n`);
