/** Where the committed BPF object lives, from compiled (dist/) or source (vitest) layouts. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultObjectPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bpf'))) return join(dir, 'bpf', 'rg.bpf.o');
  }
  return 'bpf/rg.bpf.o';
}
