/** The live status line on a terminal: events/s, lost, bytes written. Never printed into a pipe. */
import { formatBytes } from '../common/format-bytes.js';

export class StatusLine {
  private lastRecords = 0;
  private lastAt = Date.now();

  /** `lostKernel`: ring buffer full; `lostUser`: arrived but not written (write error, --max-size). */
  update(records: number, lostKernel: number, lostUser: number, bytes: number): void {
    const now = Date.now();
    const rate = ((records - this.lastRecords) * 1000) / Math.max(1, now - this.lastAt);
    this.lastRecords = records;
    this.lastAt = now;
    process.stderr.write(`\r\x1b[Krg-capture: ${records} events (${Math.round(rate)}/s), lost ${lostKernel} in the kernel, ${lostUser} in user space, ${formatBytes(bytes)} written`);
  }

  clear(): void {
    process.stderr.write('\r\x1b[K');
  }
}
