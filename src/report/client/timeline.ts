/**
 * Events per kind over time as stacked bars (every event, not only the
 * table's), on a canvas. Dragging across it selects a time range that filters
 * the table; a click without a drag, or Clear, removes it. Arrow keys nudge
 * the selection for keyboard users.
 */
import { type App } from './app.js';
import { button, h } from './dom.js';
import { count, duration } from './format.js';

const HEIGHT = 140;
const AXIS = 18;

export function renderTimeline(app: App): HTMLElement {
  const hist = app.data.histogram;
  const bins = hist.series[0]?.length ?? 0;
  const canvas = h('canvas', { id: 'timeline-canvas', height: HEIGHT, tabindex: 0, 'aria-label': 'events over time: drag to select a range' }) as HTMLCanvasElement;
  const label = h('span', { id: 'timeline-range', class: 'status' });
  const legend = h('div', { class: 'legend' }, ...app.data.kinds.map((k, i) => {
    const sw = h('span', { class: 'swatch' });
    sw.style.background = k.color;
    return h('span', null, sw, `${k.name} ${count(app.data.totals.by_kind[i] ?? 0)}`);
  }));
  const totals = new Float64Array(bins);
  for (const s of hist.series) for (let i = 0; i < bins; i++) totals[i] += s[i];
  const peak = Math.max(1, ...totals);
  const span = bins * hist.bin_ns;
  let drag: { from: number; to: number } | null = null;

  const timeAt = (x: number) => hist.start_ns + Math.max(0, Math.min(1, x / canvas.clientWidth)) * span;
  const xAt = (t: number, width: number) => ((t - hist.start_ns) / span) * width;

  const draw = () => {
    const width = Math.max(200, canvas.clientWidth || 800);
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(HEIGHT * ratio);
    }
    const g = canvas.getContext('2d');
    if (g === null) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, HEIGHT);
    const plot = HEIGHT - AXIS;
    const barWidth = width / Math.max(1, bins);
    for (let i = 0; i < bins; i++) {
      let y = plot;
      for (let k = 0; k < hist.series.length; k++) {
        const v = hist.series[k][i];
        if (v === 0) continue;
        // Square root: a burst of opens must not flatten the handful of execs beside it.
        const hgt = (Math.sqrt(v) / Math.sqrt(peak)) * (plot - 4) * (v / totals[i]);
        g.fillStyle = app.data.kinds[k].color;
        g.fillRect(i * barWidth, y - hgt, Math.max(1, barWidth - 0.5), hgt);
        y -= hgt;
      }
    }
    g.fillStyle = '#57606a';
    g.font = '11px sans-serif';
    g.fillText(app.time.clock(hist.start_ns), 2, HEIGHT - 4);
    const end = app.time.clock(hist.start_ns + span);
    g.fillText(end, width - g.measureText(end).width - 2, HEIGHT - 4);
    const range = drag !== null ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : app.filters.range;
    if (range !== null && range !== undefined) {
      const x0 = xAt(range[0], width);
      const x1 = xAt(range[1], width);
      g.fillStyle = 'rgba(9, 105, 218, 0.15)';
      g.fillRect(x0, 0, Math.max(1, x1 - x0), plot);
      g.strokeStyle = '#0969da';
      g.strokeRect(x0 + 0.5, 0.5, Math.max(1, x1 - x0 - 1), plot - 1);
    }
    label.textContent = app.filters.range === null
      ? `${count(app.data.totals.events)} events over ${duration(span)}; drag across the chart to filter the table by time.`
      : `Selected ${app.time.clock(app.filters.range[0])} – ${app.time.clock(app.filters.range[1])} (${duration(app.filters.range[1] - app.filters.range[0])}).`;
  };

  const xOf = (e: PointerEvent) => e.clientX - canvas.getBoundingClientRect().left;
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    const t = timeAt(xOf(e));
    drag = { from: t, to: t };
    draw();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (drag === null) return;
    drag.to = timeAt(xOf(e));
    draw();
  });
  canvas.addEventListener('pointerup', (e) => {
    if (drag === null) return;
    drag.to = timeAt(xOf(e));
    const moved = Math.abs(xAt(drag.to, canvas.clientWidth) - xAt(drag.from, canvas.clientWidth)) >= 3;
    app.filters.range = moved ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : null;
    drag = null;
    app.refilter();
  });
  canvas.addEventListener('keydown', (e) => {
    const step = span / 20;
    const r = app.filters.range ?? [hist.start_ns, hist.start_ns + span / 4];
    if (e.key === 'ArrowRight') app.filters.range = [r[0] + step, r[1] + step];
    else if (e.key === 'ArrowLeft') app.filters.range = [r[0] - step, r[1] - step];
    else if (e.key === 'Escape') app.filters.range = null;
    else return;
    e.preventDefault();
    app.refilter();
  });
  app.listeners.push(draw);
  window.addEventListener('resize', draw);
  requestAnimationFrame(draw);
  return h('section', { id: 'timeline', class: 'timeline' },
    h('h2', null, 'Timeline'),
    legend, canvas,
    h('div', { class: 'row' }, label, button('Clear time range', () => { app.filters.range = null; app.refilter(); }, { id: 'timeline-clear' })));
}
