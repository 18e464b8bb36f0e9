/** Hand-made log sources and events for testing the Sigma engine on its own. */
import { type ByteSpan, type SigmaEventView, type SigmaFieldValue, type SigmaLogSources } from '../../src/sigma/event.js';
import { compileRuleTexts, type SigmaRuleSet } from '../../src/sigma/load.js';
import { SigmaEngine, type SigmaHit } from '../../src/sigma/engine.js';

export const TEST_SOURCES: SigmaLogSources = {
  categories: new Map([
    ['process_creation', { fields: ['Image', 'CommandLine', 'ParentImage', 'ParentCommandLine', 'User', 'ProcessId', 'ParentProcessId', 'CurrentDirectory', 'LogonId', 'Tags'] }],
    ['network_connection', { fields: ['Image', 'DestinationIp', 'DestinationPort', 'DestinationHostname', 'SourceIp', 'SourcePort', 'Initiated', 'Protocol', 'User'] }],
    ['file_event', { fields: ['Image', 'TargetFilename', 'User'] }],
  ]),
  unavailable: new Map([['file_access', 'reads are not recorded']]),
};

export type Fields = Record<string, SigmaFieldValue>;

/** An event of `category` with exactly these fields (absent ones are undefined). */
export function view(category: string, fields: Fields, timeMs = 0, ref: unknown = null): SigmaEventView {
  return {
    category, timeMs,
    get: (f) => (Object.prototype.hasOwnProperty.call(fields, f) ? fields[f] : undefined),
    ref: () => ref,
  };
}

/**
 * The same event from a view that also hands its string fields out as UTF-8
 * C strings (as replay's record view does for strings of the record), each
 * in a buffer with other bytes around it and after its NUL: the pre-filter
 * then scans bytes.
 */
export function bytesView(category: string, fields: Fields, timeMs = 0, ref: unknown = null): SigmaEventView {
  const inner = view(category, fields, timeMs, ref);
  return {
    ...inner,
    bytesOf(field: string, into: ByteSpan): boolean {
      const v = inner.get(field);
      if (typeof v !== 'string') return false;
      const utf8 = Buffer.from(v, 'utf8');
      into.buf = Buffer.concat([Buffer.from('XY\0'), utf8, Buffer.from('\0ZZ')]);
      into.start = 3;
      into.end = into.buf.length;
      return true;
    },
  };
}

export function load(...texts: string[]): SigmaRuleSet {
  return compileRuleTexts(texts.map((text, i) => ({ file: `rule${i}.yml`, text, problem: null })), TEST_SOURCES);
}

/** A complete rule around a detection section (indented YAML, without the `detection:` line). */
export function ruleText(detection: string, category = 'process_creation', extra = ''): string {
  return `title: test rule\nid: 11111111-1111-4111-8111-111111111111\nstatus: test\nlevel: high\nlogsource:\n    product: linux\n    category: ${category}\ndetection:\n${detection}\n${extra}`;
}

/** The single rule in `text` must load; returns an engine over it. */
export function engineFor(...texts: string[]): SigmaEngine {
  const set = load(...texts);
  const bad = set.reports.filter((r) => !r.loaded);
  if (bad.length > 0) throw new Error(`not loaded: ${bad.map((r) => r.problem?.reason).join('; ')}`);
  return new SigmaEngine(set);
}

export function titles(hits: readonly SigmaHit[]): string[] {
  return hits.map((h) => h.rule.title);
}
