/**
 * What the capture could not see, said plainly: kinds that were not recorded
 * (not enabled, or unknown to the capturing build), settings that narrowed it
 * (--follow, --watch-prefix), and limits the data shows (processes already
 * running, cut strings, loss, damage). Derived from the manifests, the schema
 * and the counts, so a limit lifted by the schema (a new field, a new kind)
 * leaves the list by itself.
 */
import { type Manifest } from '../rgc/manifest.js';
import { type ExactCount, exactSum } from '../rgc/meta-records.js';
import { type KindView } from './kinds.js';
import { type Coverage } from './model.js';

/** What ran over the events: for the sentence under "What this capture cannot show". */
export interface DetectionsInput {
  readonly builtin: boolean;
  readonly ruleFiles: readonly string[];
  /** Sigma rules read, and those that loaded (the rest need logs or fields rand-guard does not record). */
  readonly sigma: { readonly read: number; readonly loaded: number } | null;
  /** What the detections let go of (AlertEngine.limitWarnings): alerts they may have missed. */
  readonly limits: readonly string[];
}

export function describeDetections(d: DetectionsInput): string[] {
  const out: string[] = [];
  const files = d.ruleFiles.length > 0 ? ` and ${d.ruleFiles.length} rule file(s) (${d.ruleFiles.join(', ')})` : '';
  out.push(d.builtin ? `The built-in detections ran${files}.` : files !== '' ? `Rule files ran: ${d.ruleFiles.join(', ')}.` : 'No detections ran.');
  if (d.sigma !== null) {
    out.push(`Sigma: ${d.sigma.loaded} of ${d.sigma.read} rules loaded; the other ${d.sigma.read - d.sigma.loaded} are for logs or fields rand-guard does not record (rg-replay sigma-check lists them).`);
  }
  for (const line of d.limits) out.push(`${line.replace(/^warning: /, '').replace(/^./, (c) => c.toUpperCase())}.`);
  return out;
}

export interface CoverageInput {
  readonly manifests: readonly (Manifest | null)[];
  readonly views: readonly KindView[];
  readonly eventsByKind: ArrayLike<number>;
  readonly processesUnknown: number;
  readonly flagged: ReadonlyMap<string, number>;
  readonly lostKernel: ExactCount;
  readonly lostUser: ExactCount;
  /** Records the damage reports say were lost. */
  readonly lostDamaged: number;
  readonly invalid: number;
  readonly damagedFiles: number;
  readonly incompleteFiles: number;
}

export function describeCoverage(c: CoverageInput, detections: readonly string[]): Coverage {
  const manifests = c.manifests.filter((m): m is Manifest => m !== null);
  const notRecorded: Coverage['not_recorded'][number][] = [];
  for (const v of c.views) {
    const missingFromSchema = manifests.filter((m) => !m.schema.kinds.some((k) => k.name === v.kind.name));
    // A manifest names the kinds it enabled by --events name (older captures: by kind name).
    const names = [v.cliName, v.kind.name, v.eventType];
    const notEnabled = manifests.filter((m) => {
      const events = m.capture.events;
      return Array.isArray(events) && !events.some((e) => names.includes(String(e))) && m.schema.kinds.some((k) => k.name === v.kind.name);
    });
    // What was recorded was enabled, whatever the manifest's list says.
    if (c.eventsByKind[c.views.indexOf(v)] > 0) continue;
    if (missingFromSchema.length > 0) {
      notRecorded.push({ kind: v.eventType, reason: `the capturing build${manifests.length > 1 ? ` of ${missingFromSchema.length} of ${manifests.length} inputs` : ''} did not have this kind` });
    } else if (notEnabled.length > 0) {
      notRecorded.push({ kind: v.eventType, reason: `not enabled (rg-capture --events without ${v.cliName})${manifests.length > 1 ? ` in ${notEnabled.length} of ${manifests.length} inputs` : ''}` });
    }
  }

  const spots: string[] = [];
  if (manifests.length < c.manifests.length) spots.push(`${c.manifests.length - manifests.length} input(s) had no readable manifest: their options and clock are unknown.`);
  const followed = manifests.filter((m) => m.capture.follow === true);
  if (followed.length > 0) {
    const cmd = followed.map((m) => m.capture.command).find((x) => Array.isArray(x)) as unknown[] | undefined;
    spots.push(`Only one command's process tree was recorded (--follow${cmd ? `: ${cmd.map(String).join(' ')}` : ''}); the rest of the host is not in this capture.`);
  }
  const prefixes = [...new Set(manifests.flatMap((m) => (Array.isArray(m.capture.watch_prefixes) ? m.capture.watch_prefixes.map(String) : [])))];
  if (prefixes.length > 0) spots.push(`File opens were filtered in the kernel: only paths under ${prefixes.join(', ')} were recorded.`);
  const hasField = (name: string) => c.views.some((v) => v.kind.fields.some((f) => f.name === name));
  if (!hasField('cwd')) spots.push('Relative paths are recorded as the program passed them, not resolved against its working directory (which is not recorded).');
  if (c.processesUnknown > 0) {
    spots.push(`${c.processesUnknown} process(es) were already running when the capture started: their program and command line are unknown unless they ran a new program later.`);
  }
  spots.push('Threads are not processes: thread starts and exits are not recorded, only their events.');
  for (const [flag, n] of [...c.flagged].sort((a, b) => a[0].localeCompare(b[0]))) {
    spots.push(flag.endsWith('_truncated')
      ? `${n} event(s) have ${flag}: the string was longer than its buffer and is cut.`
      : `${n} event(s) have ${flag}: the kernel could not read the value from the process's memory.`);
  }
  const lost = exactSum([c.lostKernel, c.lostUser]);
  if (lost > 0) {
    spots.push(`${lost} event(s) were LOST (${c.lostKernel} in the kernel, ${c.lostUser} in user space): activity is missing from this report.`);
  } else if (c.damagedFiles === 0) {
    spots.push('No events were lost (the capture counts losses in the kernel and in user space, and no input is damaged).');
  } else {
    spots.push('The capture counts no loss in the kernel or in user space; what its damage lost is below.');
  }
  if (c.invalid > 0) spots.push(`${c.invalid} record(s) failed the schema checks and are not shown (rg-replay audit lists them).`);
  if (c.damagedFiles > 0) {
    // A sum of what the damage reports count: a missing frame (a gap) does not say how many records it held.
    spots.push(c.lostDamaged > 0
      ? `${c.damagedFiles} input(s) are DAMAGED: at least ${c.lostDamaged} record(s) were LOST (frames or records that could not be read): activity is missing from this report (see the inputs above).`
      : `${c.damagedFiles} input(s) are DAMAGED: frames may be missing or metadata was unreadable, and the damage does not say how many records were lost (see the inputs above).`);
  }
  if (c.incompleteFiles > 0) spots.push(`${c.incompleteFiles} input(s) have no end record (the recorder was killed or the file cut): totals cannot be checked.`);
  const recorded = c.views.filter((v, i) => c.eventsByKind[i] > 0 || !notRecorded.some((n) => n.kind === v.eventType)).map((v) => v.eventType);
  spots.push(`Only these kinds of event are recorded: ${recorded.join(', ')}. Anything else a process does (reading or writing file contents, memory, other system calls) is not in the capture.`);
  return { detections, not_recorded: notRecorded, blind_spots: spots };
}
