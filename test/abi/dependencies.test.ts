/**
 * Imports point one way: src/abi depends on nothing of ours; replay (and the
 * file format it reads) never pulls in capture or koffi, so it runs on a
 * laptop without libbpf, root or a compiler.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/golden.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

const src = join(REPO_ROOT, 'src');

describe('dependency direction', () => {
  it('src/abi imports nothing of ours outside src/abi', () => {
    for (const f of sources(join(src, 'abi'))) {
      for (const i of imports(f)) expect(i.startsWith('./') || i.startsWith('node:'), `${relative(src, f)} imports ${i}`).toBe(true);
    }
  });

  it('src/replay, src/rgc, src/output and src/common never import src/capture or koffi', () => {
    for (const dir of ['replay', 'rgc', 'output', 'common']) {
      for (const f of sources(join(src, dir))) {
        for (const i of imports(f)) {
          expect(i.includes('/capture/') || i === 'koffi', `${relative(src, f)} imports ${i}`).toBe(false);
        }
      }
    }
  });
});
