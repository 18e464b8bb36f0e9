/**
 * `rg-capture --json`: prints events live as NDJSON, decoded by the same
 * dispatcher and encoder that replay uses.
 */
import { DispatchCounts, rawKindOf, reasonOfCode } from '../abi/dispatch.js';
import { writeAllSync } from '../common/fd-sink.js';
import { ByteOutput } from '../output/byte-output.js';
import { NdjsonEncoder } from '../output/ndjson.js';
import { WallClock } from '../output/wall-clock.js';
import { writeRejectedJson } from '../output/rejected-json.js';
import { forEachRecord } from '../rgc/reader.js';

export class LiveJsonPrinter {
  private readonly out = new ByteOutput((b) => writeAllSync(1, b));
  private readonly encoder: NdjsonEncoder;
  private readonly counts = new DispatchCounts();
  private batches = 0;

  constructor(clock: { realtime_ns: bigint; monotonic_ns: bigint }) {
    this.encoder = new NdjsonEncoder(new WallClock(clock.realtime_ns, clock.monotonic_ns));
  }

  print(batch: Uint8Array): void {
    let index = 0;
    const seq = this.batches++;
    forEachRecord(batch, (offset, length) => {
      const code = this.counts.dispatch(batch, offset, length);
      if (code > 0) this.encoder.writeEvent(this.out, code, batch, offset);
      else writeRejectedJson(this.out, { reason: reasonOfCode(code), rawKind: rawKindOf(batch, offset, length), length, frameSeq: seq, index });
      index++;
    });
    this.out.flush();
  }

  flush(): void {
    this.out.flush();
  }
}
