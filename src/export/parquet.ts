/**
 * `export --format parquet`: an OCSF Parquet dataset, Hive-partitioned as
 * DIR/host=H/day=YYYY-MM-DD/class_uid=N/part-RUN-BATCH.parquet (zstd pages).
 *
 * Records go into per-kind DuckDB staging tables in batches (BATCH_ROWS
 * events); a full batch is sealed and written out by one COPY per class and
 * partition (ocsf-sql.ts builds the OCSF columns) on a second connection,
 * while the next batch fills on the first: decoding and Parquet encoding run
 * on the two cores at once, and memory holds at most two batches.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KINDS, type KindLayout } from '../abi/schema.js';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { type ProcessNode } from '../replay/process-table.js';
import { type Alert } from '../replay/rules/alerts.js';
import { ChunkWriter, type Column, createTableSql } from './chunk-writer.js';
import { type ExportInput, type ExportWriter, type Provenance } from './driver.js';
import { type Duck, type DuckConnection, type DuckInstance, openDuckDB, rawConnection, sqlString } from './duckdb.js';
import { activityField, activityOf, DETECTION_FINDING, type KindOcsf, type OcsfClass, ocsfOfKind, statusOf } from './ocsf-map.js';
import { captureObjectsTableSql, classSelectSql, kindsByClass, macroSql, processStructTableSql } from './ocsf-sql.js';
import { findingSelectSql, ALERT_COLUMNS, Alerts } from './finding-sql.js';
import { ProcessIdentities } from './process-identity.js';
import { Common, type KindStaging, kindStaging, u32 } from './staging.js';
import { storableText } from './text-bytes.js';
import { clean, dayText, partitionValue, prepareOutDir } from './dataset-layout.js';

/**
 * Events per batch. Larger batches mean fewer, larger files (each batch
 * writes one file per class and partition) and cost memory in proportion.
 */
export const BATCH_ROWS = 200_000;

/**
 * Rows per Parquet row group. DuckDB's writer buffers a whole row group of
 * every leaf column (~100 per OCSF row) before writing it: at its default
 * (122,880 rows) that was ~300 MB per COPY; at 32k rows, about a quarter.
 */
const ROW_GROUP_ROWS = Number(process.env.RG_EXPORT_ROW_GROUP ?? 32_768);

const PROC_COLUMNS: readonly Column[] = [
  { name: 'ref', type: 'UINTEGER' }, { name: 'pid', type: 'UINTEGER' }, { name: 'guid', type: 'VARCHAR' }, { name: 'name', type: 'VARCHAR' },
  { name: 'exe', type: 'VARCHAR' }, { name: 'cmd_line', type: 'VARCHAR' }, { name: 'start_ns', type: 'BIGINT' }, { name: 'uid', type: 'UINTEGER' },
  { name: 'known', type: 'BOOLEAN' }, { name: 'ppid', type: 'UINTEGER' }, { name: 'parent_ref', type: 'UINTEGER' }, { name: 'parent_guid', type: 'VARCHAR' },
  { name: 'cwd', type: 'VARCHAR' },
];
const Proc = { Ref: 0, Pid: 1, Guid: 2, Name: 3, Exe: 4, CmdLine: 5, StartNs: 6, Uid: 7, Known: 8, Ppid: 9, ParentRef: 10, ParentGuid: 11, Cwd: 12 } as const;

const CAPTURE_COLUMNS: readonly Column[] = [
  'idx:UINTEGER', 'file_name:VARCHAR', 'path:VARCHAR', 'sha256:VARCHAR', 'hostname:VARCHAR', 'kernel_release:VARCHAR', 'machine:VARCHAR', 'boot_id:VARCHAR',
  'capture_id:VARCHAR', 'segment_index:UINTEGER', 'tool_name:VARCHAR', 'tool_version:VARCHAR', 'signing_key_sha256:VARCHAR', 'bpf_object_sha256:VARCHAR',
].map((s) => ({ name: s.split(':')[0], type: s.split(':')[1] as Column['type'] }));

export interface ParquetOptions {
  readonly outDir: string;
  /** Add files to an existing dataset instead of requiring an empty directory. */
  readonly append: boolean;
  readonly batchRows?: number;
}

interface KindSlot {
  readonly staging: KindStaging;
  readonly map: KindOcsf;
  readonly resultOffset: number;
  readonly targetPidOffset: number;
  /** The field that selects the activity (by field): its offset and size (2 or 4), or -1. */
  readonly activityOffset: number;
  readonly activitySize: number;
  writer: ChunkWriter | null;
}

/** One sealed or filling batch: its tables and which (capture, day) partitions each class has rows in. */
interface Batch {
  readonly n: number;
  readonly procsTable: string;
  readonly alertsTable: string;
  readonly tables: string[];
  readonly partitions: Map<number, Set<string>>;
  rows: number;
}

/** Per process: its last snapshot row, and in which batch (snapshots are per batch so each batch's COPY is self-contained). */
interface Snapshot { ref: number; batch: number; version: number; parent: ProcessNode | null; parentVersion: number; withParent: boolean }

export class ParquetWriter implements ExportWriter {
  private readonly run = randomBytes(4).toString('hex');
  private readonly slots: (KindSlot | undefined)[] = [];
  private readonly classes: Map<OcsfClass, KindLayout[]>;
  private batch!: Batch;
  private procs!: ChunkWriter;
  private alerts!: ChunkWriter;
  private copying: Promise<void> | null = null;
  private copyError: unknown = null;
  private readonly snapshots = new WeakMap<ProcessNode, Snapshot>();
  private nextRef = 0;
  private readonly identities: ProcessIdentities;
  private captureIdx = 0;
  private offLo = 0;
  private offHi = 0;
  private hasClock = false;
  private clockRef: unknown = undefined;
  private lastNode: ProcessNode | null = null;
  /** Per class, where its last event went (batch, capture, day): most events go where the previous one did. */
  private readonly lastPartition: Record<number, { batch: number; capture: number; day: number | null }> = {};
  private readonly inputs: ExportInput[] = [];
  readonly filesWritten: string[] = [];
  rowsByClass = new Map<number, number>();

  private constructor(
    private readonly duck: Duck, private readonly db: DuckInstance, private readonly writeConn: DuckConnection,
    private readonly copyConn: DuckConnection, private readonly opts: ParquetOptions, private readonly tempDir: string,
    clockFor: (host: string) => import('../output/wall-clock.js').WallClock | null,
  ) {
    this.identities = new ProcessIdentities(clockFor);
    this.classes = kindsByClass(KINDS);
  }

  static async open(duck: Duck, opts: ParquetOptions, clockFor: (host: string) => import('../output/wall-clock.js').WallClock | null): Promise<ParquetWriter> {
    prepareOutDir(opts.outDir, opts.append);
    const tempDir = join(tmpdir(), `rg-export-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tempDir, { recursive: true, mode: 0o700 });
    const db = await openDuckDB(duck, tempDir);
    const writeConn = await db.connect();
    const copyConn = await db.connect();
    for (const sql of macroSql()) await writeConn.run(sql);
    await writeConn.run(createTableSql('captures', CAPTURE_COLUMNS));
    const w = new ParquetWriter(duck, db, writeConn, copyConn, opts, tempDir, clockFor);
    await w.startBatch(0);
    return w;
  }

  get wantsDrain(): boolean {
    return this.batch.rows >= (this.opts.batchRows ?? BATCH_ROWS);
  }

  beginInput(input: ExportInput): void {
    this.inputs.push(input);
    this.captureIdx = input.index;
    const m = input.manifest;
    this.identities.captureId = m?.segment.capture_id ?? input.sha256;
    const w = new ChunkWriter(this.duck.bindings, rawConnection(this.writeConn), 'captures', CAPTURE_COLUMNS);
    const texts = [input.fileName, input.path, input.sha256, m?.host.hostname ?? null, m?.host.kernel_release ?? null, m?.host.machine ?? null, m?.host.boot_id ?? null,
      m?.segment.capture_id ?? null];
    w.u32(0, input.index);
    texts.forEach((t, i) => { if (t !== null) w.text(i + 1, clean(t)); });
    if (m !== null) w.u32(9, Number(m.segment.index));
    [m?.tool.name ?? null, m?.tool.version ?? null, m?.signing_key_sha256 ?? null, m?.bpf_object_sha256 ?? null]
      .forEach((t, i) => { if (t !== null && t !== undefined) w.text(10 + i, clean(String(t))); });
    w.endRow();
    w.close();
  }

  event(kindId: number, raw: Uint8Array, at: number, node: ProcessNode, p: Provenance): void {
    const slot = this.slots[kindId]!;
    const w = slot.writer!;
    this.lastNode = node;
    if (p.clock !== this.clockRef) this.setClock(p);
    w.u32(Common.Capture, this.captureIdx);
    w.u64Halves(Common.FrameSeq, p.frameSeq >>> 0, Math.floor(p.frameSeq / 4294967296));
    w.u32(Common.RecordIndex, p.recordIndex);
    const day = this.writeTime(w, raw, at);
    const result = slot.resultOffset >= 0 ? u32(raw, at + slot.resultOffset) | 0 : null;
    const selector = slot.activityOffset < 0 ? null : slot.activitySize === 2 ? raw[at + slot.activityOffset] | (raw[at + slot.activityOffset + 1] << 8) : u32(raw, at + slot.activityOffset);
    w.u8(Common.Activity, activityOf(slot.map, result, selector));
    w.u8(Common.Status, statusOf(slot.map, result, selector));
    const actor = slot.map.actor === 'parent' ? node.parent : node;
    w.u32(Common.ActorPid, slot.map.actor === 'parent' ? node.ppid : node.pid);
    if (actor !== null) w.u32(Common.ActorRef, this.ref(actor, true));
    else w.text(Common.ActorGuid, this.identities.guidOfUnseen(node.host, node.ppid));
    const target = slot.map.target;
    if (target === 'self') {
      w.u32(Common.TargetPid, node.pid);
      w.u32(Common.TargetRef, this.ref(node, true));
    } else if (target !== undefined) {
      const childPid = u32(raw, at + slot.targetPidOffset);
      w.u32(Common.TargetPid, childPid);
      const child = this.table?.lookup(node.host, childPid);
      if (child !== undefined) w.u32(Common.TargetRef, this.ref(child, true));
      else w.text(Common.TargetGuid, this.identities.guidOfUnseen(node.host, childPid));
    }
    for (const op of slot.staging.ops) op(w, raw, at);
    w.endRow();
    this.batch.rows++;
    this.notePartition(slot.map.ocsfClass.uid, day);
  }

  /** Set by the caller: the session's process table (a fork's child is looked up there). */
  table: { lookup(host: string, pid: number): ProcessNode | undefined } | null = null;

  alert(a: Alert, p: Provenance): void {
    const w = this.alerts;
    w.u32(Alerts.Capture, this.captureIdx);
    w.u64Halves(Alerts.FrameSeq, p.frameSeq >>> 0, Math.floor(p.frameSeq / 4294967296));
    w.u32(Alerts.RecordIndex, p.recordIndex);
    const ts = BigInt(a.source.ts_ns);
    let day: number | null = null;
    if (p.clock !== null) {
      const wall = p.clock.realtimeNs(ts);
      w.i64(Alerts.TimeNs, wall);
      day = Math.floor(Number(wall / 1_000_000n) / 86_400_000);
      w.i32(Alerts.Day, day);
    }
    w.u64(Alerts.SourceTsNs, ts);
    w.text(Alerts.RuleId, clean(a.rule_id));
    w.text(Alerts.Severity, a.severity);
    w.text(Alerts.Title, clean(a.title));
    w.text(Alerts.SourceEventType, a.source.event_type);
    w.u32(Alerts.ActorPid, a.process.pid);
    if (this.lastNode !== null) w.u32(Alerts.ActorRef, this.ref(this.lastNode, true));
    const path = typeof a.path === 'string' ? a.path : typeof a.filename === 'string' ? a.filename : null;
    if (path !== null) w.text(Alerts.Path, storableText(path));
    if (typeof a.addr === 'string' && a.addr !== '') w.text(Alerts.Addr, a.addr);
    if (typeof a.port === 'number') w.u32(Alerts.Port, a.port);
    w.text(Alerts.AlertJson, JSON.stringify(a));
    w.endRow();
    this.batch.rows++;
    this.notePartition(DETECTION_FINDING.uid, day);
  }

  async drain(): Promise<void> {
    await this.seal();
  }

  async finish(): Promise<void> {
    await this.seal();
    await this.waitCopy();
    this.closeDb();
  }

  async abort(): Promise<void> {
    try {
      await this.copying;
    } catch { /* reported already */ }
    this.closeDb();
  }

  private closeDb(): void {
    this.writeConn.closeSync();
    this.copyConn.closeSync();
    this.db.closeSync();
    rmSync(this.tempDir, { recursive: true, force: true });
  }

  private setClock(p: Provenance): void {
    this.clockRef = p.clock;
    this.hasClock = p.clock !== null;
    if (p.clock === null) return;
    const off = BigInt.asUintN(64, p.clock.realtimeNs(0n));
    this.offLo = Number(off & 0xffffffffn);
    this.offHi = Number(off >> 32n);
  }

  /** Writes the wall-clock time (ts_ns + the file's realtime - monotonic offset, mod 2^64) and returns its day, or null. */
  private writeTime(w: ChunkWriter, raw: Uint8Array, at: number): number | null {
    if (!this.hasClock) return null;
    const tsLo = u32(raw, at + 8);
    const tsHi = u32(raw, at + 12);
    let lo = tsLo + this.offLo;
    let carry = 0;
    if (lo > 0xffffffff) { lo -= 4294967296; carry = 1; }
    const hi = (tsHi + this.offHi + carry) >>> 0;
    w.u64Halves(Common.TimeNs, lo, hi);
    const day = Math.floor(((hi | 0) * 4294967296 + lo) / 86_400e9);
    w.i32(Common.Day, day);
    return day;
  }

  private notePartition(classUid: number, day: number | null): void {
    const counts = this.rowsByClass;
    counts.set(classUid, (counts.get(classUid) ?? 0) + 1);
    // Nearly every event lands where the previous one of its class did.
    const last = this.lastPartition[classUid];
    if (last !== undefined && last.batch === this.batch.n && last.capture === this.captureIdx && last.day === day) return;
    this.lastPartition[classUid] = { batch: this.batch.n, capture: this.captureIdx, day };
    let parts = this.batch.partitions.get(classUid);
    if (parts === undefined) {
      parts = new Set();
      this.batch.partitions.set(classUid, parts);
    }
    parts.add(`${this.captureIdx}|${day}`);
  }

  /** The snapshot ref of `node` in this batch, writing its row (and, one level up, its parent's) when new or changed. */
  private ref(node: ProcessNode, withParent: boolean): number {
    const s = this.snapshots.get(node);
    const parentVersion = node.parent?.version ?? -1;
    if (s !== undefined && s.batch === this.batch.n && s.version === node.version && s.parent === node.parent
      && s.parentVersion === parentVersion && (s.withParent || !withParent)) return s.ref;
    const parentRef = withParent && node.parent !== null ? this.ref(node.parent, false) : null;
    const ref = this.nextRef++;
    const f = this.identities.facts(node);
    const w = this.procs;
    w.u32(Proc.Ref, ref);
    w.u32(Proc.Pid, f.pid);
    w.text(Proc.Guid, f.guid);
    w.text(Proc.Name, f.name);
    if (f.exe !== null) w.text(Proc.Exe, f.exe);
    if (f.cmdLine !== null) w.text(Proc.CmdLine, f.cmdLine);
    if (f.startNs !== null) w.i64(Proc.StartNs, f.startNs);
    w.u32(Proc.Uid, f.uid);
    w.bool(Proc.Known, f.known);
    w.u32(Proc.Ppid, f.ppid);
    if (parentRef !== null) w.u32(Proc.ParentRef, parentRef);
    w.text(Proc.ParentGuid, node.parent !== null ? this.identities.guid(node.parent) : this.identities.guidOfUnseen(node.host, node.ppid));
    w.endRow();
    this.snapshots.set(node, { ref, batch: this.batch.n, version: node.version, parent: node.parent, parentVersion, withParent });
    return ref;
  }

  private async startBatch(n: number): Promise<void> {
    const suffix = String(n);
    const tables: string[] = [];
    for (const k of KINDS) {
      const staging = kindStaging(k, suffix);
      await this.writeConn.run(createTableSql(staging.table, staging.columns));
      tables.push(staging.table);
      const map = ocsfOfKind(k);
      const field = (name: string | undefined) => (name === undefined ? -1 : k.layout.fields.find((f) => f.name === name)!.offset);
      const target = map.target;
      this.slots[k.id] = {
        staging, map, resultOffset: field(map.resultField),
        targetPidOffset: target !== undefined && target !== 'self' ? field(target.pidField) : -1,
        activityOffset: field(activityField(map)),
        activitySize: activityField(map) === undefined ? 0 : k.layout.fields.find((f) => f.name === activityField(map))!.size,
        writer: new ChunkWriter(this.duck.bindings, rawConnection(this.writeConn), staging.table, staging.columns),
      };
    }
    const procsTable = `procs_${suffix}`;
    const alertsTable = `alerts_${suffix}`;
    await this.writeConn.run(createTableSql(procsTable, PROC_COLUMNS));
    await this.writeConn.run(createTableSql(alertsTable, ALERT_COLUMNS));
    this.procs = new ChunkWriter(this.duck.bindings, rawConnection(this.writeConn), procsTable, PROC_COLUMNS);
    this.alerts = new ChunkWriter(this.duck.bindings, rawConnection(this.writeConn), alertsTable, ALERT_COLUMNS);
    this.batch = { n, procsTable, alertsTable, tables: [...tables, procsTable, alertsTable], partitions: new Map(), rows: 0 };
  }

  /** Closes the filling batch, waits for the previous COPY, starts this batch's COPY, and opens the next batch. */
  private async seal(): Promise<void> {
    const sealed = this.batch;
    if (sealed.rows === 0) return;
    for (const slot of this.slots) slot?.writer?.close();
    this.procs.close();
    this.alerts.close();
    const stagings = KINDS.map((k) => this.slots[k.id]!.staging);
    await this.waitCopy();
    const statements = this.copyStatements(sealed, stagings);
    this.copying = (async () => {
      for (const sql of statements) await this.copyConn.run(sql);
      for (const t of sealed.tables) await this.copyConn.run(`DROP TABLE "${t}"`);
    })().catch((e: unknown) => { this.copyError = e; });
    await this.startBatch(sealed.n + 1);
  }

  private async waitCopy(): Promise<void> {
    if (this.copying !== null) await this.copying;
    this.copying = null;
    if (this.copyError !== null) {
      const e = this.copyError as Error;
      throw new CliError(`writing Parquet to ${this.opts.outDir} failed: ${e.message.split('\n')[0]}`, ExitCode.Io);
    }
  }

  private copyStatements(b: Batch, stagings: readonly KindStaging[]): string[] {
    const procStructs = `${b.procsTable}_objects`;
    const captureObjects = `captures_objects_${b.n}`;
    const out: string[] = [processStructTableSql(b.procsTable, procStructs), captureObjectsTableSql('captures', captureObjects)];
    b.tables.push(procStructs, captureObjects);
    for (const [classUid, parts] of b.partitions) {
      // One file per (host, day): partitions of captures with the same hostname share it.
      const groups = new Map<string, { host: string; day: number | null; captures: number[] }>();
      for (const key of parts) {
        const [idx, dayText] = key.split('|');
        const input = this.inputs.find((i) => i.index === Number(idx))!;
        const host = input.manifest?.host.hostname ?? '';
        const day = dayText === 'null' ? null : Number(dayText);
        const gkey = `${host}\u0000${day}`;
        const g = groups.get(gkey) ?? { host, day, captures: [] };
        g.captures.push(Number(idx));
        groups.set(gkey, g);
      }
      for (const g of groups.values()) {
        const dir = join(this.opts.outDir, `host=${partitionValue(g.host)}`, `day=${g.day === null ? 'unknown' : dayText(g.day)}`, `class_uid=${classUid}`);
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `part-${this.run}-${String(b.n).padStart(5, '0')}.parquet`);
        const where = `s.capture IN (${g.captures.join(', ')}) AND ${g.day === null ? 's.day IS NULL' : `s.day = ${g.day}`}`;
        const select = classUid === DETECTION_FINDING.uid
          ? findingSelectSql(`"${b.alertsTable}"`, procStructs, 'captures', captureObjects, where)
          : classSelectSql([...this.classes.keys()].find((c) => c.uid === classUid)!, stagings.filter((st) => ocsfOfKind(st.kind).ocsfClass.uid === classUid), procStructs, 'captures', captureObjects, where);
        out.push(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`);
        this.filesWritten.push(file);
      }
    }
    return out;
  }
}
