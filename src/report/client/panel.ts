/**
 * One process in full: identity, how it ended, badges, what it did by kind,
 * its alerts, and its panels (files written, deleted and renamed, connections,
 * DNS names, and any kind with paths the schema adds).
 */
import { type App, processLabel, userText } from './app.js';
import { anchor, append, button, clear, h, hostile, hostileIn } from './dom.js';
import { count } from './format.js';

export class ProcessPanel {
  readonly element: HTMLElement;

  constructor(private readonly app: App) {
    this.element = h('aside', { class: 'panel', id: 'process-panel', 'aria-live': 'polite' },
      h('p', { class: 'dim' }, 'Select a process in the tree, an alert or an event to see what it did.'));
  }

  show(index: number): void {
    const app = this.app;
    const p = app.processes[index];
    clear(this.element);
    const parent = p.parent >= 0
      ? anchor(`proc-${p.parent}`, { class: 'process-link', 'data-process': p.parent }, `${app.processes[p.parent].pid} `, hostile(processLabel(app, p.parent)))
      : h('span', null, `${p.ppid} (not seen)`);
    const starter = p.startedBy === null ? null : h('span', null,
      p.startedBy.index >= 0
        ? anchor(`proc-${p.startedBy.index}`, { class: 'process-link', 'data-process': p.startedBy.index }, `${p.startedBy.pid} `, hostile(processLabel(app, p.startedBy.index)))
        : `${p.startedBy.pid} (not listed)`,
      h('span', { class: 'dim' }, ' (it forked this process, then exited; the kernel gave this process to its parent, above)'));
    const argv = p.argv === null ? h('span', { class: 'dim' }, 'unknown') : h('ol', { class: 'argv', start: 0 }, ...p.argv.map((a) => hostileIn('li', null, a)));
    const end = p.exit === null ? 'still running when the capture ended' : p.exit.signal !== 0 ? `killed by signal ${p.exit.signal}` : `exited with status ${p.exit.code}`;
    const rows: [string, Node | string][] = [
      ['pid', String(p.pid)],
      ['parent', parent],
      ...(starter === null ? [] : [['started by', starter] as [string, Node]]),
      ['program', p.exe === null ? h('span', { class: 'dim' }, 'unknown (started before the capture)') : hostileIn('code', null, p.exe)],
      ['argv', argv],
      ['comm', hostileIn('code', null, p.comm)],
      ['user id', hostileIn('span', null, p.uids.map((u) => userText(p, u)).join(' → '))],
      ['started', p.start ?? (p.known ? 'unknown' : 'before the capture')],
      ['ended', end],
      ...p.fields.map(([k, v]): [string, Node] => [k, hostileIn('code', null, v)]),
    ];
    const badges = p.badges.map((b) => {
      const info = app.data.badges.find((x) => x.id === b);
      return h('li', null, h('span', { class: `badge badge-${b}` }, info?.label ?? b), ` ${info?.description ?? ''}`);
    });
    const counts = app.data.kinds.map((k, i) => [k.name, p.counts[i]] as const).filter(([, n]) => n > 0);
    const alerts = app.data.alerts.items.map((a, i) => [a, i] as const).filter(([a]) => a.process === index);
    append(this.element, [
      h('h3', null, `pid ${p.pid} `, hostileIn('code', null, processLabel(app, index))),
      h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      badges.length > 0 ? h('ul', { class: 'badges' }, ...badges) : null,
      h('p', null, counts.length === 0 ? 'No events of its own.' : counts.map(([k, n]) => `${count(n)} ${k}`).join(', ')),
      h('div', { class: 'row' },
        button('Show its events', () => app.filterToProcess(index, false), { id: 'panel-events' }),
        button('…with descendants', () => app.filterToProcess(index, true), { id: 'panel-events-tree' })),
      alerts.length > 0 ? h('h4', null, 'Alerts') : null,
      alerts.length > 0 ? h('ul', { class: 'alert-list' }, ...alerts.map(([a, i]) => h('li', null,
        anchor(`alert-${i}`, { class: `sev sev-${a.severity}` }, a.severity), ` ${a.title} `, hostileIn('code', null, a.subject)))) : null,
      ...p.panels.map((g) => h('div', { class: 'panel-group', 'data-group': app.data.groups[g.group].id },
        h('h4', null, app.data.groups[g.group].label),
        h('table', null,
          h('thead', null, h('tr', null, h('th', null, 'value'), h('th', null, 'times'), h('th', null, 'first'), h('th', null, 'detail'))),
          h('tbody', null, ...g.items.map((e) => h('tr', null,
            hostileIn('td', { class: 'value' }, e.value), h('td', { class: 'num' }, count(e.count)),
            h('td', null, app.time.clock(e.t, e.x)), hostileIn('td', { class: 'dim' }, e.detail))))),
        g.more > 0 ? h('p', { class: 'dim' }, `and ${count(g.more)} more occurrences of other values`) : null)),
    ]);
    for (const link of this.element.querySelectorAll<HTMLElement>('a.process-link')) {
      link.addEventListener('click', (e) => {
        e.preventDefault();
        app.selectProcess(Number(link.dataset.process), true);
      });
    }
  }
}
