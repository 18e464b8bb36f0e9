/**
 * DuckDB stays optional: only src/export/duckdb.ts loads it, at run time (a
 * dynamic import); every other module names it in types at most, so replay,
 * tree, audit, verify and the NDJSON exports start without it.
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

describe('DuckDB is an optional dependency', () => {
  it('no module of src imports @duckdb statically', () => {
    const offenders: string[] = [];
    for (const f of sources(join(REPO_ROOT, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*from\s+['"](@duckdb\/[^'"]+)['"]/gm)) {
        if (m[2] === undefined) offenders.push(`${relative(REPO_ROOT, f)}: ${m[0].trim()}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('is listed as optional in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.optionalDependencies?.['@duckdb/node-api']).toBeDefined();
    expect(pkg.dependencies?.['@duckdb/node-api']).toBeUndefined();
  });
});
