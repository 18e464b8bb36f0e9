/** The manifest of a live capture: this host, this kernel, this build, the clock pair, the options. */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, machine, release } from 'node:os';
import { describeSchema } from '../abi/manifest-schema.js';
import { TOOL_VERSION } from '../common/version.js';
import { FORMAT_VERSION } from '../rgc/format.js';
import { type Manifest, type SegmentInfo } from '../rgc/manifest.js';
import { hostAccounts } from './accounts.js';
import { clockPair } from './libc.js';

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function newCaptureId(): string {
  return randomUUID();
}

export function buildManifest(captureOptions: Record<string, unknown>, bpfObjectPath: string, segment: SegmentInfo, signingKeySha256?: string): Manifest {
  const clock = clockPair();
  return {
    format: 'rgc', format_version: FORMAT_VERSION, tool: { name: 'rand-guard', version: TOOL_VERSION }, byte_order: 'little',
    schema: describeSchema(),
    host: { hostname: hostname(), kernel_release: release(), machine: machine(), boot_id: bootId(), ...hostAccounts() },
    clock: { source: 'CLOCK_MONOTONIC', realtime_ns: clock.realtimeNs, monotonic_ns: clock.monotonicNs },
    capture: captureOptions,
    bpf_object_sha256: sha256File(bpfObjectPath),
    segment,
    ...(signingKeySha256 ? { signing_key_sha256: signingKeySha256 } : {}),
  };
}
