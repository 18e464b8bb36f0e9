/** Correlation rules (Sigma 2): event_count, value_count, temporal and temporal_ordered over time windows, grouped by fields. */
import { describe, expect, it } from 'vitest';
import { SigmaEngine, type SigmaHit } from '../../src/sigma/engine.js';
import { SIGMA_LIMITS } from '../../src/sigma/limits.js';
import { engineFor, type Fields, load, view } from './support.js';

const S = 1000;

function base(name: string, id: string, detection: string, category = 'process_creation'): string {
  return `title: ${name}\nid: ${id}\nname: ${name}\nlogsource:\n    product: linux\n    category: ${category}\ndetection:\n${detection}\nlevel: low\n`;
}
const FAILED_SU = base('failed_su', 'aaaaaaaa-0000-4000-8000-000000000001', "    sel:\n        Image|endswith: '/su'\n    condition: sel");
const RECON_A = base('recon_a', 'aaaaaaaa-0000-4000-8000-000000000002', "    sel:\n        Image|endswith: '/whoami'\n    condition: sel");
const RECON_B = base('recon_b', 'aaaaaaaa-0000-4000-8000-000000000003', "    sel:\n        Image|endswith: '/id'\n    condition: sel");
const CONNECT = base('connect', 'aaaaaaaa-0000-4000-8000-000000000004', '    sel:\n        Initiated: true\n    condition: sel', 'network_connection');

function correlation(body: string, extra = ''): string {
  return `title: the correlation\nid: cccccccc-0000-4000-8000-000000000001\nstatus: experimental\nlevel: high\ncorrelation:\n${body}\n${extra}`;
}

type Step = [timeS: number, category: string, fields: Fields];

function run(engine: SigmaEngine, steps: Step[]): { at: number; hit: SigmaHit }[] {
  const out: { at: number; hit: SigmaHit }[] = [];
  for (const [t, category, fields] of steps) for (const hit of engine.evaluate(view(category, fields, t * S, `event@${t}`))) out.push({ at: t, hit });
  for (const hit of engine.finish()) out.push({ at: -1, hit });
  return out;
}

const su = (t: number, user = 'alice'): Step => [t, 'process_creation', { Image: '/bin/su', User: user }];

describe('event_count', () => {
  const rule = correlation('    type: event_count\n    rules:\n        - failed_su\n    group-by:\n        - User\n    timespan: 1m\n    condition:\n        gte: 3');

  it('fires at the event that reaches the count within the timespan, per group, and starts the group afresh', () => {
    const hits = run(engineFor(FAILED_SU, rule), [su(0), su(10, 'bob'), su(20), su(30), su(31), su(32), su(33)]);
    expect(hits.map((h) => [h.at, h.hit.rule.title, h.hit.correlation?.count, h.hit.correlation?.group])).toEqual([
      [30, 'the correlation', 3, { User: 'alice' }],
      [33, 'the correlation', 3, { User: 'alice' }],
    ]);
    expect(hits[0].hit.eventRef).toBeNull();
    expect(hits[0].hit.correlation).toMatchObject({ type: 'event_count', firstMs: 0, lastMs: 30 * S });
  });

  it('events further apart than the timespan do not add up (the window slides)', () => {
    expect(run(engineFor(FAILED_SU, rule), [su(0), su(50), su(100), su(150)])).toEqual([]);
    expect(run(engineFor(FAILED_SU, rule), [su(0), su(50), su(100), su(101)]).map((h) => h.at)).toEqual([101]);
  });

  it('a referenced rule does not alert on its own, unless the correlation says generate', () => {
    expect(run(engineFor(FAILED_SU, rule), [su(0)])).toEqual([]);
    const generating = correlation('    type: event_count\n    rules: failed_su\n    group-by: User\n    timespan: 1m\n    generate: true\n    condition:\n        gte: 3');
    expect(run(engineFor(FAILED_SU, generating), [su(0)]).map((h) => h.hit.rule.title)).toEqual(['failed_su']);
  });

  it('an upper bound is judged when the window is over: at the next event after it, or at the end', () => {
    const few = correlation('    type: event_count\n    rules:\n        - failed_su\n    group-by:\n        - User\n    timespan: 1m\n    condition:\n        gte: 2\n        lt: 4');
    const hits = run(engineFor(FAILED_SU, few), [su(0), su(10), su(20), su(100), su(200), su(201), su(202), su(203), su(300), su(301)]);
    // Windows: [0..60) 3 events: yes, reported at t=100 pointing at the event of t=20; [100..160) 1: no; [200..260) 4: no; [300..360) 2: yes, at the end.
    expect(hits.map((h) => [h.at, h.hit.eventRef, h.hit.correlation?.count])).toEqual([[100, 'event@20', 3], [-1, 'event@301', 2]]);
  });

  it('references by id work as well as by name', () => {
    const byId = correlation('    type: event_count\n    rules:\n        - aaaaaaaa-0000-4000-8000-000000000001\n    group-by:\n        - User\n    timespan: 10s\n    condition:\n        gt: 1');
    expect(run(engineFor(FAILED_SU, byId), [su(0), su(1)]).map((h) => h.at)).toEqual([1]);
  });
});

describe('value_count', () => {
  it('counts distinct values of a field per group within the timespan', () => {
    const rule = correlation('    type: value_count\n    rules:\n        - connect\n    group-by:\n        - Image\n    timespan: 1m\n    condition:\n        field: DestinationPort\n        gte: 3');
    const c = (t: number, port: number, image = '/tmp/scan'): Step => [t, 'network_connection', { Image: image, Initiated: true, DestinationPort: port }];
    const hits = run(engineFor(CONNECT, rule), [c(0, 22), c(1, 22), c(2, 80), c(3, 22, '/usr/bin/curl'), c(4, 80, '/usr/bin/curl'), c(5, 443)]);
    expect(hits.map((h) => [h.at, h.hit.correlation?.count, h.hit.correlation?.group])).toEqual([[5, 3, { Image: '/tmp/scan' }]]);
    // Values seen earlier than the timespan no longer count.
    expect(run(engineFor(CONNECT, rule), [c(0, 1), c(30, 2), c(70, 3)])).toEqual([]);
  });
});

describe('temporal and temporal_ordered', () => {
  const whoami = (t: number, user = 'alice'): Step => [t, 'process_creation', { Image: '/usr/bin/whoami', User: user }];
  const id = (t: number, user = 'alice'): Step => [t, 'process_creation', { Image: '/usr/bin/id', User: user }];

  it('temporal: every referenced rule within the timespan, in any order, same group', () => {
    const rule = correlation('    type: temporal\n    rules:\n        - recon_a\n        - recon_b\n    group-by:\n        - User\n    timespan: 5m');
    expect(run(engineFor(RECON_A, RECON_B, rule), [id(0), whoami(10)]).map((h) => h.at)).toEqual([10]);
    expect(run(engineFor(RECON_A, RECON_B, rule), [id(0, 'bob'), whoami(10)])).toEqual([]);
    expect(run(engineFor(RECON_A, RECON_B, rule), [id(0), whoami(400)])).toEqual([]);
  });

  it('temporal_ordered: in the order listed', () => {
    const rule = correlation('    type: temporal_ordered\n    rules:\n        - recon_a\n        - recon_b\n    group-by:\n        - User\n    timespan: 5m');
    expect(run(engineFor(RECON_A, RECON_B, rule), [whoami(0), id(10)]).map((h) => h.at)).toEqual([10]);
    expect(run(engineFor(RECON_A, RECON_B, rule), [id(0), whoami(10)])).toEqual([]);
    expect(run(engineFor(RECON_A, RECON_B, rule), [id(0), whoami(10), id(400)])).toEqual([]);
    expect(run(engineFor(RECON_A, RECON_B, rule), [whoami(0), whoami(200), id(350)]).map((h) => [h.at, h.hit.correlation?.firstMs])).toEqual([[350, 200 * S]]);
  });

  it('one event matching two steps does not complete an ordered chain by itself', () => {
    const both = base('both', 'aaaaaaaa-0000-4000-8000-000000000005', "    sel:\n        Image|endswith: '/who'\n    condition: sel");
    const rule = correlation('    type: temporal_ordered\n    rules:\n        - recon_a\n        - both\n    group-by:\n        - User\n    timespan: 5m');
    const recon = base('recon_a', 'aaaaaaaa-0000-4000-8000-000000000002', "    sel:\n        Image|contains: '/who'\n    condition: sel");
    expect(run(engineFor(recon, both, rule), [[0, 'process_creation', { Image: '/bin/who', User: 'a' }]])).toEqual([]);
    expect(run(engineFor(recon, both, rule), [[0, 'process_creation', { Image: '/bin/who', User: 'a' }], [1, 'process_creation', { Image: '/bin/who', User: 'a' }]]).map((h) => h.at)).toEqual([1]);
  });
});

describe('chains, aliases and references', () => {
  it('a correlation of correlations (the specification\'s multi-document example, on process events)', () => {
    const text = [
      correlation('    type: temporal_ordered\n    rules:\n        - many_failed\n        - recon_a\n    group-by:\n        - User\n    timespan: 10m'),
      'title: many failed\nid: cccccccc-0000-4000-8000-000000000002\nname: many_failed\ncorrelation:\n    type: event_count\n    rules:\n        - failed_su\n    group-by:\n        - User\n    timespan: 10m\n    condition:\n        gte: 2',
      FAILED_SU, RECON_A,
    ].join('\n---\n');
    const engine = engineFor(text);
    const hits = run(engine, [su(0), su(1), [2, 'process_creation', { Image: '/usr/bin/whoami', User: 'alice' }]]);
    expect(hits.map((h) => [h.at, h.hit.rule.title])).toEqual([[2, 'the correlation']]);
  });

  it('aliases: one group-by name for differently named fields', () => {
    const rule = correlation('    type: temporal\n    rules:\n        - recon_a\n        - connect\n    group-by:\n        - program\n    timespan: 1m\n    aliases:\n        program:\n            recon_a: ParentImage\n            connect: Image');
    const hits = run(engineFor(RECON_A, CONNECT, rule), [
      [0, 'process_creation', { Image: '/usr/bin/whoami', ParentImage: '/tmp/implant' }],
      [1, 'network_connection', { Image: '/usr/bin/other', Initiated: true }],
      [2, 'network_connection', { Image: '/tmp/implant', Initiated: true }],
    ]);
    expect(hits.map((h) => [h.at, h.hit.correlation?.group])).toEqual([[2, { program: '/tmp/implant' }]]);
  });

  it('what cannot be wired is not loaded, with the reason', () => {
    const reason = (...texts: string[]) => load(...texts).reports.find((r) => r.title === 'the correlation')?.problem?.reason;
    expect(reason(correlation('    type: event_count\n    rules: nothing\n    group-by: User\n    timespan: 1m\n    condition:\n        gte: 2'))).toBe("refers to rule 'nothing', which no loaded file defines");
    expect(reason(FAILED_SU, correlation('    type: event_count\n    rules: failed_su\n    group-by: DestinationPort\n    timespan: 1m\n    condition:\n        gte: 2'))).toBe("field 'DestinationPort' is not in the events of rule 'failed_su'");
    const windows = FAILED_SU.replace('product: linux', 'product: windows');
    expect(reason(windows, correlation('    type: event_count\n    rules: failed_su\n    group-by: User\n    timespan: 1m\n    condition:\n        gte: 2'))).toMatch(/^refers to rule 'failed_su', which is not loaded \(product windows/);
    const loop = [
      'title: a\nid: dddddddd-0000-4000-8000-000000000001\nname: a\ncorrelation:\n    type: event_count\n    rules: b\n    timespan: 1m\n    condition:\n        gte: 1',
      'title: b\nid: dddddddd-0000-4000-8000-000000000002\nname: b\ncorrelation:\n    type: event_count\n    rules: a\n    timespan: 1m\n    condition:\n        gte: 1',
    ];
    expect(load(...loop).reports.map((r) => r.problem?.reason)).toEqual(['correlation rules refer to each other in a loop', expect.stringMatching(/loop/)]);
    expect(reason(correlation('    type: value_sum\n    rules: x\n    timespan: 1m\n    condition:\n        field: a\n        gt: 1'))).toMatch(/value_sum is not supported/);
    expect(reason(correlation('    type: event_count\n    rules: x\n    timespan: 1 hour\n    condition:\n        gt: 1'))).toMatch(/timespan must be/);
    expect(reason(correlation('    type: value_count\n    rules: x\n    timespan: 1h\n    condition:\n        gt: 1'))).toMatch(/needs condition.field/);
    expect(reason(FAILED_SU, correlation(`    type: event_count\n    rules: failed_su\n    timespan: 1h\n    condition:\n        gte: ${SIGMA_LIMITS.maxCorrelationEntries + 1}`))).toMatch(/threshold above/);
  });
});

describe('bounded state', () => {
  it('keeps at most maxCorrelationGroups groups, dropping (and counting) the oldest', () => {
    const rule = correlation('    type: event_count\n    rules:\n        - failed_su\n    group-by:\n        - User\n    timespan: 1h\n    condition:\n        gte: 2');
    const engine = engineFor(FAILED_SU, rule);
    const n = SIGMA_LIMITS.maxCorrelationGroups + 10;
    for (let i = 0; i < n; i++) engine.evaluate(view('process_creation', { Image: '/bin/su', User: `user${i}` }, i));
    expect(engine.droppedCorrelationGroups).toBe(10);
    // The newest groups are still there: a second event for the last user completes it.
    expect(engine.evaluate(view('process_creation', { Image: '/bin/su', User: `user${n - 1}` }, n)).length).toBe(1);
    // The oldest was dropped: a second event for it starts over.
    expect(engine.evaluate(view('process_creation', { Image: '/bin/su', User: 'user0' }, n + 1)).length).toBe(0);
  });

  it('past the limit, expired groups make room first (windows closed, nothing dropped), then the oldest open ones', () => {
    // Windows of 1h that fire when one closes with a single event (lt: 2): a group swept out because it expired is judged.
    const rule = correlation('    type: event_count\n    rules:\n        - failed_su\n    group-by:\n        - User\n    timespan: 1h\n    condition:\n        lt: 2');
    const engine = engineFor(FAILED_SU, rule);
    const max = SIGMA_LIMITS.maxCorrelationGroups;
    const hour = 3600 * S;
    // The first half of the groups start at 0, the rest half an hour later.
    for (let i = 0; i < max; i++) expect(engine.evaluate(view('process_creation', { Image: '/bin/su', User: `user${i}` }, i < max / 2 ? 0 : hour / 2))).toEqual([]);
    // Past the hour: the first half has expired. Each new group sweeps the expired ones out from the front (the first sweeps
    // them all: each is closed and, with its one event, fires); none of them counts as dropped.
    const fired = engine.evaluate(view('process_creation', { Image: '/bin/su', User: 'late0' }, hour + 1));
    expect(fired.length).toBe(max / 2);
    expect(fired.map((h) => h.correlation?.group.User)).toEqual(Array.from({ length: max / 2 }, (_, i) => `user${i}`));
    for (let i = 1; i < max / 2; i++) expect(engine.evaluate(view('process_creation', { Image: '/bin/su', User: `late${i}` }, hour + 1))).toEqual([]);
    expect(engine.droppedCorrelationGroups).toBe(0);
    // Full again, nothing expired: the oldest open groups go, counted (each closed first: it fires, its window being whole).
    const dropped = engine.evaluate(view('process_creation', { Image: '/bin/su', User: 'later' }, hour + 2));
    expect(dropped.map((h) => h.correlation?.group.User)).toEqual([`user${max / 2}`]);
    expect(engine.droppedCorrelationGroups).toBe(1);
  }, 60_000);
});
