/** A progress bar on stderr for long replays: only on a terminal, never into a pipe or a file. */
import { statSync } from 'node:fs';

export class Progress {
  private lastDraw = 0;
  private drawn = false;
  private constructor(private readonly total: number) {}

  /** A bar for these inputs, or null when stderr is not a terminal or the total size is unknown/small. */
  static maybe(paths: readonly string[]): Progress | null {
    if (!process.stderr.isTTY || paths.includes('-')) return null;
    let total = 0;
    for (const p of paths) total += statSync(p).size;
    return total >= 32 << 20 ? new Progress(total) : null;
  }

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const frac = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(frac * width);
    process.stderr.write(`\r\x1b[Krg-replay [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0)}%`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
  }
}
