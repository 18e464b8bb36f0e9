/**
 * A scripted intrusion on the real kernel (a dropped binary run from
 * /dev/shm, a cron file, an authorized_keys write, a deleted binary run, a
 * connect-back to a C2 port) among benign look-alikes: the replay must show
 * full process context, and --alerts must find each behaviour exactly once
 * and nothing benign.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('intrusion');
type Line = Record<string, unknown> & { event_type: string; rule_id?: string; process?: Record<string, unknown> };

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe.skipIf(!runKernelTests)('scripted intrusion (real eBPF)', () => {
  // Not under /tmp: running the benign look-alike binary from there would rightly alert.
  const work = mkdtempSync(join(homedir(), '.rg-intrusion-'));
  const out = join(work, 'intrusion.rgc');
  const servers: Server[] = [];
  let alerts: Line[];
  let events: Line[];
  let capturePid = 0;

  beforeAll(async () => {
    servers.push(await listen(4444));
    const benign = await listen(0);
    servers.push(benign);
    const port = (benign.address() as { port: number }).port;
    const status = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [`${REPO_ROOT}dist/src/capture/cli.js`, '-o', out, '--follow', '--',
        'bash', `${REPO_ROOT}scripts/intrusion-workload.sh`, join(work, 'w'), String(port)], { stdio: 'ignore' });
      capturePid = child.pid!;
      child.on('exit', resolve);
    });
    expect(status).toBe(0);
    const a = runReplayCli([out, '--alerts', '--json']);
    expect(a.status).toBe(0);
    alerts = a.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    events = runReplayCli([out, '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  }, 60_000);

  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds each intrusion behaviour exactly once, and nothing benign', () => {
    expect(alerts.map((a) => a.rule_id).sort()).toEqual([
      'execution.deleted', 'execution.tmp', 'network.watched_destination', 'persistence.cron', 'persistence.ssh_authorized_keys',
    ]);
  });

  it('each alert reads on its own: process, executable, and the path or address', () => {
    const byRule = new Map(alerts.map((a) => [a.rule_id, a]));
    expect(byRule.get('execution.tmp')).toMatchObject({ filename: '/dev/shm/.rg-demo-dropper', severity: 'high' });
    expect(byRule.get('persistence.cron')).toMatchObject({ path: '/etc/cron.d/rg-demo-job', process: { exe: '/usr/bin/bash' } });
    expect(String(byRule.get('persistence.ssh_authorized_keys')!.path)).toMatch(/\/home\/\.ssh\/authorized_keys$/);
    expect(byRule.get('execution.deleted')).toMatchObject({ filename: '/proc/self/fd/5' });
    expect(byRule.get('network.watched_destination')).toMatchObject({ addr: '127.0.0.1', port: 4444 });
    for (const a of alerts) expect(a.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('replays with full process context: every event of the workload knows its executable and parent', () => {
    // rg-capture's fork of the command is the one event of rg-capture itself, a process started before the capture.
    const workload = events.filter((e) => e.pid !== capturePid);
    expect(events.filter((e) => e.pid === capturePid).map((e) => e.event_type)).toEqual(['process_fork']);
    expect(workload.length).toBeGreaterThan(20);
    // Followed from its first exec, nothing of the workload started before the capture.
    for (const e of workload) expect(e.process).toMatchObject({ known: true });
    const cronWrite = events.find((e) => e.event_type === 'file_open' && e.path === '/etc/cron.d/rg-demo-job')!;
    // The workload's root bash wrote it; its parent is rg-capture, which started before the capture.
    expect(cronWrite.process).toMatchObject({ exe: '/usr/bin/bash', known: true, parent: { pid: capturePid, known: false } });
    const dropper = events.find((e) => e.event_type === 'process_start' && e.filename === '/dev/shm/.rg-demo-dropper')!;
    expect(dropper.process).toMatchObject({ parent: { exe: '/usr/bin/bash' } });
  });
});
