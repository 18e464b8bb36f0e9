/**
 * What the detections let go of, said on stderr. Their state is bounded:
 * Sigma correlations keep at most maxCorrelationGroups groups, and the
 * process table the last PIPES pipes of a host with the last PIPE_ENDS
 * processes on each end. Past those bounds a correlation or a `curl | sh`
 * pair can be missed; the drops were counted (or not even that) and never
 * shown. Now replay (and report, which ends the same way) says so after the
 * alert count, and only when it matters: a pipe line only when some rule
 * reads stdin_from.exe or stdout_to.exe. Synthetic records from the ABI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AF_INET, EventKind } from '../../src/abi/constants.js';
import { NAMES_PER_PROCESS } from '../../src/replay/net/net-state.js';
import { PIPE_ENDS } from '../../src/replay/process-table.js';
import { runSession } from '../../src/replay/main.js';
import { buildReport } from '../../src/report/build.js';
import { SIGMA_LIMITS } from '../../src/sigma/limits.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { writeDnsMessage } from '../support/dns-wire.js';
import { kindRecord } from '../support/intrusion-records.js';
import { dnsRecord, tcpConnectRecord, v4 } from '../support/net-records.js';
import { connectRecord, type Identity } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(name: string, records: Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(path, writeSynthetic({ records }));
  return path;
}

function alertsAndWarnings(args: string[]): { rules: string[]; warnings: string[] } {
  const r = runReplayCli([...args, '--alerts', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const text = r.stdout.toString().trim();
  return {
    rules: text === '' ? [] : text.split('\n').map((l) => (JSON.parse(l) as { rule_id: string }).rule_id),
    warnings: r.stderr.split('\n').filter((l) => l.includes('warning')),
  };
}

describe('curl | sh with more processes on the pipe than replay keeps', () => {
  const shell: Identity = { ts: SYNTHETIC_MONOTONIC_NS + 1n, pid: 800, ppid: 1, comm: 'bash' };
  const FIFO = 1, CHR = 2;
  const tty: [number, number] = [3, CHR];
  const exec = (pid: number, exe: string, stdin: [number, number], stdout: [number, number]) => {
    const args = new TextEncoder().encode(`${exe}\0`);
    return kindRecord(EventKind.ProcessExec, { ...shell, pid, ppid: 800, comm: exe.slice(exe.lastIndexOf('/') + 1) }, {
      argc: 1, args_size: args.length, filename: exe, args, stdin_ino: BigInt(stdin[0]), stdin_type: stdin[1], stdout_ino: BigInt(stdout[0]), stdout_type: stdout[1],
    });
  };
  const fork = (child: number) => kindRecord(EventKind.ProcessFork, shell, { child_pid: child, child_tid: child });
  /** curl writes into pipe 77, `others` more programs exec with it as their stdout, then sh reads it. */
  const pipeline = (others: number) => {
    const records = [fork(801), exec(801, '/usr/bin/curl', tty, [77, FIFO])];
    for (let i = 0; i < others; i++) records.push(fork(900 + i), exec(900 + i, '/usr/bin/true', tty, [77, FIFO]));
    records.push(fork(802), exec(802, '/usr/bin/sh', [77, FIFO], tty));
    return records;
  };
  const example = `${REPO_ROOT}rules/example.toml`;

  it('a pipe within what replay keeps: the rule fires, nothing to say', () => {
    const run = alertsAndWarnings([capture('kept.rgc', pipeline(PIPE_ENDS - 1)), '--rules', example]);
    expect(run.rules).toEqual(['execution.download_and_run']);
    expect(run.warnings).toEqual([]);
  });

  it('one more writer: curl is let go of, the rule is silent, and replay says it let go of a process on a pipe end', () => {
    const crowded = capture('crowded.rgc', pipeline(PIPE_ENDS));
    const run = alertsAndWarnings([crowded, '--rules', example]);
    expect(run.rules).toEqual([]);
    expect(run.warnings).toEqual([expect.stringMatching(/warning: rules on stdin_from\.exe or stdout_to\.exe may miss a pair: replay let go of 0 pipes and 1 processes on pipe ends/)]);
    // No rule reads pipes (the built-in detections do not): no line.
    expect(alertsAndWarnings([crowded, '--detect']).warnings).toEqual([]);
    // Export with the rules (findings) ends the same way.
    for (const format of [['--format', 'ocsf'], ['--format', 'parquet', '-o', join(dir, 'lake')]]) {
      const r = runReplayCli(['export', crowded, '--rules', example, ...format]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/warning: rules on stdin_from\.exe or stdout_to\.exe may miss a pair: replay let go of 0 pipes and 1 processes on pipe ends/);
    }
  });
});

describe('the report says it too', () => {
  it('in what ran (coverage), and on stderr', async () => {
    const shell: Identity = { ts: SYNTHETIC_MONOTONIC_NS + 1n, pid: 800, ppid: 1, comm: 'bash' };
    const exec = (pid: number, exe: string, stdin: number, stdout: number) => {
      const args = new TextEncoder().encode(`${exe}\0`);
      return kindRecord(EventKind.ProcessExec, { ...shell, pid, ppid: 800 }, {
        argc: 1, args_size: args.length, filename: exe, args, stdin_ino: BigInt(stdin), stdin_type: stdin === 3 ? 2 : 1, stdout_ino: BigInt(stdout), stdout_type: stdout === 3 ? 2 : 1,
      });
    };
    const records = [exec(801, '/usr/bin/curl', 3, 77)];
    for (let i = 0; i < PIPE_ENDS; i++) records.push(exec(900 + i, '/usr/bin/true', 3, 77));
    records.push(exec(802, '/usr/bin/sh', 77, 3));
    const path = capture('report.rgc', records);
    const rules = { detect: true, rules: [`${REPO_ROOT}rules/example.toml`] };
    const { data } = await buildReport((p, sink, r) => runSession(p, { context: false, ...r }, () => sink, true), { paths: [path], rules, publicKey: null });
    expect(data.coverage.detections).toContainEqual(expect.stringMatching(/^Rules on stdin_from\.exe or stdout_to\.exe may miss a pair: replay let go of 0 pipes and 1 processes on pipe ends .*\.$/));
    const r = runReplayCli(['report', path, '--rules', `${REPO_ROOT}rules/example.toml`, '-o', join(dir, 'report.html')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: rules on stdin_from\.exe or stdout_to\.exe may miss a pair/);
  });
});

describe('a connect to a C2 name, resolved before more names than replay keeps', () => {
  const id: Identity = { ts: SYNTHETIC_MONOTONIC_NS + 1n, pid: 600, ppid: 1, comm: 'implant' };
  const stub = v4(127, 0, 0, 53);
  const answer = (name: string, addr: number[]) => writeDnsMessage({
    id: 1, response: true, compress: true, questions: [{ name, type: 1 }], answers: [{ name, type: 1, data: Uint8Array.from(addr) }],
  });
  /** c2.evil.example resolved, then `decoys` other names with addresses of their own, then a connect to the C2's address. */
  const session = (decoys: number) => {
    const records = [dnsRecord(id, 2, stub, answer('c2.evil.example', [10, 66, 0, 1]))];
    for (let i = 0; i < decoys; i++) records.push(dnsRecord(id, 2, stub, answer(`cdn${i}.example.com`, [192, 0, 2 + (i >> 8), i & 255])));
    records.push(tcpConnectRecord(id, v4(10, 66, 0, 1), 443));
    return records;
  };
  const example = `${REPO_ROOT}rules/example.toml`;

  it('within what replay keeps: the rule on dst_hostname fires, nothing to say', () => {
    const run = alertsAndWarnings([capture('names-kept.rgc', session(NAMES_PER_PROCESS - 1)), '--rules', example]);
    expect(run.rules).toContain('network.c2_name');
    expect(run.warnings).toEqual([]);
  });

  it('one name more: the address is let go of, the rule is silent, and replay says so', () => {
    const run = alertsAndWarnings([capture('names-crowded.rgc', session(NAMES_PER_PROCESS)), '--rules', example]);
    expect(run.rules).not.toContain('network.c2_name');
    expect(run.warnings).toEqual([expect.stringMatching(/warning: rules on the name a connection's address was resolved from .* replay let go of 1 resolved addresses/)]);
  });
});

describe('a Sigma correlation with more groups open than it keeps', () => {
  it('says how many groups were dropped', () => {
    const rules = join(dir, 'sigma');
    const base = `title: outbound connect\nid: aaaaaaaa-0000-4000-8000-0000000000c1\nname: outbound_connect\nstatus: experimental\n`
      + `logsource:\n    product: linux\n    category: network_connection\ndetection:\n    sel:\n        Initiated: 'true'\n    condition: sel\nlevel: low\n`;
    const correlation = `title: repeated connects to one endpoint\nid: aaaaaaaa-0000-4000-8000-0000000000c2\nstatus: experimental\nlevel: medium\n`
      + `correlation:\n    type: event_count\n    rules:\n        - outbound_connect\n    group-by:\n        - DestinationIp\n        - DestinationPort\n`
      + `    timespan: 1h\n    condition:\n        gte: 2\n`;
    mkdirSync(rules);
    writeFileSync(join(rules, 'base.yml'), base);
    writeFileSync(join(rules, 'correlation.yml'), correlation);
    // One connect to each of max + 10 endpoints, a microsecond apart: every group is still open when the next comes.
    const extra = 10;
    const records: Uint8Array[] = [];
    const id: Identity = { ts: 0n, pid: 700, ppid: 1, comm: 'scanner' };
    for (let i = 0; i < SIGMA_LIMITS.maxCorrelationGroups + extra; i++) {
      records.push(connectRecord({ ...id, ts: SYNTHETIC_MONOTONIC_NS + BigInt(i) * 1000n }, AF_INET, [10, (i >> 16) & 255, (i >> 8) & 255, i & 255], 1 + (i % 60000), 0));
    }
    const run = alertsAndWarnings([capture('scan.rgc', records), '--sigma', rules]);
    // Each endpoint once: the correlation never fires (the built-in detections see the watched ports among them).
    expect(run.rules.filter((r) => r.startsWith('aaaaaaaa-'))).toEqual([]);
    expect(run.rules.filter((r) => r !== 'network.watched_destination')).toEqual([]);
    expect(run.warnings).toEqual([`rg-replay: warning: ${extra} Sigma correlation groups were dropped, the oldest of more than ${SIGMA_LIMITS.maxCorrelationGroups} open at once: correlations over them may be missed`]);
  }, 120_000);
});
