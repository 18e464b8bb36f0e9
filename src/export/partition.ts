/**
 * One partition's rows being gathered (host=/day=/class_uid=), up to a row
 * group. Per event: a small key per key column (the capture, the actor, the
 * outcome, the uid, each string of the record as an id in the row group's
 * string pool) and the record's numbers copied into their columns; no
 * object per event. At the row group's end each distinct key is drawn once
 * (ocsf-parts.ts) and every column is written (parquet/keyed-column.ts, write-dense.ts):
 * keyed columns as dictionary indices in runs, direct ones as they are.
 */
import { EVENT_FLAG_USER_READ_FAILED, HEADER } from '../abi/schema.js';
import { UNIX_PREFIXES, unixNameEnd, unixPrefixOf } from '../abi/unix-path.js';
import { type ColumnEncoder } from './parquet/column-encoder.js';
import { KeyedColumn, KeyRuns, usedKeys, writeKeyedColumn } from './parquet/keyed-column.js';
import { writeDenseColumn } from './parquet/write-dense.js';
import { writePooledColumn } from './parquet/pooled-column.js';
import { type DenseArrays, DenseColumn } from './parquet/dense-column.js';
import { type ParquetFileWriter } from './parquet/file-writer.js';
import { type Row, shredLeaf } from './parquet/shred.js';
import { type LeafFill, NET_HEADER, ProcessView } from './ocsf-parts.js';
import { type ClassTable, type Interned, KEY_ACTOR, KEY_CAPTURE, KEY_FLAGS, KEY_STATUS, KEY_TARGET, KEY_UID, type KindPlan, type LeafSource } from './ocsf-table.js';
import { type PooledStrings, StringPool } from './string-pool.js';
import { dnsExportOfRecord } from './dns-export.js';
import { HeaderRows } from './header-rows.js';
import { type RowAdder, rowAdders, type StringAdder, stringAdders, translatedAdder, translatedStringAdder } from './row-adders.js';
import { sharedWords } from './shared-memory.js';

const UID_OFFSET = HEADER.fields.find((f) => f.name === 'uid')!.offset;

const INITIAL_ROWS = 1024;
/**
 * What a distinct process (or DNS message) of a row group is counted as in
 * heldBytes: its view, facts and the OCSF object drawn at the row group's
 * end (measured: about 1.3 KB live per process view of the loop capture).
 */
const OBJECT_BYTES = 2048;

/** What an event's row shares with its other rows: computed once per event by the writer. */
export interface EventContext {
  /** The capture's part (one object per input file: its identity keys it). */
  capture: Row;
  /** Null when the record names no acting process (parquet.ts: header pid 0, or a parent actor's ppid 0). */
  actor: ProcessView | null;
  /** The record names no actor at all (header pid 0): actor.user is null too, not the zeroed header's uid 0. */
  noUser: boolean;
  /** Null when there is none, or the record names none (a target pid of 0: not resolved). */
  target: ProcessView | null;
  /** Wall-clock ns as unsigned 32-bit halves; hasTime false without a clock. */
  hasTime: boolean;
  timeLo: number;
  timeHi: number;
  frameSeq: number;
  recordIndex: number;
  /** The capture's hostname as UTF-8 (the local end of a connection), null without a manifest. */
  hostname: Uint8Array | null;
}

/**
 * A row group gathered on one thread to be written on another (the export's
 * writer thread: row-group-thread.ts): its rows' buffers (SharedArrayBuffers,
 * shared-memory.ts: posted by reference), its strings, and the things its
 * other keys stand for (structured-cloned). Only the thread holding it uses
 * its buffers.
 */
export interface GatheredRowGroup {
  readonly rows: number;
  readonly keyRows: Int32Array[];
  readonly directs: DenseArrays[];
  readonly words: Int32Array;
  readonly timed: number;
  readonly pool: PooledStrings;
  /**
   * Per key column: its things by key (null for string columns, whose keys
   * are pool ids). A process column's are drawn already (ProcessView objects
   * live on the gathering thread), key 0 excepted: drawn where it is written.
   */
  readonly things: (unknown[] | null)[];
  /**
   * Per key column (null: none here): for a process column handed off with SentViews, the number of each
   * key's process view (0: not a view, its row drawn in `things`). A view the writer thread was sent before
   * comes as its number alone (`things` null there), a new one as its OCSF part.
   */
  readonly viewIds: (Int32Array | null)[];
  /** The writer thread forgets the views it was sent before this row group (SentViews: past its maximum). */
  readonly viewsReset: boolean;
}

/**
 * The process views whose OCSF part the writer thread was sent, by number. A view (a process at one
 * identity version: ProcessViews) draws the same part for as long as it lives, and most come back in the
 * next row groups (work capture: 21.9k process rows in 31 row groups, 10k distinct): the others are sent
 * as their number, not drawn and copied across again.
 */
export class SentViews {
  /** Views remembered at most by default (the writer thread holds their parts, ~1 KB each): past it both sides start over. */
  static readonly MAX = 8192;
  private ids = new WeakMap<ProcessView, number>();
  private count = 0;

  constructor(private readonly max = SentViews.MAX) {}

  /** Called before a row group's views are looked up: true when the writer thread is to forget what it holds. */
  beginRowGroup(): boolean {
    if (this.count < this.max) return false;
    this.ids = new WeakMap();
    this.count = 0;
    return true;
  }

  /** The view's number: negated when the view is new (its part is to be sent with it). */
  idOf(v: ProcessView): number {
    const id = this.ids.get(v);
    if (id !== undefined) return id;
    this.ids.set(v, ++this.count);
    return -this.count;
  }
}

/** The writer thread's side of SentViews: each view's OCSF part by number. */
export type ReceivedViews = Map<number, Row | null>;

export class PartitionBuilder {
  rows = 0;
  private capacity = 0;
  /** Per key column: the key of each row. */
  private readonly keyRows: Int32Array[];
  /** Per key column (not string ones): the thing behind each key (key 0: none), and keys by thing. */
  private readonly things: unknown[][];
  private readonly keyOf: Map<unknown, number>[];
  private readonly lastThing: unknown[];
  private readonly lastKey: Int32Array;
  /** Key columns whose things are objects drawn per row group (processes, DNS messages). */
  private readonly objectKeys: number[];
  // Read by the row adders (row-adders.ts): directs, header, timeDefs, timeMaxDef; written: statusThing.
  readonly directs: DenseColumn[];
  /** The header's fields, the time and the provenance of each row, row-major until the row group is written. */
  readonly header: HeaderRows;
  timeDefs: Uint8Array;
  readonly timeMaxDef: number;
  private readonly keyed: (KeyedColumn | null)[];
  /** By leaf: how it is filled straight from the string pool, or null (drawn from its key's part). */
  private readonly fills: (LeafFill | null)[];
  private readonly runs: KeyRuns[];
  readonly pool: StringPool;
  /** By interned field (Interned.slot): its last id in this row group's pool (0: none yet). */
  private readonly lastStringIds: Int32Array;
  /** The row's status key (ocsf-parts.ts statusKey), set by its row adder. */
  statusThing: number | string = 0;
  /** By kind id: its row adder, and its string adder. */
  private readonly adders: RowAdder[];
  private readonly stringAdders: StringAdder[];
  private readonly scratch = new Uint8Array(512);
  private readonly scratchView = new DataView(this.scratch.buffer);
  /** The record buffer last seen, and a DataView over it (records of a frame share one buffer). */
  private rawRef: Uint8Array | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));
  /** String key columns: their keys renumbered densely at the row group's end (pool ids in order of first use). */
  private readonly poolIdsOf: Int32Array[];
  private remap = new Int32Array(1024);
  /** renumber's pool ids in order of first use (index: the local id), as long as remap. */
  private firstUse = new Int32Array(1024);
  file: ParquetFileWriter | null = null;
  /** Set while a row group gathered elsewhere is written here: its things per key column (GatheredRowGroup.things). */
  private adopted: (unknown[] | null)[] | null = null;

  /** `tally`: the export's count of strings its pools gave ids without a slot (string-pool.ts, MAX_PROBES). */
  constructor(readonly table: ClassTable, readonly dir: string, tally: { unindexed: number } | null = null) {
    this.pool = new StringPool(tally);
    const nKeys = table.keyColumns.length;
    this.keyRows = Array.from({ length: nKeys }, () => new Int32Array(0));
    this.things = Array.from({ length: nKeys }, () => [null]);
    this.keyOf = Array.from({ length: nKeys }, () => new Map());
    this.lastThing = new Array<unknown>(nKeys).fill(undefined);
    this.lastKey = new Int32Array(nKeys);
    this.objectKeys = table.keyColumns.flatMap((c, i) => (c.kind === 'process' ? [i] : []));
    this.directs = table.directs.map((d, i) => new DenseColumn(table.schema.leaves.find((l) => sourceOf(l.tag) === `d${i}`)!, d.alwaysDefined, d.nullLevel));
    const d = this.directs;
    this.header = new HeaderRows(table.headerCopies, d, d[table.timeDirect], d[table.frameSeqDirect], d[table.recordIndexDirect]);
    this.timeDefs = d[table.timeDirect].defs!;
    this.timeMaxDef = d[table.timeDirect].leaf.maxDef;
    this.keyed = table.schema.leaves.map((l) => ('key' in (l.tag as LeafSource) ? new KeyedColumn(l) : null));
    this.fills = table.schema.leaves.map((l) => {
      const src = l.tag as LeafSource;
      return 'key' in src ? table.keyColumns[src.key].fills?.[l.keys.join('.')] ?? null : null;
    });
    this.runs = Array.from({ length: nKeys }, () => new KeyRuns());
    this.poolIdsOf = Array.from({ length: nKeys }, () => new Int32Array(1024));
    this.lastStringIds = new Int32Array(table.stringSlots);
    this.adders = rowAdders(table, this.directs, this.header);
    this.stringAdders = stringAdders(table);
    this.grow();
  }

  /**
   * Estimated bytes the gathered rows hold: their levels and values, keys,
   * strings, and the distinct processes they name. The writer ends a row
   * group past a bound on this, so a class whose rows are few but wide (a
   * process's exec, with its own argv and facts) holds no more than a busy one.
   */
  get heldBytes(): number {
    let n = this.pool.stored + this.rows * 4 * this.keyRows.length + this.header.heldBytes(this.rows);
    for (const d of this.directs) n += d.usedBytes;
    for (const k of this.objectKeys) n += (this.things[k].length - 1) * OBJECT_BYTES;
    return n;
  }

  /** Bytes held by the row group's buffers (for the writer's memory budget). */
  get bytes(): number {
    let n = this.pool.bytes + this.header.bytes;
    for (const d of this.directs) n += d.bytes;
    for (const k of this.keyRows) n += k.length * 4;
    return n;
  }

  /** Adds one event's row: its numbers by its kind's compiled adder (row-adders.ts), its keys and strings here. */
  add(plan: KindPlan, raw: Uint8Array, at: number, e: EventContext): void {
    const row = this.rows;
    if (row === this.capacity) this.grow();
    if (raw !== this.rawRef) {
      this.rawRef = raw;
      this.view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    }
    const view = this.view;
    this.adders[plan.kind.id](this, raw, at, e, view, row);
    const keys = this.keyRows;
    keys[KEY_CAPTURE][row] = this.thingKey(KEY_CAPTURE, e.capture);
    keys[KEY_ACTOR][row] = this.thingKey(KEY_ACTOR, e.actor);
    keys[KEY_STATUS][row] = this.thingKey(KEY_STATUS, this.statusThing);
    keys[KEY_UID][row] = e.noUser ? 0 : this.thingKey(KEY_UID, view.getUint32(at + UID_OFFSET, true));
    keys[KEY_FLAGS][row] = this.thingKey(KEY_FLAGS, plan.kind.id * 65536 + (view.getUint16(at + plan.flagsOffset, true) & plan.flagMask));
    if (plan.target !== 'none') keys[KEY_TARGET][row] = this.thingKey(KEY_TARGET, e.target);
    this.stringAdders[plan.kind.id](this, this.pool, raw, at, view, row, keys, this.lastStringIds);
    if (plan.argv.length > 0) this.addArgv(plan, raw, at, row);
    if (plan.addrs.length > 0 || plan.net !== null) this.addAddresses(plan, raw, at, row, e.hostname);
    if (plan.dnsKey >= 0) {
      const d = dnsExportOfRecord(plan.kind, raw, at);
      if (d !== null) keys[plan.dnsKey][row] = this.thingKey(plan.dnsKey, d);
    }
    for (let i = 0; i < plan.errors.length; i++) {
      const r = view.getInt32(at + plan.errors[i].offset, true);
      if (r < 0) keys[plan.errors[i].key][row] = this.thingKey(plan.errors[i].key, -r);
    }
    this.rows = row + 1;
  }

  /**
   * A record of an older schema (rare): add's work with the adder of its translated plan (ocsf-table.ts
   * translatedPlan), which leaves the fields its file lacked null. Off add's path: add itself is unchanged.
   */
  addTranslated(plan: KindPlan, raw: Uint8Array, at: number, e: EventContext): void {
    const adders = this.adders;
    const strings = this.stringAdders;
    const id = plan.kind.id;
    const own = adders[id];
    const ownStrings = strings[id];
    adders[id] = translatedAdder(plan, this.directs, this.header);
    strings[id] = translatedStringAdder(plan);
    try {
      this.add(plan, raw, at, e);
    } finally {
      adders[id] = own;
      strings[id] = ownStrings;
    }
  }

  /**
   * A Unix socket address's text as rg-replay prints it (`@` before an abstract name, its NULs kept: abi/unix-path.ts), put together in the
   * scratch (called by the string adders: row-adders.ts).
   */
  internUnixPath(st: Interned, raw: Uint8Array, at: number, likely: number): number {
    const o = at + st.offset;
    const size = u16(raw, at + st.unix!.sizeOffset);
    const abstract = u16(raw, at + st.unix!.abstractOffset);
    const end = unixNameEnd(raw, o, st.size, size, abstract);
    const prefix = UNIX_PREFIXES[unixPrefixOf(raw, o, end, abstract)];
    const b = this.scratch;
    let n = 0;
    for (; n < prefix.length; n++) b[n] = prefix.charCodeAt(n);
    for (let i = o; i < end; i++) b[n++] = raw[i];
    return this.pool.intern(this.scratchView, b, 0, n, likely);
  }

  private addArgv(plan: KindPlan, raw: Uint8Array, at: number, row: number): void {
    for (const a of plan.argv) {
      const used = a.sizeOffset < 0 ? a.size : Math.min(a.size, u32(raw, at + a.sizeOffset));
      this.keyRows[a.key][row] = this.pool.intern(this.view, raw, at + a.offset, at + a.offset + used);
    }
  }

  /** An address is interned with what its text depends on: readable or not, the family (ocsf-parts.ts reads them back). */
  private addAddresses(plan: KindPlan, raw: Uint8Array, at: number, row: number, hostname: Uint8Array | null): void {
    const flags = raw[at + plan.flagsOffset] | (raw[at + plan.flagsOffset + 1] << 8);
    const unreadable = (flags & EVENT_FLAG_USER_READ_FAILED) !== 0 ? 1 : 0;
    const b = this.scratch;
    for (const a of plan.addrs) {
      const family = a.family === null ? 0 : a.family.size === 2 ? u16(raw, at + a.family.offset) : u32(raw, at + a.family.offset);
      b[0] = unreadable;
      putU32(b, 1, family);
      copyInto(b, 5, raw, at + a.offset, a.size);
      this.keyRows[a.key][row] = this.pool.intern(this.scratchView, b, 0, 5 + a.size);
    }
    const n = plan.net;
    if (n === null) return;
    b.fill(0, 0, NET_HEADER);
    b[0] = unreadable;
    let at2 = NET_HEADER;
    if (n.remote !== null) {
      const r = n.remote;
      putU32(b, 1, fieldValue(raw, at, r.family));
      const port = fieldValue(raw, at, r.port);
      b[5] = port;
      b[6] = port >>> 8;
      b[12] |= 1;
      b[15] = r.addr.size;
      copyInto(b, at2, raw, at + r.addr.offset, r.addr.size);
      at2 += r.addr.size;
    }
    putU32(b, 7, n.protocol === null ? 0 : typeof n.protocol === 'number' ? n.protocol : fieldValue(raw, at, n.protocol));
    b[11] = typeof n.direction === 'number' ? n.direction : n.direction.ids[fieldValue(raw, at, n.direction.field)] ?? 0;
    if (n.local !== null) {
      const l = n.local;
      const port = fieldValue(raw, at, l.port);
      b[12] |= 2;
      b[13] = port;
      b[14] = port >>> 8;
      b[16] = l.addr.size;
      copyInto(b, at2, raw, at + l.addr.offset, l.addr.size);
      at2 += l.addr.size;
    }
    if (hostname !== null) {
      const h = hostname.subarray(0, Math.min(hostname.length, b.length - at2, 255));
      b[12] |= 4;
      b[17] = h.length;
      b.set(h, at2);
      at2 += h.length;
    }
    this.keyRows[n.key][row] = this.pool.intern(this.scratchView, b, 0, at2);
  }

  /** The key of `thing` in key column `k` (a number or an object, compared by identity), new keys numbered from 1. */
  private thingKey(k: number, thing: unknown): number {
    if (thing === this.lastThing[k]) return this.lastKey[k];
    let key = this.keyOf[k].get(thing);
    if (key === undefined) {
      key = this.things[k].length;
      this.things[k].push(thing);
      this.keyOf[k].set(thing, key);
    }
    this.lastThing[k] = thing;
    this.lastKey[k] = key;
    return key;
  }

  /**
   * Room for more rows: four times as many (1k, 4k, 16k, 64k rows), each step a new buffer per column and a
   * copy. Doubling copied and first-wrote about twice a full row group's memory before reaching it, at
   * ~10 us a new 4 KB page here (work capture, 8 interleaved rounds: -80 ms CPU, -50 ms wall, -7 MB RSS).
   */
  private grow(): void {
    const cap = Math.max(INITIAL_ROWS, this.capacity * 4);
    for (let k = 0; k < this.keyRows.length; k++) {
      const next = sharedWords(cap);
      next.set(this.keyRows[k]);
      this.keyRows[k] = next;
    }
    // A column every row fills gets a value slot per row; the others grow their values as rows fill them (valueSlot).
    this.table.directs.forEach((d, i) => (d.alwaysDefined ? this.directs[i].ensure(cap, d.nullLevel) : this.directs[i].ensureLevels(cap, d.nullLevel)));
    this.timeDefs = this.directs[this.table.timeDirect].defs!;
    this.header.ensure(cap);
    this.capacity = cap;
  }

  /** Writes the gathered rows as one row group of `file`, then empties the buffers (keeping their memory). */
  writeRowGroup(file: ParquetFileWriter, enc: ColumnEncoder): void {
    if (this.rows === 0) return;
    this.writeGathered(file, enc);
    this.reset();
  }

  /**
   * The gathered rows as data for another thread to write (writeAdopted
   * there), the process columns' things drawn now; the builder goes on with
   * `recycled` (a set of buffers the writer has emptied, from
   * releaseBuffers) or new ones; with `goOn` false (its last row group) it
   * is left without buffers, to be let go.
   */
  handOff(recycled: GatheredRowGroup | null, goOn = true, sent: SentViews | null = null): GatheredRowGroup {
    const viewsReset = sent?.beginRowGroup() ?? false;
    const viewIds: (Int32Array | null)[] = this.table.keyColumns.map(() => null);
    const things = this.table.keyColumns.map((spec, k) => {
      if (spec.kind === 'string') return null;
      const t = this.things[k];
      if (spec.kind !== 'process') return t.slice();
      const drawn: unknown[] = new Array<unknown>(t.length);
      drawn[0] = null;
      const ids = sent === null ? null : (viewIds[k] = new Int32Array(t.length));
      for (let key = 1; key < t.length; key++) {
        const v = t[key];
        if (ids !== null && v instanceof ProcessView) {
          const id = sent!.idOf(v);
          ids[key] = id < 0 ? -id : id;
          // A part may be null (a process without facts); a view sent before: undefined.
          drawn[key] = id < 0 ? v.ocsf : undefined;
        } else {
          drawn[key] = spec.render(v, this.pool);
        }
      }
      return drawn;
    });
    const g = this.takeBuffers(things, viewIds, viewsReset);
    this.resetKeys();
    this.rows = 0;
    if (goOn) this.adoptBuffers(recycled ?? this.buffersLike(g));
    // Left without buffers: a row added after all grows every buffer from nothing.
    else this.capacity = 0;
    return g;
  }

  /**
   * Writes a row group gathered on another thread (handOff there) as one row group of `file`; `views`: the
   * process views' parts that thread sent (SentViews), kept from row group to row group.
   */
  writeAdopted(g: GatheredRowGroup, file: ParquetFileWriter, enc: ColumnEncoder, views: ReceivedViews = new Map()): void {
    this.adoptBuffers(g);
    if (g.viewsReset) views.clear();
    g.viewIds.forEach((ids, k) => {
      if (ids === null) return;
      const spec = this.table.keyColumns[k];
      const drawn = g.things[k]!;
      for (let key = 1; key < ids.length; key++) {
        const id = ids[key];
        if (id === 0) continue;
        if (drawn[key] !== undefined) views.set(id, drawn[key] as Row | null);
        else if (!views.has(id)) throw new Error(`export: process view ${id} was never sent to the writer thread`);
        // The column's row, as render() draws it from the view (its part is all it reads).
        drawn[key] = spec.render({ ocsf: views.get(id) } as ProcessView, this.pool);
      }
    });
    this.rows = g.rows;
    this.adopted = g.things;
    try {
      this.writeGathered(file, enc);
    } finally {
      this.adopted = null;
    }
    this.reset();
  }

  /** The emptied buffers of the last row group written by writeAdopted, to go back to the gathering thread (handOff's `recycled`). */
  releaseBuffers(): GatheredRowGroup {
    return this.takeBuffers(this.table.keyColumns.map(() => null), [], false);
  }

  /** Empty buffers as large as `g`'s (handed off by this builder): the next row group is gathered without growing them again. */
  private buffersLike(g: GatheredRowGroup): GatheredRowGroup {
    return {
      rows: 0, keyRows: g.keyRows.map((a) => sharedWords(a.length)), directs: this.directs.map((d, i) => d.arraysLike(g.directs[i])), words: sharedWords(g.words.length),
      timed: 0, pool: StringPool.stringsLike(g.pool), things: [], viewIds: [], viewsReset: false,
    };
  }

  private takeBuffers(things: (unknown[] | null)[], viewIds: (Int32Array | null)[], viewsReset: boolean): GatheredRowGroup {
    const keyRows = this.keyRows.slice();
    this.keyRows.fill(new Int32Array(0));
    const { words, timed } = this.header.take();
    const g: GatheredRowGroup = { rows: this.rows, keyRows, directs: this.directs.map((d) => d.take()), words, timed, pool: this.pool.take(), things, viewIds, viewsReset };
    this.timeDefs = this.directs[this.table.timeDirect].defs!;
    return g;
  }

  private adoptBuffers(g: GatheredRowGroup): void {
    if (g.keyRows.length !== this.keyRows.length || g.directs.length !== this.directs.length) throw new Error('export: a row group of another table handed over');
    for (let k = 0; k < this.keyRows.length; k++) this.keyRows[k] = g.keyRows[k];
    this.directs.forEach((d, i) => d.adopt(g.directs[i]));
    this.header.adopt(g.words, g.timed);
    this.pool.adopt(g.pool);
    this.timeDefs = this.directs[this.table.timeDirect].defs!;
    this.capacity = this.keyRows.length === 0 ? 0 : this.keyRows[0].length;
  }

  private writeGathered(file: ParquetFileWriter, enc: ColumnEncoder): void {
    const rows = this.rows;
    const t = this.table;
    this.header.transpose(rows);
    const parts: (Row[] | null)[] = t.keyColumns.map(() => null);
    for (let k = 0; k < this.keyRows.length; k++) {
      if (t.keyColumns[k].kind === 'string') this.renumber(k);
      this.runs[k].scan(this.keyRows[k], rows);
    }
    const used: (Uint8Array | null)[] = t.keyColumns.map(() => null);
    const pool = this.pool;
    for (const leaf of t.schema.leaves) {
      const src = leaf.tag as LeafSource;
      if ('direct' in src) {
        const col = this.directs[src.direct];
        col.n = rows;
        writeDenseColumn(file, enc, col);
        continue;
      }
      const k = src.key;
      const col = this.keyed[leaf.index]!;
      col.reset();
      const fill = this.fills[leaf.index];
      if (fill !== null) {
        // Straight from the pool: key i's string is pool id ids[i] (key 0: none).
        const u = (used[k] ??= this.usedKeys(k));
        const ids = this.poolIdsOf[k];
        if (writePooledColumn(file, enc, leaf, fill.pooled, ids, pool, this.runs[k], rows, u)) continue;
        col.setSource(pool.arenaBytes, pool.arenaDataView);
        fillKeys(col, u, ids, fill, pool);
        writeKeyedColumn(file, enc, col, this.runs[k], rows, u);
        continue;
      }
      const u = (used[k] ??= this.usedKeys(k));
      shredKeys(col, (parts[k] ??= this.draw(k, u)));
      writeKeyedColumn(file, enc, col, this.runs[k], rows, u);
    }
    file.endRowGroup(rows);
    // The data pages kept for the row group's leaves (keyed-column.ts LevelPages): not held until the next.
    for (const r of this.runs) r.pages.clear();
  }

  /**
   * A string key column's rows hold pool ids, shared by every string column
   * of the row group: renumbered 1..n in order of first use here, so the
   * column draws and writes only its own strings.
   */
  private renumber(k: number): void {
    const rows = this.rows;
    if (this.remap.length <= this.pool.count) {
      this.remap = new Int32Array(this.pool.count + 1024);
      this.firstUse = new Int32Array(this.pool.count + 1024);
    }
    const order = this.firstUse;
    const n = assignLocalIds(this.keyRows[k], rows, this.remap, order);
    clearLocalIds(this.remap, order, n);
    let ids = this.poolIdsOf[k];
    if (ids.length <= n) ids = this.poolIdsOf[k] = new Int32Array(Math.max(ids.length * 2, n + 1));
    ids.set(order.subarray(1, n + 1), 1);
    ids[0] = n;
  }

  /** Which keys of key column `k` the row group's rows use (1), by key. */
  private usedKeys(k: number): Uint8Array {
    return usedKeys(this.runs[k], this.table.keyColumns[k].kind === 'string' ? this.poolIdsOf[k][0] + 1 : (this.adopted?.[k] ?? this.things[k]).length);
  }

  /** Each key's part of key column `k`, drawn once (UNUSED for keys no row uses). */
  private draw(k: number, used: Uint8Array): Row[] {
    const spec = this.table.keyColumns[k];
    const isString = spec.kind === 'string';
    const ids = this.poolIdsOf[k];
    const n = used.length;
    const out: Row[] = new Array<Row>(n);
    const adopted = this.adopted?.[k];
    if (adopted !== undefined && adopted !== null) {
      // Things from the gathering thread (GatheredRowGroup.things): a process column's are drawn there.
      const drawn = spec.kind === 'process';
      for (let key = 0; key < n; key++) {
        if (used[key] === 0) out[key] = UNUSED;
        else out[key] = drawn && key > 0 ? adopted[key] as Row : spec.render(adopted[key], this.pool);
      }
      return out;
    }
    for (let key = 0; key < n; key++) {
      if (used[key] === 0) out[key] = UNUSED;
      else out[key] = spec.render(isString ? (key === 0 ? null : ids[key]) : this.things[k][key], this.pool);
    }
    return out;
  }

  private reset(): void {
    const rows = this.rows;
    for (const k of this.keyRows) k.fill(0, 0, rows);
    this.resetKeys();
    this.table.directs.forEach((d, i) => this.directs[i].reset(d.nullLevel));
    this.pool.reset();
    this.rows = 0;
  }

  /** Forgets the row group's things and last strings (the keys' state; not the buffers). */
  private resetKeys(): void {
    for (let k = 0; k < this.things.length; k++) {
      this.things[k].length = 1;
      this.keyOf[k].clear();
      this.lastThing[k] = undefined;
    }
    this.lastStringIds.fill(0);
  }
}

const UNUSED: Row = Object.freeze({});

/*
 * A leaf's entry per key, in loops of their own: inside writeRowGroup (one call per row group, a loop
 * over ~300 leaves) each was optimised on stack again in every call (work capture: writeRowGroup
 * compiled 11 times).
 */

/** Key i's entry of `col` from the pool: string ids[i] (key 0: none); keys no row uses (u[i] 0) get one empty entry. */
function fillKeys(col: KeyedColumn, u: Uint8Array, ids: Int32Array, fill: LeafFill, pool: StringPool): void {
  for (let key = 0; key < u.length; key++) {
    col.beginKey();
    if (u[key] === 0) col.entry(0, 0, null);
    else fill(col, key === 0 ? null : ids[key], pool);
  }
}

/** Key i's entry of `col` shredded from its drawn part; keys no row of this group uses (key 0 of most columns) get one empty entry: the writer skips them. */
function shredKeys(col: KeyedColumn, drawn: readonly Row[]): void {
  for (let key = 0; key < drawn.length; key++) {
    col.beginKey();
    if (drawn[key] === UNUSED) col.entry(0, 0, null);
    else shredLeaf(col, drawn[key]);
  }
}

/**
 * Rows' pool ids (0: none) replaced by local ids 1..n in order of first use; `remap` (all 0) maps pool id ->
 * local id, `order` gets local id -> pool id. Returns n. Its own function, like clearLocalIds: in one,
 * the loop was optimised on stack while the next had no type feedback yet, so it was thrown away at that
 * loop's end once per row group (work capture: renumber deoptimised 14 times).
 */
function assignLocalIds(keys: Int32Array, rows: number, remap: Int32Array, order: Int32Array): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const id = keys[r];
    if (id === 0) continue;
    let local = remap[id];
    if (local === 0) {
      local = ++n;
      remap[id] = local;
      order[local] = id;
    }
    keys[r] = local;
  }
  return n;
}

/** remap all 0 again after assignLocalIds. */
function clearLocalIds(remap: Int32Array, order: Int32Array, n: number): void {
  for (let i = 1; i <= n; i++) remap[order[i]] = 0;
}

function sourceOf(tag: unknown): string {
  const s = tag as LeafSource;
  return 'direct' in s ? `d${s.direct}` : `k${s.key}`;
}

/** An unsigned field of 1, 2 or 4 bytes. */
function fieldValue(b: Uint8Array, at: number, f: { readonly offset: number; readonly size: number }): number {
  const i = at + f.offset;
  return f.size === 1 ? b[i] : f.size === 2 ? u16(b, i) : u32(b, i);
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** `n` bytes of src from `from` into dst at `to`, without the subarray set() would need (an object per event). */
function copyInto(dst: Uint8Array, to: number, src: Uint8Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}
