/**
 * The detection options of rg-replay, end to end on a capture whose events
 * are known: each built-in execution path, --alert-port (which replaces the
 * default ports), --alert-cidr, and --rules with its [detections] table.
 * Each case names which events must alert, so a detection that stops firing,
 * or fires on a look-alike, fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AF_INET } from '../../src/abi/constants.js';
import { REPLAY_BIN, REPO_ROOT, runReplayCli } from '../support/golden.js';
import { connectRecord, execRecord, openRecord, type Identity } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-detect-'));
let t = 0;
const who = (): Identity => ({ ts: SYNTHETIC_MONOTONIC_NS + BigInt(++t) * 1_000_000n, pid: 300 + t, ppid: 1, uid: 1000, comm: 'x' });
const exec = (path: string) => execRecord(who(), path, [path]);
const connect = (addr: number[], port: number) => connectRecord(who(), AF_INET, addr, port, 0);
const capture = join(dir, 'detect.rgc');
writeFileSync(capture, writeSynthetic({
  records: [
    exec('/var/tmp/dropper'), exec('/run/shm/x'), exec('memfd:payload'), exec('/dev/fd/5'),
    // fexecve of a file on disk: the kernel names the file; neither deleted nor in memory.
    execRecord(who(), '/dev/fd/3', ['tp'], 0n, { exePath: '/usr/local/bin/tp' }),
    // Look-alikes: none of these may alert.
    exec('/usr/bin/true'), exec('/var/tmpfs/x'), exec('/run/shmem/x'), exec('/usr/share/memfd:doc'),
    connect([10, 0, 0, 5], 4444), connect([10, 0, 0, 5], 8443), connect([198, 51, 100, 7], 443), connect([192, 0, 2, 1], 443),
    openRecord(who(), '/srv/app/config.yml', 0o1101, 3, 0o644),
  ],
}));

/** Each alert as `rule_id what`, and the exit status; stderr must say how many alerts there were. */
function alerts(...extra: string[]): string[] {
  const r = runReplayCli([capture, '--alerts', '--json', ...extra]);
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.toString().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  expect(r.stderr).toContain(`${lines.length} alert(s)`);
  return lines.map((a) => `${a.rule_id} ${a.filename ?? a.path ?? `${a.addr}:${a.port}`}`);
}

describe('built-in detections and their options, from the command line', () => {
  it('flag programs run from /var/tmp and /run/shm, and memfd: and /dev/fd/ programs, not look-alikes; port 4444 by default', () => {
    expect(alerts()).toEqual([
      'execution.tmp /var/tmp/dropper', 'execution.tmp /run/shm/x', 'execution.deleted memfd:payload', 'execution.deleted /dev/fd/5',
      'network.watched_destination 10.0.0.5:4444',
    ]);
  });

  it('--alert-port replaces the default ports', () => {
    expect(alerts('--alert-port', '8443').filter((a) => a.startsWith('network.'))).toEqual(['network.watched_destination 10.0.0.5:8443']);
  });

  it('--alert-cidr adds a watched network', () => {
    expect(alerts('--alert-cidr', '198.51.100.0/24').filter((a) => a.startsWith('network.'))).toEqual([
      'network.watched_destination 10.0.0.5:4444', 'network.watched_destination 198.51.100.7:443',
    ]);
  });

  it('--rules adds rules, and its [detections] table sets ports and networks; --alert-port still wins', () => {
    const rules = join(dir, 'rules.toml');
    writeFileSync(rules, [
      '[[rules]]', 'id = "app.config_written"', 'title = "App config written"', 'event = "file_open"',
      'match = { path = { prefix = "/srv/app/" }, write = { equals = true } }',
      '[detections]', 'ports = [8443]', 'cidrs = ["192.0.2.0/24"]',
    ].join('\n'));
    const fired = alerts('--rules', rules);
    expect(fired.filter((a) => !a.startsWith('execution.'))).toEqual([
      'network.watched_destination 10.0.0.5:8443', 'network.watched_destination 192.0.2.1:443', 'app.config_written /srv/app/config.yml',
    ]);
    expect(alerts('--rules', rules, '--alert-port', '4444').filter((a) => a.startsWith('network.'))).toEqual([
      'network.watched_destination 10.0.0.5:4444', 'network.watched_destination 192.0.2.1:443',
    ]);
  });

  it('a --rules path that is not a regular file is one line and exit 3, at once: /dev/zero was read whole (gigabytes), a FIFO hung', () => {
    const fifo = join(dir, 'rules.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const path of ['/dev/zero', fifo, join(dir, 'none.toml')]) {
      const r = spawnSync(process.execPath, [REPLAY_BIN, capture, '--alerts', '--rules', path], { cwd: REPO_ROOT, timeout: 20_000, encoding: 'utf8' });
      expect(r.signal, path).toBeNull();
      expect(r.status, path).toBe(3);
      expect(r.stderr.trim().split('\n'), path).toEqual([`rg-replay: cannot read rules ${path}: ${path.endsWith('none.toml') ? 'no such file or directory' : 'not a regular file'}`]);
    }
  });

  it('refuses a bad port or network with a usage error', () => {
    // An empty prefix length ('10.0.0.0/') was read as /0, every address; a second slash was dropped.
    for (const args of [['--alert-port', '70000'], ['--alert-port', 'http'], ['--alert-cidr', '10.0.0.0/33'], ['--alert-cidr', 'nowhere'],
      ['--alert-cidr', '203.0.113.9/'], ['--alert-cidr', '10.0.0.0/8/8'], ['--alert-cidr', '10.0.0.0/+8'], ['--addr', '127.0.0.1/'], ['--addr', '10.0.0.0/8/8']]) {
      const r = runReplayCli([capture, '--alerts', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    }
  });
});
