/**
 * A result the record says it does not know (header flag RESULT_UNSEEN: an
 * io_uring request submitted with IOSQE_CQE_SKIP_SUCCESS, recorded at its
 * submission; the record's result is 0). Every reader shows it as unknown,
 * not as fd 0 or success: --json null without `error`, text `result=unseen`,
 * the rules' facts unknown, OCSF status Unknown. A kind whose registry entry
 * has no such flag reads its result as it is, whatever bit 8 says.
 */
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { EventKind } from '../../src/abi/constants.js';
import { eventValues } from '../../src/abi/event-values.js';
import { EVENT_FLAG_IO_URING, EVENT_FLAG_RESULT_UNSEEN } from '../../src/abi/schema.js';
import { ocsfOfKind, statusOf } from '../../src/export/ocsf-map.js';
import { ByteOutput } from '../../src/output/byte-output.js';
import { NdjsonEncoder } from '../../src/output/ndjson.js';
import { TextLineEncoder } from '../../src/output/text-writers.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { AlertEngine } from '../../src/replay/rules/alerts.js';
import { builtinRules, DEFAULT_ALERT_PORTS } from '../../src/replay/rules/builtin.js';
import { compileRule } from '../../src/replay/rules/evaluate.js';
import { eventFacts, RecordFacts } from '../../src/replay/rules/facts.js';
import { BUILD_SCHEMA } from '../../src/abi/schema.js';
import { kindRecord } from '../support/intrusion-records.js';
import { type Identity, openRecord } from '../support/records.js';

const UNSEEN = EVENT_FLAG_IO_URING | EVENT_FLAG_RESULT_UNSEEN;
const id = (flags: number): Identity => ({ ts: 1_000_000_000n, pid: 700, ppid: 1, uid: 0, comm: 'x', flags });

function output(bytes: Uint8Array, write: (out: ByteOutput, kind: number) => void): string {
  const chunks: Buffer[] = [];
  const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
  write(out, classifyRecord(bytes, 0, bytes.length));
  out.flush();
  return Buffer.concat(chunks).toString('utf8').trim();
}
/** The NDJSON line, by the interpreter (compileAfter large) or the compiled writer (compileAfter 0). */
const json = (bytes: Uint8Array, compileAfter: number) =>
  JSON.parse(output(bytes, (out, kind) => new NdjsonEncoder(null, BUILD_SCHEMA, compileAfter).writeEvent(out, kind, bytes, 0))) as Record<string, unknown>;
const text = (bytes: Uint8Array) => output(bytes, (out, kind) => new TextLineEncoder(false).writeLine(out, kind, bytes, 0, null));

describe('a result the record does not know (RESULT_UNSEEN)', () => {
  const open = openRecord(id(UNSEEN), '/etc/shadow', 0, 0);
  const failed = openRecord(id(EVENT_FLAG_IO_URING), '/etc/shadow', 0, -13);

  it('--json: result null, no error, result_unseen true (interpreted and compiled writers alike)', () => {
    for (const compileAfter of [1 << 30, 0]) {
      const e = json(open, compileAfter);
      expect([e.result, 'error' in e, e.result_unseen, e.io_uring]).toEqual([null, false, true, true]);
      const f = json(failed, compileAfter);
      expect([f.result, f.error, f.result_unseen]).toEqual([-13, 'EACCES', false]);
    }
    expect(eventValues(EventKind.FileOpen, open, 0).values.get('result')).toBeNull();
  });

  it('text: result=unseen, and the flag named at the end of the line', () => {
    expect(text(open)).toMatch(/ result=unseen dirfd=-100 .* io_uring result_unseen$/);
    expect(text(failed)).toContain(' result=-13 error=EACCES ');
  });

  it('rules: the result is unknown (not 0) to a rule, but a write whose result is unseen still counts as done', () => {
    const facts = new RecordFacts(BUILD_SCHEMA);
    facts.reset(EventKind.FileOpen, open, 0, null);
    expect(facts.get('result')).toBeUndefined();
    expect(eventFacts(EventKind.FileOpen, open, 0, null).get('result')).toBeUndefined();
    // O_WRONLY|O_TRUNC on a log, through a skipped io_uring open: defense_evasion.log_wipe all the same.
    const wipe = openRecord(id(UNSEEN), '/var/log/auth.log', 0o1001, 0);
    const engine = new AlertEngine(builtinRules(DEFAULT_ALERT_PORTS, []).map(compileRule));
    const table = new ProcessTable();
    const kind = classifyRecord(wipe, 0, wipe.length);
    const alerts = engine.evaluate(eventFacts(kind, wipe, 0, table.apply('h', kind, wipe, 0)), null);
    expect(alerts.map((a) => [a.rule_id, a.result_unseen, 'result' in a])).toEqual([['defense_evasion.log_wipe', true, false]]);
  });

  it('OCSF: status Unknown for a result not known, Success and Failure otherwise', () => {
    const m = ocsfOfKind(BUILD_SCHEMA.byId[EventKind.FileOpen]!);
    expect([statusOf(m, null), statusOf(m, 3), statusOf(m, -13)]).toEqual([0, 1, 2]);
  });

  it('a kind without the flag in its registry entry reads its result as it is, bit 8 or not', () => {
    const del = kindRecord(EventKind.FileChmod, id(EVENT_FLAG_RESULT_UNSEEN), { result: -2, path: '/tmp/x', path_arg: '/tmp/x' });
    const e = json(del, 1 << 30);
    expect([e.result, e.error, 'result_unseen' in e]).toEqual([-2, 'ENOENT', false]);
    expect(text(del)).toContain(' result=-2 error=ENOENT ');
  });
});
