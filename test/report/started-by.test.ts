/**
 * A daemon's double fork in the report: 100 (/bin/a) forks 200, 200 forks
 * 300 and exits, and the kernel gives 300 to init. The page's tree lists 300
 * under init, where the kernel put it, and says who started it; its panel
 * links to the starter; "descendants" of 100 and 200 include 300 and what it
 * did, as `rg-replay --pid 100 --tree` and the rules' ancestors.* count them;
 * and a page that lists only some processes keeps the starters of an
 * alerting one. Synthetic records from the ABI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.js';
import { expandProcess, lineageParent } from '../../src/report/model.js';
import { runSession } from '../../src/replay/main.js';
import { runReplayCli } from '../support/golden.js';
import { execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, runBrowserTests, screenshot } from './browser.js';
import { expectedRows, inspect, waitForCount } from './page-data.js';

announceBrowserSkip('started by, in the browser');

const work = mkdtempSync(join(tmpdir(), 'rg-report-started-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Processes forked by init before 100 appears (`fillers`), then the double fork; 300 runs a program from /tmp
 * (an alert). `initSeen` false: init does nothing the capture records (300's new parent is not in it).
 */
function daemonCapture(fillers: number, initSeen = true): string {
  let ts = SYNTHETIC_MONOTONIC_NS + 1000n;
  const at = (pid: number, ppid: number, comm = 'p') => ({ ts: ts++, pid, ppid, comm });
  const records = initSeen ? [execRecord(at(1, 0, 'init'), '/sbin/init', ['/sbin/init'])] : [];
  for (let i = 0; i < fillers; i++) {
    if (initSeen) records.push(forkRecord(at(1, 0, 'init'), 5000 + i));
    records.push(openRecord(at(5000 + i, 1), `/filler/${i}`, 0, 3));
  }
  if (initSeen) records.push(forkRecord(at(1, 0, 'init'), 100));
  records.push(
    execRecord(at(100, 1), '/bin/a', ['/bin/a']),
    openRecord(at(100, 1, 'a'), '/own', 0, 3),
    forkRecord(at(100, 1, 'a'), 200),
    forkRecord(at(200, 100, 'a'), 300),
    exitRecord(at(200, 100, 'a'), 5n, 0),
    // 300's starter exited: the kernel gave it to init, and its records say so.
    openRecord(at(300, 1, 'a'), '/daemon', 0, 3),
    execRecord(at(300, 1, 'a'), '/tmp/payload', ['/tmp/payload']),
    openRecord(at(300, 1, 'payload'), '/daemon-after-exec', 0, 3),
  );
  const path = join(work, `daemon-${fillers}-${initSeen}.rgc`);
  writeFileSync(path, writeSynthetic({ records }));
  return path;
}

async function pageData(path: string, processCap?: number) {
  const { data } = await buildReport((p, sink, rules) => runSession(p, { context: false, ...rules }, () => sink, true),
    { paths: [path], rules: { detect: true }, publicKey: null, ...(processCap === undefined ? {} : { processCap }) });
  const processes = data.processes.items.map(expandProcess);
  return { data, processes, byPid: (pid: number) => processes.findIndex((p) => p.pid === pid) };
}

describe('report data: who started a process the kernel moved', () => {
  it('lists 300 under init and names 200 as its starter; 100 and 200 were not moved', async () => {
    const { data, processes, byPid } = await pageData(daemonCapture(0));
    const [init, a, middle, daemon] = [1, 100, 200, 300].map(byPid);
    expect(processes[daemon].parent).toBe(init);
    expect(processes[daemon].startedBy).toEqual({ pid: 200, index: middle });
    expect(data.processes.items[daemon].started_by).toEqual([200, middle]);
    expect(lineageParent(processes[daemon])).toBe(middle);
    for (const i of [init, a, middle]) {
      expect(processes[i].startedBy).toBeNull();
      expect(data.processes.items[i].started_by).toBeUndefined();
    }
    expect(processes[middle].parent).toBe(a);
    // The alert on /tmp/payload is 300's.
    expect(processes[daemon].alerts).toBeGreaterThan(0);
  });

  it('lists 300 at the top when its new parent is not in the capture, still naming 200 as its starter', async () => {
    const { processes, byPid } = await pageData(daemonCapture(0, false));
    const daemon = processes[byPid(300)];
    expect(byPid(1)).toBe(-1);
    expect(daemon.parent).toBe(-1);
    expect(daemon.ppid).toBe(1);
    expect(daemon.startedBy).toEqual({ pid: 200, index: byPid(200) });
    expect(lineageParent(daemon)).toBe(byPid(200));
  });

  it('a page that lists few processes keeps the alerting one\'s starters, not only its parents', async () => {
    const cap = 4;
    const { data, processes, byPid } = await pageData(daemonCapture(50), cap);
    expect(data.processes.total).toBe(54);
    expect(processes.map((p) => p.pid).sort((x, y) => x - y)).toEqual([1, 100, 200, 300]);
    expect(processes[byPid(300)].startedBy).toEqual({ pid: 200, index: byPid(200) });
  });
});

describe.skipIf(!runBrowserTests)('report page: started by (Chromium)', () => {
  const html = join(work, 'daemon.html');
  let browser: Browser;

  beforeAll(async () => {
    const r = runReplayCli(['report', daemonCapture(0), '-o', html]);
    expect(r.status, r.stderr).toBe(0);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('says who started 300 in the tree and its panel, and counts it among 100\'s descendants', async () => {
    const { page, log } = await openReport(browser, html);
    const lineOf = (pid: number) => page.locator('#process-tree .node-line').filter({ has: page.locator('.pid', { hasText: new RegExp(`^${pid}$`) }) });
    // 300 is drawn under init (the kernel's parent), with its starter named.
    const daemonLine = lineOf(300);
    await expect.poll(() => daemonLine.count()).toBe(1);
    expect(await daemonLine.locator('.meta').textContent()).toContain('started by 200, given to this parent');
    expect(await lineOf(200).locator('.meta').textContent()).not.toContain('started by');
    const parentOfDaemon = await daemonLine.evaluate((el) => el.closest('ul')?.closest('li')?.querySelector(':scope > .node-line .pid')?.textContent);
    expect(parentOfDaemon).toBe('1');

    // Its panel links to its starter, and the link selects it.
    await daemonLine.click();
    const facts = page.locator('#process-panel dl.facts');
    await expect.poll(() => facts.textContent()).toContain('started by');
    const starter = facts.locator('dt:text-is("started by") + dd a.process-link');
    expect(await starter.textContent()).toBe('200 /bin/a');
    await screenshot(page, 'started-by');
    await starter.click();
    await expect.poll(() => page.locator('#process-panel h3').textContent()).toContain('pid 200');

    // "pid 100 and descendants" holds 300's events; 100's own events do not.
    const rows = await inspect(page);
    await page.locator('#filter-pid').fill('100');
    await page.locator('#filter-tree').check();
    const subtree = await expectedRows(page, { pid: 100, descendants: true });
    await waitForCount(page, subtree.length, 'pid 100 and descendants');
    const shownPaths = async () => (await page.locator('#event-table .window .row .subject').allTextContents()).join('\n');
    expect((await inspect(page)).visible).toEqual(subtree);
    expect(await shownPaths()).toContain('/daemon-after-exec');
    expect(await shownPaths()).toContain('/own');
    await page.locator('#filter-tree').uncheck();
    const own = await expectedRows(page, { pid: 100, descendants: false });
    await waitForCount(page, own.length, 'pid 100 alone');
    expect(await shownPaths()).not.toContain('/daemon');
    expect(own.length).toBeLessThan(subtree.length);
    expect(subtree.length).toBeLessThan(rows.visibleCount);
    expect(log.errors).toEqual([]);
  }, 60_000);
});
