/**
 * The process tree, collapsible. Children are rendered when their parent is
 * first expanded (a big capture has tens of thousands of processes), at most
 * CHILDREN_PAGE at a time. At load, the paths down to processes with alerts
 * are open.
 *
 * A traced host decides how deep its tree is (each process of a chain of
 * forks forks the next). Opened level by level, a list in a list, an alert
 * 20,000 levels down crashed Chromium's page. So lists nest at most MAX_NEST
 * deep: the children of a process at that depth get a list of their own at
 * the tree's top, which says whose children they are and at what depth.
 */
import { type App, userText } from './app.js';
import { anchor, button, h, hostile } from './dom.js';
import { count } from './format.js';

const CHILDREN_PAGE = 200;
/** Processes rendered open for printing, at most. */
const PRINT_LIMIT = 3000;
const ARG_CHARS = 160;
/** Trees of at most this many processes start fully open. */
const SMALL_TREE = 300;
/** Lists nested in one another at most (the class's comment says why). */
export const MAX_NEST = 48;

export class ProcessTree {
  readonly element: HTMLElement;
  private readonly nodes = new Map<number, HTMLElement>();
  private readonly roots: number[];
  private readonly rootList: HTMLElement;
  /** A process's children's list, once opened; and, when it was too deep to nest, the top-level item holding it. */
  private readonly childLists = new Map<number, HTMLElement>();
  private readonly continued = new Map<number, HTMLElement>();
  /** How deep a list is nested (the tree's top: 0). */
  private readonly listLevels = new Map<HTMLElement, number>();
  /** Each process's depth in the whole tree (-1: not yet known). */
  private readonly depths: Int32Array;

  constructor(private readonly app: App) {
    const items = app.processes;
    this.roots = [];
    for (let i = 0; i < items.length; i++) if (items[i].parent < 0) this.roots.push(i);
    this.depths = new Int32Array(items.length).fill(-1);
    const list = h('ul', { class: 'tree', role: 'tree', id: 'process-tree' });
    this.rootList = list;
    this.listLevels.set(list, 0);
    this.appendChildren(list, this.roots, 0);
    this.element = h('div', { class: 'tree-box' },
      h('div', { class: 'row' },
        button('Expand all', () => this.expandAll(PRINT_LIMIT), { id: 'tree-expand-all' }),
        button('Collapse all', () => this.collapseAll(), { id: 'tree-collapse-all' })),
      list,
      ...processNotes(app.data.processes).map((note) => h('p', { class: 'notes' }, note)));
    // Open the way to every process with alerts.
    for (let i = 0; i < items.length; i++) if (items[i].alerts > 0) this.reveal(i);
    // A small tree reads best open; a big one opens the way to its alerts and its first level.
    if (items.length <= SMALL_TREE) this.expandAll(SMALL_TREE);
    else if (this.roots.length <= 3) for (const r of this.roots) this.expand(r);
    window.addEventListener('beforeprint', () => this.expandAll(PRINT_LIMIT));
  }

  /** Opens every ancestor of a process so it is in view, and returns its line. */
  reveal(index: number): HTMLElement | null {
    const chain: number[] = [index];
    for (let p = this.app.processes[index].parent; p >= 0; p = this.app.processes[p].parent) chain.push(p);
    chain.reverse();
    this.renderUpTo(-1, chain[0]);
    for (let i = 0; i < chain.length - 1; i++) {
      this.expand(chain[i]);
      this.renderUpTo(chain[i], chain[i + 1]);
    }
    return this.nodes.get(index) ?? null;
  }

  /** Renders pages of a parent's children (-1: the roots) until `child` is among them. */
  private renderUpTo(parent: number, child: number): void {
    if (this.nodes.has(child)) return;
    const list = parent < 0 ? this.rootList : this.childLists.get(parent);
    if (list === null || list === undefined) return;
    const children = parent < 0 ? this.roots : this.app.children[parent];
    const at = children.indexOf(child);
    if (at < 0) return;
    list.querySelector(':scope > li.more-row')?.remove();
    const from = list.querySelectorAll(':scope > li.node').length;
    this.appendChildren(list, children, from, at + 1);
  }

  markSelected(index: number): void {
    for (const el of this.element.querySelectorAll('.node-line.selected')) el.classList.remove('selected');
    this.nodes.get(index)?.querySelector('.node-line')?.classList.add('selected');
  }

  expand(index: number): void {
    const li = this.nodes.get(index);
    if (li === undefined) return;
    let list = this.childLists.get(index);
    // Already open: nothing to write (selecting a process opens every ancestor again, 20,000 of them in a deep chain).
    if (list !== undefined && !list.hidden && this.continued.get(index)?.hidden !== true) return;
    const toggle = li.querySelector<HTMLElement>(':scope > .node-line > .twisty');
    if (list === undefined) {
      list = h('ul', { role: 'group' });
      this.childLists.set(index, list);
      const level = (this.listLevels.get(li.parentElement!) ?? 0) + 1;
      if (level < MAX_NEST) {
        li.appendChild(list);
        this.listLevels.set(list, level);
      } else {
        // Too deep to nest: a list at the tree's top, after what is there, naming whose children it holds.
        const p = this.app.processes[index];
        const item = h('li', { class: 'continued' },
          h('div', { class: 'continued-from' }, `Depth ${this.depthOf(index) + 1}: the children of `,
            anchor(`proc-${index}`, null, `pid ${p.pid}`), ` (${MAX_NEST} levels are drawn nested; deeper ones continue here)`),
          list);
        this.rootList.appendChild(item);
        this.continued.set(index, item);
        this.listLevels.set(list, 1);
      }
      this.appendChildren(list, this.app.children[index], 0);
    }
    list.hidden = false;
    const item = this.continued.get(index);
    if (item !== undefined) item.hidden = false;
    toggle?.setAttribute('aria-expanded', 'true');
    if (toggle) toggle.textContent = '▾';
  }

  collapse(index: number): void {
    const li = this.nodes.get(index);
    const list = this.childLists.get(index);
    if (li === undefined || list === undefined) return;
    list.hidden = true;
    const item = this.continued.get(index);
    if (item !== undefined) item.hidden = true;
    const toggle = li.querySelector<HTMLElement>(':scope > .node-line > .twisty');
    toggle?.setAttribute('aria-expanded', 'false');
    if (toggle) toggle.textContent = '▸';
  }

  private expandAll(limit: number): void {
    const queue = [...this.roots];
    let opened = 0;
    while (queue.length > 0 && opened < limit) {
      const i = queue.shift()!;
      if (this.app.children[i].length === 0) continue;
      this.expand(i);
      opened += this.app.children[i].length;
      queue.push(...this.app.children[i]);
    }
  }

  private collapseAll(): void {
    for (const i of this.nodes.keys()) this.collapse(i);
  }

  /** The process's depth in the whole tree (a root: 0), walked once per process. */
  private depthOf(index: number): number {
    const path: number[] = [];
    let base = -1;
    for (let i = index; i >= 0; i = this.app.processes[i].parent) {
      if (this.depths[i] >= 0) {
        base = this.depths[i];
        break;
      }
      path.push(i);
    }
    for (let k = path.length - 1; k >= 0; k--) this.depths[path[k]] = ++base;
    return this.depths[index];
  }

  /** Renders children[from..] a page at a time (at least up to `atLeast`), then a button for the rest. */
  private appendChildren(list: HTMLElement, children: readonly number[], from: number, atLeast = 0): void {
    // At the tree's top, roots go before the lists continued there (opened meanwhile, deep in an earlier root).
    const before = list === this.rootList ? list.querySelector(':scope > li.continued') : null;
    const end = Math.min(children.length, Math.max(from + CHILDREN_PAGE, atLeast));
    for (let i = from; i < end; i++) list.insertBefore(this.renderNode(children[i]), before);
    if (end < children.length) {
      const more = button(`Show ${Math.min(CHILDREN_PAGE, children.length - end)} more of ${children.length - end}`, () => {
        more.parentElement?.remove();
        this.appendChildren(list, children, end);
      }, { class: 'more' });
      list.insertBefore(h('li', { class: 'more-row' }, more), before);
    }
  }

  private renderNode(index: number): HTMLElement {
    const app = this.app;
    const p = app.processes[index];
    const kids = app.children[index].length;
    const toggle = kids > 0
      ? button('▸', (e) => {
        e.stopPropagation();
        if (toggle.getAttribute('aria-expanded') === 'true') this.collapse(index);
        else this.expand(index);
      }, { class: 'twisty', 'aria-expanded': 'false', 'aria-label': `${kids} child process(es)` })
      : h('span', { class: 'twisty leaf', 'aria-hidden': 'true' }, '·');
    const program = h('span', { class: 'exe' }, hostile(p.exe ?? `[${p.comm}]`));
    const args = p.argv !== null && p.argv.length > 1 ? p.argv.slice(1).join(' ') : '';
    const argText = h('span', { class: 'args', title: args }, hostile(args.length > ARG_CHARS ? `${args.slice(0, ARG_CHARS - 1)}…` : args));
    const cwd = p.fields.find(([k]) => k === 'cwd');
    const end = p.exit === null ? 'running at end' : p.exit.signal !== 0 ? `killed by signal ${p.exit.signal}` : `exit ${p.exit.code}`;
    const line = h('div', { class: 'node-line', role: 'treeitem', tabindex: 0, 'data-process': index, id: `proc-${index}` },
      toggle,
      h('span', { class: 'pid' }, String(p.pid)),
      program, ' ', argText,
      h('span', { class: 'meta' }, 'uid ', hostile(p.uids.map((u) => userText(p, u)).join('→')), cwd ? ' · cwd ' : '', cwd ? hostile(cwd[1]) : '', ` · ${end}${p.known ? '' : ' · started before capture'}${p.startedBy === null ? '' : ` · started by ${p.startedBy.pid}, given to ${p.parent < 0 ? `${p.ppid} (not seen)` : 'this parent'}`}`),
      ...p.badges.map((b) => {
        const info = app.data.badges.find((x) => x.id === b);
        return h('span', { class: `badge badge-${b}`, title: info?.description ?? b }, info?.label ?? b);
      }),
      p.alerts > 0 ? h('span', { class: 'badge alerts', title: 'alerts raised by this process' }, `${p.alerts} alert${p.alerts === 1 ? '' : 's'}`) : null);
    line.addEventListener('click', () => app.selectProcess(index, false));
    line.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') app.selectProcess(index, false);
      else if (e.key === 'ArrowRight') this.expand(index);
      else if (e.key === 'ArrowLeft') this.collapse(index);
    });
    const li = h('li', { class: 'node' }, line);
    this.nodes.set(index, li);
    return li;
  }
}

/** What the process list leaves out, and why, one sentence each. */
function processNotes(list: App['data']['processes']): string[] {
  const notes: string[] = [];
  if (list.omitted > 0) {
    notes.push(list.alerting_omitted > 0
      ? `${count(list.omitted)} of ${count(list.total)} processes are not listed, ${count(list.alerting_omitted)} of them with alerts: even without their panels the processes did not fit the report's size budget. Their alerts are counted, and a listed one says "not listed (size budget)" for its process; rg-replay tree and rg-replay FILE --json show every process.`
      : `${count(list.omitted)} of ${count(list.total)} processes are not listed (no alerts, beyond the report's cap or size budget); rg-replay tree shows every process.`);
  }
  if (list.panel_entries_omitted > 0) {
    const loud = list.alerting_panel_entries_omitted;
    notes.push(`${count(list.panel_entries_omitted)} panel entries (values a process's panels list: programs, files, addresses) are left out to keep the page within its size budget`
      + `${loud > 0 ? `, ${count(loud)} of them of processes with alerts` : ', none of a process with alerts'}; each panel counts the occurrences it does not list. rg-replay FILE --json has every event.`);
  }
  return notes;
}
