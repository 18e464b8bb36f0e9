/** Builds the alert engine from the command line: built-in detections, rule files, watched ports and networks. */
import { BUILD_SCHEMA, type Schema } from '../../abi/schema.js';
import { CliError, ExitCode } from '../../common/exit-codes.js';
import { AlertEngine } from './alerts.js';
import { builtinRules, DEFAULT_ALERT_PORTS } from './builtin.js';
import { cidrBlock, compileRule } from './evaluate.js';
import { type RuleFile } from './load.js';
import { type Rule } from './model.js';
import { type SigmaRunner } from '../sigma/runner.js';
import { type NetworkDetectionLists } from './network.js';

export interface RuleOptions {
  alerts?: boolean;
  detect?: boolean;
  rules?: string[];
  /** Sigma rule files or directories (repeatable). */
  sigma?: string[];
  alertPort?: string[];
  alertCidr?: string[];
}

/**
 * null when no detection was asked for. The TOML reader and the Sigma engine
 * (YAML, RE2: half of rg-replay's code) are loaded only when rules of theirs
 * are given: every other run starts without parsing them.
 */
export async function buildAlertEngine(o: RuleOptions, schema: Schema = BUILD_SCHEMA): Promise<AlertEngine | null> {
  let files: RuleFile[] = [];
  if ((o.rules ?? []).length > 0) {
    const { loadRuleFile } = await import('./load.js');
    files = o.rules!.map((path) => loadRuleFile(path, schema));
  }
  let sigma: SigmaRunner | null = null;
  if ((o.sigma ?? []).length > 0) {
    const { loadReplaySigmaRules, SigmaRunner } = await import('../sigma/runner.js');
    sigma = new SigmaRunner(loadReplaySigmaRules(o.sigma!, schema), schema);
  }
  if (!o.alerts && !o.detect && files.length === 0 && sigma === null) return null;
  let ports = [...DEFAULT_ALERT_PORTS];
  let cidrs: string[] = [];
  const lists: Partial<Omit<NetworkDetectionLists, 'ports' | 'cidrs'>> = {};
  for (const f of files) {
    if (f.ports !== null) ports = f.ports;
    if (f.cidrs !== null) cidrs = [...cidrs, ...f.cidrs];
    Object.assign(lists, f.lists);
  }
  if ((o.alertPort ?? []).length > 0) {
    ports = o.alertPort!.map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`--alert-port needs a port number, got ${JSON.stringify(p)}`, ExitCode.Usage);
      return n;
    });
  }
  for (const c of o.alertCidr ?? []) {
    try { cidrBlock([c]); } catch (e) { throw new CliError(`--alert-cidr: ${(e as Error).message}`, ExitCode.Usage); }
    cidrs.push(c);
  }
  const rules: Rule[] = [...builtinRules(ports, cidrs, lists), ...files.flatMap((f) => f.rules)];
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) throw new CliError(`rule id ${r.id} is defined twice (rule files and built-in detections share one namespace)`, ExitCode.Usage);
    ids.add(r.id);
  }
  return new AlertEngine(rules.map(compileRule), sigma, schema);
}
