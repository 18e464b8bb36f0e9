/**
 * A kind's row adder: the part of PartitionBuilder.add that differs most by
 * kind, compiled from its plan (ocsf-table.ts) into straight-line code, as
 * the --json writers are compiled per kind (src/output/ndjson.ts): the
 * outcome's status key (constants for a fixed activity), the header's words,
 * the wall time and provenance (header-rows.ts), the kind's own numbers into
 * their direct columns, and numbers derived from fields (exit codes). The
 * offsets, column indices and copy widths are literals: no loop over the
 * plan's copies and no switch per copied field.
 *
 * What calls further (keys by thing, interning, addresses) stays in
 * PartitionBuilder.add, shared by every kind: V8 optimises each adder on its
 * own, and a call inlined into each one made every adder's compile longer
 * (measured: interning inlined into each kind's adder cost V8's compile
 * threads more CPU than the adders saved).
 *
 * Compiled from the schema only (numbers from the kind registry and the
 * table's layout), never from record or capture text. The rows are what the
 * plan-walking add wrote (the Parquet files are byte-identical).
 */
import { FLAGS_OFFSET } from '../abi/header-access.js';
import { resultUnseenMask } from '../abi/views.js';
import { activityOf, statusOf } from './ocsf-map.js';
import { statusKey } from './ocsf-parts.js';
import { type ClassTable, CopyOp, type KindPlan } from './ocsf-table.js';
import { type DenseColumn } from './parquet/dense-column.js';
import { type HeaderRows } from './header-rows.js';
import { type EventContext, type PartitionBuilder } from './partition.js';
import { type StringPool } from './string-pool.js';

/** Row `row`'s part of the add (the builder has room for it; `view` is over `raw`); its status key into b.statusThing. */
export type RowAdder = (b: PartitionBuilder, raw: Uint8Array, at: number, e: EventContext, view: DataView, row: number) => void;

/**
 * Row `row`'s strings (plan.strings) into the builder's pool, each string's id into its key columns' rows
 * (`keys`) and into `lastIds` by its slot. Compiled per kind as the row adders are (offsets, sizes, slots and
 * key columns literals): the loop over the plan's strings, and each one's loop over its key columns, were a
 * sixth of PartitionBuilder.add's own time. The pool's calls are not inlined (see above).
 */
export type StringAdder = (b: PartitionBuilder, pool: StringPool, raw: Uint8Array, at: number, view: DataView, row: number, keys: Int32Array[], lastIds: Int32Array) => void;

/** The row adders of a table, by kind id (compiled once per table: its builders share them). */
const compiled = new WeakMap<ClassTable, RowAdder[]>();

/**
 * `table`'s adders by kind id. `directs` and `header`: a builder's direct columns and header rows (which columns
 * have definition levels, and the header's words per row, are the table's: the same in each of its builders).
 */
export function rowAdders(table: ClassTable, directs: readonly DenseColumn[], header: HeaderRows): RowAdder[] {
  let adders = compiled.get(table);
  if (adders === undefined) {
    adders = [];
    for (const plan of table.plans) if (plan !== undefined) adders[plan.kind.id] = compileAdder(plan, directs, header);
    compiled.set(table, adders);
  }
  return adders;
}

const translatedAdders = new WeakMap<KindPlan, RowAdder>();
const compiledStrings = new WeakMap<ClassTable, StringAdder[]>();
const translatedStrings = new WeakMap<KindPlan, StringAdder>();

/** `table`'s string adders by kind id (compiled once per table, as rowAdders). */
export function stringAdders(table: ClassTable): StringAdder[] {
  let adders = compiledStrings.get(table);
  if (adders === undefined) {
    adders = [];
    for (const plan of table.plans) if (plan !== undefined) adders[plan.kind.id] = compileStrings(plan);
    compiledStrings.set(table, adders);
  }
  return adders;
}

/** The string adder of a plan for records of an older schema (its strings less the fields its file lacked), compiled on first use. */
export function translatedStringAdder(plan: KindPlan): StringAdder {
  let a = translatedStrings.get(plan);
  if (a === undefined) {
    a = compileStrings(plan);
    translatedStrings.set(plan, a);
  }
  return a;
}

/**
 * The likeliest equal string of each (tried before the pool's table): the last string of the same slot, of any
 * kind (a comm, nearly always), and for a NUL-terminated one also the field before (path_arg = path). The
 * kind's first string (the header's comm) is compared with its slot's last before it is hashed, and a
 * NUL-terminated one after another with that one (StringPool.internCStringAs).
 */
function compileStrings(plan: KindPlan): StringAdder {
  let body = 'let prev = 0;\nlet id = 0;\n';
  plan.strings.forEach((st, i) => {
    const from = `at + ${st.offset}`;
    if (st.how === 'cstring' && i === 0) body += `id = pool.internCStringAs(view, raw, ${from}, ${from} + ${st.size}, lastIds[${st.slot}], 0);`;
    else if (st.how === 'cstring' && plan.strings[i - 1].how === 'cstring') body += `id = pool.internCStringAs(view, raw, ${from}, ${from} + ${st.size}, prev, lastIds[${st.slot}]);`;
    else if (st.how === 'cstring') body += `id = pool.internCString(view, raw, ${from}, ${from} + ${st.size}, lastIds[${st.slot}], prev);`;
    else if (st.how === 'bytes') body += `id = pool.intern(view, raw, ${from}, ${from} + ${st.size}, lastIds[${st.slot}]);`;
    else body += `id = b.internUnixPath(strings[${i}], raw, at, lastIds[${st.slot}]);`;
    body += ` lastIds[${st.slot}] = id; prev = id;`;
    for (const k of st.keys) body += ` keys[${k}][row] = id;`;
    body += '\n';
  });
  const name = `strings_${plan.kind.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const factory = new Function('strings', `return function ${name}(b, pool, raw, at, view, row, keys, lastIds) {\n${body}};`) as (strings: KindPlan['strings']) => StringAdder;
  return factory(plan.strings);
}

/**
 * The adder of a plan for records of an older schema (ocsf-table.ts translatedPlan), compiled on first use:
 * `directs` and `header` as for rowAdders (the table's, the same in each of its builders).
 */
export function translatedAdder(plan: KindPlan, directs: readonly DenseColumn[], header: HeaderRows): RowAdder {
  let a = translatedAdders.get(plan);
  if (a === undefined) {
    a = compileAdder(plan, directs, header);
    translatedAdders.set(plan, a);
  }
  return a;
}

/**
 * The next value's index in `col`, its buffer grown when full (columns most rows leave null hold only their
 * values). One function every adder calls: its feedback (the growth's call) is shared, so an adder optimised
 * before its own columns first grew is not thrown away when they do.
 */
function valueSlot(col: DenseColumn): number {
  const pos = col.nValues++;
  if (pos >= col.valueCapacity) col.ensureValues(pos + 1);
  return pos;
}

/** Record bytes at `at + off` as the copy op reads them: the statements that put them into column values `f` at `pos`. */
function copyCode(op: CopyOp, from: string): string {
  switch (op) {
    case CopyOp.W32: return `f[pos] = view.getInt32(${from}, true);`;
    case CopyOp.W64: return `f[pos * 2] = view.getInt32(${from}, true); f[pos * 2 + 1] = view.getInt32(${from} + 4, true);`;
    case CopyOp.U16: return `f[pos] = view.getUint16(${from}, true);`;
    case CopyOp.U8: return `f[pos] = raw[${from}];`;
    case CopyOp.S32To64: return `{ const lo = view.getInt32(${from}, true); f[pos * 2] = lo; f[pos * 2 + 1] = lo >> 31; }`;
    case CopyOp.U32To64: return `f[pos * 2] = view.getInt32(${from}, true); f[pos * 2 + 1] = 0;`;
    case CopyOp.U16To64: return `f[pos * 2] = view.getUint16(${from}, true); f[pos * 2 + 1] = 0;`;
    case CopyOp.U8To64: return `f[pos * 2] = raw[${from}]; f[pos * 2 + 1] = 0;`;
  }
}

/** The status key's statements (`sk`), as PartitionBuilder's plan walk computed it. */
function statusCode(plan: KindPlan): string {
  const kindId = plan.kind.id;
  const fixed = plan.activityField === null && typeof plan.map.activity === 'number';
  const selector = plan.activityField === null ? 'null' : fieldRead(plan.activityField);
  if (plan.resultOffset < 0) {
    if (fixed) return `const sk = ${JSON.stringify(statusKey(kindId, activityOf(plan.map, null, null), statusOf(plan.map, null, null), 0))};\n`;
    return `const sel = ${selector};\nconst sk = statusKey(${kindId}, activityOf(map, null, sel), statusOf(map, null, sel), 0);\n`;
  }
  // A kind that can say its result is not known (RESULT_UNSEEN, an io_uring request recorded at submission): null, status Unknown.
  const unseen = resultUnseenMask(plan.kind);
  const value = `view.getInt32(at + ${plan.resultOffset}, true)`;
  const read = unseen === 0 ? `const result = ${value};\n` : `const result = (view.getUint16(at + ${FLAGS_OFFSET}, true) & ${unseen}) !== 0 ? null : ${value};\n`;
  if (fixed) {
    // A fixed activity: success (result >= 0) or failure with errno -result; statusOf's only other outcome needs a connect's activity.
    const ok = statusKey(kindId, activityOf(plan.map, 0, null), statusOf(plan.map, 0, null), 0) as number;
    const failBase = statusKey(kindId, activityOf(plan.map, -1, null), statusOf(plan.map, -1, null), 0) as number;
    if (typeof ok !== 'number' || typeof failBase !== 'number') throw new Error('export: a status key of errno 0 is a number');
    const unknown = unseen === 0 ? '' : `result === null ? ${JSON.stringify(statusKey(kindId, activityOf(plan.map, null, null), statusOf(plan.map, null, null), 0))} : `;
    return `${read}const sk = ${unknown}result >= 0 ? ${ok} : result > -4096 ? ${failBase} - result : statusKey(${kindId}, activityOf(map, result, null), statusOf(map, result, null), -result);\n`;
  }
  return `${read}const sel = ${selector};\nconst sk = statusKey(${kindId}, activityOf(map, result, sel), statusOf(map, result, sel), result < 0 ? -result : 0);\n`;
}

/** An unsigned field of 1, 2 or 4 bytes, read from the record. */
function fieldRead(f: { readonly offset: number; readonly size: number }): string {
  return f.size === 1 ? `raw[at + ${f.offset}]` : f.size === 2 ? `view.getUint16(at + ${f.offset}, true)` : `view.getUint32(at + ${f.offset}, true)`;
}

function compileAdder(plan: KindPlan, directs: readonly DenseColumn[], header: HeaderRows): RowAdder {
  let body = statusCode(plan);
  body += 'b.statusThing = sk;\n';
  // The header's words, the wall time and the provenance, row-major (header-rows.ts).
  const hw = header.headerWords;
  body += `{ const h = b.header; const w = h.words; const base = row * ${header.rowWords};\n`;
  for (let i = 0; i < hw; i++) body += `w[base + ${i}] = view.getInt32(at + ${4 * i}, true);${i % 4 === 3 ? '\n' : ' '}`;
  body += `\nif (e.hasTime) { b.timeDefs[row] = b.timeMaxDef; w[base + ${hw}] = e.timeLo; w[base + ${hw + 1}] = e.timeHi; h.timed++; }\n`;
  body += `w[base + ${hw + 2}] = e.frameSeq; w[base + ${hw + 3}] = Math.floor(e.frameSeq / 4294967296); w[base + ${hw + 4}] = e.recordIndex; }\n`;

  body += 'const directs = b.directs;\n';
  for (const c of plan.bodyCopies) {
    const col = directs[c.direct];
    body += `{ const col = directs[${c.direct}];${col.defs !== null ? ` col.defs[row] = ${c.maxDef};` : ''}`
      + ' const pos = valueSlot(col); const f = col.fixed32; '
      + `${copyCode(c.op, `at + ${c.from}`)} }\n`;
  }

  plan.computed.forEach((c, i) => {
    const col = directs[c.direct];
    body += `{ const col = directs[${c.direct}]; col.defs[row] = ${col.leaf.maxDef}; const pos = valueSlot(col);`
      + ` col.setU32(pos, computed[${i}].of(view.getUint32(at + ${c.offset}, true))); }\n`;
  });
  const helpers: Record<string, unknown> = {
    map: plan.map, computed: plan.computed, statusKey, activityOf, statusOf, valueSlot,
  };
  const names = Object.keys(helpers);
  const name = `add_${plan.kind.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const factory = new Function(...names, `return function ${name}(b, raw, at, e, view, row) {\n${body}};`) as (...h: unknown[]) => RowAdder;
  return factory(...names.map((n) => helpers[n]));
}
