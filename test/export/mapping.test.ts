/**
 * A kind maps to OCSF through its table entry alone: staging columns come
 * from the kind's schema fields, the class's SQL from the entries of its
 * kinds, and a kind without an entry is exported as Base Event.
 */
import { describe, expect, it } from 'vitest';
import { BUILD_SCHEMA, extendSchema, KINDS, type KindLayout, type SchemaField } from '../../src/abi/schema.js';
import { kindStaging } from '../../src/export/staging.js';
import { activityOf, BASE_EVENT, classesInUse, FILE_SYSTEM_ACTIVITY, NETWORK_ACTIVITY, ocsfOfKind, statusOf, unmappedKinds } from '../../src/export/ocsf-map.js';
import { classSelectSql } from '../../src/export/ocsf-sql.js';

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

  it('derives a new kind\'s staging columns from its schema: exact integers, text with raw bytes, arrays as bytes', () => {
    const st = kindStaging(testKind(false), '0');
    const col = (n: string) => st.columns.find((c) => c.name === n)?.type;
    expect(col('inode')).toBe('UBIGINT');
    expect(col('cgroup_id')).toBe('UBIGINT');
    expect(col('weights')).toBe('BLOB');
    expect(col('target')).toBe('VARCHAR');
    expect(col('target_raw')).toBe('BLOB');
    expect(st.ops).toHaveLength(st.kind.layout.fields.length);
    // The class query includes its fields under unmapped, with no code of its own.
    const sql = classSelectSql(BASE_EVENT, [st], 'ps', 'captures', 'cc', 'true');
    expect(sql).toContain('"inode" := s."inode"');
    expect(sql).toContain('"target_raw" := s."target_raw"');
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
