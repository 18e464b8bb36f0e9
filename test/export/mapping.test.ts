/**
 * A kind maps to OCSF through its table entry alone: staging columns come
 * from the kind's schema fields, the class's SQL from the entries of its
 * kinds, and a kind without an entry is exported as Base Event.
 */
import { describe, expect, it } from 'vitest';
import { HEADER_FIELDS, KINDS, type KindLayout, type SchemaField } from '../../src/abi/schema.js';
import { layoutStruct } from '../../src/abi/layout.js';
import { kindStaging } from '../../src/export/staging.js';
import { activityOf, BASE_EVENT, classesInUse, KIND_OCSF, NETWORK_ACTIVITY, ocsfOfKind, statusOf, unmappedKinds } from '../../src/export/ocsf-map.js';
import { classSelectSql } from '../../src/export/ocsf-sql.js';

function testKind(name: string): KindLayout {
  const fields: SchemaField[] = [
    { name: 'inode', type: 'u64', view: 'uint', doc: 'a u64' },
    { name: 'weights', type: 'u32', count: 4, view: 'uint', doc: 'a scalar array' },
    { name: 'target', type: 'char', count: 64, view: 'string', doc: 'a string' },
  ];
  const layout = layoutStruct(`rg_${name}`, [...HEADER_FIELDS, ...fields]);
  return { id: 99 as never, name, eventType: name, fields, flags: [], layout, bodyFields: layout.fields.slice(HEADER_FIELDS.length) };
}

describe('the OCSF mapping table', () => {
  it('maps every kind of this build', () => {
    expect(unmappedKinds()).toEqual([]);
    for (const k of KINDS) expect(KIND_OCSF[k.name], k.name).toBeDefined();
    expect(classesInUse().map((c) => c.uid)).toEqual([1007, 1001, 4001]);
  });

  it('exports a kind without an entry as Base Event, activity Other', () => {
    const k = testKind('memfd_create');
    expect(ocsfOfKind(k).ocsfClass).toBe(BASE_EVENT);
    expect(activityOf(ocsfOfKind(k), null)).toBe(99);
    expect(unmappedKinds([...KINDS, k])).toEqual(['memfd_create']);
  });

  it('derives a new kind\'s staging columns from its schema: exact integers, text with raw bytes, arrays as bytes', () => {
    const st = kindStaging(testKind('memfd_create'), '0');
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
    const m = KIND_OCSF.net_connect;
    expect(m.ocsfClass).toBe(NETWORK_ACTIVITY);
    expect([activityOf(m, 0), statusOf(m, 0)]).toEqual([1, 1]);
    expect([activityOf(m, -115), statusOf(m, -115)]).toEqual([1, 0]);
    expect([activityOf(m, -111), statusOf(m, -111)]).toEqual([5, 2]);
    expect([activityOf(m, -101), statusOf(m, -101)]).toEqual([4, 2]);
  });
});
