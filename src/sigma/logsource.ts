/**
 * Log source routing: which of the engine's categories a rule runs on, or
 * why it runs on none. rand-guard's events are what Sysmon for Linux logs
 * (processes, files, network), so rules for `product: linux` with such a
 * category load; a service (auditd, sshd, syslog, ...) names a log rand-guard
 * does not keep, and another product is another operating system: those are
 * skipped with the reason, never applied to events they were not written for.
 */
import { type SigmaLogSources } from './event.js';
import { RuleProblem } from './problems.js';
import { type YamlValue } from './yaml-load.js';

/** Sysmon for Linux writes the same events as rand-guard's categories; a rule naming it may load. */
const SERVICES_LIKE_OURS = new Set(['sysmon']);

export function routeLogSource(logsource: YamlValue, sources: SigmaLogSources): string {
  if (logsource === null || typeof logsource !== 'object' || Array.isArray(logsource)) throw RuleProblem.invalid('logsource must be a map (category, product, service)');
  const text = (key: string): string | null => {
    const v = logsource[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw RuleProblem.invalid(`logsource ${key} must be a string`);
    return v.toLowerCase();
  };
  const product = text('product');
  const service = text('service');
  const category = text('category');
  if (product !== null && product !== 'linux') throw RuleProblem.logsource(`product ${product}: rand-guard records Linux hosts`);
  if (service !== null && !SERVICES_LIKE_OURS.has(service)) {
    throw RuleProblem.logsource(`service ${service}: a log rand-guard does not record (it records kernel events: processes, files, network)`);
  }
  if (category === null) throw RuleProblem.logsource('no category: the rule is for log text (syslog and the like), which rand-guard does not record');
  if (sources.categories.has(category)) return category;
  const why = sources.unavailable.get(category);
  throw RuleProblem.logsource(`category ${category}: ${why ?? 'no rand-guard events of this kind'}`);
}
