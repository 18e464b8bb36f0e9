/**
 * The report page: reads the embedded data (JSON in a non-executable script
 * element), builds every section with the safe DOM helpers, and wires them
 * together. `window.rgReport.readyMs` says when the page became interactive,
 * for the tests and the benchmark.
 */
import { expandProcess, lineageParent, type ReportData } from '../model.js';
import { type App } from './app.js';
import { anchor, byId, h } from './dom.js';
import { decodeRows, RowFilter } from './events.js';
import { TimeFormat } from './format.js';
import { ProcessPanel } from './panel.js';
import { renderAlerts, renderCoverage, renderHeader, renderIndicators } from './sections.js';
import { renderEventSection, revealRow } from './table.js';
import { renderTimeline } from './timeline.js';
import { ProcessTree } from './tree.js';

/** What the page exposes: when it became interactive, and (for tests) what the table shows. */
export interface ReportHandle {
  readonly readyMs: number;
  /** The first frame painted after `readyMs`, when input is handled: set a moment later. */
  interactiveMs?: number;
  readonly parseMs: number;
  readonly error?: string;
  inspect?(): { visible: number[]; visibleCount: number; range: [number, number] | null; selected: number; highlighted: number };
}

declare global {
  interface Window { rgReport?: ReportHandle }
}

function start(): void {
  const t0 = performance.now();
  const data = JSON.parse(byId('rg-data').textContent ?? 'null') as ReportData;
  const parseMs = performance.now() - t0;
  const rows = decodeRows(data.events);
  const processes = data.processes.items.map(expandProcess);
  const children: number[][] = processes.map(() => []);
  const started: number[][] = processes.map(() => []);
  processes.forEach((p, i) => {
    if (p.parent >= 0) children[p.parent].push(i);
    const from = lineageParent(p);
    if (from >= 0) started[from].push(i);
  });
  const filter = new RowFilter(rows);
  const app: App = {
    data, rows, processes, time: new TimeFormat(data.time), children, started,
    filters: { kinds: new Uint8Array(data.kinds.length).fill(1), processes: null, text: '', range: null },
    visible: new Int32Array(0), selected: -1, highlighted: -1, listeners: [],
    refilter() {
      app.visible = filter.apply(app.filters);
      for (const f of app.listeners) f();
    },
    selectProcess(index, reveal) {
      app.selected = index;
      tree.reveal(index);
      tree.markSelected(index);
      panel.show(index);
      if (reveal) byId(`proc-${index}`).scrollIntoView({ block: 'center' });
    },
    showEvent(row) {
      revealRow(app, events.table, row);
      const p = rows.p[row];
      if (p >= 0) app.selectProcess(p, false);
      byId('events').scrollIntoView({ block: 'start' });
    },
    filterToProcess(index, descendants) {
      const pid = byId('filter-pid') as HTMLInputElement;
      const tree = byId('filter-tree') as HTMLInputElement;
      pid.value = String(processes[index].pid);
      // This process, not every process that had its pid (the filter bar's applyPid).
      pid.dataset.process = String(index);
      tree.checked = descendants;
      tree.dispatchEvent(new Event('change'));
      byId('events').scrollIntoView({ block: 'start' });
    },
  };
  app.visible = filter.apply(app.filters);

  const root = byId('app');
  root.textContent = '';
  const tree = new ProcessTree(app);
  const panel = new ProcessPanel(app);
  const events = renderEventSection(app);
  root.append(
    h('nav', { class: 'toc' }, ...[['summary', 'Summary'], ['coverage', 'Coverage'], ['alerts', 'Alerts'], ['processes', 'Processes'],
      ['timeline', 'Timeline'], ['events', 'Events'], ['indicators', 'Indicators']].map(([id, label]) => anchor(id, null, label))),
    renderHeader(app),
    renderCoverage(app),
    renderAlerts(app),
    h('section', { id: 'processes' }, h('h2', null, `Processes (${data.processes.total})`), h('div', { class: 'split' }, tree.element, panel.element)),
    renderTimeline(app),
    events.element,
    renderIndicators(app));
  // On paper every collapsed section is shown.
  window.addEventListener('beforeprint', () => { for (const d of document.querySelectorAll('details')) d.open = true; });
  window.rgReport = {
    readyMs: performance.now(), parseMs,
    interactiveMs: undefined,
    inspect: () => ({
      visible: Array.from(app.visible.subarray(0, 5000)), visibleCount: app.visible.length,
      range: app.filters.range === null ? null : [app.filters.range[0], app.filters.range[1]], selected: app.selected, highlighted: app.highlighted,
    }),
  };
  requestAnimationFrame(() => setTimeout(() => { window.rgReport!.interactiveMs = performance.now(); }, 0));
}

try {
  start();
} catch (e) {
  // A broken page must say so, not sit on "Loading".
  const message = e instanceof Error ? e.message : String(e);
  window.rgReport = { readyMs: -1, parseMs: -1, error: message };
  const root = document.getElementById('app');
  if (root !== null) {
    root.textContent = '';
    root.appendChild(h('p', { class: 'bad' }, `This report could not be displayed: ${message}`));
  }
}
