/**
 * Loads Sigma rules from files and directories (recursively, `.yml` and
 * `.yaml`), and accounts for every document: loaded, or not loaded with one
 * line saying why. Multi-document files follow pySigma's collection actions
 * (`action: global`, `reset`, `repeat`); correlation rules are wired to the
 * rules they refer to by id or name once every file is read, in any order.
 */
import { isUtf8 } from 'node:buffer';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { readBounded } from '../common/read-bounded.js';
import { join } from 'node:path';
import { countNeeded, isLowerBoundOnly } from './correlation.js';
import { type SigmaLogSources } from './event.js';
import { FieldRegistry } from './fields.js';
import { SIGMA_LIMITS } from './limits.js';
import { type ProblemKind, RuleProblem } from './problems.js';
import { type CorrelationRule, type DetectionRule, type ParsedRule, parseRule, peekInfo } from './rule.js';
import { parseYamlDocuments, type YamlMap, type YamlValue } from './yaml-load.js';

/** One document's fate. */
export interface RuleReport {
  readonly file: string;
  /** 1-based document number in the file (0: the file itself could not be read). */
  readonly document: number;
  readonly line: number;
  readonly title: string | null;
  readonly id: string | null;
  readonly name: string | null;
  readonly loaded: boolean;
  /** Loaded detections: their log source category; loaded correlations: 'correlation'. */
  readonly category: string | null;
  readonly problem: { readonly kind: ProblemKind; readonly reason: string } | null;
}

/** A loaded correlation, with each referenced rule resolved and the field each group-by name means in its events. */
export interface ResolvedCorrelation {
  readonly rule: CorrelationRule;
  readonly sources: readonly { readonly rule: ParsedRule; readonly groupFields: readonly string[]; readonly valueField: string | null }[];
}

export interface SigmaRuleSet {
  readonly detections: readonly DetectionRule[];
  readonly correlations: readonly ResolvedCorrelation[];
  /** Every document read, in file order. */
  readonly reports: readonly RuleReport[];
  readonly registry: FieldRegistry;
}

/** A --sigma path that does not exist or cannot be read at all. */
export class SigmaPathError extends Error {}

/** Loads every rule under `paths` for the given log sources. */
export function loadSigmaRules(paths: readonly string[], sources: SigmaLogSources): SigmaRuleSet {
  const texts: RuleText[] = [];
  let totalBytes = 0;
  for (const { file, problem } of listRuleFiles(paths)) {
    if (problem !== null) { texts.push({ file, text: null, problem }); continue; }
    const read = readBounded(file, SIGMA_LIMITS.maxFileBytes);
    if (typeof read === 'string') { texts.push({ file, text: null, problem: read }); continue; }
    totalBytes += read.length;
    if (totalBytes > SIGMA_LIMITS.maxTotalBytes) { texts.push({ file, text: null, problem: `rule files together exceed ${SIGMA_LIMITS.maxTotalBytes >> 20} MiB` }); break; }
    // Decoded as UTF-8 regardless, a Latin-1 or UTF-16 rule held U+FFFD in its values and never matched.
    if (!isUtf8(read)) { texts.push({ file, text: null, problem: 'not UTF-8 text (a rule file is UTF-8)' }); continue; }
    texts.push({ file, text: read.toString('utf8'), problem: null });
  }
  return compileRuleTexts(texts, sources);
}

/** A rule file's text, or why it could not be read. */
export interface RuleText { readonly file: string; readonly text: string | null; readonly problem: string | null }

/** Compiles rule files already read (tests call this with texts of their own). */
export function compileRuleTexts(texts: readonly RuleText[], sources: SigmaLogSources): SigmaRuleSet {
  const registry = new FieldRegistry();
  type Entry = { report: Mutable<RuleReport>; rule: ParsedRule | null };
  const entries: Entry[] = [];
  for (const { file, text, problem } of texts) {
    const fileProblem = (reason: string) => entries.push({ report: { file, document: 0, line: 0, title: null, id: null, name: null, loaded: false, category: null, problem: { kind: 'file', reason } }, rule: null });
    if (text === null) { fileProblem(problem ?? 'unreadable'); continue; }
    if (text.length > SIGMA_LIMITS.maxFileBytes) { fileProblem(`larger than ${SIGMA_LIMITS.maxFileBytes >> 20} MiB`); continue; }
    const docs = parseYamlDocuments(text);
    if ('error' in docs) { fileProblem(docs.error); continue; }
    let global: YamlMap = Object.create(null);
    let previous: YamlMap = Object.create(null);
    docs.forEach((d, i) => {
      const report: Mutable<RuleReport> = { file, document: i + 1, line: d.line, title: null, id: null, name: null, loaded: false, category: null, problem: null };
      const fail = (kind: ProblemKind, reason: string) => { report.problem = { kind, reason }; entries.push({ report, rule: null }); };
      if (!d.ok) return fail('invalid', d.reason);
      if (!isMap(d.value)) return fail('invalid', 'a rule document must be a map');
      let doc = d.value;
      const action = doc.action;
      if (action === 'global') {
        const { action: _, ...rest } = doc;
        global = Object.assign(Object.create(null), rest) as YamlMap;
        previous = global;
        return;
      }
      if (action === 'reset') { global = Object.create(null); return; }
      if (action === 'repeat') {
        previous = deepUpdate(previous, doc);
        doc = previous;
      } else if (action !== undefined) {
        return fail('invalid', `unknown collection action ${JSON.stringify(action)}`);
      } else if (doc.correlation === undefined && doc.filter === undefined) {
        // pySigma's order: the global document's keys win over the rule's own.
        doc = deepUpdate(doc, global);
        previous = doc;
      }
      Object.assign(report, peekInfo(doc));
      try {
        const rule = parseRule(doc, file, i + 1, d.line, sources, registry);
        report.loaded = true;
        report.category = rule.kind === 'detection' ? rule.category : 'correlation';
        entries.push({ report, rule });
      } catch (e) {
        if (!(e instanceof RuleProblem)) throw e;
        fail(e.kind, e.message);
      }
    });
  }
  const correlations = resolveCorrelations(entries, sources);
  return {
    detections: entries.filter((e) => e.report.loaded && e.rule?.kind === 'detection').map((e) => e.rule as DetectionRule),
    correlations,
    reports: entries.map((e) => e.report),
    registry,
  };
}

const LOOP = 'correlation rules refer to each other in a loop';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const isMap = (v: YamlValue | undefined): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** pySigma's deep_dict_update: `src`'s keys over `dest`'s, maps merged key by key. */
function deepUpdate(dest: YamlMap, src: YamlMap): YamlMap {
  const out = Object.assign(Object.create(null), dest) as Record<string, YamlValue>;
  for (const [k, v] of Object.entries(src)) {
    out[k] = isMap(v) ? deepUpdate(isMap(out[k]) ? out[k] as YamlMap : Object.create(null), v) : v;
  }
  return out;
}

/**
 * Duplicate ids, then correlations: each reference must name one loaded
 * rule, references may chain (a correlation of correlations) but not loop,
 * and every group-by field must be in the events of every referenced rule.
 */
function resolveCorrelations(entries: { report: Mutable<RuleReport>; rule: ParsedRule | null }[], sources: SigmaLogSources): ResolvedCorrelation[] {
  const byRef = new Map<string, { report: Mutable<RuleReport>; rule: ParsedRule | null }>();
  // Loaded rules claim their ids and names first; rules that did not load are still found, to say why a reference fails.
  for (const loadedPass of [true, false]) {
    for (const e of entries) {
      if (e.report.document === 0 || e.report.loaded !== loadedPass) continue;
      for (const key of [e.rule?.info.id ?? e.report.id, e.rule?.info.name ?? e.report.name]) {
        if (key === null) continue;
        const other = byRef.get(key);
        if (other === undefined) byRef.set(key, e);
        else if (loadedPass && other !== e) {
          e.report.loaded = false;
          e.report.problem = { kind: 'invalid', reason: `id or name '${key}' is already used by ${other.report.file} (document ${other.report.document})` };
        }
      }
    }
  }
  const out: ResolvedCorrelation[] = [];
  const state = new Map<object, 'resolving' | 'done' | 'failed'>();
  const resolve = (e: { report: Mutable<RuleReport>; rule: ParsedRule | null }, depth: number): boolean => {
    if (!e.report.loaded || e.rule === null) return false;
    if (e.rule.kind === 'detection') return true;
    const seen = state.get(e);
    if (seen === 'done') return true;
    if (seen === 'failed') return false;
    const c = e.rule;
    const fail = (kind: ProblemKind, reason: string) => { e.report.loaded = false; e.report.problem = { kind, reason }; state.set(e, 'failed'); return false; };
    if (seen === 'resolving' || depth > 32) return fail('invalid', LOOP);
    state.set(e, 'resolving');
    const resolvedSources: { rule: ParsedRule; groupFields: string[]; valueField: string | null }[] = [];
    for (const ref of c.rules) {
      const target = byRef.get(ref);
      if (target === undefined) return fail('invalid', `refers to rule '${ref}', which no loaded file defines`);
      if (!resolve(target, depth + 1)) {
        const why = target.report.problem?.reason ?? 'not loaded';
        if (why === LOOP) return fail('invalid', LOOP);
        return fail(target.report.problem?.kind === 'logsource' ? 'logsource' : 'unsupported', `refers to rule '${ref}', which is not loaded (${why})`);
      }
      const rule = target.rule!;
      const fieldFor = (name: string) => {
        const alias = c.aliases.get(name);
        return alias?.get(ref) ?? alias?.get(rule.info.id ?? '') ?? alias?.get(rule.info.name ?? '') ?? name;
      };
      const groupFields = c.groupBy.map(fieldFor);
      const valueField = c.field === null ? null : fieldFor(c.field);
      for (const f of [...groupFields, ...(valueField === null ? [] : [valueField])]) {
        const has = rule.kind === 'detection' ? sources.categories.get(rule.category)!.fields.includes(f) : rule.groupBy.includes(f);
        if (!has) return fail('unsupported', `field '${f}' is not in the events of rule '${ref}'${rule.kind === 'correlation' ? ' (a correlation passes on only its group-by fields)' : ''}`);
      }
      resolvedSources.push({ rule, groupFields, valueField });
    }
    const conditionProblem = checkCondition(c);
    if (conditionProblem !== null) return fail('unsupported', conditionProblem);
    state.set(e, 'done');
    out.push({ rule: c, sources: resolvedSources });
    return true;
  };
  for (const e of entries) if (e.rule?.kind === 'correlation') resolve(e, 0);
  return out;
}

/** Temporal conditions count distinct rules, so only lower bounds can be decided as events arrive. */
function checkCondition(c: CorrelationRule): string | null {
  if ((c.type === 'temporal' || c.type === 'temporal_ordered') && c.condition.some((t) => t.op !== 'gte' && t.op !== 'gt')) {
    return `a ${c.type} condition with ${c.condition.map((t) => t.op).join(', ')} is not supported (gt and gte are)`;
  }
  if (c.type === 'temporal_ordered' && c.condition.length > 0) return 'a temporal_ordered condition is not supported: every rule must match, in order';
  const cap = SIGMA_LIMITS.maxCorrelationEntries;
  if ((c.type === 'event_count' || c.type === 'value_count') && isLowerBoundOnly(c.condition) && countNeeded(c.condition) > cap) {
    return `a threshold above ${cap} is not supported (state per group is bounded)`;
  }
  if (c.type === 'value_count' && c.condition.some((t) => t.n >= cap)) return `a distinct-value threshold of ${cap} or more is not supported (state per group is bounded)`;
  return null;
}

/**
 * Rule files under the given paths, sorted, each once; an entry of a directory that looks like a rule file
 * but cannot be read as one (a link to nothing, a link loop, a FIFO) comes with why, to be reported as a
 * file not loaded, never skipped in silence.
 */
function listRuleFiles(paths: readonly string[]): { file: string; problem: string | null }[] {
  const out: { file: string; problem: string | null }[] = [];
  const seen = new Set<string>();
  const visit = (path: string, explicit: boolean) => {
    let real: string;
    let st;
    try {
      real = realpathSync(path);
      st = statSync(real);
    } catch (e) {
      if (explicit) throw new SigmaPathError(`cannot read Sigma rules at ${path}`);
      const code = (e as NodeJS.ErrnoException).code;
      out.push({ file: path, problem: code === 'ENOENT' ? 'a symbolic link to nothing' : code === 'ELOOP' ? 'a loop of symbolic links' : `cannot read: ${code ?? 'error'}` });
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(real).sort();
      } catch {
        if (explicit) throw new SigmaPathError(`cannot list Sigma rules in ${path}`);
        out.push({ file: path, problem: 'a directory that cannot be listed' });
        return;
      }
      for (const n of names) {
        if (n.startsWith('.')) continue;
        const child = join(path, n);
        if (/\.ya?ml$/i.test(n) || isDirectory(child)) visit(child, false);
        if (out.length > SIGMA_LIMITS.maxFiles) throw new SigmaPathError(`more than ${SIGMA_LIMITS.maxFiles} rule files under ${paths.join(', ')}`);
      }
    } else if (st.isFile()) {
      out.push({ file: path, problem: null });
    } else if (explicit) {
      throw new SigmaPathError(`${path} is neither a rule file nor a directory`);
    } else {
      out.push({ file: path, problem: 'not a regular file' });
    }
  };
  for (const p of paths) visit(p, true);
  return out;
}

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

