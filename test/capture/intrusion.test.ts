/**
 * A scripted intrusion on the real kernel (a dropped binary run from
 * /dev/shm, a cron file, an authorized_keys write, a deleted binary run, a
 * connect-back to a C2 port; then scripts/intrusion-files-processes.sh:
 * injection, process hiding, privileges, kernel modules, a memfd program,
 * persistence by rename, covering tracks) among benign look-alikes: the
 * replay must show full process context, and --alerts must find each
 * behaviour exactly once and nothing benign.
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
      'defense_evasion.history_wipe', 'defense_evasion.history_wipe', // rm of the history, then ln -s /dev/null in its place
      'defense_evasion.log_wipe', 'defense_evasion.log_wipe', // the log truncated, then deleted
      'defense_evasion.proc_mount',
      'execution.deleted', 'execution.deleted', // the deleted binary, the memfd program
      'execution.tmp',
      'injection.process_vm_write', 'injection.ptrace_attach',
      // the script connects back to 4444, then starts a shell (intrusion-files-processes.sh): network.ts's reverse shell
      'network.reverse_shell',
      'network.watched_destination',
      'persistence.cron', 'persistence.cron', // written, then renamed into /etc/cron.d
      'persistence.kernel_module', 'persistence.kernel_module', // init_module, finit_module (delete_module is no load)
      'persistence.ssh_authorized_keys', 'persistence.system_binary',
      'privilege_escalation.setid_bit', 'privilege_escalation.setid_exec_root',
    ]);
  });

  it('the file and process alerts carry their ATT&CK ids and what they are about', () => {
    const of = (id: string) => alerts.filter((a) => a.rule_id === id);
    expect(of('persistence.cron').map((a) => a.attack)).toEqual([['T1053.003'], ['T1053.003']]);
    expect(of('persistence.cron')[1]).toMatchObject({ new_path: '/etc/cron.d/rg-demo-mv', process: { exe: '/usr/bin/mv' } });
    expect(of('persistence.system_binary')[0]).toMatchObject({ attack: ['T1554'], new_path: '/usr/bin/rg-demo-implant' });
    expect(of('defense_evasion.proc_mount')[0]).toMatchObject({ attack: ['T1564'], call: 'mount' });
    expect(String(of('defense_evasion.proc_mount')[0].target)).toMatch(/^\/proc\/\d+$/);
    expect(of('injection.ptrace_attach')[0]).toMatchObject({ attack: ['T1055.008'], target_comm: 'intruder' });
    expect(of('injection.process_vm_write')[0]).toMatchObject({ attack: ['T1055'], call: 'process_vm_writev', target_comm: 'intruder' });
    expect(of('privilege_escalation.setid_bit')[0]).toMatchObject({ attack: ['T1548.001'], mode_text: 'rwsr-xr-x' });
    expect(of('privilege_escalation.setid_exec_root')[0]).toMatchObject({ attack: ['T1548.001'], old_euid: 65534, new_euid: 0 });
    expect(of('persistence.kernel_module').map((a) => [a.call, a.error])).toEqual([['init_module', 'ENOSYS'], ['finit_module', 'ENOSYS']]);
    expect(of('defense_evasion.log_wipe').map((a) => a.path)).toEqual(['/var/log/rg-demo-auth.log', '/var/log/rg-demo-auth.log']);
    expect(of('execution.deleted')[1]).toMatchObject({ attack: ['T1620'] });
    expect(String(of('execution.deleted')[1].exe_path)).toMatch(/^\/memfd:rg-demo-payload/);
  });

  it('each alert reads on its own: process, executable, and the path or address', () => {
    // The first alert of each rule, from the first part of the workload (the test above checks the later ones).
    const byRule = new Map<string, Line>();
    for (const a of alerts) if (!byRule.has(a.rule_id!)) byRule.set(a.rule_id!, a);
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
