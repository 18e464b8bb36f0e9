/**
 * Synthetic captures for unit, property and golden tests: a fixed manifest
 * (so output is byte-identical run to run) and a writer into memory.
 */
import { describeSchema } from '../../src/abi/manifest-schema.js';
import { FORMAT_VERSION } from '../../src/rgc/format.js';
import { type Manifest } from '../../src/rgc/manifest.js';
import { RgcWriter, type WriterOptions } from '../../src/rgc/writer.js';

/** 2026-01-02T03:04:05Z at monotonic 1000 s. */
export const SYNTHETIC_REALTIME_NS = 1767323045_000000000n;
export const SYNTHETIC_MONOTONIC_NS = 1000_000000000n;

export function syntheticManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    format: 'rgc', format_version: FORMAT_VERSION, tool: { name: 'rand-guard', version: 'synthetic' }, byte_order: 'little',
    schema: describeSchema(),
    host: { hostname: 'synthetic-host', kernel_release: '6.18.0-synthetic', machine: 'x86_64', boot_id: '00000000-0000-4000-8000-000000000000' },
    clock: { source: 'CLOCK_MONOTONIC', realtime_ns: SYNTHETIC_REALTIME_NS, monotonic_ns: SYNTHETIC_MONOTONIC_NS },
    capture: { synthetic: true },
    bpf_object_sha256: null,
    segment: { capture_id: 'synthetic', index: 0, previous_sha256: null },
    ...overrides,
  };
}

export class MemorySink {
  readonly chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.chunks.push(Uint8Array.from(bytes));
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

export interface SyntheticCapture {
  records: Uint8Array[];
  /** Seal a frame after these record indices (in addition to size-based sealing). */
  frameBreaks?: number[];
  /** Write a stats record after these record indices. */
  statsAfter?: number[];
  lostKernelByCpu?: number[];
  /** Leave out the end record, as a killed capture would. */
  noEnd?: boolean;
  manifest?: Manifest;
  writer?: WriterOptions;
}

export function writeSynthetic(c: SyntheticCapture): Uint8Array {
  const sink = new MemorySink();
  const w = new RgcWriter(sink, c.manifest ?? syntheticManifest(), c.writer);
  const lost = c.lostKernelByCpu ?? [0, 0];
  c.records.forEach((r, i) => {
    w.append(r, 0, r.length);
    if (c.frameBreaks?.includes(i)) w.flush();
    if (c.statsAfter?.includes(i)) w.writeStats(lost, 0, SYNTHETIC_MONOTONIC_NS + BigInt(i) * 1000n);
  });
  if (!c.noEnd) w.end('synthetic', lost, 0, SYNTHETIC_MONOTONIC_NS + 10_000_000_000n);
  else w.flush();
  return sink.bytes();
}
