/**
 * Reads `--rules rules.toml`: `[[rules]]` tables with id, title, severity,
 * event(s), `match` and optional `any`; and an optional `[detections]` table
 * configuring the built-in network detection (ports, cidrs). Every mistake is
 * reported with the rule's position and what was expected.
 */
import { isUtf8 } from 'node:buffer';
import { parse } from 'smol-toml';
import { BUILD_SCHEMA, type KindLayout, type Schema } from '../../abi/schema.js';
import { CliError, ExitCode } from '../../common/exit-codes.js';
import { readBounded } from '../../common/read-bounded.js';
import { cidrBlock } from './evaluate.js';
import { possibleFacts } from './facts.js';
import { type NetworkDetectionLists } from './network.js';
import { ATTACK_ID, CONDITION_OPS, type Condition, HINDSIGHT_FACTS, type Match, type Rule, SEVERITIES, type Severity } from './model.js';

export interface RuleFile {
  readonly rules: Rule[];
  readonly ports: number[] | null;
  readonly cidrs: string[] | null;
  /** The other lists of the built-in network detections this file replaces. */
  readonly lists: Partial<Pick<NetworkDetectionLists, 'ioUringAllowed' | 'miningPools' | 'tunnelDomains'>>;
}

/** [detections] keys holding lists of strings, and the list each replaces. */
const DETECTION_LISTS = { io_uring_allowed: 'ioUringAllowed', mining_pools: 'miningPools', tunnel_domains: 'tunnelDomains' } as const;
const MAX_RULE_FILE_BYTES = 4 << 20;

/** The event types a rule may name: every kind's. */
const eventTypes = (schema: Schema) => new Set(schema.kinds.map((k) => k.eventType));

/**
 * The facts a rule on these kinds may test: what eventFacts gives one of them, what replay learns from earlier
 * events, and the capture's schema version. A name outside them is a mistake (a typo): for a rule it would be
 * missing on every event, so `not_suffix` on it held for all of them and any other test for none, in silence.
 */
function factNames(kinds: readonly KindLayout[]): Set<string> {
  const names = new Set<string>(['schema_version', ...HINDSIGHT_FACTS]);
  for (const k of kinds) for (const n of possibleFacts(k)) names.add(n);
  return names;
}

/** What each operator takes, as a check and the words of its refusal. */
const isText = (v: unknown) => typeof v === 'string';
const isTextOrNumber = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const oneOrList = (each: (v: unknown) => boolean) => (v: unknown) => (Array.isArray(v) ? v.length > 0 && v.every(each) : each(v));
const OPERAND: Record<string, [(v: unknown) => boolean, string]> = {
  equals: [(v) => typeof v === 'boolean' || oneOrList(isTextOrNumber)(v), 'a string, number or boolean, or a list of strings and numbers'],
  prefix: [oneOrList(isText), 'a string or a list of strings'],
  suffix: [oneOrList(isText), 'a string or a list of strings'],
  contains: [oneOrList(isText), 'a string or a list of strings'],
  one_of: [(v) => Array.isArray(v) && v.length > 0 && v.every(isTextOrNumber), 'a list of strings and numbers'],
  cidr: [oneOrList(isText), 'a network like "10.0.0.0/8", or a list of them'],
  gt: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  gte: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  lt: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  lte: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
};

export function loadRuleFile(path: string, schema: Schema = BUILD_SCHEMA): RuleFile {
  // Bounded: the whole file was read before its size was checked (--rules /dev/zero grew to gigabytes; a FIFO hung).
  const bytes = readBounded(path, MAX_RULE_FILE_BYTES);
  if (typeof bytes === 'string') {
    if (bytes.startsWith('larger than')) throw new CliError(`${path}: rule file larger than 4 MiB`, ExitCode.Usage);
    throw new CliError(`cannot read rules ${path}: ${bytes}`, ExitCode.Io);
  }
  // TOML is UTF-8; decoded regardless, a Latin-1 rule held U+FFFD in its strings and never matched.
  if (!isUtf8(bytes)) throw new CliError(`${path}: not UTF-8 text (TOML is UTF-8)`, ExitCode.Usage);
  const text = bytes.toString('utf8');
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new CliError(`${path}: not valid TOML: ${first}`, ExitCode.Usage);
  }
  return parseRuleDocument(doc, path, schema);
}

export function parseRuleDocument(doc: Record<string, unknown>, source: string, schema: Schema = BUILD_SCHEMA): RuleFile {
  const EVENT_TYPES = eventTypes(schema);
  const bad = (where: string, what: string): never => { throw new CliError(`${source}: ${where}: ${what}`, ExitCode.Usage); };
  for (const key of Object.keys(doc)) if (key !== 'rules' && key !== 'detections') bad(key, 'unknown top-level key (expected [[rules]] or [detections])');
  const raw = doc.rules ?? [];
  if (!Array.isArray(raw)) return bad('rules', 'must be an array of tables ([[rules]])');
  const seen = new Set<string>();
  const rules = raw.map((r, i) => {
    const where = `rules[${i}]`;
    if (!isTable(r)) return bad(where, 'must be a table');
    for (const key of Object.keys(r)) if (!['id', 'title', 'severity', 'attack', 'event', 'events', 'match', 'any'].includes(key)) bad(where, `unknown key ${key}`);
    if (typeof r.id !== 'string' || !/^[\w.-]{1,64}$/.test(r.id)) bad(where, 'id must be 1-64 letters, digits, _ . -');
    const id = r.id as string;
    if (seen.has(id)) bad(where, `duplicate id ${id}`);
    seen.add(id);
    if (typeof r.title !== 'string' || r.title.length === 0) bad(`${where} (${id})`, 'title is required');
    const severity = r.severity ?? 'medium';
    if (!SEVERITIES.includes(severity as Severity)) bad(`${where} (${id})`, `severity must be one of ${SEVERITIES.join(', ')}`);
    const events = [...(r.event !== undefined ? [r.event] : []), ...(Array.isArray(r.events) ? r.events : r.events !== undefined ? [r.events] : [])];
    for (const e of events) if (typeof e !== 'string' || !EVENT_TYPES.has(e)) bad(`${where} (${id})`, `unknown event ${JSON.stringify(e)}; one of ${[...EVENT_TYPES].join(', ')}`);
    const facts = factNames(events.length === 0 ? schema.kinds : schema.kinds.filter((k) => events.includes(k.eventType)));
    const scope = events.length === 0 ? 'any event' : (events as string[]).join(', ');
    const match = parseMatch(r.match ?? {}, `${where} (${id}).match`, bad, facts, scope);
    if (r.any !== undefined && !Array.isArray(r.any)) bad(`${where} (${id})`, 'any must be an array of tables');
    const any = ((r.any as unknown[]) ?? []).map((m, j) => parseMatch(m, `${where} (${id}).any[${j}]`, bad, facts, scope));
    if (Object.keys(match).length === 0 && any.length === 0) bad(`${where} (${id})`, 'needs a match table or any alternatives');
    const attack = r.attack === undefined ? [] : Array.isArray(r.attack) ? r.attack : [r.attack];
    for (const t of attack) if (typeof t !== 'string' || !ATTACK_ID.test(t)) bad(`${where} (${id})`, `attack ids look like T1059 or T1059.004, got ${JSON.stringify(t)}`);
    return { id, title: r.title as string, severity: severity as Severity, attack: attack as string[], events: events as string[], match, any };
  });
  let ports: number[] | null = null;
  let cidrs: string[] | null = null;
  const lists: { -readonly [K in keyof RuleFile['lists']]: RuleFile['lists'][K] } = {};
  if (doc.detections !== undefined) {
    const d = doc.detections;
    if (!isTable(d)) return bad('detections', 'must be a table');
    for (const key of Object.keys(d)) if (!['ports', 'cidrs', ...Object.keys(DETECTION_LISTS)].includes(key)) bad(`detections.${key}`, `unknown key; one of ports, cidrs, ${Object.keys(DETECTION_LISTS).join(', ')}`);
    for (const [key, name] of Object.entries(DETECTION_LISTS)) {
      const v = d[key];
      if (v === undefined) continue;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 255)) bad(`detections.${key}`, 'must be a list of non-empty strings');
      lists[name] = v as string[];
    }
    if (d.ports !== undefined) {
      if (!Array.isArray(d.ports) || !d.ports.every((p) => Number.isInteger(p) && (p as number) > 0 && (p as number) < 65536)) bad('detections.ports', 'must be a list of port numbers');
      ports = d.ports as number[];
    }
    if (d.cidrs !== undefined) {
      if (!Array.isArray(d.cidrs) || !d.cidrs.every((c) => typeof c === 'string')) bad('detections.cidrs', 'must be a list of CIDR strings');
      try { cidrBlock(d.cidrs as string[]); } catch (e) { bad('detections.cidrs', (e as Error).message); }
      cidrs = d.cidrs as string[];
    }
  }
  return { rules, ports, cidrs, lists };
}

function parseMatch(m: unknown, where: string, bad: (where: string, what: string) => never, facts: ReadonlySet<string>, scope: string): Match {
  if (!isTable(m)) return bad(where, 'must be a table of field = { op = value }');
  const out: Match = {};
  for (const [field, cond] of Object.entries(m)) {
    if (!facts.has(field)) bad(`${where}.${field}`, `no such field for ${scope} (fields: see rules/example.toml)`);
    if (!isTable(cond)) bad(`${where}.${field}`, 'must be a table like { prefix = "/tmp/" }');
    const c = cond as Record<string, unknown>;
    if (Object.keys(c).length === 0) bad(`${where}.${field}`, 'an empty table tests nothing; give an operator like { prefix = "/tmp/" }');
    for (const [op, arg] of Object.entries(c)) {
      if (!CONDITION_OPS.includes(op as keyof Condition)) bad(`${where}.${field}`, `unknown operator ${op}; one of ${CONDITION_OPS.join(', ')}`);
      const [ok, what] = OPERAND[op.startsWith('not_') ? op.slice(4) : op];
      if (!ok(arg)) bad(`${where}.${field}.${op}`, `must be ${what}`);
    }
    for (const op of ['cidr', 'not_cidr']) {
      if (c[op] !== undefined) {
        try { cidrBlock(Array.isArray(c[op]) ? (c[op] as unknown[]) : [c[op]]); } catch (e) { bad(`${where}.${field}.${op}`, (e as Error).message); }
      }
    }
    out[field] = c as Condition;
  }
  return out;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
