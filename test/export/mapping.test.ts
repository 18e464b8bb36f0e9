/**
 * A kind maps to OCSF through its table entry alone: its Parquet columns come
 * from the kind's schema fields, the class's table from the entries of its
 * kinds, and a kind without an entry is exported as Base Event.
 */
import { describe, expect, it } from 'vitest';
import { BUILD_SCHEMA, extendSchema, KINDS, type KindLayout, type SchemaField } from '../../src/abi/schema.js';
import { activityOf, BASE_EVENT, classesInUse, FILE_SYSTEM_ACTIVITY, NETWORK_ACTIVITY, ocsfOfKind, statusOf, unmappedKinds } from '../../src/export/ocsf-map.js';
import { classTable } from '../../src/export/ocsf-table.js';

/** The build's schema plus a kind of its own, added as the registry allows (extendSchema), with or without an OCSF entry. */
function testKind(ocsf: boolean): KindLayout {
  const fields: SchemaField[] = [
    { name: 'inode', type: 'u64', view: 'uint', doc: 'a u64' },
    { name: 'result', type: 's32', view: 'result', doc: 'fd or -errno' },
    { name: 'reserved', type: 'u32', view: 'hidden', doc: 'padding' },
    { name: 'weights', type: 'u32', count: 4, view: 'hidden', doc: 'a scalar array' },
    { name: 'target', type: 'char', count: 64, view: 'string', doc: 'a string' },
  ];
  const schema = extendSchema(BUILD_SCHEMA, [{
    id: 60, name: 'test_memfd', eventType: 'test_memfd', cliName: 'test-memfd', process: { role: 'activity' },
    capture: { programs: ['handle_test'], syscalls: ['memfd_create'] }, pathFields: ['target'], color: 'white', counter: null,
    fields, flags: [],
    ...(ocsf ? { ocsf: { classUid: 1001, activity: 1, actor: 'self' as const, resultField: 'result', filePathField: 'target' } } : {}),
  }]);
  return schema.byId[60]!;
}

describe('the OCSF mapping table', () => {
  it('maps every kind of this build, from the registry', () => {
    expect(unmappedKinds()).toEqual([]);
    for (const k of KINDS) expect(k.ocsf, k.name).toBeDefined();
    expect(classesInUse().map((c) => c.uid)).toEqual([1007, 1001, 4001, 4003, 0]);
  });

  it('maps a new kind by its registry entry alone, and one without an entry as Base Event, activity Other', () => {
    const mapped = ocsfOfKind(testKind(true));
    expect(mapped.ocsfClass).toBe(FILE_SYSTEM_ACTIVITY);
    expect([activityOf(mapped, -2), statusOf(mapped, -2)]).toEqual([1, 2]);
    const k = testKind(false);
    expect(ocsfOfKind(k).ocsfClass).toBe(BASE_EVENT);
    expect(activityOf(ocsfOfKind(k), null)).toBe(99);
    expect(unmappedKinds([...KINDS, k])).toEqual(['test_memfd']);
  });

  it('derives a new kind\'s columns from its schema: exact integers, text with raw bytes, arrays as bytes', () => {
    const kind = testKind(false);
    const table = classTable(BASE_EVENT, [kind]);
    const col = (n: string) => table.schema.leaves.find((l) => l.keys.join('.') === `unmapped.${n}`)?.value;
    expect(col('inode')).toBe('u64');
    expect(col('cgroup_id')).toBe('u64');
    expect(col('weights')).toBe('bytes');
    expect(col('target')).toBe('string');
    expect(col('target_raw')).toBe('bytes');
    // Every field of the record has its place in the kind's plan: copied, or interned as text or bytes.
    const plan = table.plans[kind.id]!;
    expect(plan.copies.length + plan.strings.length + plan.argv.length + plan.addrs.length).toBe(kind.layout.fields.length);
  });

  it('reads connect outcomes as OCSF activities and statuses', () => {
    const m = ocsfOfKind(KINDS.find((k) => k.ocsf?.activity === 'connect_result')!);
    expect(m.ocsfClass).toBe(NETWORK_ACTIVITY);
    expect([activityOf(m, 0), statusOf(m, 0)]).toEqual([1, 1]);
    expect([activityOf(m, -115), statusOf(m, -115)]).toEqual([1, 0]);
    expect([activityOf(m, -111), statusOf(m, -111)]).toEqual([5, 2]);
    expect([activityOf(m, -101), statusOf(m, -101)]).toEqual([4, 2]);
  });
});
