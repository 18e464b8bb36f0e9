/**
 * One YAML document as a Sigma rule: its metadata, and either a detection
 * (compiled against its log source's fields) or a correlation (checked here,
 * wired to the rules it refers to once every file is read).
 */
import { compileDetection, type CompiledDetection } from './detection.js';
import { type SigmaLogSources } from './event.js';
import { type FieldRegistry } from './fields.js';
import { routeLogSource } from './logsource.js';
import { RuleProblem } from './problems.js';
import { type YamlMap, type YamlValue } from './yaml-load.js';

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];
export const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export type Status = (typeof STATUSES)[number];

export interface RuleInfo {
  readonly title: string;
  readonly id: string | null;
  readonly name: string | null;
  readonly status: Status | null;
  readonly level: Level | null;
  readonly tags: readonly string[];
  /** The rule's authors: the Detection Rule License asks that matches name them. */
  readonly author: string | null;
  /** The rule's `fields`: what an analyst should see of a match (alerts carry their values). */
  readonly fields: readonly string[];
  readonly file: string;
  /** 1-based position of the document in its file, and the line it starts on. */
  readonly document: number;
  readonly line: number;
}

export interface DetectionRule {
  readonly kind: 'detection';
  readonly info: RuleInfo;
  readonly category: string;
  readonly detection: CompiledDetection;
}

export const CORRELATION_TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered'] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];
export type CountOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
export interface CountTest { readonly op: CountOp; readonly n: number }

export interface CorrelationRule {
  readonly kind: 'correlation';
  readonly info: RuleInfo;
  readonly type: CorrelationType;
  /** Referenced rules, by id or name, in order (order matters for temporal_ordered). */
  readonly rules: readonly string[];
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  /** All must hold; empty for temporal types without a condition (every rule must match). */
  readonly condition: readonly CountTest[];
  /** value_count: the field whose distinct values are counted. */
  readonly field: string | null;
  /** alias -> (rule id or name -> field in that rule's events). */
  readonly aliases: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Whether the referenced rules also alert on their own. */
  readonly generate: boolean;
}

export type ParsedRule = DetectionRule | CorrelationRule;

const isMap = (v: YamlValue | undefined): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata common to detection and correlation rules; throws on what the specification forbids. */
function ruleInfo(doc: YamlMap, file: string, document: number, line: number): RuleInfo {
  const title = doc.title;
  if (typeof title !== 'string' || title === '') throw RuleProblem.invalid('a rule needs a title');
  if (title.length > 256) throw RuleProblem.invalid('title longer than 256 characters');
  const optionalString = (key: string): string | null => {
    const v = doc[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '') throw RuleProblem.invalid(`${key} must be a non-empty string`);
    return v;
  };
  const stringList = (key: string): string[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw RuleProblem.invalid(`${key} must be a list of strings`);
    return v as string[];
  };
  const status = optionalString('status');
  if (status !== null && !STATUSES.includes(status as Status)) throw RuleProblem.invalid(`status '${status}' is not one of ${STATUSES.join(', ')}`);
  const level = optionalString('level');
  if (level !== null && !LEVELS.includes(level as Level)) throw RuleProblem.invalid(`level '${level}' is not one of ${LEVELS.join(', ')}`);
  const taxonomy = optionalString('taxonomy');
  if (taxonomy !== null && taxonomy !== 'sigma') throw RuleProblem.unsupported(`taxonomy '${taxonomy}': rand-guard maps the default (sigma) field names only`);
  return {
    title, id: optionalString('id'), name: optionalString('name'), status: status as Status | null, level: level as Level | null,
    tags: stringList('tags'), author: optionalString('author'), fields: stringList('fields'), file, document, line,
  };
}

/** A rule document; throws RuleProblem for one that does not load. `info` is filled as far as it could be read. */
export function parseRule(doc: YamlValue, file: string, document: number, line: number, sources: SigmaLogSources, registry: FieldRegistry): ParsedRule {
  if (!isMap(doc)) throw RuleProblem.invalid('a rule document must be a map');
  if (doc.filter !== undefined) throw RuleProblem.unsupported('Sigma filters (meta-filters that amend other rules) are not supported');
  const info = ruleInfo(doc, file, document, line);
  if (doc.correlation !== undefined) return parseCorrelation(doc.correlation, info);
  if (doc.logsource === undefined) throw RuleProblem.invalid('a rule needs a logsource');
  if (doc.detection === undefined) throw RuleProblem.invalid('a rule needs a detection');
  const category = routeLogSource(doc.logsource, sources);
  const detection = compileDetection(doc.detection, registry.resolver(sources.categories.get(category)!));
  return { kind: 'detection', info, category, detection };
}

/** The title, id and name of a document, read leniently, to say which rule a problem is about. */
export function peekInfo(doc: YamlValue): { title: string | null; id: string | null; name: string | null } {
  if (!isMap(doc)) return { title: null, id: null, name: null };
  const s = (v: YamlValue | undefined) => (typeof v === 'string' ? v : null);
  return { title: s(doc.title), id: s(doc.id), name: s(doc.name) };
}

const TIMESPAN_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2629746, y: 31556952 };
const COUNT_OPS: readonly CountOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];
const UNSUPPORTED_TYPES = new Set(['value_sum', 'value_avg', 'value_percentile', 'value_median']);

function parseCorrelation(c: YamlValue, info: RuleInfo): CorrelationRule {
  if (!isMap(c)) throw RuleProblem.invalid('correlation must be a map');
  const type = c.type;
  if (typeof type !== 'string') throw RuleProblem.invalid('correlation needs a type');
  if (UNSUPPORTED_TYPES.has(type)) throw RuleProblem.unsupported(`correlation type ${type} is not supported (event_count, value_count, temporal and temporal_ordered are)`);
  if (!CORRELATION_TYPES.includes(type as CorrelationType)) throw RuleProblem.invalid(`correlation type '${type}' is not one of ${CORRELATION_TYPES.join(', ')}`);
  const rules = typeof c.rules === 'string' ? [c.rules] : c.rules;
  if (!Array.isArray(rules) || rules.length === 0 || !rules.every((r) => typeof r === 'string' && r !== '')) throw RuleProblem.invalid('correlation rules must be a rule id or name, or a list of them');
  const groupBy = c['group-by'] === undefined || c['group-by'] === null ? [] : typeof c['group-by'] === 'string' ? [c['group-by']] : c['group-by'];
  if (!Array.isArray(groupBy) || !groupBy.every((g) => typeof g === 'string')) throw RuleProblem.invalid('group-by must be a field name or a list of them');
  const span = typeof c.timespan === 'string' ? /^(\d{1,9})([smhdwMy])$/.exec(c.timespan) : null;
  if (span === null) throw RuleProblem.invalid(`timespan must be a number and a unit (s, m, h, d), like 5m; got ${JSON.stringify(c.timespan ?? null)}`);
  const timespanMs = Number(span[1]) * TIMESPAN_UNITS[span[2]] * 1000;
  if (timespanMs <= 0) throw RuleProblem.invalid('timespan must be longer than zero');
  let field: string | null = null;
  const condition: CountTest[] = [];
  if (typeof c.condition === 'string') throw RuleProblem.unsupported('extended (expression) correlation conditions are not supported');
  if (c.condition !== undefined && c.condition !== null) {
    if (!isMap(c.condition)) throw RuleProblem.invalid('correlation condition must be a map like {gte: 10}');
    for (const [k, v] of Object.entries(c.condition)) {
      if (k === 'field') {
        if (typeof v !== 'string') throw RuleProblem.invalid('correlation condition field must be a field name');
        field = v;
      } else if (COUNT_OPS.includes(k as CountOp)) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw RuleProblem.invalid(`correlation condition ${k} must be a whole number`);
        condition.push({ op: k as CountOp, n: v });
      } else {
        throw RuleProblem.invalid(`correlation condition has an unknown key '${k}'`);
      }
    }
    if (condition.length === 0) throw RuleProblem.invalid('correlation condition needs one of gt, gte, lt, lte, eq, neq');
  } else if (type === 'event_count' || type === 'value_count') {
    throw RuleProblem.invalid(`a ${type} correlation needs a condition`);
  }
  if (type === 'value_count' && field === null) throw RuleProblem.invalid('a value_count correlation needs condition.field');
  if (type !== 'value_count' && field !== null) throw RuleProblem.invalid(`condition.field only applies to value_count (this is ${type})`);
  const aliases = new Map<string, Map<string, string>>();
  if (c.aliases !== undefined && c.aliases !== null) {
    if (!isMap(c.aliases)) throw RuleProblem.invalid('correlation aliases must be a map');
    for (const [alias, mapping] of Object.entries(c.aliases)) {
      if (!isMap(mapping) || !Object.values(mapping).every((f) => typeof f === 'string')) throw RuleProblem.invalid(`alias ${alias} must map rule names to field names`);
      aliases.set(alias, new Map(Object.entries(mapping) as [string, string][]));
    }
  }
  const generate = c.generate ?? false;
  if (typeof generate !== 'boolean') throw RuleProblem.invalid('correlation generate must be true or false');
  return { kind: 'correlation', info, type: type as CorrelationType, rules: rules as string[], groupBy: groupBy as string[], timespanMs, condition, field, aliases, generate };
}
