/**
 * The report's data, without a browser: what it says about the demo capture
 * agrees with rg-replay's own outputs (verify, --stats, tree, --alerts); every
 * alert points at its evidence row; the same input gives the same bytes
 * (golden files, regenerated only with `npm run gen:fixtures`); and the caps
 * and budgets that keep big pages small keep what they promise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildReport, type BuiltReport, type PageBudget } from '../../src/report/build.js';
import { type RowBudget } from '../../src/report/event-rows.js';
import { embedJson, renderReportHtml } from '../../src/report/html.js';
import { expandProcess, type ReportData } from '../../src/report/model.js';
import { runSession } from '../../src/replay/main.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { goldenText, reportDataOf, reportGoldenPath } from './report-file.js';

const DEMO = 'captures/demo.rgc';

function build(paths: string[], options: { budget?: RowBudget; page?: PageBudget; processCap?: number } = {}): Promise<BuiltReport> {
  return buildReport((p, sink, rules) => runSession(p, { context: false, ...rules }, () => sink, true),
    { paths, rules: { detect: true }, publicKey: null, ...options });
}

/** Absolute times of the table's rows. */
function rowTimes(d: ReportData): number[] {
  let t = 0;
  return d.events.t.map((dt) => (t += dt));
}

const demoReport = await build([DEMO]);

describe('report data of captures/demo.rgc', () => {
  const { data } = demoReport;
  const processes = data.processes.items.map(expandProcess);
  const kindOf = (row: number) => data.kinds[data.events.k[row]].name;
  // The demo's processes, found by what they ran (pids change when the demo is recorded again).
  // scripts/record-demo.sh runs the script by its absolute path (inside the network lab).
  const script = processes.find((p) => p.argv?.[1]?.endsWith('/scripts/intrusion-workload.sh') && p.exe === '/usr/bin/bash')!;
  const dropper = processes.find((p) => p.exe === '/dev/shm/.rg-demo-dropper')!;
  const deleted = processes.find((p) => p.argv?.[0] === '/proc/self/fd/5')!;
  const stats = JSON.parse(runReplayCli([DEMO, '--stats', '--json']).stdout.toString()) as { events: number; by_kind: Record<string, number>; time_range: { first: string; last: string }; kernel: string };

  it('states the file hash and verdict rg-replay verify gives', () => {
    const verify = JSON.parse(runReplayCli(['verify', DEMO, '--json']).stdout.toString()) as { sha256: string; verdict: string; signature: string };
    expect(data.inputs).toHaveLength(1);
    expect(data.inputs[0]).toMatchObject({ path: DEMO, sha256: verify.sha256, host: 'vm', kernel: stats.kernel, complete: true, damaged: false });
    expect(data.inputs[0].verify).toMatchObject({ verdict: verify.verdict, signature: verify.signature, problems: [] });
  });

  it('counts what --stats counts, and the timeline holds every event', () => {
    expect(data.totals.events).toBe(stats.events);
    expect(Object.fromEntries(data.kinds.map((k, i) => [k.name, data.totals.by_kind[i]]))).toEqual(stats.by_kind);
    expect(data.time.first).toBe(stats.time_range.first);
    expect(data.time.last).toBe(stats.time_range.last);
    data.histogram.series.forEach((s, k) => expect(s.reduce((a, b) => a + b, 0)).toBe(data.totals.by_kind[k]));
    expect(data.events.shown).toBe(stats.events);
    expect(data.events.notes).toEqual([]);
  });

  it('has the process tree rg-replay tree has', () => {
    interface TreeNode { pid: number; exe: string | null; children: TreeNode[] }
    const tree = JSON.parse(runReplayCli(['tree', DEMO, '--json']).stdout.toString()) as TreeNode[];
    const flat: [number, number | null, string | null][] = [];
    const walk = (n: TreeNode, parent: number | null) => { flat.push([n.pid, parent, n.exe]); n.children.forEach((c) => walk(c, n.pid)); };
    tree.forEach((r) => walk(r, null));
    const ours = processes.map((p) => [p.pid, p.parent < 0 ? null : processes[p.parent].pid, p.exe]);
    expect(ours.sort()).toEqual(flat.sort());
  });

  it('links every alert to its source event and process', () => {
    const alerts = runReplayCli([DEMO, '--alerts', '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { rule_id: string; process: { pid: number }; source: { event_type: string } });
    expect(data.alerts.items.map((a) => a.rule).sort()).toEqual(alerts.map((a) => a.rule_id).sort());
    // Critical first: the two deleted or memory-only programs, the process_vm write, the mount over /proc/PID, two
    // reverse shells and the bind shell; the io_uring use is medium.
    expect(data.alerts.items.map((a) => a.severity)).toEqual([...Array(7).fill('critical'), ...Array(26).fill('high'), 'medium']);
    const strings = data.events.strings;
    for (const a of data.alerts.items) {
      // A rule may fire more than once (two module loads, two wiped logs): the alert of this rule by this process.
      const source = alerts.find((x) => x.rule_id === a.rule && x.process.pid === processes[a.process].pid)!;
      expect(source, `${a.rule} by pid ${processes[a.process].pid}`).toBeDefined();
      expect(processes[a.process].pid).toBe(source.process.pid);
      expect(a.event).toBeGreaterThanOrEqual(0);
      expect(kindOf(a.event)).toBe(source.source.event_type);
      expect(data.events.p[a.event]).toBe(a.process);
      expect(strings[data.events.a[a.event]]).toBe(a.subject);
      expect(rowTimes(data)[a.event]).toBe(a.t);
    }
    expect(data.alerts.items.find((a) => a.rule === 'network.watched_destination')!.subject).toBe('127.0.0.1:4444');
  });

  it('badges what the data supports: deleted or memfd program, run from a world-writable directory', () => {
    expect(dropper.badges).toEqual(['world_writable']);
    expect(deleted.badges).toEqual(['deleted_program']);
    // The scripted intrusion's second part: a program run from a memfd, and two processes whose credentials changed
    // (nobody running id, and nobody running a set-user-id root copy of it).
    const memfd = processes.find((p) => p.exe?.startsWith('/memfd:rg-demo-payload'))!;
    expect(memfd.badges).toEqual(['deleted_program']);
    const changed = processes.filter((p) => p.badges.includes('privilege_change'));
    expect(changed.map((p) => p.exe).sort()).toEqual(['/usr/bin/id', expect.stringMatching(/\/\.rootid$/)].sort());
    // The network part's bind shell: a program from /dev/shm that listened.
    const bind = processes.find((p) => p.exe === '/dev/shm/.rg-bind')!;
    expect(bind.badges).toEqual(['world_writable', 'listener']);
    expect(processes.filter((p) => p.badges.length > 0).map((p) => p.pid).sort()).toEqual([dropper.pid, deleted.pid, memfd.pid, bind.pid, ...changed.map((p) => p.pid)].sort());
  });

  it('fills per-process panels and indicators', () => {
    const group = (id: string) => data.groups.findIndex((g) => g.id === id);
    const values = (g: string) => script.panels.find((x) => x.group === group(g))?.items.map((e) => e.value) ?? [];
    expect(values('written')).toContain('/etc/cron.d/rg-demo-job');
    expect(values('connections')).toEqual(['127.0.0.1:18080', '127.0.0.1:4444']);
    const indicator = (g: string) => data.indicators.find((x) => x.group === group(g))!.items;
    // Programs with their device and inode; the path the caller gave, when it differs from the kernel's.
    const dropped = indicator('executed').find((e) => e.value === '/dev/shm/.rg-demo-dropper')!;
    expect(dropped.detail).toMatch(/^exe_dev=\d+:\d+ exe_ino=\d+$/);
    expect(dropped.processes.map((i) => processes[i].pid)).toEqual([dropper.pid]);
    expect(indicator('executed').find((e) => e.value === deleted.exe)!.detail).toMatch(/exe_deleted filename=\/proc\/self\/fd\/5$/);
    expect(indicator('written').map((e) => e.value)).toContain(`${script.argv![2]}/home/.ssh/authorized_keys`);
    // Failed execs are a kind of their own: a panel and an indicator, without a line of code for them.
    const failed = data.groups.findIndex((g) => g.id === 'kind:exec_failed');
    expect(data.indicators.find((x) => x.group === failed)!.items.every((e) => /error=E[A-Z]+/.test(e.detail))).toBe(true);
  });

  it('names what DNS messages ask about, as --json and --alerts do: in alerts, rows, panels and indicators', () => {
    type Alert = { rule_id: string; source?: { ts_ns: string }; dns_names?: string[] };
    const cli = runReplayCli([DEMO, '--alerts', '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Alert)
      .filter((a) => a.rule_id.startsWith('dns.'));
    const listed = data.alerts.items.filter((a) => a.rule.startsWith('dns.'));
    expect(listed.map((a) => a.rule)).toEqual(cli.map((a) => a.rule_id));
    // The alert's dns_names are lower-cased for matching; the report shows the name as the message spells it.
    expect(listed.map((a) => a.subject.toLowerCase())).toEqual(cli.map((a) => a.dns_names!.join(', ')));
    expect(listed.map((a) => a.subject)).toContain('pool.supportxmr.com');
    // Every net_dns row is about the names its message asks (what --json prints as dns[].questions), the resolver among its fields.
    const events = runReplayCli([DEMO, '--json', '--kind', 'net_dns']).stdout.toString().trim().split('\n')
      .map((l) => JSON.parse(l) as { addr?: string; dns?: { questions?: { name: string }[] }[] });
    const rows = data.events.k.flatMap((k, r) => (data.kinds[k].name === 'net_dns' ? [r] : []));
    expect(rows.length).toBe(events.length);
    rows.forEach((r, i) => {
      const names = [...new Set(events[i].dns!.flatMap((m) => m.questions!.map((q) => q.name)))];
      expect(data.events.strings[data.events.a[r]]).toBe(names.join(', '));
      if (events[i].addr) expect(data.events.strings[data.events.b[r]]).toContain(`addr=${events[i].addr}`);
      expect(data.events.strings[data.events.b[r]]).toMatch(/ dns=/);
    });
    const dns = data.groups.findIndex((g) => g.id === 'dns');
    const indicator = data.indicators.find((g) => g.group === dns)!.items.map((e) => e.value);
    expect(indicator).toEqual(expect.arrayContaining(['pool.supportxmr.com', 'c2.evil.example']));
    expect(indicator.some((n) => n.startsWith('MZXW6YTBOI'))).toBe(true);
    const miner = processes.findIndex((p) => p.argv?.join(' ') === 'getent ahosts pool.supportxmr.com');
    expect(processes[miner].panels.find((g) => g.group === dns)!.items.map((e) => e.value)).toEqual(['pool.supportxmr.com']);
  });

  it('states the gaps: the command followed, nothing lost; the working directory is recorded', () => {
    // The demo was recorded by a build with every kind (files and processes, network): none is missing.
    expect(data.coverage.not_recorded).toEqual([]);
    const text = data.coverage.blind_spots.join('\n');
    expect(text).toMatch(/Only one command's process tree was recorded \(--follow: nsenter --target \d+ --net --mount bash -c bash "\$1\/scripts\/intrusion-workload\.sh"/);
    expect(text).not.toMatch(/Relative paths are recorded as the program passed them/);
    expect(script.fields.find(([k]) => k === 'cwd')?.[1]).toMatch(/^\//);
    expect(text).toMatch(/No events were lost/);
    expect(text).toMatch(/1 process\(es\) were already running/);
  });
});

describe('report data with Sigma rules', () => {
  it('lists Sigma alerts with their ATT&CK techniques, each linked to its evidence', async () => {
    const { data } = await buildReport((p, sink, rules) => runSession(p, { context: false, ...rules }, () => sink, true),
      { paths: [DEMO], rules: { detect: true, sigma: [`${REPO_ROOT}rules/sigma`] }, publicKey: null });
    const sigma = data.alerts.items.filter((a) => a.techniques.length > 0);
    expect(sigma.length).toBeGreaterThanOrEqual(3);
    const cron = sigma.find((a) => a.techniques.includes('T1053.003'))!;
    expect(cron.subject).toBe('/etc/cron.d/rg-demo-job');
    for (const a of sigma) {
      expect(a.event).toBeGreaterThanOrEqual(0);
      expect(a.techniques.every((t) => /^T\d{4}(\.\d{3})?$/.test(t))).toBe(true);
    }
    // The built-in detections still run beside them; the page says what ran.
    expect(data.alerts.items.map((a) => a.rule)).toContain('persistence.cron');
    expect(data.coverage.detections[0]).toBe('The built-in detections ran.');
    expect(data.coverage.detections[1]).toMatch(/^Sigma: \d+ of \d+ rules loaded; the other \d+ are for logs or fields rand-guard does not record/);
  });
});

describe('report determinism and golden data', () => {
  const captures = readdirSync(`${REPO_ROOT}captures`).filter((n) => n.endsWith('.rgc')).sort();
  for (const capture of captures) {
    it(`${capture}: the same bytes twice, and the data matches ${reportGoldenPath(capture)}`, () => {
      const first = runReplayCli(['report', `captures/${capture}`, '-o', '-']);
      const second = runReplayCli(['report', `captures/${capture}`, '-o', '-']);
      expect(first.stdout.length).toBeGreaterThan(10_000);
      expect(second.stdout.equals(first.stdout)).toBe(true);
      const expected = readFileSync(`${REPO_ROOT}${reportGoldenPath(capture)}`, 'utf8');
      expect(goldenText(reportDataOf(first.stdout.toString()))).toBe(expected);
    });
  }
});

describe('report budgets and caps', () => {
  it('processes with alerts that do not fit the process budget give way too (panels, then processes), and the build ends', async () => {
    const full = (await build([DEMO])).data;
    for (const processBytes of [4_000, 2]) {
      const d = (await build([DEMO], { page: { totalBytes: 28 << 20, processBytes } })).data;
      expect(Buffer.byteLength(embedJson(d.processes.items))).toBeLessThanOrEqual(processBytes);
      const items = d.processes.items.map(expandProcess);
      expect(d.processes.omitted).toBe(88 - items.length);
      expect(d.processes.alerting_omitted).toBe(24 - items.filter((p) => p.alerts > 0).length);
      expect(d.processes.alerting_omitted).toBeGreaterThan(0);
      // Every alert is still listed; those of a process left out say so (-2), the others point at their process.
      expect(d.alerts.items.length).toBe(full.alerts.items.length);
      for (const a of d.alerts.items) {
        if (a.process >= 0) expect(items[a.process].alerts).toBeGreaterThan(0);
        else if (full.alerts.items.find((f) => f.rule === a.rule && f.t === a.t)!.process >= 0) expect(a.process).toBe(-2);
      }
      for (const p of items) if (p.parent >= 0) expect(p.parent).toBeLessThan(items.length);
    }
    const none = (await build([DEMO], { page: { totalBytes: 28 << 20, processBytes: 2 } })).data;
    expect(none.processes.items).toEqual([]);
  }, 30_000);

  it('a small table keeps every alert\'s evidence first, then a stated sample, deterministically', async () => {
    const budget = { maxRows: 40, maxBytes: 1 << 20 };
    const a = (await build([DEMO], { budget })).data;
    const b = (await build([DEMO], { budget })).data;
    expect(renderReportHtml(a)).toBe(renderReportHtml(b));
    expect(a.events.shown).toBe(40);
    expect(a.events.total).toBe(4106);
    for (const alert of a.alerts.items) expect(alert.event).toBeGreaterThanOrEqual(0);
    // Notable events (process starts, forks and exits, writes, connects: more than 40 of them) outrank routine reads.
    a.events.k.forEach((k, row) => {
      const fields = a.events.strings[a.events.b[row]];
      if (a.kinds[k].name === 'file_open') expect(fields, 'a file_open in the table is a write').toMatch(/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/);
    });
    expect(a.events.notes.join(' ')).toMatch(/not in the table|sample/);
    const times = rowTimes(a);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  it('the page budget trims the table to what is left after everything else', async () => {
    const full = (await build([DEMO])).data;
    const html = renderReportHtml(full).length;
    // The table's JSON is ~14 kB of the demo page: take 6 kB away.
    const page = { totalBytes: html - 6_000, processBytes: 1 << 20 };
    const trimmed = (await build([DEMO], { page })).data;
    expect(trimmed.events.shown).toBeLessThan(full.events.shown);
    expect(trimmed.events.shown).toBeGreaterThan(50);
    expect(Buffer.byteLength(renderReportHtml(trimmed))).toBeLessThanOrEqual(page.totalBytes);
    for (const alert of trimmed.alerts.items) expect(alert.event).toBeGreaterThanOrEqual(0);
  });

  it('a process cap keeps every alerting process and its ancestors, and says how many are left out', async () => {
    // 24 processes alert, and two ancestors of theirs do not (rg-capture, the lab's shell): a cap of 30 keeps those and 4 more.
    const d = (await build([DEMO], { processCap: 30 })).data;
    const items = d.processes.items.map(expandProcess);
    expect(d.processes.total).toBe(88);
    expect(d.processes.omitted).toBe(88 - items.length);
    expect(items.length).toBe(30);
    const pids = items.map((p) => p.pid);
    const all = (await build([DEMO])).data.processes.items.map(expandProcess);
    const alerting = all.filter((p) => p.alerts > 0);
    expect(alerting.length).toBe(24);
    for (const p of alerting) expect(pids).toContain(p.pid);
    expect(pids).toContain(all[alerting[0].parent].pid);
    for (const p of items) if (p.parent >= 0) expect(p.parent).toBeLessThan(items.length);
    for (const a of d.alerts.items) expect(items[a.process].alerts).toBeGreaterThan(0);
    expect(d.events.notes.join(' ')).toMatch(/belong to processes left out/);
  });
});
