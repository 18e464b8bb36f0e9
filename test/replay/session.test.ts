/**
 * ReplaySession warms up its enriched path after 32 records on a scratch
 * session of its own (session.ts): what that scratch session sees must never
 * reach the replay's output, process table, network state or counts. And a
 * session told not to watch the network (--stats) learns nothing from it.
 */
import { describe, expect, it } from 'vitest';
import { ByteOutput } from '../../src/output/byte-output.js';
import { NdjsonSink, TextSink } from '../../src/output/sinks.js';
import { ProcessContextEncoder } from '../../src/replay/context-json.js';
import { compileFilter } from '../../src/replay/filters.js';
import { type ProcessNode } from '../../src/replay/process-table.js';
import { ReplaySession } from '../../src/replay/session.js';
import { AF_INET } from '../../src/abi/constants.js';
import { connectRecord, openRecord } from '../support/records.js';

function run(json: boolean, events: number) {
  const chunks: Buffer[] = [];
  const out = new ByteOutput((b) => { chunks.push(Buffer.from(b)); });
  let session: ReplaySession;
  const context = new ProcessContextEncoder((host) => session.clockForHost(host), (node) => session.net.activity(node));
  const sink = json ? new NdjsonSink<ProcessNode>(out, context) : new TextSink<ProcessNode>(out, false, context);
  session = new ReplaySession({
    sink, filter: compileFilter({}), withProcesses: true, keepProcessHistory: true, alerts: null, alertsOnly: false, withSourceEvents: false, decodeBy: 'build',
  });
  const ctx = session.contextFor('test.rgc', null);
  for (let i = 0; i < events; i++) {
    const record = openRecord({ ts: 1_000_000_000n + BigInt(i), pid: 100 + (i % 3), ppid: 1, comm: 'cat' }, `/etc/file-${i}`, 0, 3);
    session.accept(ctx, session.counts.dispatch(record, 0, record.length), record, 0);
  }
  session.options.sink.flush();
  return { session, lines: Buffer.concat(chunks).toString().split('\n').filter((l) => l !== '') };
}

describe('replay session warm-up', () => {
  for (const json of [true, false]) {
    it(`${json ? 'NDJSON' : 'text'}: the scratch session's made-up DNS event reaches neither output nor state`, () => {
      const { session, lines } = run(json, 40);
      expect(lines).toHaveLength(40);
      expect(lines.every((l) => l.includes('/etc/file-'))).toBe(true);
      expect(lines.some((l) => l.includes('dns') || l.includes('warm-up'))).toBe(false);
      // Only the three processes of the records, all of this input's host.
      expect(session.table!.all.map((n) => n.pid).sort()).toEqual([100, 101, 102]);
      expect(session.table!.all.every((n) => n.host === 'file:test.rgc')).toBe(true);
      expect(session.counts.acceptedTotal).toBe(40);
      expect(session.shown).toBe(40);
    });
  }

  it('prints the same lines whether or not the warm-up ran (fewer than 32 records: never)', () => {
    const short = run(true, 31).lines;
    const long = run(true, 40).lines.slice(0, 31);
    expect(long).toEqual(short);
  });
});

describe('replay session without network state (--stats)', () => {
  for (const withNetwork of [undefined, false]) {
    it(`withNetwork ${String(withNetwork)}: a TCP connect out is ${withNetwork === false ? 'not ' : ''}remembered as the process's connection`, () => {
      const session = new ReplaySession({
        sink: new NdjsonSink<ProcessNode>(new ByteOutput(() => {}), null), filter: compileFilter({}), withProcesses: true, keepProcessHistory: true,
        alerts: null, alertsOnly: false, withSourceEvents: false, decodeBy: 'build', ...(withNetwork === undefined ? {} : { withNetwork }),
      });
      const ctx = session.contextFor('test.rgc', null);
      const record = connectRecord({ ts: 1_000_000_000n, pid: 300, ppid: 1, comm: 'curl' }, AF_INET, [10, 66, 0, 1], 443, 0);
      session.accept(ctx, session.counts.dispatch(record, 0, record.length), record, 0);
      const node = session.table!.lookup('file:test.rgc', 300)!;
      expect(session.counts.acceptedTotal).toBe(1);
      if (withNetwork === false) expect(session.net.activity(node)).toBeNull();
      else expect(session.net.activity(node)?.connections).toEqual(['10.66.0.1:443']);
    });
  }
});
