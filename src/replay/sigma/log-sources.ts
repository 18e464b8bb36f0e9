/**
 * The Sigma log sources rand-guard's events provide (product linux): the
 * categories the kind registry maps kinds to (each entry's `sigma`), with
 * the fields Sysmon for Linux writes for each, minus those the capture does
 * not record. A rule that uses a missing field is not loaded and says so:
 * evaluating it as if the field were empty would be a guess.
 */
import { BUILD_SCHEMA, type KindLayout, type Schema } from '../../abi/schema.js';
import { type SigmaLogSources } from '../../sigma/event.js';

/** Fields every Sigma event of a process has. */
export const PROCESS_FIELDS = ['Image', 'ProcessId', 'ProcessGuid', 'User'] as const;

/**
 * Fields of Sysmon's process creation (event 1), for kinds that start a
 * program. Not recorded: CurrentDirectory, Hashes, OriginalFileName and the
 * PE metadata, IntegrityLevel, LogonGuid, TerminalSessionId.
 */
export const CREATION_FIELDS = ['CommandLine', 'LogonId', 'ParentProcessId', 'ParentProcessGuid', 'ParentImage', 'ParentCommandLine', 'ParentUser'] as const;

/** Linux categories in Sigma's taxonomy that no kind provides yet, and why a rule for one is not loaded. */
const UNAVAILABLE: readonly [string, string][] = [
  ['file_access', 'reads are recorded as opens, but Sysmon has no file_access event to give its fields their meaning'],
  ['file_change', 'file time changes are not recorded by this build'],
  ['process_access', "ptrace and process_vm are recorded (process_ptrace, process_vm), but Sysmon's process_access fields (GrantedAccess, CallTrace) have no Linux meaning"],
  ['driver_load', "module load attempts are recorded (kernel_module), but not mapped to Sysmon's driver_load fields (ImageLoaded, Hashes)"],
  ['raw_access_thread', 'raw disk access is not recorded'],
];

/** The Sigma fields the events of one kind have. */
export function kindSigmaFields(kind: KindLayout): string[] {
  const spec = kind.sigma!;
  const fields: string[] = [...PROCESS_FIELDS];
  if (kind.process.role === 'exec') fields.push(...CREATION_FIELDS);
  for (const [sigma, name] of Object.entries(spec.fields ?? {})) {
    fields.push(sigma);
    // An address says its family: DestinationIp gives DestinationIsIpv6, as in Sysmon.
    if (kind.schemaFields.find((f) => f.name === name)?.view === 'addr' && sigma.endsWith('Ip')) fields.push(`${sigma.slice(0, -2)}IsIpv6`);
  }
  fields.push(...Object.keys(spec.facts ?? {}));
  fields.push(...Object.keys(spec.constants ?? {}));
  return fields;
}

/** The log sources of a schema's kinds: a category's fields are those any of its kinds has. */
export function sigmaLogSources(schema: Schema = BUILD_SCHEMA): SigmaLogSources {
  const categories = new Map<string, Set<string>>();
  for (const kind of schema.kinds) {
    if (kind.sigma === undefined) continue;
    let fields = categories.get(kind.sigma.category);
    if (fields === undefined) categories.set(kind.sigma.category, (fields = new Set()));
    for (const f of kindSigmaFields(kind)) fields.add(f);
  }
  return {
    categories: new Map([...categories].map(([c, fields]) => [c, { fields: [...fields] }])),
    unavailable: new Map(UNAVAILABLE.filter(([c]) => !categories.has(c))),
  };
}
