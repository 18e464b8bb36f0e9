/**
 * The peer row's input: bench/work/peer-1m.scap for `sysdig -r FILE -j`, built
 * from a committed sample (see peer-scap.ts and bench/peer/NOTICE) unless it
 * is already there. Skips, with the reason, when sysdig or the sample is missing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPeerScap, peerScapIsCurrent, type PeerScapMeta } from './peer-scap.js';

const DEFAULT_SAMPLE = fileURLToPath(new URL('../../bench/peer/curl_google.scap', import.meta.url));
const SYSDIG = process.env.RG_BENCH_SYSDIG ?? '/usr/bin/sysdig';

export type PeerInput = { path: string; lines: number; sample: string; sysdig: string; sysdig_version: string } | { skipped: string };

export function ensurePeerScap(path: string, minEvents: number): PeerInput {
  const sample = process.env.RG_BENCH_PEER_SAMPLE ?? DEFAULT_SAMPLE;
  if (!existsSync(SYSDIG)) return { skipped: `${SYSDIG} not found (apt-get install sysdig; it reads .scap files without its driver)` };
  if (!existsSync(sample)) {
    return { skipped: `no sample capture at ${sample}: copy one from https://github.com/falcosecurity/libs test/libsinsp_e2e/resources/captures/ (or set RG_BENCH_PEER_SAMPLE)` };
  }
  const version = spawnSync(SYSDIG, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout?.trim() ?? 'sysdig';
  const sha256 = createHash('sha256').update(readFileSync(sample)).digest('hex');
  const current = peerScapIsCurrent(path, sha256, minEvents);
  if (current !== null) return { path, lines: current.lines, sample, sysdig: SYSDIG, sysdig_version: version };
  process.stderr.write(`bench: building ${path} from ${sample}...\n`);
  const blocks = buildPeerScap(sample, path, minEvents);
  // What sysdig actually prints is what its rate is counted in.
  const count = spawnSync('/bin/sh', ['-c', '"$0" -r "$1" -j | wc -l', SYSDIG, path], { encoding: 'utf8', timeout: 600_000 });
  const lines = Number(count.stdout?.trim());
  if (count.status !== 0 || !(lines > 0)) return { skipped: `${SYSDIG} -r ${path} -j failed: ${count.stderr?.slice(-300)}` };
  if (lines < minEvents * 0.9) process.stderr.write(`bench: sysdig prints ${lines} events of the ${blocks} event blocks in ${path}\n`);
  const meta: PeerScapMeta = { sample_sha256: sha256, min_events: minEvents, event_blocks: blocks, lines };
  writeFileSync(`${path}.json`, JSON.stringify(meta) + '\n');
  return { path, lines, sample, sysdig: SYSDIG, sysdig_version: version };
}
