/**
 * Manifests, stats and end records that are readable CBOR but not what the
 * format defines: a float or text clock, no tool, kinds that are numbers or
 * have no fields, fields outside their record. Each is damage reported in one
 * line that names the key (exit 5; verify: 7), never an internal error, in
 * every command that reads it; the records still replay.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NdjsonSink, NullSink } from '../../src/output/sinks.js';
import { ByteOutput } from '../../src/output/byte-output.js';
import { buildReport } from '../../src/report/build.js';
import { buildAudit, formatAuditText } from '../../src/replay/audit.js';
import { runSession } from '../../src/replay/main.js';
import { formatStatsText } from '../../src/replay/stats.js';
import { treeJson, treeJsonText, treeText } from '../../src/replay/tree.js';
import { verifyFile } from '../../src/replay/verify.js';
import { FormatError } from '../../src/rgc/errors.js';
import { SKIPPABLE_MAGIC } from '../../src/rgc/format.js';
import { decodeManifest, encodeCbor, type Manifest } from '../../src/rgc/manifest.js';
import { skippable } from '../support/craft.js';
import { listItems } from '../support/frames.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { openRecord, shellSession } from '../support/records.js';
import { syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-hostile-manifest-'));
const records = shellSession();
const sm = syntheticManifest();
const kinds = sm.schema.kinds;

/** A capture of `records` whose manifest is `m` (anything cbor-x encodes). */
const captureWith = (m: unknown) => writeSynthetic({ records, manifest: m as Manifest });
const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
/** The manifest's CBOR as a capture file carries it. */
const manifestBody = (file: Uint8Array) => file.subarray(16, listItems(file)[0].length);
const damagedManifest = (m: unknown) => () => decodeManifest(manifestBody(captureWith(m)));

/** Manifests the exploratory tests found crashing replay, and what the damage line says of each. */
const CRASHERS: Record<string, [manifest: unknown, detail: string]> = {
  'real-float': [{ ...sm, clock: { ...sm.clock, realtime_ns: 1.5 } }, 'clock.realtime_ns is not an integer in 0..2^64-1'],
  'mono-string': [{ ...sm, clock: { ...sm.clock, monotonic_ns: 'abc' } }, 'clock.monotonic_ns is not an integer in 0..2^64-1'],
  'no-tool': [{ ...sm, tool: undefined }, 'tool is not a map'],
  'kinds-nofields': [{ ...sm, schema: { ...sm.schema, kinds: kinds.map(({ fields: _, ...k }) => k) } }, 'schema.kinds[0].fields is not a list'],
  'kinds-num': [{ ...sm, schema: { ...sm.schema, kinds: [1, 2, 3] } }, 'schema.kinds[0] is not a map'],
};

describe('decodeManifest checks the whole manifest', () => {
  it('reads every checked-in capture\'s manifest, and a synthetic one exactly as written', () => {
    for (const name of ['demo.rgc', 'demo-v1.rgc', 'synthetic-all-kinds.rgc', 'synthetic-schema-newer.rgc', 'synthetic-schema-resized.rgc']) {
      const m = decodeManifest(manifestBody(readFileSync(join(REPO_ROOT, 'captures', name))));
      expect(m.schema.kinds.length, name).toBeGreaterThan(0);
      expect(typeof m.clock.realtime_ns).toBe('bigint');
    }
    expect(decodeManifest(manifestBody(captureWith(sm)))).toStrictEqual(sm);
  });

  it('accepts what another valid writer may write: small integers in 8 bytes, a field type this build does not know, no users table', () => {
    const kind = { ...kinds[0], id: BigInt(kinds[0].id), size: BigInt(kinds[0].size), fields: kinds[0].fields.map((f, i) => (i === 5 ? { ...f, type: 'f64' } : f)) };
    const m = decodeManifest(manifestBody(captureWith({ ...sm, clock: { ...sm.clock, realtime_ns: 5 }, schema: { ...sm.schema, kinds: [kind, ...kinds.slice(1)] } })));
    expect(m.schema.kinds[0].id).toBe(kinds[0].id);
    expect(m.schema.kinds[0].size).toBe(kinds[0].size);
    expect(m.schema.kinds[0].fields[5].type).toBe('f64');
    expect(m.clock.realtime_ns).toBe(5n);
    expect(m.host.users).toBeUndefined();
  });

  it('refuses a value of the wrong type, outside its range or not an integer, naming the key', () => {
    const field = (k: number, f: number, change: object) => ({
      ...sm, schema: { ...sm.schema, kinds: kinds.map((kind, i) => (i !== k ? kind : { ...kind, fields: kind.fields.map((x, j) => (j === f ? { ...x, ...change } : x)) })) },
    });
    const cases: [unknown, string][] = [
      ...Object.values(CRASHERS),
      [{ ...sm, clock: { ...sm.clock, realtime_ns: -(10n ** 18n) } }, 'clock.realtime_ns is not an integer'],
      [{ ...sm, clock: { ...sm.clock, monotonic_ns: Number.NaN } }, 'clock.monotonic_ns is not an integer'],
      [{ ...sm, clock: { realtime_ns: 1n, monotonic_ns: 0n } }, 'clock.source is not "CLOCK_MONOTONIC"'],
      [{ ...sm, tool: 'x' }, 'tool is not a map'],
      [{ ...sm, tool: { name: 'rand-guard', version: 5 } }, 'tool.version is not text'],
      [{ ...sm, byte_order: 'big' }, 'byte_order is not "little"'],
      [{ ...sm, host: { ...sm.host, boot_id: {} } }, 'host.boot_id is not text'],
      [{ ...sm, capture: undefined }, 'capture is not a map'],
      [{ ...sm, bpf_object_sha256: 7 }, 'bpf_object_sha256 is neither text nor null'],
      [{ ...sm, segment: { capture_id: 'c', index: 'x', previous_sha256: null } }, 'segment.index is not an integer in 0..'],
      [{ ...sm, segment: { capture_id: 5, index: 0, previous_sha256: null } }, 'segment.capture_id is not a non-empty text'],
      [{ ...sm, signing_key_sha256: 5 }, 'signing_key_sha256 is not text'],
      [{ ...sm, schema: { ...sm.schema, version: 'x' } }, 'schema.version is not an integer in 1..65535'],
      [{ ...sm, schema: { ...sm.schema, header: [1] } }, 'schema.header[0] is not a map'],
      [{ ...sm, schema: { ...sm.schema, kinds: [...kinds, kinds[0]] } }, `schema.kinds[${kinds.length}].id ${kinds[0].id} is declared twice`],
      [{ ...sm, schema: { ...sm.schema, kinds: kinds.map((k) => ({ ...k, size: 2 ** 40 })) } }, 'schema.kinds[0].size is not an integer in 72..65536'],
      [field(0, 0, { offset: -8 }), 'schema.kinds[0].fields[0].offset is not an integer in 0..'],
      [field(0, 0, { offset: 1.5 }), 'schema.kinds[0].fields[0].offset is not an integer in 0..'],
      [field(0, 4, { count: 2 ** 31 }), 'schema.kinds[0].fields[4].count is not an integer in 1..'],
      [field(1, 1, { offset: kinds[1].size - 1 }), `schema.kinds[1].fields[1] (${kinds[1].fields[1].name}) runs past its record's ${kinds[1].size} bytes`],
      [field(2, 2, { name: kinds[2].fields[1].name }), `schema.kinds[2].fields[2].name "${kinds[2].fields[1].name}" is declared twice`],
      [field(0, 0, { type: 7 }), 'schema.kinds[0].fields[0].type is not a non-empty text'],
    ];
    for (const [m, detail] of cases) {
      expect(damagedManifest(m), detail).toThrow(FormatError);
      expect(damagedManifest(m), detail).toThrow(`rgc: manifest is damaged: ${detail}`);
    }
  });
});

/** The stderr line replay prints for a damaged manifest of `path`. */
const manifestLine = (path: string, detail: string) =>
  new RegExp(`^rg-replay: ${path}: bad_manifest at bytes 0-\\d+: rgc: manifest is damaged: ${detail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; records replay without wall-clock times$`);

describe('a damaged manifest through the command line: one line, exit 5, the records replayed', () => {
  const runs: [string, (path: string) => string[]][] = [
    ['replay --json', (p) => [p, '--json']],
    ['replay --stats', (p) => [p, '--stats']],
    ['replay --stats --json', (p) => [p, '--stats', '--json']],
    ['replay --detect --json', (p) => [p, '--detect', '--json']],
    ['replay --json --schema manifest', (p) => [p, '--json', '--schema', 'manifest']],
    ['tree', (p) => ['tree', p]],
    ['audit', (p) => ['audit', p]],
  ];
  for (const [name, [manifest, detail]] of Object.entries(CRASHERS)) {
    it(`${name}: replay, stats, detections, tree and audit exit 5; verify says ALTERED`, () => {
      const path = write(`${name}.rgc`, captureWith(manifest));
      for (const [what, args] of runs) {
        const r = runReplayCli(args(path));
        expect(r.status, `${what}: ${r.stderr}`).toBe(5);
        expect(r.stderr).not.toMatch(/internal error/);
        const lines = r.stderr.trim().split('\n');
        expect(lines[0], what).toMatch(manifestLine(path, detail));
        // The one damage line, and what --detect adds (its count of alerts).
        expect(lines.length, what).toBe(what.includes('--detect') ? 2 : 1);
      }
      const events = runReplayCli([path, '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; time: unknown });
      expect(events.map((e) => e.event_type)).toEqual(['process_start', 'file_open', 'net_connect', 'process_exit']);
      expect(events.every((e) => e.time === null)).toBe(true);
      const verify = runReplayCli(['verify', path]);
      expect(verify.status).toBe(7);
      expect(verify.stdout.toString()).toContain(`problem   bad_manifest at bytes 0-`);
      expect(verify.stdout.toString()).toContain(`manifest is damaged: ${detail}`);
    });
  }

  it('in a merge with a sound capture: the damaged one is named, the other keeps its host and clock', () => {
    const bad = write('merge-no-tool.rgc', captureWith(CRASHERS['no-tool'][0]));
    const good = write('merge-good.rgc', writeSynthetic({ records: [openRecord({ ts: 1000_000000000n + 5_000_000n, pid: 100, ppid: 1, comm: 'sh' }, '/etc/shadow', 0, 3)], manifest: syntheticManifest({ segment: { capture_id: 'other', index: 0, previous_sha256: null } }) }));
    const r = runReplayCli([bad, good, '--stats', '--json']);
    expect(r.status, r.stderr).toBe(5);
    expect(r.stderr.trim()).toMatch(manifestLine(bad, 'tool is not a map'));
    const stats = JSON.parse(r.stdout.toString()) as { events: number; files: { damaged: boolean; tool_version: string | null; host: string | null }[] };
    expect(stats.events).toBe(5);
    expect(stats.files.map((f) => [f.damaged, f.tool_version, f.host])).toEqual([[true, null, null], [false, 'synthetic', 'synthetic-host']]);
  });
});

describe('stats and end records with a clock that is not an integer', () => {
  const good = Buffer.from(writeSynthetic({ records }));
  const end = listItems(good).find((i) => i.kind === 'end')!;
  const beforeEnd = good.subarray(0, end.offset);
  const totals = (mono: unknown) => ({ frames: 1, records: 4, lost_kernel_by_cpu: [0, 0], lost_user: 0, monotonic_ns: mono });
  const stats = (mono: unknown) => skippable(SKIPPABLE_MAGIC, Buffer.concat([Buffer.from('RGCS'), Buffer.from(encodeCbor(totals(mono)))]));
  const endRecord = (mono: unknown) => {
    const body = Buffer.from(encodeCbor({ ...totals(mono), stop_reason: 'synthetic', chain_sha256: new Uint8Array(32) }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(body.length);
    return skippable(SKIPPABLE_MAGIC, Buffer.concat([Buffer.from('RGCE'), length, body]));
  };
  const cases: [string, Buffer, string][] = [
    ['stats-float', Buffer.concat([beforeEnd, stats(1.5), good.subarray(end.offset)]), 'stats record unreadable or malformed: its totals are not used'],
    ['stats-nan', Buffer.concat([beforeEnd, stats(Number.NaN), good.subarray(end.offset)]), 'stats record unreadable or malformed: its totals are not used'],
    ['stats-negative', Buffer.concat([beforeEnd, stats(-5), good.subarray(end.offset)]), 'stats record unreadable or malformed: its totals are not used'],
    ['end-float', Buffer.concat([beforeEnd, endRecord(2.5)]), 'end record unreadable or malformed: its totals are not used'],
  ];
  for (const [name, bytes, detail] of cases) {
    it(`${name}: reported as bad_meta and not trusted; exit 5 for replay, stats and audit, 7 for verify`, () => {
      const path = write(`${name}.rgc`, bytes);
      for (const args of [[path, '--json'], [path, '--stats', '--json'], ['audit', path], ['tree', path]]) {
        const r = runReplayCli(args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(5);
        expect(r.stderr.trim().split('\n')[0]).toMatch(new RegExp(`^rg-replay: ${path}: bad_meta at bytes \\d+-\\d+: ${detail}$`));
        expect(r.stderr).not.toMatch(/internal error/);
      }
      const json = JSON.parse(runReplayCli([path, '--stats', '--json']).stdout.toString()) as { events: number; damaged: boolean; complete: boolean };
      expect([json.events, json.damaged, json.complete]).toEqual([4, true, !name.startsWith('end')]);
      const verify = runReplayCli(['verify', path]);
      expect(verify.status).toBe(7);
      expect(verify.stdout.toString()).toContain(detail);
    });
  }
});

/** Where in a manifest a type confusion is put: every key the format defines, and a kind's and a field's keys. */
const PATHS: (string | number)[][] = [
  ['tool'], ['tool', 'name'], ['tool', 'version'], ['byte_order'], ['format'],
  ['clock'], ['clock', 'source'], ['clock', 'realtime_ns'], ['clock', 'monotonic_ns'],
  ['host'], ['host', 'hostname'], ['host', 'kernel_release'], ['host', 'machine'], ['host', 'boot_id'], ['host', 'users'], ['host', 'groups'],
  ['capture'], ['capture', 'events'], ['capture', 'follow'], ['capture', 'command'], ['capture', 'watch_prefixes'],
  ['bpf_object_sha256'], ['signing_key_sha256'], ['segment'], ['segment', 'capture_id'], ['segment', 'index'], ['segment', 'previous_sha256'],
  ['schema'], ['schema', 'version'], ['schema', 'byte_order'], ['schema', 'header_size'], ['schema', 'constants'], ['schema', 'header'], ['schema', 'kinds'],
  ['schema', 'header', 0], ['schema', 'header', 0, 'offset'], ['schema', 'kinds', 0], ['schema', 'kinds', 3],
  ...['id', 'name', 'event_type', 'size', 'fields'].map((k) => ['schema', 'kinds', 1, k]),
  ...['name', 'type', 'offset', 'count'].map((k) => ['schema', 'kinds', 2, 'fields', 3, k]),
  ['schema', 'kinds', 2, 'fields', 0],
];

/** Values of every CBOR type, and the numbers that broke BigInt and indexing: floats, NaN, negatives, 2^63. */
const confusedValue = fc.oneof(
  fc.constantFrom(undefined, null, true, false, '', 'x', Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, 2 ** 40, 2 ** 63, -(2n ** 63n), 2n ** 64n - 1n, 0n, new Uint8Array(3)),
  fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom('name', 'id', 'size', 'fields', 'offset', 'type', 'count'), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxKeys: 4 }),
);

/** A deep copy of the synthetic manifest with `value` put at `path` (undefined: the key removed). */
function confused(changes: [(string | number)[], unknown][]): unknown {
  const m = structuredClone(sm) as unknown as Record<string | number, unknown>;
  for (const [path, value] of changes) {
    let at: Record<string | number, unknown> = m;
    for (const key of path.slice(0, -1)) {
      const next = at[key];
      if (typeof next !== 'object' || next === null) break;
      at = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1];
    if (value === undefined) delete at[last];
    else at[last] = value;
  }
  return m;
}

/** Everything that reads a manifest, as the commands run it: replay (both schemas), stats, tree, audit, verify, the report. */
async function readEverywhere(path: string): Promise<void> {
  const discard = () => new ByteOutput(() => {}, 1 << 16);
  const asJson = await runSession([path], { json: true }, (context) => new NdjsonSink(discard(), context), false);
  formatStatsText(asJson.stats);
  const byManifest = await runSession([path], { json: true, schema: 'manifest' }, (context) => new NdjsonSink(discard(), context), false);
  formatAuditText(buildAudit(byManifest.stats, byManifest.files, 'manifest'));
  const tree = await runSession([path], { context: false }, () => new NullSink(), true);
  treeText(tree.session.table!, tree.session.net);
  treeJsonText(treeJson(tree.session.table!, tree.session.clockForHost, tree.session.net));
  verifyFile(path, null);
  await buildReport((p, sink, rules) => runSession(p, { context: false, ...rules }, () => sink, true), { paths: [path], rules: { detect: true }, publicKey: null });
}

describe('random type confusion in the manifest never reaches a consumer', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('the manifest is either refused as bad_manifest or read, and every command then runs to its end', async () => {
    // runSession reports damage on stderr as the command does: hundreds of lines, not this test's output.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const path = join(dir, 'confused.rgc');
    let refused = 0;
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...PATHS), confusedValue), { minLength: 1, maxLength: 3 }), async (changes) => {
      let bytes: Uint8Array;
      try {
        bytes = captureWith(confused(changes));
      } catch {
        return; // A value cbor-x will not encode: not a file anyone can hand us.
      }
      writeFileSync(path, bytes);
      try {
        decodeManifest(manifestBody(bytes));
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as FormatError).problem).toBe('bad_manifest');
        refused++;
      }
      await readEverywhere(path);
    }), { numRuns: 150 });
    // Most changes break the manifest; the rest (a new capture option, a user table) are read.
    expect(refused).toBeGreaterThan(50);
  }, 240_000);

  it('through the command line too: never exit 1', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), confusedValue), { minLength: 1, maxLength: 3 }), (changes) => {
      let bytes: Uint8Array;
      try {
        bytes = captureWith(confused(changes));
      } catch {
        return;
      }
      const path = write('confused-cli.rgc', bytes);
      for (const args of [[path, '--stats', '--json'], ['audit', path], ['verify', path]]) {
        const r = runReplayCli(args);
        expect([0, 5, 7, 8], `${args.join(' ')}: ${r.stderr}`).toContain(r.status);
      }
    }), { numRuns: 8 });
  }, 120_000);
});
