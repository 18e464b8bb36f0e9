/**
 * `rg-replay report`: how long building the page takes, how big it is, and
 * how soon it is interactive in Chromium (Debian's, through playwright-core).
 * In the browser, per run, as the page itself times it (performance.now(),
 * from navigation start): `ready` when its script has built every section;
 * `interactive` when the first frame after that has been painted and the main
 * thread is free for input; `filter` from a click on a kind toggle to the
 * table redrawn (a pass over every row). Median of `runs`.
 *
 * Runs as the `report` section of `npm run bench` (BENCH_ONLY=report), on the
 * demo capture and the bench's 1M-event captures, or on its own:
 *   node dist/bench/report-bench.js [capture.rgc ...]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { measureNode, median } from './measure.js';
import { type Section } from './section.js';
import { REPLAY_CLI, WORK } from './workloads.js';

export interface ReportBenchInput { readonly label: string; readonly path: string }

export interface ReportBenchResult {
  readonly label: string;
  readonly events: number;
  readonly html_bytes: number;
  readonly table_rows: number;
  readonly build_wall_ms: number;
  readonly build_cpu_ms: number;
  readonly build_peak_rss_mb: number;
  readonly ready_ms: number;
  readonly interactive_ms: number;
  readonly filter_ms: number;
  readonly runs: number;
}

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const READY_TIMEOUT_MS = 60_000;

export async function benchReport(inputs: readonly ReportBenchInput[], runs: number): Promise<ReportBenchResult[]> {
  const out = join(WORK, 'report');
  mkdirSync(out, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'rg-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 }, offline: true });
  try {
    const results: ReportBenchResult[] = [];
    for (const input of inputs) {
      const html = join(out, `${input.label.replace(/\W+/g, '-')}.html`);
      const builds = Array.from({ length: runs }, () => measureNode(REPLAY_CLI, ['report', input.path, '-o', html]));
      for (const b of builds) if (b.exit_code !== 0) throw new Error(`rg-replay report ${input.path} exited ${b.exit_code}`);
      const page: { ready: number; interactive: number; filter: number; rows: number }[] = [];
      for (let i = 0; i < runs; i++) page.push(await measurePage(context, html));
      results.push({
        label: input.label, events: eventsIn(html), html_bytes: statSync(html).size, table_rows: page[0].rows,
        build_wall_ms: median(builds.map((b) => b.wall_ms)), build_cpu_ms: median(builds.map((b) => b.cpu_ms)),
        build_peak_rss_mb: Math.max(...builds.map((b) => b.max_rss_mb)),
        ready_ms: median(page.map((p) => p.ready)), interactive_ms: median(page.map((p) => p.interactive)), filter_ms: median(page.map((p) => p.filter)),
        runs,
      });
    }
    return results;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Events in the capture, as the report's data counts them. */
function eventsIn(html: string): number {
  const m = /<script type="application\/json" id="rg-data">([^]*?)<\/script>/.exec(readFileSync(html, 'utf8'));
  return m === null ? 0 : (JSON.parse(m[1]) as { totals: { events: number } }).totals.events;
}

async function measurePage(context: Awaited<ReturnType<typeof chromium.launchPersistentContext>>, html: string) {
  const page = await context.newPage();
  try {
    await page.goto(`file://${html}`, { timeout: READY_TIMEOUT_MS });
    await page.waitForFunction(() => {
      const r = (window as { rgReport?: { error?: string; interactiveMs?: number } }).rgReport;
      return r !== undefined && (r.error !== undefined || r.interactiveMs !== undefined);
    }, null, { timeout: READY_TIMEOUT_MS });
    return await page.evaluate(() => {
      const handle = (window as unknown as { rgReport: { readyMs: number; interactiveMs: number; error?: string; inspect(): { visibleCount: number } } }).rgReport;
      if (handle.error !== undefined) throw new Error(`the report failed to render: ${handle.error}`);
      const rows = handle.inspect().visibleCount;
      const box = document.querySelector<HTMLInputElement>('input[data-kind="file_open"]') ?? document.querySelector<HTMLInputElement>('.kind-toggle input')!;
      const t0 = performance.now();
      box.click();
      const filter = performance.now() - t0;
      box.click();
      return { ready: handle.readyMs, interactive: handle.interactiveMs, filter, rows };
    });
  } finally {
    await page.close();
  }
}

const DEMO = fileURLToPath(new URL('../../captures/demo.rgc', import.meta.url));

export const reportSection: Section = {
  id: 'report',
  title: 'Report: rg-replay report in Chromium',
  columns: ['size', 'in the browser', 'build'],
  async run(ctx) {
    const inputs = [{ label: 'demo', path: DEMO }, ...ctx.inputs.captures.map((c) => ({ label: `${c.label} capture`, path: c.path }))];
    const results = await benchReport(inputs, Math.min(ctx.runs, 3));
    return {
      rows: results.map((r) => {
        const big = r.events >= 1_000_000;
        return {
          what: `${r.label}, ${r.events.toLocaleString('en-US')} events`,
          cells: [
            `${(r.html_bytes / 1e6).toFixed(1)} MB, ${r.table_rows.toLocaleString('en-US')} table rows`,
            `interactive ${r.interactive_ms.toFixed(0)} ms (script done ${r.ready_ms.toFixed(0)} ms); a filter ${r.filter_ms.toFixed(0)} ms`,
            `${(r.build_wall_ms / 1000).toFixed(1)} s, ${(r.build_cpu_ms / 1000).toFixed(1)} CPU-s, ${r.build_peak_rss_mb.toFixed(0)} MB peak RSS`,
          ],
          target: big ? '<= 30 MB, interactive <= 2 s' : '',
          pass: big ? r.html_bytes <= 30e6 && r.interactive_ms <= 2000 : null,
        };
      }),
      notes: [
        'Times in the browser are the page\'s own (performance.now() from navigation start) in headless Chromium from file://: '
          + '"interactive" is the first frame painted after the page\'s script has built every section, when input is handled; '
          + '"a filter" is a kind toggle over every table row, redrawn. Median of the rounds; build is rg-replay report as a whole process.',
      ],
      data: results,
    };
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const paths = process.argv.slice(2);
  const inputs = (paths.length > 0 ? paths : [fileURLToPath(new URL('../../captures/demo.rgc', import.meta.url))])
    .map((p) => ({ label: p.split('/').pop()!, path: p }));
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
  const results = await benchReport(inputs, runs);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
