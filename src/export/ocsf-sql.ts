/**
 * The Parquet dataset's OCSF columns, as one SELECT per class over the
 * staging tables of its kinds (UNION ALL BY NAME), the captures table and
 * the process snapshots. DuckDB builds the nested OCSF objects (STRUCTs) in
 * vectorised SQL, far faster than building objects per event in JS.
 * ocsf-json.ts writes the same shape as NDJSON; a test holds the two equal.
 */
import { HEADER_FIELDS, KINDS, type KindLayout, type OcsfByField } from '../abi/schema.js';
import { errnoName } from '../abi/values.js';
import { sqlString } from './duckdb.js';
import { DIRECTION_NAMES, type KindOcsf, LAUNCH_TYPES, OCSF_VERSION, type OcsfClass, ocsfOfKind, PRODUCT, SEVERITY_NAMES, STATUS_NAMES } from './ocsf-map.js';
import { ocsfRcodeName } from './dns-export.js';
import { type KindStaging } from './staging.js';

/** SQL macros the projections use; created once per DuckDB instance. */
export function macroSql(): string[] {
  // Constant-list lookups and the built-in path functions: a CASE of 134 errnos or a regular expression per
  // row made the COPY of a 200k-row batch of opens take ~10 s.
  const errnos = Array.from({ length: 200 }, (_, i) => sqlString(errnoName(i + 1))).join(', ');
  return [
    `CREATE MACRO rg_errno(n) AS COALESCE([${errnos}][n], 'E' || n)`,
    `CREATE MACRO rg_basename(p) AS parse_filename(p)`,
    `CREATE MACRO rg_dirname(p) AS CASE WHEN strpos(p, '/') = 0 THEN NULL WHEN parse_dirpath(p) = '' THEN '/' ELSE parse_dirpath(p) END`,
    `CREATE MACRO rg_ts(ns) AS make_timestamp_ns(ns)`,
  ];
}

/** OCSF rcode captions by rcode_id (dns_activity). */
const RCODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries([...Array.from({ length: 12 }, (_, i) => i), ...Array.from({ length: 9 }, (_, i) => 16 + i)].map((id) => [id, ocsfRcodeName(id)]));

const caseOf = (expr: string, map: Readonly<Record<number, string>>, otherwise = 'NULL') =>
  `CASE ${expr} ${Object.entries(map).map(([k, v]) => `WHEN ${k} THEN ${sqlString(v)}`).join(' ')} ELSE ${otherwise} END`;

/** Types of the process snapshot columns (parquet.ts writes them), for typed NULLs. */
const SNAPSHOT_TYPES: Readonly<Record<string, string>> = {
  pid: 'UINTEGER', guid: 'VARCHAR', name: 'VARCHAR', exe: 'VARCHAR', cmd_line: 'VARCHAR', start_ns: 'BIGINT', uid: 'UINTEGER',
  ppid: 'UINTEGER', parent_guid: 'VARCHAR', cwd: 'VARCHAR',
};
type Col = (alias: 'p' | 'pp', name: string) => string;

/**
 * The OCSF process object from a snapshot (`p`) and its parent's (`pp`);
 * `pid` and `guid` stand in for a process without a snapshot (not in the
 * process table: it started before the capture and did nothing yet).
 */
function processStructOf(col: Col, pid: string, guid: string): string {
  const file = (a: 'p' | 'pp') => `CASE WHEN ${col(a, 'exe')} IS NULL THEN NULL ELSE struct_pack(name := rg_basename(${col(a, 'exe')}), path := ${col(a, 'exe')}, `
    + `parent_folder := rg_dirname(${col(a, 'exe')}), type_id := 1, type := 'Regular File') END`;
  const parent = `CASE WHEN ${col('p', 'ppid')} IS NULL THEN NULL ELSE struct_pack(pid := COALESCE(${col('pp', 'pid')}, ${col('p', 'ppid')}), `
    + `uid := ${col('p', 'parent_guid')}, cpid := ${col('p', 'parent_guid')}, name := ${col('pp', 'name')}, `
    + `cmd_line := ${col('pp', 'cmd_line')}, file := ${file('pp')}, created_time := rg_ts(${col('pp', 'start_ns')})) END`;
  const uid = col('p', 'uid');
  return `CASE WHEN ${pid} IS NULL THEN NULL ELSE struct_pack(pid := ${pid}, uid := COALESCE(${col('p', 'guid')}, ${guid}), cpid := COALESCE(${col('p', 'guid')}, ${guid}), `
    + `name := ${col('p', 'name')}, cmd_line := ${col('p', 'cmd_line')}, file := ${file('p')}, working_directory := ${col('p', 'cwd')}, created_time := rg_ts(${col('p', 'start_ns')}), `
    + `user := CASE WHEN ${uid} IS NULL THEN NULL ELSE struct_pack(uid := CAST(${uid} AS VARCHAR), uid_numeric := ${uid}::BIGINT) END, `
    + `parent_process := ${parent}) END`;
}

/**
 * The OCSF process object of every snapshot in `procs`, built once per
 * snapshot instead of once per event (a process has many events).
 */
export function processStructTableSql(procs: string, out: string): string {
  return `CREATE TABLE "${out}" AS SELECT p.ref, ${processStructOf((a, n) => `${a}.${n}`, 'p.pid', 'NULL::VARCHAR')} AS proc `
    + `FROM "${procs}" p LEFT JOIN "${procs}" pp ON pp.ref = p.parent_ref`;
}

/** The process object for snapshot-struct alias `alias`, or, without a snapshot, one of `pid` and `guid` alone. */
export function processStruct(alias: string, pid: string, guid: string): string {
  const none = processStructOf((_a, n) => `NULL::${SNAPSHOT_TYPES[n]}`, pid, guid);
  return `CASE WHEN ${alias}.ref IS NOT NULL THEN ${alias}.proc ELSE ${none} END`;
}

/** Per capture, the objects every row of it repeats: built once per batch, not once per row. */
export function captureObjectsTableSql(captures: string, out: string): string {
  return `CREATE TABLE "${out}" AS SELECT c.idx, ${metadataColumn()}, ${deviceColumn()}, ${attestationColumn()} FROM "${captures}" c`;
}

/** Columns every class has, in order. `s` is the staging row, `c` its capture. */
function baseColumns(cls: OcsfClass, statusCode: string): string[] {
  return [
    `${cls.uid} AS class_uid`, `${sqlString(cls.name)} AS class_name`, `${cls.categoryUid} AS category_uid`, `${sqlString(cls.categoryName)} AS category_name`,
    `s.activity_id::INTEGER AS activity_id`, `${caseOf('s.activity_id', cls.activities)} AS activity_name`,
    `(${cls.uid * 100} + s.activity_id)::BIGINT AS type_uid`, `${sqlString(cls.name)} || ': ' || ${caseOf('s.activity_id', cls.activities, "'Unknown'")} AS type_name`,
    `1 AS severity_id`, `${sqlString(SEVERITY_NAMES[1])} AS severity`,
    `s.status_id::INTEGER AS status_id`, `${caseOf('s.status_id', STATUS_NAMES)} AS status`, `${statusCode} AS status_code`,
    `rg_ts(s.time_ns) AS "time"`,
    'cc.metadata', 'cc.device',
    `struct_pack(process := ${processStruct('a', 's.actor_pid', 's.actor_guid')}, user := struct_pack(uid := CAST(s.uid AS VARCHAR), uid_numeric := s.uid::BIGINT)) AS actor`,
  ];
}

export function metadataColumn(): string {
  return `struct_pack(version := ${sqlString(OCSF_VERSION)}, product := struct_pack(name := ${sqlString(PRODUCT.name)}, vendor_name := ${sqlString(PRODUCT.vendor_name)}, version := c.tool_version), `
    + `profiles := ['host', 'record_integrity'], log_name := 'rgc', log_provider := c.tool_name, correlation_uid := c.capture_id) AS metadata`;
}

export function deviceColumn(): string {
  return `struct_pack(hostname := c.hostname, name := c.hostname, type_id := 0, type := 'Unknown', boot_uid := c.boot_id, `
    + `os := struct_pack(name := 'Linux', type_id := 200, type := 'Linux', kernel_release := c.kernel_release)) AS device`;
}

/** OCSF 1.9 record_integrity: the capture file's SHA-256 (what `rg-replay verify` prints) and its signing key, if any. */
export function attestationColumn(): string {
  return `[struct_pack(uid := c.capture_id, chain_uid := c.capture_id, authority_uid := c.signing_key_sha256, `
    + `fingerprint := struct_pack(algorithm_id := 3, algorithm := 'SHA-256', encoding_id := 1, encoding := 'Hex', serialization_id := 99, serialization := 'rgc capture file', value := c.sha256))] AS attestation_list`;
}

/** `CASE s.kind WHEN id THEN expr ... END` over the kinds that have an expression. */
function perKind(parts: readonly [number, string][], type: string): string {
  if (parts.length === 0) return `NULL::${type}`;
  return `CASE s.kind ${parts.map(([k, e]) => `WHEN ${k} THEN ${e}`).join(' ')} ELSE NULL END`;
}

/** rand-guard's own fields: every schema field of the class's kinds, derived views, and provenance. */
function unmappedColumn(stagings: readonly KindStaging[]): string {
  const entries = new Map<string, string>();
  entries.set('event_type', perKind(stagings.map((st) => [st.kind.id, sqlString(st.kind.eventType)]), 'VARCHAR'));
  const names: string[] = [];
  for (const st of stagings) for (const [name] of st.fieldColumns) if (!names.includes(name)) names.push(name);
  for (const st of stagings) for (const c of st.columns) if (c.name === 'argv' && !names.includes('argv')) names.push('argv');
  for (const name of names) {
    if (name === 'argv') entries.set('argv', `CAST(s.argv AS JSON)::VARCHAR[]`);
    else entries.set(name, `s.${quote(name)}`);
    if (stagings.some((st) => st.columns.some((c) => c.name === `${name}_raw`))) entries.set(`${name}_raw`, `s.${quote(`${name}_raw`)}`);
  }
  // Derived views, as rg-replay --json prints them.
  const views = stagings.flatMap((st) => [...HEADER_FIELDS, ...st.kind.fields].map((f) => ({ st, f })));
  const errors = new Map<string, [number, string][]>();
  const exits: [number, string][] = [];
  for (const { st, f } of views) {
    if (f.view === 'result') {
      const key = f.name === 'result' ? 'error' : `${f.name}_error`;
      errors.set(key, [...(errors.get(key) ?? []), [st.kind.id, `CASE WHEN s.${quote(f.name)} < 0 THEN rg_errno(-s.${quote(f.name)}) END`]]);
    }
    if (f.view === 'exit_status') exits.push([st.kind.id, `s.${quote(f.name)}`]);
  }
  for (const [key, parts] of errors) entries.set(key, perKind(parts, 'VARCHAR'));
  if (exits.length > 0) {
    entries.set('exit_code', `((${perKind(exits, 'UINTEGER')}) >> 8) & 255`);
    entries.set('signal', `(${perKind(exits, 'UINTEGER')}) & 127`);
  }
  const flagParts = new Map<string, [number, string][]>();
  for (const st of stagings) {
    for (const fl of st.kind.flags) flagParts.set(fl.outputName, [...(flagParts.get(fl.outputName) ?? []), [st.kind.id, `(s.flags & ${fl.bit}) <> 0`]]);
  }
  for (const [name, parts] of flagParts) entries.set(name, perKind(parts, 'BOOLEAN'));
  entries.set('capture_sha256', 'c.sha256');
  entries.set('capture_file', 'c.file_name');
  entries.set('frame_seq', 's.frame_seq');
  entries.set('record_index', 's.record_index');
  return `struct_pack(${[...entries].map(([k, v]) => `${quote(k)} := ${v}`).join(', ')}) AS unmapped`;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The class-specific OCSF columns of `cls`, from its kinds' table entries. */
function classColumns(cls: OcsfClass, kinds: readonly KindLayout[]): string[] {
  const maps = kinds.map((k) => ({ k, m: ocsfOfKind(k) }));
  const out: string[] = [];
  if (cls.uid === 1007) {
    out.push(`${processStruct('t', 's.target_pid', 's.target_guid')} AS process`);
    const launch = maps.filter(({ m }) => m.launchTypeId !== undefined).map(({ k, m }) => [k.id, String(m.launchTypeId)] as [number, string]);
    out.push(`${perKind(launch, 'INTEGER')} AS launch_type_id`, `${caseOf(`(${perKind(launch, 'INTEGER')})`, LAUNCH_TYPES)} AS launch_type`);
    const exits = maps.filter(({ m }) => m.exitStatusField !== undefined).map(({ k, m }) => [k.id, `((s.${quote(m.exitStatusField!)} >> 8) & 255)::INTEGER`] as [number, string]);
    out.push(`${perKind(exits, 'INTEGER')} AS exit_code`);
  }
  if (cls.uid === 1001) {
    const path = perKind(maps.filter(({ m }) => m.filePathField).map(({ k, m }) => [k.id, `s.${quote(m.filePathField!)}`] as [number, string]), 'VARCHAR');
    out.push(`struct_pack(name := rg_basename(${path}), path := ${path}, parent_folder := rg_dirname(${path}), type_id := 0, type := 'Unknown') AS file`);
  }
  if (cls.uid === 4001 || cls.uid === 4003) out.push(...networkColumns(maps));
  if (cls.uid === 4003 && kinds.some((k) => k.ocsf?.dns !== undefined)) {
    out.push(`CASE WHEN s.dns_hostname IS NULL THEN NULL ELSE struct_pack(hostname := s.dns_hostname, type := s.dns_qtype, class := s.dns_qclass, packet_uid := s.dns_id) END AS query`);
    out.push('s.dns_rcode_id AS rcode_id', `${caseOf('s.dns_rcode_id', RCODE_NAMES)} AS rcode`);
    out.push(`from_json(s.dns_answers, '[{"rdata":"VARCHAR","type":"VARCHAR","class":"VARCHAR","ttl":"UBIGINT","packet_uid":"INTEGER"}]') AS answers`);
  }
  return out;
}

/** A field's value per row, or the number every record of the kind has. */
const valueSql = (x: string | number, type: string) => (typeof x === 'number' ? String(x) : `s.${quote(x)}::${type}`);

/** An id by a field's value (OcsfByField), or a fixed one. */
function byFieldSql(x: number | OcsfByField<number>): string {
  if (typeof x === 'number') return String(x);
  return `CASE s.${quote(x.field)} ${Object.entries(x.ids).map(([k, id]) => `WHEN ${k} THEN ${id}`).join(' ')} ELSE 0 END`;
}

/** Network and DNS Activity: endpoints (inbound rows swap them), connection_info and traffic, as ocsf-json.ts networkOf. */
function networkColumns(maps: readonly { k: KindLayout; m: KindOcsf }[]): string[] {
  const withDst = maps.filter(({ m }) => m.dst !== undefined);
  const withLocal = withDst.filter(({ m }) => m.local !== undefined);
  const withTraffic = withDst.filter(({ m }) => m.traffic !== undefined);
  const per = (list: typeof maps, f: (m: KindOcsf) => string, type: string) => perKind(list.map(({ k, m }) => [k.id, f(m)] as [number, string]), type);
  const remoteIp = per(withDst, (m) => valueSql(m.dst!.addr, 'VARCHAR'), 'VARCHAR');
  const remotePort = per(withDst, (m) => valueSql(m.dst!.port, 'INTEGER'), 'INTEGER');
  const localIp = per(withLocal, (m) => valueSql(m.local!.addr, 'VARCHAR'), 'VARCHAR');
  const localPort = per(withLocal, (m) => valueSql(m.local!.port, 'INTEGER'), 'INTEGER');
  const family = per(withDst, (m) => valueSql(m.dst!.family, 'INTEGER'), 'INTEGER');
  const proto = per(withDst.filter(({ m }) => m.dst!.protocol !== undefined), (m) => valueSql(m.dst!.protocol!, 'INTEGER'), 'INTEGER');
  const dir = per(withDst, (m) => byFieldSql(m.direction ?? 2), 'INTEGER');
  const hasDst = per(withDst, () => 'TRUE', 'BOOLEAN');
  const remote = `CASE WHEN ${remoteIp} IS NULL THEN NULL ELSE struct_pack(hostname := NULL::VARCHAR, ip := ${remoteIp}, port := ${remotePort}) END`;
  const local = `struct_pack(hostname := c.hostname, ip := ${localIp}, port := ${localPort})`;
  const out = [
    `CASE WHEN (${dir}) = 1 THEN ${remote} ELSE ${local} END AS src_endpoint`,
    `CASE WHEN (${dir}) = 1 THEN ${local} WHEN ${hasDst} THEN ${remote} ELSE NULL END AS dst_endpoint`,
    `CASE WHEN ${hasDst} THEN struct_pack(direction_id := (${dir}), direction := ${caseOf(`(${dir})`, DIRECTION_NAMES)}, protocol_num := NULLIF(${proto}, 0), `
      + `protocol_name := CASE ${proto} WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'ipv6-icmp' ELSE NULL END, `
      + `protocol_ver_id := CASE ${family} WHEN 2 THEN 4 WHEN 10 THEN 6 ELSE 0 END) END AS connection_info`,
  ];
  if (withTraffic.length > 0) {
    out.push(`CASE WHEN ${per(withTraffic, () => 'TRUE', 'BOOLEAN')} THEN struct_pack(bytes_out := ${per(withTraffic, (m) => valueSql(m.traffic!.bytesOut, 'UBIGINT'), 'UBIGINT')}, `
      + `bytes_in := ${per(withTraffic, (m) => valueSql(m.traffic!.bytesIn, 'UBIGINT'), 'UBIGINT')}) END AS traffic`);
  }
  return out;
}

/**
 * The SELECT that turns the staging rows of `stagings` (all kinds of one
 * class) into that class's OCSF rows. `where` narrows to one partition.
 */
export function classSelectSql(cls: OcsfClass, stagings: readonly KindStaging[], procStructs: string, captures: string, captureObjects: string, where: string): string {
  const kinds = stagings.map((st) => st.kind);
  const results = stagings.flatMap((st) => {
    const m = ocsfOfKind(st.kind);
    return m.resultField === undefined ? [] : [[st.kind.id, `CASE WHEN s.${quote(m.resultField)} < 0 THEN rg_errno(-s.${quote(m.resultField)}) END`] as [number, string]];
  });
  const from = stagings.map((st) => `SELECT * FROM "${st.table}"`).join(' UNION ALL BY NAME ');
  const columns = [...baseColumns(cls, perKind(results, 'VARCHAR')), ...classColumns(cls, kinds), 'cc.attestation_list', unmappedColumn(stagings)];
  const targets = cls.uid === 1007 ? `LEFT JOIN "${procStructs}" t ON t.ref = s.target_ref\n` : '';
  return `SELECT ${columns.join(',\n  ')}\nFROM (${from}) s\nJOIN "${captures}" c ON c.idx = s.capture JOIN "${captureObjects}" cc ON cc.idx = s.capture\n`
    + `LEFT JOIN "${procStructs}" a ON a.ref = s.actor_ref\n${targets}`
    + `WHERE ${where}`;
}

/** Kinds of this build grouped by the class they map to. */
export function kindsByClass(kinds: readonly KindLayout[] = KINDS): Map<OcsfClass, KindLayout[]> {
  const out = new Map<OcsfClass, KindLayout[]>();
  for (const k of kinds) {
    const cls = ocsfOfKind(k).ocsfClass;
    out.set(cls, [...(out.get(cls) ?? []), k]);
  }
  return out;
}
