/** The report's header and alert entries: inputs with their verify verdict, alerts with techniques and subjects. */
import { type Manifest } from '../rgc/manifest.js';
import { type FileReport } from '../replay/replay.js';
import { type StatsReport } from '../replay/stats.js';
import { type VerifyReport } from '../replay/verify.js';
import { type CollectedAlert } from './collect.js';
import { type AlertItem, type EventTable, type InputSummary } from './model.js';

/** Verify problems listed per input. */
const PROBLEMS_LISTED = 50;

export function sortAlerts(alerts: readonly CollectedAlert[]): CollectedAlert[] {
  // Correlation alerts (no source event, t NaN) after the others of their severity.
  const time = (a: CollectedAlert) => (Number.isNaN(a.t) ? Infinity : a.t);
  return [...alerts].sort((x, y) => severityRank(y.alert.severity) - severityRank(x.alert.severity) || time(x) - time(y) || x.order - y.order);
}

const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'];
export function severityRank(s: string): number {
  return SEVERITY_ORDER.indexOf(s.toLowerCase());
}

/** ATT&CK technique ids an alert carries (Sigma tags like attack.t1053.003, or a list of ids). */
export function techniquesOf(alert: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const key of ['techniques', 'attack', 'tags']) {
    const v = alert[key];
    const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    for (const item of list) {
      const m = typeof item === 'string' ? /^(?:attack\.)?(t\d{4}(?:\.\d{3})?)$/i.exec(item.trim()) : null;
      if (m) out.add(m[1].toUpperCase());
    }
  }
  return [...out];
}

/** An alert as the page lists it; its subject is its evidence row's (the same words in both places), else what the alert carries. */
export function alertItem(c: CollectedAlert, process: number, event: number, table: EventTable | null = null): AlertItem {
  const a = c.alert as unknown as Record<string, unknown>;
  const addr = typeof a.addr === 'string' && a.addr !== '' ? (a.addr.includes(':') ? `[${a.addr}]` : a.addr) + (a.port !== undefined ? `:${String(a.port)}` : '') : null;
  const text = (k: string) => (typeof a[k] === 'string' && a[k] !== '' ? a[k] as string : null);
  const names = Array.isArray(a.dns_names) && a.dns_names.length > 0 ? a.dns_names.map(String).join(', ') : null;
  const subject = table !== null && event >= 0 ? table.strings[table.a[event]] : text('exe_path') ?? text('path') ?? text('filename') ?? names ?? addr ?? '';
  return {
    rule: c.alert.rule_id, title: c.alert.title, severity: c.alert.severity, techniques: techniquesOf(a),
    t: Number.isNaN(c.t) ? null : c.t, time: c.alert.time, process, event, event_type: c.alert.source?.event_type ?? 'correlation', subject,
    author: typeof a.author === 'string' ? a.author : Array.isArray(a.author) ? a.author.map(String).join(', ') : null,
    rule_file: typeof a.rule_file === 'string' ? a.rule_file : null,
    undecided: Array.isArray(a.undecided) ? a.undecided.map(String) : null,
  };
}

export function inputSummary(f: FileReport, v: VerifyReport, s: StatsReport['files'][number]): InputSummary {
  const m: Manifest | null = f.manifest;
  return {
    path: f.path, sha256: v.sha256,
    verify: { verdict: v.verdict, signature: v.signature, problems: v.problems.slice(0, PROBLEMS_LISTED), more_problems: Math.max(0, v.problems.length - PROBLEMS_LISTED) },
    host: m?.host.hostname ?? null, kernel: m?.host.kernel_release ?? null, machine: m?.host.machine ?? null, boot_id: m?.host.boot_id ?? null,
    tool_version: m?.tool.version ?? null, bpf_object_sha256: m?.bpf_object_sha256 ?? null,
    capture: m === null ? [] : Object.entries(m.capture).map(([k, val]) => [k, optionText(val)] as const),
    complete: s.complete, damaged: s.damaged, stop_reason: s.stop_reason, frames: s.frames, bytes: s.bytes,
    damage: s.damage, damage_count: s.damage_count, records_lost: f.recordsLost,
  };
}

function optionText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '-' : v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x, bigintJson))).join(' ');
  if (typeof v === 'string') return v;
  return JSON.stringify(v, bigintJson);
}

const bigintJson = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** ISO-8601 UTC with nanoseconds for a relative time (a decimal when a number cannot hold it exactly). */
export function isoOf(base: bigint, rel: number | string): string {
  const total = base + BigInt(rel);
  const sec = total / 1_000_000_000n;
  const ns = total % 1_000_000_000n;
  const d = new Date(Number(sec) * 1000);
  const iso = Number.isNaN(d.getTime()) ? '0000-00-00T00:00:00' : d.toISOString().slice(0, 19);
  return `${iso}.${ns.toString().padStart(9, '0')}Z`;
}
