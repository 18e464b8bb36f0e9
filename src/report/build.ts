/**
 * Builds the report's data from captures: one replay through the report's
 * sink (process table, detections, panels, timeline, table rows), one verify
 * per input (SHA-256, hash chain, signature), then the caps and budgets that
 * keep a big capture's page small, each stated in the page when it applies.
 */
import { type KeyObject } from 'node:crypto';
import { type Schema } from '../abi/schema.js';
import { TOOL_VERSION } from '../common/version.js';
import { type ProcessNode } from '../replay/process-table.js';
import { type FileReport } from '../replay/replay.js';
import { type RuleOptions } from '../replay/rules/setup.js';
import { type ReplaySession } from '../replay/session.js';
import { type EventSink } from '../output/sinks.js';
import { type StatsReport } from '../replay/stats.js';
import { checkSegmentChain, verifyFile, type VerifyReport } from '../replay/verify.js';
import { ReportCollector } from './collect.js';
import { describeCoverage, describeDetections, type DetectionsInput } from './coverage.js';
import { REPORT_SCRIPT, REPORT_STYLE } from './client-assets.generated.js';
import { type RowBudget } from './event-rows.js';
import { eventTable } from './event-table.js';
import { BADGES } from './groups.js';
import { embedJson } from './html.js';
import { REPORT_DATA_VERSION, type ReportData } from './model.js';
import { PROCESS_CAP, processSection } from './process-list.js';
import { alertItem, inputSummary, isoOf, sortAlerts } from './summary.js';
import { userNames } from './users.js';
import { indicatorGroups } from './values.js';

export interface ReplayRun {
  readonly session: ReplaySession;
  readonly stats: StatsReport;
  readonly files: readonly FileReport[];
}

/**
 * Replays `paths` through `sink` with a process table that keeps history and
 * the detections `rules` asks for (rg-replay's runSession): the sink gets each
 * event, then that event's alerts, and at the end the alerts of correlations.
 */
export type RunReplay = (paths: string[], sink: EventSink<ProcessNode>, rules: RuleOptions) => ReplayRun | Promise<ReplayRun>;

export interface ReportInputs {
  readonly paths: string[];
  /** The kind registry `run` decodes by (default: this build's). */
  readonly schema?: Schema;
  /** Detections to run (the built-in ones unless `detect` is false; rule files; Sigma). */
  readonly rules: RuleOptions;
  readonly publicKey: KeyObject | null;
  readonly budget?: RowBudget;
  readonly page?: PageBudget;
  readonly processCap?: number;
}

export interface PageBudget {
  /** The whole page, at most (the limit is 30 MB; this leaves a margin for estimates). */
  readonly totalBytes: number;
  /** The process list, at most. */
  readonly processBytes: number;
}

export const DEFAULT_PAGE_BUDGET: PageBudget = { totalBytes: 28 << 20, processBytes: 8 << 20 };
/** The page around the data: script, style, markup. */
const PAGE_OVERHEAD_BYTES = REPORT_SCRIPT.length + REPORT_STYLE.length + 4096;

export interface BuiltReport {
  readonly data: ReportData;
  readonly run: ReplayRun;
  readonly verify: readonly VerifyReport[];
}

export async function buildReport(run: RunReplay, inputs: ReportInputs): Promise<BuiltReport> {
  const collector = new ReportCollector({ budget: inputs.budget, schema: inputs.schema });
  const result = await run(inputs.paths, collector, inputs.rules);
  collector.flush();
  const verify = result.files.map((f) => verifyFile(f.path, inputs.publicKey));
  checkSegmentChain(verify);
  const page = inputs.page ?? DEFAULT_PAGE_BUDGET;
  const nodes = result.session.table!.all;
  const clockOf = (host: string) => result.session.clockForHost(host);
  const processes = processSection(nodes, collector, inputs.processCap ?? PROCESS_CAP, page.processBytes, clockOf, userNames(result.files),
    (host) => (result.session.labelled ? result.session.originOfHost(host)?.host : undefined));
  const proc = (id: number) => (id >= 0 && id < processes.indexOf.length ? processes.indexOf[id] : -1);
  // An alert's process, or -2 when the budget left it out of the list (not the same as a process never known).
  const alertProcess = (id: number) => (id >= 0 && proc(id) < 0 ? -2 : proc(id));

  const lostDamaged = result.files.reduce((n, f) => n + f.recordsLost, 0);
  const base = collector.baseWall;
  const alerts = sortAlerts(collector.alerts);
  const withoutEvents: ReportData = {
    version: REPORT_DATA_VERSION,
    tool: { name: 'rand-guard', version: TOOL_VERSION },
    inputs: result.files.map((f, i) => inputSummary(f, verify[i], result.stats.files[i])),
    time: {
      base_wall_ns: base === null ? null : base.toString(),
      wall: collector.wallClock,
      first: base === null || !collector.wallClock ? null : isoOf(base, collector.minX ?? collector.minT),
      last: base === null || !collector.wallClock ? null : isoOf(base, collector.maxX ?? collector.maxT),
      first_ns: Number.isFinite(collector.minT) ? collector.minT : 0,
      last_ns: Number.isFinite(collector.maxT) ? collector.maxT : 0,
    },
    totals: {
      events: result.stats.events,
      by_kind: Array.from(collector.total),
      invalid: result.stats.invalid.total,
      invalid_by_reason: Object.entries(result.stats.invalid.by_reason).map(([r, kinds]) => [r, Object.values(kinds).reduce((a, b) => a + b, 0)] as const),
      // The page's model is plain JSON numbers: past 2^53 rounded there; the coverage text below is exact.
      lost_kernel: Number(result.stats.lost.kernel),
      lost_user: Number(result.stats.lost.user),
      lost_damaged: lostDamaged,
      processes_started: nodes.filter((n) => n.startSeen).length,
    },
    kinds: collector.views.map((v) => ({ name: v.eventType, color: v.color, role: v.role })),
    coverage: describeCoverage({
      manifests: result.files.map((f) => f.manifest), views: collector.views, eventsByKind: collector.total,
      processesUnknown: nodes.filter((n) => !n.startSeen).length, flagged: collector.flagged,
      lostKernel: result.stats.lost.kernel, lostUser: result.stats.lost.user, lostDamaged, invalid: result.stats.invalid.total,
      damagedFiles: result.files.filter((f) => f.summary.damaged).length,
      incompleteFiles: result.files.filter((f) => !f.summary.complete && !f.summary.damaged).length,
    }, describeDetections(detectionsOf(result, inputs.rules))),
    alerts: {
      total: collector.alertTotal,
      omitted_by_rule: [...collector.alertsOmitted].sort((a, b) => a[0].localeCompare(b[0])),
      items: alerts.map((a) => alertItem(a, alertProcess(a.node), -1)),
    },
    processes: {
      total: nodes.length, omitted: nodes.length - processes.keep.length, alerting_omitted: processes.alertingOmitted,
      panel_entries_omitted: processes.panelEntriesOmitted, alerting_panel_entries_omitted: processes.alertingPanelEntriesOmitted, items: processes.records,
    },
    groups: collector.groups.map((g) => ({ id: g.id, label: g.label })),
    badges: BADGES.map((b) => ({ id: b.id, label: b.label, description: b.description })),
    histogram: collector.histogram.finish(),
    events: { total: 0, shown: 0, notes: [], shown_by_kind: [], strings: [], t: [], k: [], p: [], c: [], a: [], b: [], exact: [] },
    indicators: indicatorGroups(collector.indicators, proc),
  };
  // What is left of the page's budget goes to the event table (the rows chosen so far, trimmed by key).
  const rest = Buffer.byteLength(embedJson(withoutEvents)) + PAGE_OVERHEAD_BYTES;
  collector.pool.trimTo(Math.max(0, page.totalBytes - rest));
  const events = eventTable(collector, proc);
  const data: ReportData = {
    ...withoutEvents,
    alerts: { ...withoutEvents.alerts, items: alerts.map((a) => alertItem(a, alertProcess(a.node), events.rowOfOrder.get(a.order) ?? -1, events.table)) },
    events: events.table,
  };
  return { data, run: result, verify };
}

function detectionsOf(run: ReplayRun, rules: RuleOptions): DetectionsInput {
  const sigma = run.session.options.alerts?.sigma ?? null;
  return {
    builtin: rules.detect === true || rules.alerts === true,
    ruleFiles: rules.rules ?? [],
    sigma: sigma === null ? null : { read: sigma.set.reports.length, loaded: sigma.set.reports.filter((r) => r.loaded).length },
    limits: run.session.options.alerts?.limitWarnings(run.session.table, run.session.net) ?? [],
  };
}
