/**
 * A live capture at the record level for real-kernel tests: load
 * bpf/rg.bpf.o, attach the programs of the kinds asked for, prove readiness
 * with the canary, and collect decoded records. `barrier()` returns once every
 * record of a workload that has already exited is collected.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  classifyRecord, cString, decodeRecord, type DecodedFields, encodeCaptureConfig, encodeFileFilterConfig, EventKind,
} from '../../src/abi/index.js';
import { runKernelChecks } from '../../src/capture/kernel-checks.js';
import { BpfCapture } from '../../src/capture/libbpf.js';
import { RingBufferReader } from '../../src/capture/ringbuf.js';

export interface LiveEvent { kind: number; f: DecodedFields }

/** The repo this file is in, whether run from test/ or a compiled copy under dist/. */
export function repoRoot(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('live-ring: no package.json above the test');
}

export const text = (v: unknown): string => Buffer.from(cString(v as Uint8Array)).toString('utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Compiles a C program of test/capture/intruder with the system's cc; returns the binary's path. */
export function buildProgram(source: string, outDir: string, extra: string[] = []): string {
  const out = join(outDir, source.replace(/\.c$/, ''));
  const r = spawnSync('cc', ['-O1', '-Wall', '-pthread', '-o', out, join(repoRoot(), 'test/capture/intruder', source), ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${source}: ${r.stderr}`);
  return out;
}

export class LiveCapture {
  readonly events: LiveEvent[] = [];
  invalid = 0;
  private constructor(private readonly cap: BpfCapture, private readonly ring: RingBufferReader) {}

  /** Loads and attaches the programs for `kinds`, then waits for the canary. */
  static async start(kinds: readonly number[], ringBytes = 8 << 20): Promise<LiveCapture> {
    runKernelChecks();
    const object = process.env.RG_BPF_OBJECT ?? join(repoRoot(), 'bpf/rg.bpf.o');
    const cap = BpfCapture.open({ objectPath: object, ringBytes });
    const config = (canaryArmed: boolean) => encodeCaptureConfig({
      selfTgid: process.pid, eventsMask: [...kinds, EventKind.FileOpen].reduce((m, k) => m | (1n << BigInt(k)), 0n), follow: false,
      wakeupBytes: 256 * 1024, canaryArmed,
    });
    cap.setConfig(config(true));
    cap.setFileFilter(encodeFileFilterConfig([]));
    cap.attachAll(new Set(kinds));
    const live = new LiveCapture(cap, new RingBufferReader(cap.ringFd, cap.ringBytes));
    const marker = join(tmpdir(), `rg-canary-${process.pid}-${Date.now()}`);
    const deadline = Date.now() + 5000;
    for (;;) {
      try { closeSync(openSync(marker, 'r')); } catch { /* ENOENT is the point */ }
      live.collect();
      if (live.events.some((e) => e.kind === EventKind.FileOpen && text(e.f.path) === marker)) break;
      if (Date.now() > deadline) throw new Error('canary never seen: programs not attached?');
      await sleep(5);
    }
    cap.setConfig(config(false));
    live.events.length = 0;
    return live;
  }

  collect(): void {
    this.ring.drain((bytes, offset, length) => {
      const kind = classifyRecord(bytes, offset, length);
      if (kind < 0) { this.invalid++; return; }
      // copy out: the mapped bytes are reused once the consumer position moves
      this.events.push({ kind, f: decodeRecord(bytes.slice(offset, offset + length), 0, kind).fields });
    });
  }

  /**
   * Every record reserved before this call is collected when it returns: a
   * child opens a unique path, and the ring hands records out in the order
   * they were reserved.
   */
  async barrier(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'rg-barrier-'));
    const marker = join(dir, 'marker');
    await new Promise((r) => spawn('/bin/cat', [marker], { stdio: 'ignore' }).on('exit', r));
    const deadline = Date.now() + 5000;
    while (!this.events.some((e) => e.kind === EventKind.FileOpen && text(e.f.path) === marker)) {
      if (Date.now() > deadline) throw new Error('barrier: marker open never seen');
      await sleep(5);
      this.collect();
    }
    rmSync(dir, { recursive: true, force: true });
  }

  of(kind: number, pred: (f: DecodedFields) => boolean = () => true): DecodedFields[] {
    return this.events.filter((e) => e.kind === kind && pred(e.f)).map((e) => e.f);
  }

  lost(): bigint {
    return this.cap.readLostPerCpu().reduce((a, b) => a + b, 0n);
  }

  close(): void {
    this.ring.close();
    this.cap.close();
  }
}

/** Runs a program to its end; returns its pid, exit code and the JSON objects it printed, one per line. */
export function runJson(cmd: string, args: string[], input?: string): Promise<{ pid: number; code: number | null; out: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => { buf += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid!, code, out: buf.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) }));
    child.stdin.on('error', () => { /* the program may exit without reading its input */ });
    child.stdin.end(input ?? '');
  });
}
