/** The tool version written into every manifest, read from package.json once. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // dist/src/common/version.js -> ../../../package.json; src/common/version.ts (vitest) -> ../../package.json
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rand-guard' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next layout
    }
  }
  return '0.0.0-unknown';
}

export const TOOL_VERSION = readVersion();
