/** Which charts a report has, from a run's downsampled series and its memory fits. */
import { type ColumnSeries, pointsOf, type RecordedSeries } from '../series.js';
import type { RunSummary } from '../summary.js';
import type { Chart, ChartSeries } from './html.js';

function line(
  series: RecordedSeries,
  service: string,
  column: string,
  stat: keyof ColumnSeries,
  label: string,
  step = false,
): ChartSeries | null {
  const points = pointsOf(series.services[service], column, stat);
  if (points.length === 0) return null;
  return { label, x: points.map((p) => p.x), y: points.map((p) => p.y), ...(step ? { step: true } : {}) };
}

const present = (s: (ChartSeries | null)[]) => s.filter((x): x is ChartSeries => x !== null);

/** Columns of the charts the config's column specs name, by chart title (with their unit). */
function chartColumns(specs: RunSummary['columnCharts']): Map<string, { unit: string; columns: string[] }> {
  const charts = new Map<string, { unit: string; columns: string[] }>();
  for (const spec of specs) {
    const c = charts.get(spec.chart) ?? { unit: spec.unit, columns: [] };
    if (!c.columns.includes(spec.column)) c.columns.push(spec.column);
    charts.set(spec.chart, c);
  }
  return charts;
}

export function reportCharts(summary: Pick<RunSummary, 'series' | 'fits' | 'columnCharts'>): Chart[] {
  const { series, fits } = summary;
  const services = Object.keys(series.services);
  const charts: Chart[] = [];
  for (const s of services) {
    const fit = fits[s];
    charts.push({
      title: `${s}: memory (RSS and heap used as min–max per bucket, tenured heap min; circles: the post-GC points the heap slope is fitted to, dashed: the fit over the last part)`,
      unit: 'MB',
      series: present([
        line(series, s, 'rss_mb', 'max', 'RSS max'),
        line(series, s, 'rss_mb', 'min', 'RSS min'),
        line(series, s, 'heap_total_mb', 'max', 'heap total'),
        line(series, s, 'heap_used_mb', 'max', 'heap used max'),
        line(series, s, 'heap_used_mb', 'min', 'heap used min'),
        line(series, s, 'heap_tenured_mb', 'min', 'tenured heap min'),
        line(series, s, 'external_mb', 'max', 'external'),
        fit && fit.heap.points.length > 0
          ? {
              label: 'heap fit points',
              x: fit.heap.points.map((p) => p.x),
              y: fit.heap.points.map((p) => p.y),
              kind: 'points' as const,
            }
          : null,
        fit?.heap.line
          ? {
              label: 'heap fit',
              x: fit.heap.line.map((p) => p.x),
              y: fit.heap.line.map((p) => p.y),
              kind: 'dash' as const,
            }
          : null,
        fit?.rss.line
          ? {
              label: 'RSS fit',
              x: fit.rss.line.map((p) => p.x),
              y: fit.rss.line.map((p) => p.y),
              kind: 'dash' as const,
            }
          : null,
      ]),
    });
  }
  const first = services[0] ?? '';
  charts.push(
    {
      title: 'load: requests answered per second (all targets)',
      unit: 'req/s',
      series: present([line(series, first, 'req_per_s', 'mean', 'req/s')]),
    },
    {
      title:
        'request latency (p50: mean of the per-second p50s in a bucket; p99: the largest per-second p99)',
      unit: 'ms',
      series: present([
        line(series, first, 'latency_p50_ms', 'mean', 'p50'),
        line(series, first, 'latency_p99_ms', 'max', 'p99'),
      ]),
    },
    {
      title:
        'error rate (answers ≥ 400, timeouts and connection errors, of all requests; largest per bucket)',
      unit: 'fraction',
      series: present([line(series, first, 'error_rate', 'max', 'errors')]),
    },
  );
  for (const [title, { unit, columns }] of chartColumns(summary.columnCharts)) {
    const drawn = present(
      services.flatMap((s) =>
        columns.map((c) =>
          line(series, s, c, 'max', `${s} ${c}`, /_cap$|_max$|dropped|sent|rejected/.test(c)),
        ),
      ),
    );
    if (drawn.length > 0) charts.push({ title: `${title} (largest per bucket)`, unit, series: drawn });
  }
  return charts;
}
