/** Messages between rg-capture's main thread and its drain worker. */
import { type Manifest } from '../rgc/manifest.js';
import { type StopReason } from '../rgc/meta-records.js';
import { type SegmentPlan } from './segment-plan.js';

export interface DrainWorkerData {
  readonly ringFd: number;
  readonly ringBytes: number;
  /** fd of the output (or of the first segment when rotating), opened by the main thread. */
  readonly outputFd: number;
  readonly plan: SegmentPlan;
  readonly manifest: Manifest;
  readonly compressionLevel: number;
  /** rg-capture's tgid: its records are canaries, never written. */
  readonly selfTgid: number;
  /** Bytes that identify the canary open's path. */
  readonly canaryMarker: string;
  readonly liveJson: boolean;
  /** Seal a frame at most this long after its first record (bounds what a SIGKILL can lose). */
  readonly frameMaxAgeMs: number;
  /** PKCS#8 PEM of an Ed25519 key signing the end record, if any. */
  readonly signingKeyPem: string | null;
}

export type ToWorker =
  /** The first message: the worker starts before the programs are loaded and waits for this. */
  | { type: 'start'; data: DrainWorkerData }
  | { type: 'stats'; lostKernelByCpu: number[] }
  | { type: 'stop'; reason: StopReason; lostKernelByCpu: number[] };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; records: number; bytes: number; lostUser: number }
  /** Records for live output: length-prefixed, as in a data frame. */
  | { type: 'records'; batch: Uint8Array }
  | { type: 'write_error'; message: string }
  /** A line for the user, e.g. a segment written under another name. */
  | { type: 'notice'; message: string }
  /** --max-size reached: the capture should stop. */
  | { type: 'size_limit' }
  | { type: 'done'; records: number; bytes: number; frames: number; lostUser: number };
