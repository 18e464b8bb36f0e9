/**
 * Everything the sections read, made (or found in bench/work/) before any
 * section runs:
 *   work   real mixed work (work-capture.ts), ~1M events: targets are judged on it
 *   loop   mixed-loop.c, one process over 16 paths (real-capture.ts), ~1M events: the
 *          best case for every cache, reported beside it
 *   large  the loop capture at ~10M events, for memory
 *   tiny   a capture of about 10 events, for start-up
 *   peer   a ~1M-event .scap for sysdig (peer-bench.ts)
 *   rules20  bench/rules/twenty.toml, a 20-rule file for --rules
 * Without root nothing can be recorded: one SYNTHETIC capture stands in for
 * work and loop, and every table says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePeerScap } from './peer-bench.js';
import { ensureRealCapture, inspect } from './real-capture.js';
import { ensureSyntheticCapture } from './synthetic-capture.js';
import { ensureWorkCapture } from './work-capture.js';
import { CAPTURE_CLI, WORK } from './workloads.js';

export const RULES_20 = fileURLToPath(new URL('../../bench/rules/twenty.toml', import.meta.url));

export interface CaptureInput {
  /** 'work' | 'loop' | 'synthetic' */
  id: string;
  /** how tables name it */
  label: string;
  path: string;
  events: number;
  bytes: number;
  /** events the recording lost (kernel + user space), 0 for synthetic */
  lost: number;
  kinds: Record<string, number>;
  /** are this capture's rows judged against the targets? */
  judged: boolean;
  /** recorded in this run (else reused), and how long that took */
  recorded: boolean;
  record_s: number | null;
}

export interface BenchInputs {
  /** the captures every replay section reports, the judged one first */
  captures: CaptureInput[];
  large: CaptureInput | null;
  tiny: CaptureInput;
  peer: { path: string; lines: number } | null;
  rules20: string;
  /** why an input is missing */
  missing: Record<string, string>;
}

const EVENTS_1M = 1_000_000;
const EVENTS_10M = 10_000_000;

export function ensureInputs(isRoot: boolean, log: (m: string) => void): BenchInputs {
  const missing: Record<string, string> = {};
  const attempt = <T>(name: string, f: () => T): T | null => {
    log(`input: ${name}...`);
    try {
      return f();
    } catch (e) {
      missing[name] = e instanceof Error ? e.message : String(e);
      log(`input: ${name} MISSING: ${missing[name]}`);
      return null;
    }
  };
  const captures: CaptureInput[] = [];
  let large: CaptureInput | null = null;
  let tiny: CaptureInput | null = null;
  if (isRoot) {
    const work = attempt('work capture', () => ensureWorkCapture(`${WORK}work-1m.rgc`, EVENTS_1M));
    if (work !== null) captures.push({ ...work, id: 'work', label: 'work', judged: true });
    const loop = attempt('loop capture', () => ensureRealCapture(`${WORK}real-1m.rgc`, EVENTS_1M));
    if (loop !== null) captures.push({ ...loop, id: 'loop', label: 'loop', judged: captures.length === 0 });
    const big = attempt('large loop capture', () => ensureRealCapture(`${WORK}real-10m.rgc`, EVENTS_10M));
    if (big !== null) large = { ...big, id: 'large', label: 'loop, 10M', judged: true };
    tiny = attempt('tiny capture', () => ensureTinyCapture(`${WORK}tiny.rgc`));
  } else {
    missing['work capture'] = missing['loop capture'] = 'not root: cannot record';
  }
  if (captures.length === 0) {
    const path = `${WORK}synthetic-1m.rgc`;
    ensureSyntheticCapture(path, EVENTS_1M);
    captures.push(synthetic(path, EVENTS_1M, 'SYNTHETIC (nothing recorded)'));
  }
  if (tiny === null) {
    const path = `${WORK}synthetic-10.rgc`;
    ensureSyntheticCapture(path, 10);
    tiny = synthetic(path, 10, 'synthetic, 10 events');
  }
  const peer = attempt('peer .scap', () => {
    const p = ensurePeerScap(`${WORK}peer-1m.scap`, EVENTS_1M);
    if ('skipped' in p) throw new Error(p.skipped);
    return { path: p.path, lines: p.lines };
  });
  return { captures, large, tiny, peer, rules20: RULES_20, missing };
}

function synthetic(path: string, events: number, label: string): CaptureInput {
  const seen = inspect(path);
  return { id: 'synthetic', label, path, events: seen?.events ?? events, bytes: seen?.bytes ?? 0, lost: 0, kinds: seen?.kinds ?? {}, judged: true, recorded: false, record_s: null };
}

/** A real capture of about ten events (sh running true): what start-up costs on a file with almost nothing in it. */
function ensureTinyCapture(path: string): CaptureInput {
  if (!existsSync(path)) {
    const scratch = mkdtempSync(join(WORK, 'scratch-tiny-'));
    try {
      const r = spawnSync(process.execPath, [CAPTURE_CLI, '-o', `${path}.recording`, '--force', '--follow', '--', '/bin/sh', '-c', '/bin/true; exit 0'],
        { cwd: scratch, encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`rg-capture -- sh failed (${r.status ?? r.signal}): ${r.stderr.slice(-300)}`);
      renameSync(`${path}.recording`, path);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(`${path}.recording`, { force: true });
    }
  }
  const seen = inspect(path);
  if (seen === null) throw new Error(`rg-replay --stats cannot read ${path}`);
  return { ...seen, id: 'tiny', label: 'tiny', judged: false, recorded: false, record_s: null };
}
