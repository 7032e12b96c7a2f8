/** A self-contained HTML report: inline SVG line charts (no scripts, no network), fault windows shaded. */
import type { Check } from './stats.ts';

export interface Series {
  name: string;
  /** [seconds since start, value] */
  points: readonly (readonly [number, number])[];
  /** 'dots' marks single points (e.g. the post-GC floor the heap slope is fitted to). Default 'line'. */
  style?: 'line' | 'dots';
}

export interface Chart {
  title: string;
  unit: string;
  series: readonly Series[];
}

export interface FaultWindow {
  name: string;
  startS: number;
  endS: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const FAULT_FILL = ['#fde0dd', '#fff3bf', '#e3f2fd', '#e8f5e9', '#f3e5f5', '#fbe9e7'];
const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

export function renderChart(chart: Chart, faults: readonly FaultWindow[], durationS: number): string {
  const W = 1280;
  const H = 260;
  const L = 70;
  const R = 20;
  const T = 30;
  const B = 40;
  const pw = W - L - R;
  const ph = H - T - B;
  const maxV = niceMax(Math.max(0, ...chart.series.flatMap((s) => s.points.map((p) => p[1]))));
  const x = (t: number) => L + (pw * t) / Math.max(1, durationS);
  const y = (v: number) => T + ph - (ph * v) / maxV;
  const parts: string[] = [];
  parts.push(`<text x="${L}" y="18" class="title">${esc(chart.title)} (${esc(chart.unit)})</text>`);
  faults.forEach((f, i) => {
    const x0 = x(f.startS);
    const w = Math.max(1, x(f.endS) - x0);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${T}" width="${w.toFixed(1)}" height="${ph}" fill="${FAULT_FILL[i % FAULT_FILL.length]}"><title>${esc(f.name)}</title></rect>`,
      `<text x="${(x0 + 3).toFixed(1)}" y="${T + 12}" class="fault">${esc(f.name)}</text>`,
    );
  });
  for (let i = 0; i <= 4; i++) {
    const v = (maxV * i) / 4;
    parts.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
      `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" class="axis" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  const ticks = 8;
  for (let i = 0; i <= ticks; i++) {
    const t = (durationS * i) / ticks;
    const label =
      durationS >= 7200
        ? `${(t / 3600).toFixed(1)} h`
        : durationS >= 600
          ? `${(t / 60).toFixed(0)} min`
          : `${t.toFixed(0)} s`;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${H - 20}" class="axis" text-anchor="middle">${label}</text>`,
    );
  }
  // Legend entries as wide as the longest name (about 7 px a character), within the plot width.
  const longest = Math.max(0, ...chart.series.map((s) => s.name.length));
  const step = Math.max(120, Math.min(Math.floor(pw / Math.max(1, chart.series.length)), longest * 7 + 28));
  chart.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join('');
    const color = COLORS[i % COLORS.length];
    if (s.style === 'dots') {
      for (const p of s.points)
        parts.push(
          `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="4" fill="none" stroke="${color}" stroke-width="2"/>`,
        );
    } else {
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    parts.push(
      `<rect x="${L + 10 + i * step}" y="${H - 12}" width="10" height="10" fill="${color}"/>`,
      `<text x="${L + 24 + i * step}" y="${H - 3}" class="legend">${esc(s.name)}</text>`,
    );
  });
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

export function renderReport(input: {
  title: string;
  verdict: boolean;
  checks: readonly Check[];
  meta: Record<string, string | number>;
  charts: readonly Chart[];
  faults: readonly FaultWindow[];
  durationS: number;
}): string {
  const rows = input.checks
    .map(
      (c) =>
        `<tr class="${c.ok ? 'ok' : 'bad'}"><td>${c.ok ? 'ok' : 'FAIL'}</td><td>${esc(c.name)}</td><td>${esc(String(c.value))}</td><td>${esc(String(c.limit))}</td><td>${esc(c.detail ?? '')}</td></tr>`,
    )
    .join('');
  const meta = Object.entries(input.meta)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('');
  const faults = input.faults
    .map((f) => `<li>${esc(f.name)}: ${f.startS.toFixed(0)} s – ${f.endS.toFixed(0)} s</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
h1{margin:0 0 4px}.verdict{font-size:20px;font-weight:bold;color:${input.verdict ? '#2b8a3e' : '#c92a2a'}}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
tr.bad td{background:#ffe3e3}tr.ok td:first-child{color:#2b8a3e}tr.bad td:first-child{color:#c92a2a;font-weight:bold}
svg{display:block;margin:8px 0 18px}.title{font-weight:bold;font-size:14px}.axis{font-size:11px;fill:#555}
.legend{font-size:12px}.fault{font-size:10px;fill:#666}.grid{stroke:#eee}
</style></head><body>
<h1>${esc(input.title)}</h1>
<p class="verdict">${input.verdict ? 'PASS' : 'FAIL'}</p>
<table>${meta}</table>
<h2>Checks (steady-state window)</h2>
<table><tr><th></th><th>check</th><th>value</th><th>limit</th><th>detail</th></tr>${rows}</table>
<h2>Fault schedule (shaded in the charts)</h2><ul>${faults}</ul>
${input.charts.map((c) => renderChart(c, input.faults, input.durationS)).join('\n')}
</body></html>
`;
}
