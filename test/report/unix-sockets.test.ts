/**
 * Unix socket addresses in the report's data: the table's subject is the
 * address as rg-replay prints it (an abstract name after `@`, its NULs kept
 * for the page to show as escapes; `./@` before a pathname that starts with
 * @), and the row's details say `abstract` and, for a size sun_path cannot
 * hold, `path_size_invalid`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.js';
import { runSession } from '../../src/replay/main.js';
import { unixRecord } from '../support/net-records.js';
import { execRecord, type Identity } from '../support/records.js';
import { writeSynthetic } from '../support/synthetic.js';

let t = 1_000_000_000_000n;
const at = (): Identity => ({ ts: (t += 1_000_000n), pid: 300, ppid: 1, comm: 'srv' });
const dir = mkdtempSync(join(tmpdir(), 'rg-report-unix-'));
const capture = join(dir, 'unix.rgc');
writeFileSync(capture, writeSynthetic({
  records: [
    execRecord(at(), '/usr/bin/srv', ['srv']),
    unixRecord(at(), 2, '\0/run/dbus/system_bus_socket\0c2'),
    unixRecord(at(), 2, '/run/dbus/system_bus_socket'),
    unixRecord(at(), 1, '@/run/dbus/system_bus_socket'),
    unixRecord(at(), 2, new Uint8Array(108).fill(0x61), 0, { pathSize: 300, abstract: 1 }),
  ],
}));
const { data } = await buildReport((p, sink, rules) => runSession(p, { context: false, ...rules }, () => sink, true),
  { paths: [capture], rules: { detect: true }, publicKey: null });

describe('Unix socket addresses in the report', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows each address as rg-replay prints it, the abstract ones whole', () => {
    const rows = data.events.k.map((k, i) => [data.kinds[k].name, data.events.strings[data.events.a[i]], data.events.strings[data.events.b[i]]])
      .filter(([kind]) => kind === 'net_unix');
    expect(rows).toEqual([
      ['net_unix', '@/run/dbus/system_bus_socket\u0000c2', 'op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=1'],
      ['net_unix', '/run/dbus/system_bus_socket', 'op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=0'],
      ['net_unix', './@/run/dbus/system_bus_socket', 'op=bind sock_type=1 fd=3 result=0 peer_pid=0 abstract=0'],
      ['net_unix', `@${'a'.repeat(107)}`, 'op=connect sock_type=1 fd=3 result=0 peer_pid=0 abstract=1 path_size_invalid'],
    ]);
  });
});
