/**
 * Rules compiled, per kind, into predicates over a record's bytes and its
 * process node: what --detect, --alerts and --rules run on every event.
 * The meaning is the one of evaluate.ts over eventFacts (facts.ts), the
 * reference a property test holds this equal to; only the reading is faster:
 * - a rule that names other event types is never offered this kind's events;
 * - numbers, flags and `write` are read straight from the record;
 * - string fields (path, filename, comm), and the paths written_path and
 *   wiped_path name, are compared as UTF-8 bytes, without decoding
 *   (byte-conditions.ts);
 * - written_path and wiped_path are derived once per record by fileFact's
 *   steps compiled per file kind, and a rule that needs one is not offered a
 *   record without one (filePathGate);
 * - texts computed from a number (open flags, address family, errno name)
 *   are tested once per distinct number;
 * - process facts are tested once per process identity (its version);
 * - within a rule, conditions run cheapest first (they are all ANDed), and
 *   of its match and its alternatives the cheaper side first.
 * Anything else (addresses, argv, ancestors, 64-bit numbers) is read per
 * event as eventFacts would, only when a rule gets that far.
 *
 * Why: --detect on a real 1M-event capture spent its extra time in a Map
 * lookup per condition and a string per path, and 20 TOML rules with
 * process facts built every fact of every event (0.08x the events/s of --json).
 */
import { AF_INET, AF_INET6 } from '../../abi/constants.js';
import { cStringEnd } from '../../abi/bytes.js';
import { recordFlags } from '../../abi/header-access.js';
import { type FieldLayout } from '../../abi/layout.js';
import { BUILD_SCHEMA, EVENT_FLAG_USER_READ_FAILED, type KindLayout, type Schema, type SchemaField } from '../../abi/schema.js';
import {
  addrFlagsText, addressText, bytesToText, devText, enumText, errnoName, familyName, joinPathLexically, openFlagsText, opensForWrite, pathFlagsText, splitArgv, syscallText,
} from '../../abi/values.js';
import { viewEntries } from '../../abi/intrusion-values.js';
import { unixPathText, unixSizeInvalid } from '../../abi/unix-path.js';
import { outputKeys, resultUnseenMask, unixSizeInvalidKey } from '../../abi/views.js';
import { Ancestry } from '../ancestry.js';
import { type ProcessNode } from '../process-table.js';
import { byteStringCondition } from './byte-conditions.js';
import { valueCondition } from './evaluate.js';
import { eventFacts } from './facts.js';
import { FILE_FACT_STEPS, FILE_FACTS, fileFact } from './builtin.js';
import { type Condition, type FactValue, HINDSIGHT_FACTS, type Match, type Rule } from './model.js';

/** A rule for one kind: true when the record (and its process) matches. */
export type RecordPredicate = (b: Uint8Array, at: number, node: ProcessNode | null) => boolean;

/**
 * Counts records, so per-record caches know when they are stale, and keeps
 * the one per-record cache every rule shares: where each C string of the
 * record ends, by field offset (found once per record, however many rules
 * read the field).
 */
export class RecordEpoch {
  n = 0;
  /** The `schema_version` fact of the current record: the version its capture was written with. */
  schemaVersion = BUILD_SCHEMA.version;
  /** What replay's network state tells about the current record (HINDSIGHT_FACTS but dst_hostname), or null. */
  extra: ReadonlyMap<string, FactValue> | null = null;
  /** The name the current record's address was resolved from, if any. */
  dstHostname: string | undefined = undefined;
  private readonly seen = new Float64Array(1024).fill(-1);
  private readonly ends = new Int32Array(1024);
  private readonly textSeen = new Float64Array(1024).fill(-1);
  private readonly texts: string[] = new Array<string>(1024).fill('');

  /** Per derived fact (DerivedSlot): the record it was derived for, and its value. Arrays, not Maps: read ~20 times per open. */
  private readonly derivedSeen = new Float64Array(DERIVED_SLOTS).fill(-1);
  private readonly derived: unknown[] = new Array<unknown>(DERIVED_SLOTS).fill(undefined);

  /** A fact derived from several fields (written_path, ...), derived once per record however many rules read it. */
  derivedFact<T>(slot: DerivedSlot, derive: () => T): T {
    if (this.derivedSeen[slot] === this.n) return this.derived[slot] as T;
    const v = derive();
    this.derivedSeen[slot] = this.n;
    this.derived[slot] = v;
    return v;
  }

  /** The text of the C string field at `at + offset`, decoded once per record however many rules read it. */
  stringText(b: Uint8Array, at: number, offset: number, size: number): string {
    if (offset >= 1024) return bytesToText(b.subarray(at + offset, cStringEnd(b, at + offset, size)));
    if (this.textSeen[offset] === this.n) return this.texts[offset];
    const text = bytesToText(b.subarray(at + offset, this.stringEnd(b, at, offset, size)));
    this.textSeen[offset] = this.n;
    this.texts[offset] = text;
    return text;
  }

  /** The end (index of the NUL, or the buffer's end) of the C string field at `at + offset`. */
  stringEnd(b: Uint8Array, at: number, offset: number, size: number): number {
    if (offset >= 1024) return cStringEnd(b, at + offset, size);
    if (this.seen[offset] === this.n) return this.ends[offset];
    const end = cStringEnd(b, at + offset, size);
    this.seen[offset] = this.n;
    this.ends[offset] = end;
    return end;
  }
}

/** The derived facts the epoch keeps one value of per record. */
const enum DerivedSlot { WrittenPath, WipedPath }
const DERIVED_SLOTS = 2;

/** Where a string field of the record is: what fileFact is handed for a path, so the path is read only as far as a condition needs. */
class StringField {
  constructor(readonly offset: number, readonly size: number) {}
}

/** What fileFact gives with StringFields for paths: missing, a path, both names of an exchange, or (never for the built-in kinds) another value. */
type DerivedPath = StringField | (StringField | FactValue)[] | FactValue | undefined;

/** How costly a condition is to test, for ordering: cheap first. */
const enum Cost { None = -1, Number, Bytes, PerNumber, PerProcess, PerEvent }

interface CompiledCondition {
  readonly cost: Cost;
  readonly test: RecordPredicate;
}

type Reader = (b: Uint8Array, at: number, node: ProcessNode | null) => FactValue | undefined;

/**
 * The rule as a predicate over `kind`'s records, or null when it can never
 * match one (it names other event types, or a condition on the event type fails).
 */
export function compileRecordRule(rule: Rule, kind: KindLayout, epoch: RecordEpoch, schema: Schema = BUILD_SCHEMA): RecordPredicate | null {
  return compileKindRule(rule, kind, epoch, schema)?.test ?? null;
}

/** A rule compiled for one kind's records. */
export interface KindRulePredicate {
  readonly test: RecordPredicate;
  /**
   * The rule holds only for records with a written_path or a wiped_path
   * (every way it can match tests one of them positively): a record
   * filePathGate finds neither on is not offered to it.
   */
  readonly needsFilePath: boolean;
}

/** compileRecordRule, and whether the rule needs a file path (KindRulePredicate). */
export function compileKindRule(rule: Rule, kind: KindLayout, epoch: RecordEpoch, schema: Schema = BUILD_SCHEMA): KindRulePredicate | null {
  if (rule.events.length > 0 && !rule.events.includes(kind.eventType)) return null;
  const facts = new KindFacts(kind, epoch, schema);
  const match = compileMatch(rule.match, facts);
  if (match === null) return null;
  const kept = rule.any.map((m) => ({ m, c: compileMatch(m, facts) })).filter((x): x is { m: Match; c: CompiledCondition } => x.c !== null);
  if (rule.any.length > 0 && kept.length === 0) return null;
  const needsFilePath = testsFilePath(rule.match) || (kept.length > 0 && kept.every((x) => testsFilePath(x.m)));
  const all = match.test;
  if (kept.length === 0) return { test: all, needsFilePath };
  const alternatives = kept.map((x) => x.c.test);
  const anyOf: RecordPredicate = alternatives.length === 1 ? alternatives[0] : (b, at, node) => {
    for (let i = 0; i < alternatives.length; i++) if (alternatives[i](b, at, node)) return true;
    return false;
  };
  if (match.cost === Cost.None) return { test: anyOf, needsFilePath };
  // Both must hold: the cheaper side first (io_uring's rule: the hindsight most opens come without, before the open's process).
  const cheapFirst = Math.max(...kept.map((x) => x.c.cost)) < match.cost;
  return { test: cheapFirst ? (b, at, node) => anyOf(b, at, node) && all(b, at, node) : (b, at, node) => all(b, at, node) && anyOf(b, at, node), needsFilePath };
}

/** The match tests written_path or wiped_path with an operator that a missing value fails (valueCondition). */
function testsFilePath(match: Match): boolean {
  return FILE_FACTS.some((key) => match[key] !== undefined && Object.entries(match[key]).some(([op, arg]) => arg !== undefined && !op.startsWith('not_')));
}

/**
 * Whether a record of `kind` has a written_path or a wiped_path, or null
 * when no record of the kind can. On the bench's work capture 950k of 1.8M
 * records are opens for reading (or failed calls): one look at their flags
 * and result spares them the ten built-in rules on file paths.
 */
export function filePathGate(kind: KindLayout, epoch: RecordEpoch, schema: Schema = BUILD_SCHEMA): ((b: Uint8Array, at: number) => boolean) | null {
  const facts = new KindFacts(kind, epoch, schema);
  const written = facts.filePathReader('written_path');
  const wiped = facts.filePathReader('wiped_path');
  if (written === null && wiped === null) return null;
  return (b, at) => (written !== null && written(b, at) !== undefined) || (wiped !== null && wiped(b, at) !== undefined);
}

/**
 * All of a match's conditions, cheapest first, and the cost of its dearest
 * (None: no condition); null when one of them is false for every record of the kind.
 */
function compileMatch(match: Match, facts: KindFacts): CompiledCondition | null {
  const conditions: CompiledCondition[] = [];
  for (const [field, cond] of Object.entries(match)) {
    const c = facts.condition(field, cond);
    if (c === false) return null;
    if (c !== true) conditions.push(c);
  }
  conditions.sort((a, b) => a.cost - b.cost);
  const tests = conditions.map((c) => c.test);
  if (tests.length === 0) return { cost: Cost.None, test: () => true };
  const cost = conditions[conditions.length - 1].cost;
  if (tests.length === 1) return { cost, test: tests[0] };
  return {
    cost,
    test: (b, at, node) => {
      for (let i = 0; i < tests.length; i++) if (!tests[i](b, at, node)) return false;
      return true;
    },
  };
}

/** The facts of one kind's records, as eventFacts names them, and how to test each. */
class KindFacts {
  constructor(private readonly kind: KindLayout, private readonly epoch: RecordEpoch, private readonly schema: Schema) {}

  /** A compiled condition, or a constant when the fact is the same for every record of the kind. */
  condition(key: string, cond: Condition): CompiledCondition | boolean {
    const test = valueCondition(cond);
    const process = this.processFact(key, test);
    if (process !== null) return process;
    if (key === 'write') {
      const flags = this.fieldWithView('open_flags');
      if (flags !== null) return { cost: Cost.Number, test: (b, at) => test(opensForWrite(u32(b, at + flags.layout.offset))) };
    }
    const flag = this.kind.flags.find((f) => f.outputName === key);
    if (flag !== undefined) return { cost: Cost.Number, test: (b, at) => test((recordFlags(b, at) & flag.bit) !== 0) };
    if (key === 'event_type') return test(this.kind.eventType);
    if (key === 'schema_version') return { cost: Cost.Number, test: () => test(this.epoch.schemaVersion) };
    if (HINDSIGHT_FACTS.has(key)) {
      // Learnt from earlier events, handed over with this one (as RecordFacts reads them).
      const epoch = this.epoch;
      // Cheap: most records come with none (extra is null).
      if (key === 'dst_hostname') return { cost: Cost.Number, test: () => test(epoch.dstHostname) };
      return { cost: Cost.Number, test: () => test(epoch.extra === null ? undefined : epoch.extra.get(key)) };
    }
    const role = this.kind.process;
    if (key === 'filename_in_cwd' && role.role === 'exec' && role.exeAsPassed !== undefined && role.cwd !== undefined) {
      // Derived from two strings (the name as passed, joined to the kernel's cwd), for execs only, as eventFacts derives it:
      // from the two fields' texts (eventFacts decoded the whole exec, argv and ancestors included: 20 us per exec).
      const name = this.stringField(role.exeAsPassed);
      const cwd = this.stringField(role.cwd);
      const epoch = this.epoch;
      if (name !== null && cwd !== null) {
        return {
          cost: Cost.PerEvent,
          test: (b, at) => {
            const n = epoch.stringText(b, at, name.offset, name.size);
            const c = epoch.stringText(b, at, cwd.offset, cwd.size);
            // Only with a cwd from the kernel (a capture of an older schema has none).
            return test(n !== '' && c.startsWith('/') ? joinPathLexically(c, n) : undefined);
          },
        };
      }
      const schema = this.schema;
      const id = this.kind.id;
      return { cost: Cost.PerEvent, test: (b, at, node) => test(eventFacts(id, b, at, node, schema).get(key)) };
    }
    if (key === 'written_path' || key === 'wiped_path') return this.fileFactCondition(key, cond, test);
    if (DERIVED_FACTS.has(key)) {
      // Derived from several fields (what a write or delete did to a file) or from the process's pipes: read as eventFacts reads them.
      const schema = this.schema;
      const id = this.kind.id;
      const epoch = this.epoch;
      return {
        cost: Cost.PerEvent,
        test: (b, at, node) => {
          const facts = eventFacts(id, b, at, node, schema);
          facts.set('schema_version', epoch.schemaVersion);
          return test(facts.get(key));
        },
      };
    }
    const fieldFact = this.fieldFact(key, cond, test);
    if (fieldFact !== null) return fieldFact;
    // Not a fact of this kind: missing for every record.
    return test(undefined);
  }

  /**
   * written_path / wiped_path, derived as builtin.ts's fileFact derives them,
   * but from the few fields it asks for, read from the record when asked:
   * fileFact rejects most records (a failed call, an open not for writing) on
   * numbers before it reads a path. (Through eventFacts, every open of a
   * capture was decoded whole for these two facts: --alerts ran at a fraction
   * of its speed once the history-wipe and write rules used them.)
   * fileFact passes a path field through as it got it, so it is handed a
   * StringField (where the path is), not the text: the path is compared as
   * bytes, like a string field's own conditions, and decoded only for a
   * condition that needs the text (or for both names of an exchange). On the
   * bench's work capture ~700k records of 1.8M have a written or wiped path,
   * each tested by a dozen built-in conditions.
   */
  private fileFactCondition(key: 'written_path' | 'wiped_path', cond: Condition, test: (v: FactValue | undefined) => boolean): CompiledCondition | boolean {
    const read = this.filePathReader(key);
    if (read === null) return test(undefined);
    const epoch = this.epoch;
    const bytesTest = byteStringCondition(cond);
    return {
      cost: Cost.PerEvent,
      test: (b, at) => {
        const v = read(b, at);
        if (v instanceof StringField) {
          if (bytesTest !== null) return bytesTest(b, at + v.offset, epoch.stringEnd(b, at, v.offset, v.size));
          return test(epoch.stringText(b, at, v.offset, v.size));
        }
        if (Array.isArray(v)) return test(v.map((x) => (x instanceof StringField ? epoch.stringText(b, at, x.offset, x.size) : x)) as FactValue);
        return test(v);
      },
    };
  }

  /**
   * written_path or wiped_path of a record, derived once per record (the
   * epoch keeps it), with StringFields for paths; null when the fact is
   * missing for every record of the kind.
   */
  filePathReader(key: 'written_path' | 'wiped_path'): ((b: Uint8Array, at: number) => DerivedPath) | null {
    const kind = this.kind;
    // A kind fileFact knows nothing of is told apart by its event type alone: the fact is missing for all its records.
    let asksMore = false;
    fileFact(key, (k) => {
      if (k === 'event_type') return kind.eventType;
      asksMore = true;
      return undefined;
    });
    if (!asksMore) return null;
    const epoch = this.epoch;
    const flags = this.fieldWithView('open_flags');
    const compiled = this.compiledFileFact(key, flags);
    if (compiled !== null) {
      const slot = key === 'written_path' ? DerivedSlot.WrittenPath : DerivedSlot.WipedPath;
      let rec: Uint8Array = new Uint8Array(0);
      let base = 0;
      const derive = () => compiled(rec, base);
      return (b, at) => {
        rec = b;
        base = at;
        return epoch.derivedFact(slot, derive);
      };
    }
    const fields = new Map<string, FieldLayout>();
    const strings = new Map<string, StringField>();
    kind.schemaFields.forEach((f, i) => {
      const layout = kind.layout.fields[i];
      fields.set(f.name, layout);
      if (layout.type === 'char') strings.set(f.name, new StringField(layout.offset, layout.size));
    });
    let rec: Uint8Array = new Uint8Array(0);
    let base = 0;
    const get = (k: string): FactValue | undefined => {
      if (k === 'event_type') return kind.eventType;
      if (k === 'schema_version') return epoch.schemaVersion;
      if (k === 'write') return flags === null ? undefined : opensForWrite(u32(rec, base + flags.layout.offset));
      const kindFlag = kind.flags.find((x) => x.outputName === k);
      if (kindFlag !== undefined) return (recordFlags(rec, base) & kindFlag.bit) !== 0;
      const f = fields.get(k);
      if (f === undefined) return undefined;
      switch (f.type) {
        case 'u8': return rec[base + f.offset];
        case 'u16': return u16(rec, base + f.offset);
        case 'u32': return u32(rec, base + f.offset);
        case 's32': return u32(rec, base + f.offset) | 0;
        case 'u64': case 's64': return u64Value(rec, base + f.offset);
        case 'char': return strings.get(k) as unknown as FactValue;
        case 'bytes': return undefined;
      }
    };
    const derive = () => fileFact(key, get) as DerivedPath;
    const slot = key === 'written_path' ? DerivedSlot.WrittenPath : DerivedSlot.WipedPath;
    return (b, at) => {
      rec = b;
      base = at;
      return epoch.derivedFact(slot, derive);
    };
  }

  /**
   * fileFact for this kind's records, compiled from its steps as data
   * (FILE_FACT_STEPS, beside it in builtin.ts): numbers read from the record
   * (result, flags, length) and StringFields for paths, without the closures
   * and the lookup by name per fact fileFact takes (it ran for every open: a
   * third of --alerts' rule time on the work capture). null when the kind has
   * no steps or lacks a field they read: fileFact itself then runs. Tests
   * hold the two equal.
   */
  private compiledFileFact(key: 'written_path' | 'wiped_path', write: { layout: FieldLayout } | null): ((b: Uint8Array, at: number) => DerivedPath) | null {
    const steps = FILE_FACT_STEPS[this.kind.eventType];
    if (steps === undefined) return null;
    const step = key === 'written_path' ? steps.written : steps.wiped;
    if (step === undefined) return () => undefined;
    const field = (name: string, type: FieldLayout['type']): FieldLayout | null => {
      const i = this.kind.schemaFields.findIndex((f) => f.name === name);
      return i < 0 || this.kind.layout.fields[i].type !== type ? null : this.kind.layout.fields[i];
    };
    const text = (name: string): StringField | null => {
      const f = field(name, 'char');
      return f === null ? null : new StringField(f.offset, f.size);
    };
    const result = field('result', 's32');
    const path = text(step.path);
    const pathBefore2 = step.pathBefore2 === undefined ? null : text(step.pathBefore2);
    const flag = step.flag === undefined ? null : field(step.flag.field, 'u32');
    const zero = step.zero === undefined ? null : field(step.zero, 'u64');
    const exchange = step.exchange === undefined ? null : field(step.exchange.field, 'u32');
    const other = step.exchange === undefined ? null : text(step.exchange.other);
    if (result === null || path === null || (step.write === true && write === null) || (step.pathBefore2 !== undefined && pathBefore2 === null)
      || (step.flag !== undefined && flag === null) || (step.zero !== undefined && zero === null) || (step.exchange !== undefined && (exchange === null || other === null))) return null;
    const epoch = this.epoch;
    const r = result.offset;
    const w = step.write === true ? write!.layout.offset : -1;
    const f = flag === null ? -1 : flag.offset;
    const flagBit = step.flag?.bit ?? 0;
    // A kind without the flag (a capture of an older build): only the bit counts.
    const orFlagBit = step.flag?.orKindFlag === undefined ? 0 : this.kind.flags.find((x) => x.outputName === step.flag!.orKindFlag)?.bit ?? 0;
    const z = zero === null ? -1 : zero.offset;
    const x = exchange === null ? -1 : exchange.offset;
    const exchangeBit = step.exchange?.bit ?? 0;
    const both: DerivedPath = [path, other] as unknown as DerivedPath;
    return (b, at) => {
      if (s32(b, at + r) < 0) return undefined;
      if (w >= 0 && !opensForWrite(u32(b, at + w))) return undefined;
      if (f >= 0 && (u32(b, at + f) & flagBit) === 0 && (recordFlags(b, at) & orFlagBit) === 0) return undefined;
      if (z >= 0 && (u32(b, at + z) !== 0 || u32(b, at + z + 4) !== 0)) return undefined;
      if (x >= 0 && (u32(b, at + x) & exchangeBit) !== 0) return both;
      // A capture of schema 1 recorded only the path as passed.
      return pathBefore2 !== null && epoch.schemaVersion < 2 ? pathBefore2 : path;
    };
  }

  /** process.*, parent.*, ancestors.*: from the process node; missing without one. */
  private processFact(key: string, test: (v: FactValue | undefined) => boolean): CompiledCondition | null {
    const perNode = (value: (n: ProcessNode) => FactValue): CompiledCondition => ({ cost: Cost.PerProcess, test: memoByProcess(test, value) });
    switch (key) {
      case 'process.exe': return perNode((n) => n.exe);
      case 'process.argv': return perNode((n) => n.argv);
      case 'process.known': return perNode((n) => n.startSeen);
      case 'parent.exe': return perNode((n) => n.parent?.exe ?? null);
      case 'parent.comm': return perNode((n) => n.parent?.comm ?? null);
      // An ancestor's exec does not change this node's version: read every time.
      case 'ancestors.exe': return { cost: Cost.PerEvent, test: (_b, _at, node) => test(node === null ? undefined : new Ancestry(node, 'exe')) };
      case 'ancestors.comm': return { cost: Cost.PerEvent, test: (_b, _at, node) => test(node === null ? undefined : new Ancestry(node, 'comm')) };
      default: return null;
    }
  }

  /** A fact from one of the kind's fields (as eventValues prints it), or null when no field gives `key`. */
  private fieldFact(key: string, cond: Condition, test: (v: FactValue | undefined) => boolean): CompiledCondition | null {
    // eventValues keeps the last field that sets a key.
    const fields = this.kind.schemaFields.map((f, i) => ({ f, layout: this.kind.layout.fields[i] }));
    for (let i = fields.length - 1; i >= 0; i--) {
      const { f, layout } = fields[i];
      const o = layout.offset;
      const own = f.key ?? f.name;
      switch (f.view) {
        case 'hidden': continue;
        case 'string':
          if (own !== key) continue;
          return this.stringFact(layout, cond, test);
        case 'uint': case 'int': case 'port':
          if (own !== key) continue;
          if (layout.type === 'u64') return { cost: Cost.PerEvent, test: (b, at) => test(u64Value(b, at + o)) };
          return { cost: Cost.Number, test: numberTest(numberOf(layout), test) };
        case 'result': {
          const read = numberOf(layout);
          // A result the record says it does not know (RESULT_UNSEEN): unknown, as in the facts and --json.
          const unseen = resultUnseenMask(this.kind);
          if (own === key) {
            if (unseen === 0) return { cost: Cost.Number, test: (b, at) => test(read(b, at)) };
            return { cost: Cost.Number, test: (b, at) => test((recordFlags(b, at) & unseen) !== 0 ? undefined : read(b, at)) };
          }
          if (key !== 'error') continue;
          const error = memoByNumber(read, (r) => test(r < 0 ? errnoName(-r) : undefined));
          if (unseen === 0) return { cost: Cost.PerNumber, test: error };
          return { cost: Cost.PerNumber, test: (b, at, node) => ((recordFlags(b, at) & unseen) !== 0 ? test(undefined) : error(b, at, node)) };
        }
        case 'open_flags':
          if (own !== key) continue;
          return { cost: Cost.PerNumber, test: memoByNumber((b, at) => u32(b, at + o), (n) => test(openFlagsText(n))) };
        case 'family':
          if (own !== key) continue;
          return { cost: Cost.PerNumber, test: memoByNumber((b, at) => u16(b, at + o), (n) => test(familyName(n))) };
        case 'path_flags': case 'addr_flags': case 'syscall': case 'dev': {
          if (own !== key) continue;
          const text = NUMBER_TEXTS[f.view];
          return { cost: Cost.PerNumber, test: memoByNumber(numberOf(layout), (n) => test(text(n))) };
        }
        case 'enum': {
          if (own !== key) continue;
          const names = f.names!;
          return { cost: Cost.PerNumber, test: memoByNumber(numberOf(layout), (n) => test(enumText(names, n))) };
        }
        case 'exit_status':
          if (key === 'exit_code') return { cost: Cost.Number, test: (b, at) => test((u32(b, at + o) >>> 8) & 0xff) };
          if (key === 'signal') return { cost: Cost.Number, test: (b, at) => test(u32(b, at + o) & 0x7f) };
          continue;
        case 'addr': {
          if (own !== key) continue;
          const family = this.kind.layout.fields[this.kind.schemaFields.findIndex((x) => x.name === f.familyField)].offset;
          // An IPv4 address's text is a function of its four bytes: tested once per address (a CIDR test parses the text).
          const v4 = memoByNumber((b, at) => u32(b, at + o), (n) => test(`${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`));
          return {
            cost: Cost.PerNumber,
            test: (b, at, node) => ((recordFlags(b, at) & EVENT_FLAG_USER_READ_FAILED) === 0 && u16(b, at + family) === AF_INET ? v4(b, at, node) : test(addressOf(b, at, o, at + family))),
          };
        }
        case 'mode': case 'bits': case 'named': case 'signal': case 'caps': case 'hex': case 'status': {
          // The file and process kinds' views: a field may give several keys (mode_text, signal_name, one per status bit).
          if (!outputKeys(f).includes(key)) continue;
          const valueOf = (v: number | bigint | Uint8Array) => viewEntries(f, v).find(([k]) => k === key)?.[1];
          if (layout.type === 'u64') return { cost: Cost.PerEvent, test: (b, at) => test(valueOf(u64Big(b, at + o))) };
          if (layout.type === 'bytes') return { cost: Cost.PerEvent, test: (b, at) => test(valueOf(b.subarray(at + o, at + o + layout.size))) };
          return { cost: Cost.PerNumber, test: memoByNumber(numberOf(layout), (n) => test(valueOf(n))) };
        }
        case 'argv': {
          if (own !== key) continue;
          const size = this.kind.layout.fields[this.kind.schemaFields.findIndex((x) => x.name === f.sizeField)].offset;
          return { cost: Cost.PerEvent, test: (b, at) => test(splitArgv(b.subarray(at + o, at + o + layout.size), u32(b, at + size)).map(bytesToText)) };
        }
        case 'unix_path': {
          // A Unix socket address as text (abi/unix-path.ts: `@` before an abstract name, whose NULs are part of it): never compared as a C string.
          if (own !== key && unixSizeInvalidKey(f) !== key) continue;
          const size = this.kind.layout.fields[this.kind.schemaFields.findIndex((x) => x.name === f.sizeField)].offset;
          const abstract = this.kind.layout.fields[this.kind.schemaFields.findIndex((x) => x.name === f.abstractField)].offset;
          const length = layout.size;
          if (own !== key) return { cost: Cost.Number, test: (b, at) => test(unixSizeInvalid(length, u16(b, at + size), u16(b, at + abstract))) };
          return { cost: Cost.PerEvent, test: (b, at) => test(unixPathText(b, at + o, length, u16(b, at + size), u16(b, at + abstract))) };
        }
      }
    }
    return null;
  }

  /** A string field: compared as bytes when every operator and argument allows it, else decoded. */
  private stringFact(layout: FieldLayout, cond: Condition, test: (v: FactValue | undefined) => boolean): CompiledCondition {
    const o = layout.offset;
    const size = layout.size;
    const epoch = this.epoch;
    const endOf = (b: Uint8Array, at: number) => epoch.stringEnd(b, at, o, size);
    const bytesTest = byteStringCondition(cond);
    if (bytesTest !== null) return { cost: Cost.Bytes, test: (b, at) => bytesTest(b, at + o, endOf(b, at)) };
    return { cost: Cost.PerEvent, test: (b, at) => test(epoch.stringText(b, at, o, size)) };
  }

  /** The string field eventValues gives `key` from (the last field that sets it), or null when that is not a plain string field. */
  private stringField(key: string): FieldLayout | null {
    if (this.kind.flags.some((f) => f.outputName === key)) return null;
    for (let i = this.kind.schemaFields.length - 1; i >= 0; i--) {
      const f = this.kind.schemaFields[i];
      if (!outputKeys(f).includes(key)) continue;
      return f.view === 'string' && this.kind.layout.fields[i].type === 'char' ? this.kind.layout.fields[i] : null;
    }
    return null;
  }

  private fieldWithView(view: SchemaField['view']): { layout: FieldLayout } | null {
    let found: { layout: FieldLayout } | null = null;
    this.kind.schemaFields.forEach((f, i) => { if (f.view === view) found = { layout: this.kind.layout.fields[i] }; });
    return found;
  }
}

/** Facts eventFacts derives from several fields or from the process's pipes (facts.ts, builtin.ts's fileFact). */
const DERIVED_FACTS: ReadonlySet<string> = new Set(['written_path', 'wiped_path', 'stdin_from.exe', 'stdout_to.exe']);

/** The views that print a number as a text (values.ts), and how. */
const NUMBER_TEXTS: Readonly<Record<'path_flags' | 'addr_flags' | 'syscall' | 'dev', (n: number) => string>> = {
  path_flags: pathFlagsText, addr_flags: addrFlagsText, syscall: syscallText, dev: devText,
};

/** Tests a text computed from a number once per distinct number (the last one, then a table). */
function memoByNumber(read: (b: Uint8Array, at: number) => number, test: (n: number) => boolean): RecordPredicate {
  const known = new Map<number, boolean>();
  let lastN = Number.NaN;
  let last = false;
  return (b, at) => {
    const n = read(b, at);
    if (n === lastN) return last;
    let r = known.get(n);
    if (r === undefined) {
      r = test(n);
      if (known.size < 4096) known.set(n, r);
    }
    lastN = n;
    last = r;
    return r;
  };
}

/**
 * Tests a process fact once per process identity: the node, its version (exe,
 * argv, parent change it), and its parent's version (the parent's exe).
 * Consecutive events of one process are the common case.
 */
function memoByProcess(test: (v: FactValue | undefined) => boolean, value: (n: ProcessNode) => FactValue): RecordPredicate {
  let lastNode: ProcessNode | null = null;
  let lastVersion = -1;
  let lastParent: ProcessNode | null = null;
  let lastParentVersion = -1;
  let last = false;
  return (_b, _at, node) => {
    if (node === null) return test(undefined);
    const parent = node.parent;
    const parentVersion = parent === null ? -1 : parent.version;
    if (node === lastNode && node.version === lastVersion && parent === lastParent && parentVersion === lastParentVersion) return last;
    last = test(value(node));
    lastNode = node;
    lastVersion = node.version;
    lastParent = parent;
    lastParentVersion = parentVersion;
    return last;
  };
}

/** Reads a field of up to 32 bits as its type says (as decodeRecord does). */
function numberOf(layout: FieldLayout): (b: Uint8Array, at: number) => number {
  const o = layout.offset;
  switch (layout.type) {
    case 'u8': return (b, at) => b[at + o];
    case 'u16': return (b, at) => u16(b, at + o);
    case 's32': return (b, at) => s32(b, at + o);
    default: return (b, at) => u32(b, at + o);
  }
}

function numberTest(read: (b: Uint8Array, at: number) => number, test: (v: FactValue | undefined) => boolean): RecordPredicate {
  return (b, at) => test(read(b, at));
}

/** A u64 as eventValues shows it: a number up to 2^53, else its decimal text. */
function u64Value(b: Uint8Array, o: number): number | string {
  const lo = u32(b, o);
  const hi = u32(b, o + 4);
  return hi < 0x200000 ? hi * 4294967296 + lo : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function u64Big(b: Uint8Array, o: number): bigint {
  return (BigInt(u32(b, o + 4)) << 32n) | BigInt(u32(b, o));
}

function addressOf(b: Uint8Array, at: number, o: number, familyAt: number): string {
  if ((recordFlags(b, at) & EVENT_FLAG_USER_READ_FAILED) !== 0) return '';
  const family = u16(b, familyAt);
  if (family === AF_INET) return `${b[at + o]}.${b[at + o + 1]}.${b[at + o + 2]}.${b[at + o + 3]}`;
  return family === AF_INET6 ? addressText(family, b.subarray(at + o, at + o + 16)) : '';
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const s32 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
