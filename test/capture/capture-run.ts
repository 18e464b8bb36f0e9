/**
 * Shared by the real-kernel capture tests: compile a test program with the
 * system's cc, run a command under the real rg-capture CLI, and read the
 * capture back record by record through the same reader and dispatcher
 * replay uses (fields exactly as the kernel wrote them).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyRecord, cString, decodeRecord, type DecodedFields } from '../../src/abi/index.js';
import { forEachRecord, RgcReader } from '../../src/rgc/reader.js';
import { REPO_ROOT } from '../support/golden.js';

export const CAPTURE_BIN = `${REPO_ROOT}dist/src/capture/cli.js`;
const PROGRAMS = `${REPO_ROOT}test/capture/programs`;
const built = new Map<string, string>();
let binDir: string | null = null;

/** Compiles test/capture/programs/NAME.c (once per test file) and returns the binary's path. */
export function program(name: string): string {
  const known = built.get(name);
  if (known !== undefined) return known;
  binDir ??= mkdtempSync(join(tmpdir(), 'rg-programs-'));
  const bin = join(binDir, name);
  execFileSync('cc', ['-O1', '-Wall', '-Werror', '-pthread', '-o', bin, join(PROGRAMS, `${name}.c`)]);
  built.set(name, bin);
  return bin;
}

export interface CaptureRun { status: number | null; stdout: string; stderr: string; capturePid: number }

/** RG_BPF_OBJECT runs the suite against another build of the kernel object (e.g. to show a test catches an old bug). */
const objectArgs = process.env.RG_BPF_OBJECT ? ['--bpf-object', process.env.RG_BPF_OBJECT] : [];

/** Runs `rg-capture ARGS` (typically `-o FILE --follow -- CMD...`) to completion. */
export function runCapture(args: string[], cwd?: string): Promise<CaptureRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CAPTURE_BIN, ...objectArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr, capturePid: child.pid! }));
  });
}

export interface Rec { kind: number; f: DecodedFields }

/** Every record of a capture file, decoded by this build's schema; throws on a record the dispatcher rejects. */
export function readRecords(file: string): Rec[] {
  const out: Rec[] = [];
  const reader = new RgcReader({
    frame(_h, raw) {
      const problem = forEachRecord(raw, (offset, length) => {
        const kind = classifyRecord(raw, offset, length);
        if (kind < 0) throw new Error(`${file}: record rejected (${kind})`);
        out.push({ kind, f: decodeRecord(raw.slice(offset, offset + length), 0, kind).fields });
      });
      if (problem !== null) throw new Error(`${file}: ${problem}`);
    },
  });
  reader.push(readFileSync(file));
  reader.finish();
  return out;
}

/** A char field as text (up to its NUL). */
export const text = (v: unknown): string => Buffer.from(cString(v as Uint8Array)).toString('utf8');

/** argv of an exec record. */
export const argvOf = (f: DecodedFields): string[] =>
  Buffer.from((f.args as Uint8Array).subarray(0, f.args_size as number)).toString('utf8').split('\0').slice(0, -1);

/** A kernel dev_t (major << 20 | minor) as user space writes it: "major:minor". */
export const devText = (dev: number): string => `${dev >>> 20}:${dev & 0xfffff}`;
