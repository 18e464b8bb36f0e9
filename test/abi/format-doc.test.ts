/** docs/FORMAT.md describes every printed field of the file and process kinds (ids 10..29), with its type. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../src/abi/schema.js';
import { REPO_ROOT } from '../support/golden.js';

describe('docs/FORMAT.md', () => {
  const doc = readFileSync(`${REPO_ROOT}docs/FORMAT.md`, 'utf8');
  for (const k of KINDS.filter((x) => x.id >= 10 && x.id <= 29)) {
    it(`has ${k.eventType} with its size and every printed field`, () => {
      const at = doc.indexOf(`### ${k.eventType} (kind ${k.id}, ${k.layout.size} bytes)`);
      expect(at, `section of ${k.eventType}`).toBeGreaterThanOrEqual(0);
      const section = doc.slice(at, doc.indexOf('\n### ', at + 4) < 0 ? undefined : doc.indexOf('\n### ', at + 4));
      for (const f of k.bodyFields) {
        if (k.schemaFields[k.layout.fields.indexOf(f)].view === 'hidden') continue;
        expect(section, `${k.eventType}.${f.name}`).toContain(`| \`${f.name}\` | ${f.type}${f.count > 1 ? `[${f.count}]` : ''} |`);
      }
    });
  }
});
