/**
 * The `--stats` report: what a capture holds and how trustworthy it is, as
 * one JSON object or a short readable block.
 */
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { describeDamage } from '../rgc/damage.js';
import { type ExactCount, exactSum } from '../rgc/meta-records.js';
import { WallClock } from '../output/wall-clock.js';
import { type DispatchCounts } from '../abi/dispatch.js';
import { type ReplayTotals } from './replay.js';
import { visible } from '../common/visible.js';
import { type PathTally, pathTallyLines } from './path-tally.js';
import { flagsNotWritten, flagsNotWrittenLine } from './unwritten-flags.js';

export interface StatsReport {
  readonly files: readonly {
    path: string; complete: boolean; damaged: boolean; frames: number; bytes: number;
    host: string | null; kernel: string | null; boot_id: string | null; tool_version: string | null;
    stop_reason: string | null; damage_count: number; damage: string[];
    /** This build's flags its writer did not define, as printed (unwritten-flags.ts): in its records they read clear but are unknown. */
    flags_not_written: string[];
  }[];
  readonly complete: boolean;
  readonly damaged: boolean;
  readonly events: number;
  readonly by_kind: Record<string, number>;
  readonly invalid: { total: number; by_reason: Record<string, Record<string, number>> };
  readonly lost: { kernel: ExactCount; user: ExactCount; kernel_by_cpu: ExactCount[] };
  readonly time_range: { first: string | null; last: string | null; first_ts_ns: string | null; last_ts_ns: string | null };
  readonly host: string | null;
  readonly kernel: string | null;
  /** With filters (selected-stats.ts): them, as given; events, by_kind and time_range are then what they select. */
  readonly filters?: readonly string[];
  /** Captures claiming one boot id from several hosts or capture runs (replay/hosts.ts); absent when none do. */
  host_notes?: readonly string[];
  /** Records whose paths the kernel did not make whole (path-tally.ts): --stats and audit count them; with filters, of the selected events. */
  paths?: PathTally;
  /** With filters: the whole capture's events, kinds and time range. */
  readonly capture?: { events: number; by_kind: Record<string, number>; time_range: StatsReport['time_range'] };
}

export function buildStats(t: ReplayTotals, counts: DispatchCounts, schema: Schema = BUILD_SCHEMA): StatsReport {
  const byKind: Record<string, number> = {};
  for (const k of schema.kinds) byKind[k.eventType] = counts.acceptedByKind[k.id];
  const byReason: Record<string, Record<string, number>> = {};
  for (const [reason, kinds] of counts.rejected) {
    byReason[reason] = {};
    for (const [kind, n] of [...kinds].sort((a, b) => a[0] - b[0])) {
      byReason[reason][kind < 0 ? 'none' : schema.byId[kind]?.eventType ?? String(kind)] = n;
    }
  }
  // Summed exactly (meta-records.ts exactSum): every counter is a safe integer, the totals need not be.
  const lostByCpu: ExactCount[][] = [];
  const lostUsers: ExactCount[] = [];
  for (const f of t.files) {
    const totals = f.totals;
    if (totals === null) continue;
    totals.lost_kernel_by_cpu.forEach((n, cpu) => { (lostByCpu[cpu] ??= []).push(n); });
    lostUsers.push(totals.lost_user);
  }
  const kernelByCpu = Array.from(lostByCpu, (ns) => exactSum(ns ?? []));
  const first = t.files.find((f) => f.manifest !== null)?.manifest ?? null;
  const clock = first ? new WallClock(first.clock.realtime_ns, first.clock.monotonic_ns) : null;
  return {
    files: t.files.map((f) => ({
      path: f.path, complete: f.summary.complete, damaged: f.summary.damaged, frames: f.summary.framesRead, bytes: f.summary.bytesRead,
      host: f.manifest?.host.hostname ?? null, kernel: f.manifest?.host.kernel_release ?? null, boot_id: f.manifest?.host.boot_id ?? null,
      tool_version: f.manifest?.tool.version ?? null, stop_reason: f.end?.stop_reason ?? null,
      damage_count: f.damageCount, damage: f.damage.map(describeDamage), flags_not_written: flagsNotWritten(f.manifest?.schema, schema),
    })),
    complete: t.files.every((f) => f.summary.complete),
    damaged: t.files.some((f) => f.summary.damaged),
    events: counts.acceptedTotal,
    by_kind: byKind,
    invalid: { total: counts.rejectedTotal, by_reason: byReason },
    lost: { kernel: exactSum(kernelByCpu), user: exactSum(lostUsers), kernel_by_cpu: kernelByCpu },
    time_range: {
      first: t.minTs !== null && clock ? clock.format(t.minTs) : null,
      last: t.maxTs !== null && clock ? clock.format(t.maxTs) : null,
      first_ts_ns: t.minTs?.toString() ?? null,
      last_ts_ns: t.maxTs?.toString() ?? null,
    },
    host: first?.host.hostname ?? null,
    kernel: first?.host.kernel_release ?? null,
  };
}

export function formatStatsText(s: StatsReport): string {
  const lines: string[] = [];
  // Several hosts merged: each is named (the first alone read as if every event were its).
  const hosts = [...new Set(s.files.map((f) => `${f.host ?? 'unknown'} (kernel ${f.kernel ?? 'unknown'})`))];
  lines.push(`host:      ${hosts.length > 1 ? hosts.join(', ') : `${s.host ?? 'unknown'} (kernel ${s.kernel ?? 'unknown'})`}`);
  for (const note of s.host_notes ?? []) lines.push(`note:      ${note}`);
  if (s.filters !== undefined && s.capture !== undefined) {
    // Said first: counts that follow filters must not be read as the capture's.
    lines.push(`filters:   ${s.filters.map(shellWord).join(' ')}: time, events and kinds below are what they select; invalid, lost and files are the whole capture's`);
    lines.push(`capture:   ${s.capture.events} events, ${s.capture.time_range.first ?? '-'} .. ${s.capture.time_range.last ?? '-'}`);
  }
  lines.push(`time:      ${s.time_range.first ?? '-'} .. ${s.time_range.last ?? '-'}`);
  lines.push(`events:    ${s.events}`);
  for (const [kind, n] of Object.entries(s.by_kind)) lines.push(`  ${kind.padEnd(14)} ${n}`);
  lines.push(`invalid:   ${s.invalid.total}`);
  for (const [reason, kinds] of Object.entries(s.invalid.by_reason)) {
    lines.push(`  ${reason.padEnd(16)} ${Object.entries(kinds).map(([k, n]) => `${k}=${n}`).join(' ')}`);
  }
  lines.push(`lost:      ${s.lost.kernel} in kernel, ${s.lost.user} in user space`);
  if (s.paths !== undefined) lines.push(...pathTallyLines(s.paths));
  for (const f of s.files) {
    const state = f.damaged ? 'DAMAGED' : f.complete ? 'complete' : 'INCOMPLETE (no end record)';
    lines.push(`file:      ${f.path}: ${state}, ${f.frames} frames, ${f.bytes} bytes${f.stop_reason ? `, stopped by ${f.stop_reason}` : ''}`);
    for (const d of f.damage) lines.push(`  damage:  ${d}`);
    if (f.damage_count > f.damage.length) lines.push(`  damage:  ... ${f.damage_count - f.damage.length} more`);
    if (f.flags_not_written.length > 0) lines.push(`  flags:   ${flagsNotWrittenLine(f.path, f.flags_not_written)}`);
  }
  // Host name, kernel, stop reason and paths come from the file (and so from the traced host): shown, never obeyed.
  return lines.map(visible).join('\n') + '\n';
}

/** A filter argument as one could type it again: quoted when it is not a plain word. */
function shellWord(arg: string): string {
  return /^[\w./:,@%+=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
