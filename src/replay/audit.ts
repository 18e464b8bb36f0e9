/**
 * `rg-replay audit`: is this capture readable as this build reads it? The
 * manifest's schema against this build's (kind by kind: size, every field's
 * offset and type), InvalidSchema counts by reason and kind, loss, damaged or
 * missing frames, and whether the capture ended cleanly.
 */
import { visible } from '../common/visible.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { ExitCode } from '../common/exit-codes.js';
import { type FileReport } from './replay.js';
import { auditSchema, type SchemaAudit } from './schema-audit.js';
import { flagDisplayName } from './unwritten-flags.js';
import { type StatsReport } from './stats.js';
import { type PathTally, pathTallyLines } from './path-tally.js';

export interface AuditReport {
  readonly judged_by: 'build' | 'manifest';
  readonly files: { path: string; tool_version: string | null; schema: SchemaAudit | null }[];
  readonly invalid: StatsReport['invalid'];
  readonly events: number;
  readonly lost: StatsReport['lost'];
  readonly damage: { path: string; count: number; items: string[] }[];
  readonly complete: boolean;
  /** Captures claiming one boot id from several hosts or capture runs (replay/hosts.ts); absent when none do. */
  readonly host_notes?: readonly string[];
  /** Records whose paths the kernel did not make whole (path-tally.ts). */
  readonly paths?: PathTally;
}

export function buildAudit(stats: StatsReport, files: readonly FileReport[], judgedBy: 'build' | 'manifest', schema: Schema = BUILD_SCHEMA): AuditReport {
  return {
    judged_by: judgedBy,
    files: files.map((f) => ({
      path: f.path, tool_version: f.manifest?.tool.version ?? null,
      schema: f.manifest ? auditSchema(f.manifest.schema, schema) : null,
    })),
    invalid: stats.invalid,
    events: stats.events,
    lost: stats.lost,
    damage: stats.files.map((f) => ({ path: f.path, count: f.damage_count, items: f.damage })),
    complete: stats.complete,
    ...(stats.host_notes !== undefined ? { host_notes: stats.host_notes } : {}),
    ...(stats.paths !== undefined ? { paths: stats.paths } : {}),
  };
}

export function formatAuditText(a: AuditReport): string {
  const out: string[] = [];
  for (const f of a.files) {
    out.push(`${f.path} (written by rand-guard ${f.tool_version ?? 'unknown'})`);
    const s = f.schema;
    if (s === null) {
      out.push('  schema: unknown (manifest unreadable)');
      continue;
    }
    const layoutsSame = s.fileVersion === s.buildVersion && s.kinds.every((k) => k.status === 'same');
    out.push(`  schema: file version ${s.fileVersion}, this build ${s.buildVersion}: ${s.identical ? 'identical' : layoutsSame ? 'DIFFERENT (the same layouts; flags differ, below)' : 'DIFFERENT'}`);
    for (const k of s.kinds) {
      if (k.status === 'same') {
        out.push(`    ${k.name.padEnd(14)} same (${k.buildSize} bytes)`);
        continue;
      }
      if (k.status === 'missing_in_file') { out.push(`    ${k.name.padEnd(14)} not in the file's schema`); continue; }
      if (k.status === 'unknown_to_build') { out.push(`    ${k.name.padEnd(14)} kind ${k.id} (${k.fileSize} bytes) unknown to this build: its records cannot be decoded`); continue; }
      out.push(`    ${k.name.padEnd(14)} size ${k.fileSize} in the file, ${k.buildSize} in this build`);
      for (const d of k.differences) {
        const file = d.file ? `${d.file.type}${d.file.count > 1 ? `[${d.file.count}]` : ''} @${d.file.offset}` : '';
        const build = d.build ? `${d.build.type}${d.build.count > 1 ? `[${d.build.count}]` : ''} @${d.build.offset}` : '';
        const text = { missing_in_file: `missing in the file (this build: ${build})`, unknown_to_build: `${file} in the file, unknown to this build`,
          moved: `moved: ${file} in the file, ${build} in this build`, retyped: `type differs: ${file} in the file, ${build} in this build`,
          renamed: `the file's ${d.file?.name} (${file}): its meaning is this build's ${d.field} (${build})` }[d.problem];
        out.push(`      ${d.field}: ${text}`);
      }
    }
    const fl = s.flags;
    if (fl.missingInFile.length > 0) {
      out.push(`    flags          ${fl.missingInFile.length} of this build's not in the file's schema (never set by its writer: unknown, not clear in its records):`);
      for (const c of fl.missingInFile) out.push(`      ${c} (${flagDisplayName(c)})`);
    }
    if (fl.unknownToBuild.length > 0) out.push(`    flags          in the file, unknown to this build (not shown): ${fl.unknownToBuild.join(', ')}`);
    for (const m of fl.moved) out.push(`    flags          ${m.name}: ${m.file} in the file, ${m.build} in this build (its bits are read as another flag)`);
  }
  out.push(`records (judged by the ${a.judged_by} schema): ${a.events} decoded, ${a.invalid.total} invalid`);
  for (const [reason, kinds] of Object.entries(a.invalid.by_reason)) {
    out.push(`  ${reason.padEnd(16)} ${Object.entries(kinds).map(([k, n]) => `${k}=${n}`).join(' ')}`);
  }
  out.push(`lost: ${a.lost.kernel} in the kernel, ${a.lost.user} in user space`);
  for (const d of a.damage) {
    out.push(`frames: ${d.path}: ${d.count === 0 ? 'no damage' : `${d.count} damage report(s)`}`);
    for (const item of d.items) out.push(`  ${item}`);
  }
  for (const note of a.host_notes ?? []) out.push(`hosts: ${note}`);
  if (a.paths !== undefined) out.push(...pathTallyLines(a.paths, 'paths: '));
  out.push(`end: ${a.complete ? 'complete (end record present)' : 'INCOMPLETE: no end record'}`);
  // Kind and field names, versions and paths come from the file's manifest: shown, never obeyed.
  return out.map(visible).join('\n') + '\n';
}

/** Damage and incompleteness keep their codes; otherwise 8 when schemas differ or records were invalid. */
export function auditExitCode(a: AuditReport, replayCode: number): number {
  if (replayCode !== ExitCode.Ok) return replayCode;
  const mismatch = a.files.some((f) => f.schema !== null && !f.schema.identical) || a.invalid.total > 0;
  return mismatch ? ExitCode.AuditMismatch : ExitCode.Ok;
}
