/**
 * The Sigma intrusion workload on the real kernel, recorded now with this
 * build's rg-capture: SigmaHQ's unchanged rules must find what the script
 * plants (the committed fixture in fixtures.test.ts is one such recording).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { announceSkip, runKernelTests } from '../capture/privilege.js';
import { readManifestOnly } from '../../src/replay/manifest-peek.js';

announceSkip('sigma live intrusion');

function listening<T extends Server | ReturnType<typeof createHttpServer>>(server: T, port: number, host: string): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

describe.skipIf(!runKernelTests)('Sigma rules on a live capture of the intrusion workload (real eBPF)', () => {
  const work = mkdtempSync(join(homedir(), '.rg-sigma-live-'));
  const out = join(work, 'intrusion.rgc');
  const servers: { close(): void }[] = [];
  let titles: string[] = [];
  let users: readonly (readonly [number, string])[] = [];

  beforeAll(async () => {
    // A loopback address of its own: another test (or run) listening on 127.0.0.2:4444 cannot collide.
    const c2 = `127.${2 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${2 + Math.floor(Math.random() * 250)}`;
    servers.push(await listening(createServer((s) => s.destroy()), 4444, c2));
    const http = await listening(createHttpServer((_q, r) => r.end('#!/bin/sh\n')), 0, '127.0.0.1');
    servers.push(http);
    const port = (http.address() as { port: number }).port;
    const status = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [`${REPO_ROOT}dist/src/capture/cli.js`, '-o', out, '--follow', '--',
        'bash', `${REPO_ROOT}scripts/sigma-intrusion-workload.sh`, join(work, 'w'), String(port), c2], { stdio: 'ignore' });
      child.on('exit', resolve);
    });
    expect(status).toBe(0);
    const r = runReplayCli([out, '--sigma', `${REPO_ROOT}rules/sigma`, '--alerts', '--json']);
    expect(r.status).toBe(0);
    const alerts = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { engine?: string; title: string; fields?: Record<string, unknown> });
    titles = alerts.filter((a) => a.engine === 'sigma').map((a) => a.title);
    users = readManifestOnly(out)?.host.users ?? [];
  }, 90_000);

  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the planted behaviours that need only bash, coreutils and perl', () => {
    for (const t of [
      'Linux Base64 Encoded Pipe to Shell', 'Decode Base64 Encoded Text', 'Process Execution From Shared Memory Directory',
      'Potentially Suspicious Execution From Tmp Folder', 'Potentially Suspicious Named Pipe Created Via Mkfifo', 'Linux Reverse Shell Indicator',
      'Potential Perl Reverse Shell Execution', 'New Cron File Created', 'Persistence Via Sudoers.d Files', 'History File Deletion', 'Setuid and Setgid',
    ]) expect(titles, t).toContain(t);
  });

  it("the capture's manifest names the host's users, for Sigma's User", () => {
    expect(users).toContainEqual([0, 'root']);
  });
});
