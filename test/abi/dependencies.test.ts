/**
 * Imports point one way: src/abi (the schema and what fields mean) depends on
 * nothing of ours; output may read abi; rgc (the file format) may read abi;
 * the Sigma engine (src/sigma) only common; replay may read abi, output, rgc
 * and sigma; nothing but capture imports capture or
 * koffi, so replay runs on a laptop without libbpf, root or a compiler. And no
 * code outside src/abi names a kind: it reads the registry instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../src/abi/schema.js';
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
/** The top-level folders of src/ a module of `dir` imports from (its own excluded). */
function importedAreas(dir: string): Map<string, string> {
  const areas = new Map<string, string>();
  for (const f of sources(join(src, dir))) {
    for (const i of imports(f)) {
      if (!i.startsWith('.')) continue;
      const area = relative(src, join(f, '..', i)).split('/')[0];
      if (area !== dir) areas.set(area, `${relative(src, f)} imports ${i}`);
    }
  }
  return areas;
}

describe('dependency direction', () => {
  const allowed: Record<string, string[]> = {
    abi: [],
    common: [],
    output: ['abi', 'common'],
    rgc: ['abi'],
    // The Sigma engine knows nothing of captures: replay maps records to its event view.
    sigma: ['common'],
    replay: ['abi', 'output', 'rgc', 'common', 'sigma'],
    // The report builds on replay; src/cli wires it into rg-replay.
    report: ['abi', 'output', 'rgc', 'common', 'replay'],
  };
  for (const [dir, may] of Object.entries(allowed)) {
    it(`src/${dir} imports ${may.length === 0 ? 'nothing else of ours' : `only from ${may.join(', ')}`}`, () => {
      for (const [area, where] of importedAreas(dir)) expect(may, where).toContain(area);
    });
  }

  it('only src/capture imports src/capture or koffi', () => {
    for (const dir of readdirSync(src).filter((d) => d !== 'capture')) {
      for (const f of sources(join(src, dir))) {
        for (const i of imports(f)) expect(i.includes('/capture/') || i === 'koffi', `${relative(src, f)} imports ${i}`).toBe(false);
      }
    }
  });

  it('outside src/abi (and the built-in detections, builtin.ts and network.ts, which are content), no code names a kind', () => {
    const names = KINDS.flatMap((k) => [k.name, k.eventType]);
    const alternatives = names.join('|');
    // EventKind.X, a quoted kind name, or one as an object key (`file_open: ...`).
    const naming = new RegExp(`EventKind\\.|kindByEventType\\(|['"\`](${alternatives})['"\`]|\\b(${alternatives})\\s*:`);
    for (const f of sources(src)) {
      const rel = relative(src, f);
      if (rel.startsWith('abi/') || rel === 'replay/rules/builtin.ts' || rel === 'replay/rules/network.ts') continue;
      readFileSync(f, 'utf8').split('\n').forEach((line, n) => expect(naming.test(line), `${rel}:${n + 1}: ${line.trim()}`).toBe(false));
    }
  });
});
