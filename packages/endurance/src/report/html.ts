/**
 * The report page: one self-contained HTML file (no network) with the checks, the trend against past
 * runs, and interactive charts drawn by uPlot, inlined from the `uplot` package: hover shows values
 * (cursors synced across charts), drag to zoom, double-click to reset; fault windows shaded inside the
 * plot area only; time ticks at 1/2/5/10/15/30 s, min or h steps.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Check } from '../checks.js';
import type { Trend } from '../history.js';

export interface ChartSeries {
  label: string;
  /** x (seconds since the start) and y, same length; null is a gap. */
  x: readonly number[];
  y: readonly (number | null)[];
  /** 'line' (default), 'points' (fitted points: circles only), 'dash' (a fitted line). */
  kind?: 'line' | 'points' | 'dash';
  /** Draw as a step function (cumulative counters, caps). */
  step?: boolean;
}

export interface Chart {
  title: string;
  unit: string;
  series: readonly ChartSeries[];
}

export interface FaultWindow {
  name: string;
  startS: number;
  endS: number;
}

export interface ReportPage {
  title: string;
  verdict: 'pass' | 'fail';
  meta: Record<string, string | number>;
  checks: readonly Check[];
  faults: readonly FaultWindow[];
  charts: readonly Chart[];
  trend: Trend | null;
  durationS: number;
}

/** Joins series with different x onto one sorted x axis (uPlot's data layout), nulls elsewhere. */
export function alignSeries(series: readonly ChartSeries[]): { x: number[]; ys: (number | null)[][] } {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      y[index.get(x)!] = s.y[i] ?? null;
    });
    return y;
  });
  return { x: xs, ys };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

let uplotAssets: { js: string; css: string } | null = null;
function assets(): { js: string; css: string } {
  if (!uplotAssets) {
    const require = createRequire(import.meta.url);
    uplotAssets = {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

const fmt = (v: number | null) =>
  v === null ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

function trendTable(trend: Trend): string {
  if (trend.compared.length === 0) return '<p>No earlier runs of this config in the history yet.</p>';
  const rows = trend.rows
    .map(
      (r) =>
        `<tr class="${r.note.startsWith('higher') ? 'worse' : ''}"><td>${esc(r.quantity)}</td><td>${fmt(r.current)}</td><td>${fmt(r.median)}</td><td>${fmt(r.min)} … ${fmt(r.max)}</td><td>${r.past.map(fmt).join(' ')}</td><td>${esc(r.note)}</td></tr>`,
    )
    .join('');
  const runs = trend.compared
    .map((c) => `${esc(c.date.slice(0, 16))} ${c.verdict === 'pass' ? 'pass' : '<b>fail</b>'}`)
    .join(', ');
  return `<p>This run against the last ${trend.compared.length} run(s) of the same config: ${runs}.</p>
<table><tr><th>quantity</th><th>this run</th><th>median</th><th>range</th><th>past runs, oldest first</th><th></th></tr>${rows}</table>`;
}

const STATUS_TEXT = { pass: 'ok', fail: 'FAIL', inconclusive: 'not judged', reported: 'info' } as const;

export function renderReport(page: ReportPage): string {
  const { js, css } = assets();
  const checks = page.checks
    .map(
      (c) =>
        `<tr class="${c.status}"><td>${STATUS_TEXT[c.status]}</td><td>${esc(c.name)}</td><td>${esc(String(c.value))}</td><td>${esc(String(c.limit))}</td><td>${esc(c.detail ?? '')}</td></tr>`,
    )
    .join('');
  const meta = Object.entries(page.meta)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('');
  const faults = page.faults
    .map((f) => `<li>${esc(f.name)}: ${f.startS.toFixed(0)} s – ${f.endS.toFixed(0)} s</li>`)
    .join('');
  const charts = page.charts.map((c) => {
    const { x, ys } = alignSeries(c.series);
    return {
      title: c.title,
      unit: c.unit,
      data: [x, ...ys],
      series: c.series.map((s) => ({ label: s.label, kind: s.kind ?? 'line', step: s.step === true })),
    };
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(page.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${css}</style>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{margin:0 0 4px}.verdict{font-size:20px;font-weight:bold}.verdict.pass{color:#2b8a3e}.verdict.fail{color:#c92a2a}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
tr.fail td{background:#ffe3e3}tr.pass td:first-child{color:#2b8a3e}tr.fail td:first-child{color:#c92a2a;font-weight:bold}
tr.inconclusive td{background:#fff9db}tr.reported td:first-child{color:#666}tr.worse td{background:#fff4e6}
.chart{margin:18px 0 8px}.chart h3{margin:0 0 4px;font-size:14px}.hint{color:#666}
</style></head><body>
<h1>${esc(page.title)}</h1>
<p class="verdict ${page.verdict}">${page.verdict === 'pass' ? 'PASS' : 'FAIL'}</p>
<table>${meta}</table>
<h2>Checks</h2>
<table><tr><th></th><th>check</th><th>value</th><th>limit</th><th>detail</th></tr>${checks}</table>
<h2>Trend</h2>
${page.trend ? trendTable(page.trend) : '<p>No history file given (<code>--history</code>).</p>'}
<h2>Fault schedule (shaded in the charts)</h2><ul>${faults || '<li>none</li>'}</ul>
<h2>Charts</h2>
<p class="hint">Hover for values (all charts follow the cursor); drag across a chart to zoom in time, double-click to zoom out. Each point is a bucket of the downsampled run (min, max or mean of the samples in it, as labelled).</p>
<div id="charts"></div>
<script type="application/json" id="report-data">${scriptJson({ charts, faults: page.faults, durationS: page.durationS })}</script>
<script>${js}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

/** The page's own script: builds one uPlot per chart from the embedded data. */
const PAGE_SCRIPT = String.raw`
(function () {
  var input = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];
  var FAULT_FILL = ['rgba(250,82,82,0.13)', 'rgba(250,176,5,0.16)', 'rgba(34,139,230,0.13)', 'rgba(64,192,87,0.14)', 'rgba(190,75,219,0.13)', 'rgba(253,126,20,0.14)'];
  var STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  function time(s) {
    if (s === 0) return '0';
    if (Math.abs(s) < 60) return s + ' s';
    if (Math.abs(s) < 3600) { var m = s / 60; return (Number.isInteger(m) ? m : m.toFixed(1)) + ' min'; }
    var h = s / 3600; return (Number.isInteger(h) ? h : h.toFixed(1)) + ' h';
  }
  function num(v) {
    if (v == null) return '–';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return +v.toFixed(2) + '';
    return +v.toPrecision(2) + '';
  }
  function shadeFaults(u) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(b.left, b.top, b.width, b.height);
    ctx.clip();
    ctx.font = Math.round(10 * devicePixelRatio) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    input.faults.forEach(function (f, i) {
      var x0 = u.valToPos(f.startS, 'x', true), x1 = u.valToPos(f.endS, 'x', true);
      if (x1 < b.left || x0 > b.left + b.width) return;
      ctx.fillStyle = FAULT_FILL[i % FAULT_FILL.length];
      ctx.fillRect(x0, b.top, Math.max(1, x1 - x0), b.height);
      ctx.fillStyle = '#555';
      ctx.fillText(f.name, Math.max(x0, b.left) + 3, b.top + 3);
    });
    ctx.restore();
  }
  var plots = [];
  var syncing = false;
  function width() { return Math.max(320, document.getElementById('charts').clientWidth); }
  input.charts.forEach(function (c) {
    var box = document.createElement('div');
    box.className = 'chart';
    var h = document.createElement('h3');
    h.textContent = c.title + ' (' + c.unit + ')';
    box.appendChild(h);
    document.getElementById('charts').appendChild(box);
    var series = [{ label: 'time', value: function (u, v) { return v == null ? '–' : time(Math.round(v)); } }];
    c.series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      var o = { label: s.label, stroke: color, width: 1.5, spanGaps: true, value: function (u, v) { return num(v); } };
      if (s.kind === 'points') {
        o.paths = function () { return null; };
        o.points = { show: true, size: 8, width: 2, fill: 'rgba(255,255,255,0)', stroke: color };
      } else {
        o.points = { show: false };
        if (s.kind === 'dash') { o.dash = [6, 4]; o.width = 2; }
        if (s.step) o.paths = uPlot.paths.stepped({ align: 1 });
      }
      series.push(o);
    });
    var opts = {
      width: width(),
      height: 240,
      series: series,
      scales: { x: { time: false } },
      axes: [
        { incrs: STEPS, values: function (u, splits) { return splits.map(time); }, space: 70 },
        { size: 64, values: function (u, splits) { return splits.map(num); } },
      ],
      cursor: { sync: { key: 'endurance' }, drag: { x: true, y: false } },
      legend: { live: true },
      hooks: {
        drawClear: [shadeFaults],
        setScale: [function (u, key) {
          if (key !== 'x' || syncing) return;
          syncing = true;
          plots.forEach(function (p) { if (p !== u) p.setScale('x', { min: u.scales.x.min, max: u.scales.x.max }); });
          syncing = false;
        }],
      },
    };
    plots.push(new uPlot(opts, c.data, box));
  });
  window.addEventListener('resize', function () { plots.forEach(function (p) { p.setSize({ width: width(), height: 240 }); }); });
  window.__endurancePlots = plots;
})();
`;
