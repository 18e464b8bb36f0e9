/** The page's static sections: the evidence header, coverage gaps, alerts by severity, indicators. */
import { type AlertItem, type InputSummary } from '../model.js';
import { type App, processLabel } from './app.js';
import { anchor, h, hostile, hostileIn } from './dom.js';
import { bytes, count, duration } from './format.js';

export function renderHeader(app: App): HTMLElement {
  const d = app.data;
  const hosts = [...new Set(d.inputs.map((i) => i.host ?? 'unknown host'))];
  const totals = d.totals;
  const lost = totals.lost_kernel + totals.lost_user;
  const damaged = d.inputs.filter((i) => i.damaged).length;
  const loss = [
    ...(lost > 0 ? [`${count(lost)} events lost`] : []),
    ...(totals.lost_damaged > 0 ? [`${count(totals.lost_damaged)} records lost to damage`] : damaged > 0 ? [`${damaged} damaged input${damaged === 1 ? '' : 's'}`] : []),
  ];
  return h('header', { id: 'summary' },
    h('h1', null, 'Investigation report: ', ...hosts.flatMap((host, i) => [i > 0 ? ', ' : '', hostile(host)])),
    h('p', { class: 'lead' },
      d.time.first !== null ? `${d.time.first} – ${d.time.last} (${duration(d.time.last_ns - d.time.first_ns)})` : 'no events',
      ` · ${count(totals.events)} events · ${count(d.processes.total)} processes · `,
      h('strong', { class: d.alerts.total > 0 ? 'bad' : 'good' }, `${count(d.alerts.total)} alert${d.alerts.total === 1 ? '' : 's'}`),
      ' · ', h('strong', { class: loss.length > 0 ? 'bad' : 'good', id: 'loss' }, loss.length > 0 ? loss.join(', ') : 'no loss'),
      totals.invalid > 0 ? h('strong', { class: 'bad' }, ` · ${count(totals.invalid)} invalid records`) : null),
    h('section', { id: 'evidence' },
      h('h2', null, 'Evidence'),
      ...d.inputs.map(renderInput),
      h('p', { class: 'dim' }, `Report by ${d.tool.name} ${d.tool.version}. Every value below comes from the capture files; nothing was looked up elsewhere.`)));
}

function renderInput(input: InputSummary, index: number): HTMLElement {
  const v = input.verify;
  const verdict = h('span', { class: `verdict verdict-${v.verdict}`, id: `verdict-${index}` }, v.verdict.toUpperCase());
  const signature = v.signature === 'unsigned' ? 'not signed (the hash chain detects damage and naive edits, not a rewrite of the whole file)'
    : v.signature === 'not_checked' ? 'signed, not checked (give --pubkey)' : v.signature.replace('_', ' ');
  const facts: [string, Node | string][] = [
    ['file', hostileIn('code', null, input.path)],
    ['SHA-256', h('code', { class: 'hash' }, input.sha256)],
    ['verify', h('span', null, verdict, v.verdict === 'verified' ? ' checksums, hash chain and totals intact'
      : v.verdict === 'incomplete' ? ' no end record: the chain is intact as far as it goes, totals cannot be checked' : ' the file is not what the recorder wrote')],
    ['signature', signature],
    ['host', hostileIn('span', null, `${input.host ?? 'unknown'}${input.machine ? ` (${input.machine})` : ''}`)],
    ['kernel', hostileIn('span', null, input.kernel ?? 'unknown')],
    ['boot id', hostileIn('code', null, input.boot_id ?? 'unknown')],
    ['recorded by', hostileIn('span', null, `rand-guard ${input.tool_version ?? 'unknown'}${input.bpf_object_sha256 ? `, BPF object ${input.bpf_object_sha256.slice(0, 16)}…` : ''}`)],
    ['file state', `${input.damaged ? `DAMAGED${input.records_lost > 0 ? ` (${count(input.records_lost)} records lost)` : ''}` : input.complete ? 'complete' : 'INCOMPLETE'}, ${count(input.frames)} frames, ${bytes(input.bytes)}${input.stop_reason ? `, stopped by ${input.stop_reason}` : ''}`],
  ];
  const problems = [...v.problems, ...(v.more_problems > 0 ? [`… ${v.more_problems} more`] : [])];
  // Damage that breaks the file is also a verify problem: each line once.
  const damage = [...input.damage.filter((x) => !v.problems.includes(x)), ...(input.damage_count > input.damage.length ? [`… ${input.damage_count - input.damage.length} more damage reports`] : [])];
  return h('div', { class: 'input' },
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, val]) => [h('dt', null, k), h('dd', null, val)])),
    problems.length > 0 ? h('ul', { class: 'problems' }, ...problems.map((p) => hostileIn('li', null, p))) : null,
    damage.length > 0 ? h('ul', { class: 'problems' }, ...damage.map((p) => hostileIn('li', null, p))) : null,
    h('details', { class: 'options' }, h('summary', null, 'Capture options'),
      h('dl', { class: 'facts' }, ...input.capture.flatMap(([k, val]) => [h('dt', null, k), hostileIn('dd', null, val)]))));
}

export function renderCoverage(app: App): HTMLElement {
  const c = app.data.coverage;
  return h('section', { id: 'coverage' },
    h('h2', null, 'What this capture cannot show'),
    h('p', { id: 'detections' }, c.detections.join(' ')),
    c.not_recorded.length > 0
      ? h('ul', { class: 'gaps' }, ...c.not_recorded.map((n) => h('li', null, h('strong', null, n.kind), `: ${n.reason}`)))
      : h('p', null, 'Every kind this build knows was recorded.'),
    h('ul', { class: 'blind' }, ...c.blind_spots.map((s) => hostileIn('li', null, s))));
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

export function renderAlerts(app: App): HTMLElement {
  const list = app.data.alerts;
  const bySeverity = new Map<string, [AlertItem, number][]>();
  list.items.forEach((a, i) => {
    const key = SEVERITIES.includes(a.severity) ? a.severity : 'info';
    bySeverity.set(key, [...(bySeverity.get(key) ?? []), [a, i]]);
  });
  const groups = SEVERITIES.filter((s) => bySeverity.has(s)).map((s) => h('div', { class: 'severity-group' },
    h('h3', null, h('span', { class: `sev sev-${s}` }, s), ` ${bySeverity.get(s)!.length}`),
    h('table', { class: 'alerts' },
      h('thead', null, h('tr', null, ...['time (UTC)', 'rule', 'ATT&CK', 'what', 'process', 'evidence'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, ...bySeverity.get(s)!.map(([a, i]) => renderAlert(app, a, i))))));
  const omitted = list.omitted_by_rule.length > 0
    ? h('p', { class: 'notes' }, `${count(list.total - list.items.length)} further alerts are counted, not listed: `, list.omitted_by_rule.map(([r, n]) => `${r} ${n}`).join(', '))
    : null;
  return h('section', { id: 'alerts' },
    h('h2', null, `Alerts (${count(list.total)})`),
    list.total === 0 ? h('p', null, 'The detections raised no alerts on this capture.') : null,
    ...groups, omitted);
}

function renderAlert(app: App, a: AlertItem, i: number): HTMLElement {
  const p = a.process >= 0 ? app.processes[a.process] : null;
  const proc = p === null ? h('span', { class: 'dim' }, a.process === -2 ? 'not listed (size budget)' : 'unknown')
    : anchor(`proc-${a.process}`, { class: 'process-link', 'data-process': a.process }, `${p.pid} `, hostile(processLabel(app, a.process)));
  const evidence = a.event >= 0
    ? anchor('events', { class: 'event-link', 'data-row': a.event }, `${a.event_type} →`)
    : a.t === null
      ? h('span', { class: 'dim', title: 'decided at the end of input, over several events' }, 'correlation')
      : h('span', { class: 'dim', title: 'the table had no room for this event; rg-replay FILE --json has it' }, `${a.event_type} (not in table)`);
  // The alert's own time (exact, as --alerts prints it) in the table's form; an offset when the capture had no clock.
  const when = a.t === null ? (a.time ?? '—') : a.time !== null && app.data.time.wall ? a.time.slice(11, 29) : app.time.offset(a.t);
  const row = h('tr', { id: `alert-${i}`, class: `alert sev-row-${a.severity}` },
    h('td', { class: 'time', title: a.time ?? '' }, when),
    h('td', null, h('code', { title: a.rule_file ?? '' }, a.rule), h('div', null, a.title),
      a.undecided !== null
        ? hostileIn('div', { class: 'undecided', title: 'the rule may have matched: its answer lies in the part of these values the capture cut' }, `undecided: ${a.undecided.join(', ')} cut`)
        : null,
      a.author !== null ? h('div', { class: 'dim author' }, `by ${a.author}`) : null),
    h('td', null, a.techniques.length > 0 ? a.techniques.join(', ') : h('span', { class: 'dim', title: 'the rule carries no ATT&CK tag' }, '—')),
    hostileIn('td', { class: 'subject' }, a.subject),
    h('td', null, proc),
    h('td', null, evidence));
  proc.addEventListener('click', (e) => {
    e.preventDefault();
    if (a.process >= 0) app.selectProcess(a.process, true);
  });
  evidence.addEventListener('click', (e) => {
    if (a.event < 0) return;
    e.preventDefault();
    app.showEvent(a.event);
  });
  return row;
}

/** Groups of at most this many values start open; bigger ones render their table when first opened. */
const OPEN_INDICATORS = 50;

export function renderIndicators(app: App): HTMLElement {
  const groups = app.data.indicators;
  const fills: (() => void)[] = [];
  // On paper every table is there (a toggle event would come too late for the print).
  window.addEventListener('beforeprint', () => { for (const f of fills) f(); });
  return h('section', { id: 'indicators' },
    h('h2', null, 'Indicators'),
    groups.length === 0 ? h('p', null, 'No indicators: no programs, written files, connections or names were recorded.') : null,
    ...groups.map((g) => {
      const info = app.data.groups[g.group];
      const open = g.items.length <= OPEN_INDICATORS;
      const details = h('details', { class: 'indicator-group', open, 'data-group': info.id },
        h('summary', null, `${info.label} (${count(g.items.length)}${g.more > 0 ? `, and ${count(g.more)} more occurrences not listed` : ''})`));
      const fill = () => {
        if (details.querySelector('table') !== null) return;
        details.appendChild(indicatorTable(app, g.items));
      };
      if (open) fill();
      else details.addEventListener('toggle', fill);
      fills.push(fill);
      return details;
    }));
}

function indicatorTable(app: App, items: App['data']['indicators'][number]['items']): HTMLElement {
  return h('table', null,
    h('thead', null, h('tr', null, ...['value', 'times', 'first (UTC)', 'detail', 'processes'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, ...items.map((e) => h('tr', null,
      hostileIn('td', { class: 'value' }, e.value),
      h('td', { class: 'num' }, count(e.count)),
      h('td', null, app.time.clock(e.t, e.x)),
      hostileIn('td', { class: 'dim' }, e.detail),
      h('td', null, ...e.processes.flatMap((pi, j) => {
        const link = anchor(`proc-${pi}`, { class: 'process-link', 'data-process': pi }, String(app.processes[pi].pid));
        link.addEventListener('click', (ev) => { ev.preventDefault(); app.selectProcess(pi, true); });
        return j > 0 ? [' ', link] : [link];
      }))))));
}
