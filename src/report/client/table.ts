/**
 * The event table: a filter bar and a virtualised list. Only the rows in view
 * (plus a few) exist in the DOM, so scrolling 600k rows costs what 40 do.
 */
import { type App, descendantMask } from './app.js';
import { clear, h, hostile, hostileIn } from './dom.js';
import { count } from './format.js';
import { positionOf } from './events.js';

export const ROW_HEIGHT = 22;
const OVERSCAN = 10;

export function renderEventSection(app: App): { element: HTMLElement; table: VirtualTable } {
  const e = app.data.events;
  const status = h('p', { id: 'rows-status', class: 'status', 'aria-live': 'polite' });
  const notes = e.notes.length === 0 ? null : h('div', { class: 'notes', id: 'table-notes' }, ...e.notes.map((n) => h('p', null, n)));
  const filterBar = renderFilterBar(app);
  const table = new VirtualTable(app);
  const update = () => {
    const f = app.filters;
    const parts = [`${count(app.visible.length)} of ${count(e.shown)} rows shown`];
    if (e.shown < e.total) parts.push(`(the capture holds ${count(e.total)} events)`);
    if (f.range !== null) parts.push(`in ${app.time.clock(f.range[0])} – ${app.time.clock(f.range[1])}`);
    status.textContent = parts.join(' ');
    table.reset();
  };
  app.listeners.push(update);
  update();
  const element = h('section', { id: 'events', class: 'events' },
    h('h2', null, 'Events'),
    notes, filterBar, status, table.element,
    h('p', { class: 'print-only' }, `The event table is interactive: ${count(e.shown)} rows in the file; open it in a browser to filter them.`));
  return { element, table };
}

function renderFilterBar(app: App): HTMLElement {
  const kinds = app.data.kinds.map((k, i) => {
    const box = h('input', { type: 'checkbox', checked: true, id: `kind-${i}`, 'data-kind': k.name }) as HTMLInputElement;
    box.addEventListener('change', () => {
      app.filters.kinds[i] = box.checked ? 1 : 0;
      app.refilter();
    });
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = k.color;
    return h('label', { class: 'kind-toggle', for: `kind-${i}` }, box, swatch, k.name, h('span', { class: 'dim' }, ` ${count(app.data.events.shown_by_kind[i])}`));
  });
  const pid = h('input', { type: 'text', id: 'filter-pid', placeholder: 'pid', autocomplete: 'off', spellcheck: false, 'aria-label': 'process id' }) as HTMLInputElement;
  const tree = h('input', { type: 'checkbox', id: 'filter-tree' }) as HTMLInputElement;
  const text = h('input', { type: 'search', id: 'filter-text', placeholder: 'search comm, path, address, fields', autocomplete: 'off', spellcheck: false, 'aria-label': 'text search' }) as HTMLInputElement;
  const pidError = h('span', { class: 'error', id: 'pid-error' });
  const pidNote = h('span', { class: 'dim', id: 'pid-note' });
  // A typed pid means every process that had it (pid reuse, several hosts); a panel's button means that one process.
  const applyPid = () => {
    const value = pid.value.trim();
    pidError.textContent = '';
    pidNote.textContent = '';
    const chosen = pid.dataset.process === undefined ? -1 : Number(pid.dataset.process);
    if (value === '') {
      app.filters.processes = null;
    } else if (!/^\d+$/.test(value)) {
      pidError.textContent = 'a pid is a number';
      return;
    } else {
      const wanted = Number(value);
      const items = app.processes;
      const mask = new Uint8Array(items.length);
      const sharing = items.reduce((n, p) => n + (p.pid === wanted ? 1 : 0), 0);
      const exact = chosen >= 0 && chosen < items.length && items[chosen].pid === wanted;
      if (exact && sharing > 1) {
        pidNote.textContent = `the process chosen in its panel (${sharing} processes in the report had pid ${wanted}; type the pid to see them all)`;
      }
      for (let i = 0; i < items.length; i++) {
        if (exact ? i !== chosen : items[i].pid !== wanted) continue;
        if (tree.checked) {
          const sub = descendantMask(app, i);
          for (let j = 0; j < sub.length; j++) mask[j] |= sub[j];
        } else {
          mask[i] = 1;
        }
      }
      if (!mask.includes(1)) pidError.textContent = `no process ${wanted} in the report`;
      app.filters.processes = mask;
    }
    app.refilter();
  };
  let timer = 0;
  const later = (f: () => void) => () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(f, 120);
  };
  pid.addEventListener('input', () => {
    delete pid.dataset.process;
    later(applyPid)();
  });
  tree.addEventListener('change', applyPid);
  text.addEventListener('input', later(() => {
    app.filters.text = text.value;
    app.refilter();
  }));
  const reset = h('button', { type: 'button', id: 'filter-clear' }, 'Clear filters');
  reset.addEventListener('click', () => {
    pid.value = '';
    delete pid.dataset.process;
    text.value = '';
    tree.checked = false;
    pidError.textContent = '';
    pidNote.textContent = '';
    app.filters.kinds.fill(1);
    for (const box of document.querySelectorAll<HTMLInputElement>('.kind-toggle input')) box.checked = true;
    app.filters.processes = null;
    app.filters.text = '';
    app.filters.range = null;
    app.refilter();
  });
  // Others (the process panel) set the pid filter: keep the inputs in step.
  app.listeners.push(() => {
    if (app.filters.processes === null && document.activeElement !== pid) {
      pid.value = '';
      delete pid.dataset.process;
    }
  });
  return h('div', { class: 'filters', id: 'filters' },
    h('div', { class: 'kinds' }, ...kinds),
    h('div', { class: 'row' },
      h('label', { for: 'filter-pid' }, 'pid '), pid,
      h('label', { class: 'inline', for: 'filter-tree' }, tree, ' and descendants'), pidError, pidNote,
      h('label', { for: 'filter-text', class: 'grow' }, 'text ', text), reset));
}

export class VirtualTable {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly window: HTMLElement;
  private pending = false;
  private first = -1;
  private last = -1;

  constructor(private readonly app: App) {
    const head = h('div', { class: 'row head', role: 'row' },
      ...['time (UTC)', 'kind', 'pid', 'comm', 'subject', 'fields'].map((c) => h('span', { role: 'columnheader' }, c)));
    this.spacer = h('div', { class: 'spacer' });
    this.window = h('div', { class: 'window', role: 'rowgroup' });
    this.scroller = h('div', { class: 'scroller', id: 'event-scroller', tabindex: 0 }, this.spacer, this.window);
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.window.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.row[data-row]');
      if (row === null) return;
      const index = Number(row.dataset.row);
      this.app.highlighted = index;
      const p = this.app.rows.p[index];
      if (p >= 0) this.app.selectProcess(p, false);
      this.render(true);
    });
    this.element = h('div', { class: 'table', role: 'table', id: 'event-table', 'aria-label': 'events' }, head, this.scroller);
  }

  reset(): void {
    this.spacer.style.height = `${this.app.visible.length * ROW_HEIGHT}px`;
    this.render(true);
  }

  /** Scrolls so the row at `position` of the visible list is in view. */
  scrollTo(position: number): void {
    const top = position * ROW_HEIGHT - this.scroller.clientHeight / 3;
    this.scroller.scrollTop = Math.max(0, top);
    this.render(true);
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render(false);
    });
  }

  private render(force: boolean): void {
    const visible = this.app.visible;
    const height = this.scroller.clientHeight || 480;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(visible.length, Math.ceil((this.scroller.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    clear(this.window);
    this.window.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const { rows, data, time } = this.app;
    for (let i = first; i < last; i++) {
      const r = visible[i];
      const kind = data.kinds[rows.k[r]];
      const p = rows.p[r];
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = kind.color;
      const subject = rows.strings[rows.a[r]];
      const fields = rows.strings[rows.b[r]];
      const cls = `row${r === this.app.highlighted ? ' highlighted' : ''}${p >= 0 && p === this.app.selected ? ' of-selected' : ''}`;
      this.window.appendChild(h('div', { class: cls, role: 'row', 'data-row': r, id: r === this.app.highlighted ? 'highlighted-row' : undefined },
        h('span', { class: 'time', title: time.iso(rows.t[r], rows.exact.get(r)) }, time.clock(rows.t[r], rows.exact.get(r))),
        h('span', { class: 'kind' }, swatch, kind.name),
        h('span', { class: 'pid' }, p >= 0 ? String(this.app.processes[p].pid) : '?'),
        hostileIn('span', { class: 'comm', title: rows.strings[rows.c[r]] }, rows.strings[rows.c[r]]),
        hostileIn('span', { class: 'subject', title: subject }, subject),
        h('span', { class: 'fields', title: fields }, hostile(fields))));
    }
  }
}

/** Shows a row: clears the filters that hide it, scrolls to it, highlights it. */
export function revealRow(app: App, table: VirtualTable, row: number): void {
  let at = positionOf(app.visible, row);
  if (at < 0) {
    document.getElementById('filter-clear')?.click();
    at = positionOf(app.visible, row);
  }
  app.highlighted = row;
  if (at >= 0) table.scrollTo(at);
}
