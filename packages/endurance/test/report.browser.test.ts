// The report in headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer): it renders, has
// every chart, logs no console error, draws nothing outside the plot areas (the check is shown to catch
// a line drawn past the right edge), answers hover and zoom, and stays small for a 24-hour run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeMemory } from '../src/checks.ts';
import { reportCharts } from '../src/report/charts.ts';
import { type ChartSeries, renderReport } from '../src/report/html.ts';
import { renderPage } from '../src/report/write.ts';
import { ORG_SHARED_COLUMNS } from '../src/sampler.ts';
import { SeriesStore } from '../src/series.ts';
import { summarize } from '../src/summary.ts';

const out = process.env.ENDURANCE_SCREENSHOT_DIR ?? join(tmpdir(), 'endurance-report-test');
mkdirSync(out, { recursive: true });

/** A run of two services, sampled every `stepS` seconds for `seconds`, through the real store, verdict and summary. */
function run(seconds: number, stepS = 1) {
  const store = new SeriesStore();
  for (let t = 0; t <= seconds; t += stepS) {
    const gc = Math.floor(t / 17);
    for (const [name, base] of [
      ['orders-api', 30],
      ['events-ingest', 40],
    ] as const) {
      const tenured = base + (t % 17) * 0.4;
      store.add(name, t, {
        rss_mb: 150 + 60 * (1 - Math.exp(-t / 200)),
        heap_used_mb: tenured + 5 + ((t * 7) % 20),
        heap_total_mb: base + 40,
        heap_tenured_mb: tenured,
        gc_major: gc,
        req_per_s: 118 + (t % 5),
        error_rate: t > seconds * 0.3 && t < seconds * 0.35 ? 0.2 : 0,
        latency_p50_ms: 3 + (t % 3),
        latency_p99_ms: 20 + (t % 11) * 3,
        logger_buffer:
          t > seconds * 0.12 && t < seconds * 0.24 ? Math.min(1000, (t - seconds * 0.12) * 40) : 2,
        logger_buffer_cap: 1000,
        pool_used: 2,
        pool_max: 10,
      });
    }
  }
  const series = store.toJSON();
  const memory = judgeMemory(series, { durationS: seconds });
  return summarize({
    name: 'two services',
    startedAt: Date.UTC(2026, 0, 1),
    durationMs: seconds * 1000,
    rate: 120,
    totals: { requests: 120 * seconds, errors: 40 },
    facts: {
      durationS: seconds,
      endS: seconds,
      ticks: seconds,
      services: [],
      lostData: [],
      faults: [
        {
          name: 'ES down',
          startS: seconds * 0.12,
          endS: seconds * 0.24,
          errors: [],
          started: true,
          stopped: true,
        },
        {
          name: 'replica stopped',
          startS: seconds * 0.7,
          endS: seconds * 0.8,
          errors: [],
          started: true,
          stopped: true,
        },
      ],
    },
    memory,
    checks: [{ name: 'svc: RSS ceiling', status: 'pass', value: '210 MB', limit: '512 MB' }],
    series,
    events: [],
    columnCharts: ORG_SHARED_COLUMNS.flatMap((c) =>
      c.chart ? [{ column: c.column, chart: c.chart, unit: c.unit ?? '' }] : [],
    ),
  });
}

let browser: Browser;
beforeAll(async () => {
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

interface Overflow {
  chart: number;
  above: number;
  right: number;
}

/** In the page: non-blank pixels above each plot area and to the right of it (where nothing belongs). */
const findOverflow = () =>
  (
    window as unknown as {
      __endurancePlots: {
        ctx: CanvasRenderingContext2D;
        bbox: { left: number; top: number; width: number; height: number };
      }[];
    }
  ).__endurancePlots.map((u, chart) => {
    const { ctx, bbox } = u;
    const count = (x: number, y: number, w: number, h: number) => {
      if (w <= 0 || h <= 0) return 0;
      const data = ctx.getImageData(x, y, w, h).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    };
    const right = Math.ceil(bbox.left + bbox.width) + 2;
    return {
      chart,
      above: count(bbox.left, 0, bbox.width, Math.max(0, Math.floor(bbox.top) - 8)),
      right: count(right, bbox.top, ctx.canvas.width - right, bbox.height),
    };
  });

async function open(html: string, name: string) {
  const file = join(out, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return { page, errors, file };
}

describe('the endurance report in headless Chromium', () => {
  it('renders every chart with data, no console error, nothing drawn outside the plot areas, hover and zoom', async () => {
    const summary = run(1800, 2);
    const charts = reportCharts(summary);
    const { page, errors } = await open(renderPage(summary, null), 'report');
    try {
      expect(await page.$$eval('.chart canvas', (c) => c.length)).toBe(charts.length);
      expect(charts.map((c) => c.title.split(' ')[0])).toEqual(
        expect.arrayContaining(['orders-api:', 'events-ingest:', 'load:', 'request', 'error']),
      );
      const lengths = await page.evaluate(() =>
        (window as unknown as { __endurancePlots: { data: unknown[][] }[] }).__endurancePlots.map(
          (u) => u.data[0]!.length,
        ),
      );
      expect(lengths.every((n) => n > 100)).toBe(true);
      expect(await page.evaluate(findOverflow)).toEqual(
        charts.map((_, chart) => ({ chart, above: 0, right: 0 })),
      );
      // x ticks in minutes, not fractions of seconds.
      await page.screenshot({ path: join(out, 'report.png'), fullPage: true });

      // Hover: the legend shows the values under the cursor.
      // The plot area (uPlot's overlay, where the cursor and the drag are).
      const box = (await (await page.$('.chart .u-over'))!.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
      const values = await page.$$eval('.chart:first-of-type .u-legend .u-value', (v) =>
        v.map((e) => e.textContent),
      );
      expect(values.filter((v) => v && v !== '–').length).toBeGreaterThan(2);
      // Zoom: a drag narrows the time axis of this chart and of the others.
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 3);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 3, { steps: 5 });
      await page.mouse.up();
      const scales = await page.evaluate(() =>
        (
          window as unknown as { __endurancePlots: { scales: { x: { min: number; max: number } } }[] }
        ).__endurancePlots.map((u) => [u.scales.x.min, u.scales.x.max]),
      );
      expect(scales[0]![0]).toBeGreaterThan(300);
      expect(scales[0]![1]).toBeLessThan(1500);
      expect(new Set(scales.map((s) => s.join()))).toHaveProperty('size', 1);
      expect(await page.evaluate(findOverflow)).toEqual(
        charts.map((_, chart) => ({ chart, above: 0, right: 0 })),
      );
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('catches a line drawn past the plot edge (the overflow check can fail)', async () => {
    const past: ChartSeries = { label: 'past the edge', x: [0, 100], y: [1, 2] };
    const { page } = await open(
      renderReport({
        title: 'broken',
        verdict: 'pass',
        meta: {},
        checks: [],
        faults: [],
        charts: [{ title: 'one', unit: 'MB', series: [past] }],
        trend: null,
        durationS: 100,
      }),
      'broken',
    );
    try {
      await page.evaluate(() => {
        const u = (
          window as unknown as {
            __endurancePlots: {
              ctx: CanvasRenderingContext2D;
              bbox: { left: number; top: number; width: number };
            }[];
          }
        ).__endurancePlots[0]!;
        u.ctx.fillStyle = '#d62728';
        u.ctx.fillRect(u.bbox.left + u.bbox.width - 10, u.bbox.top + 20, 40, 3);
      });
      const [overflow] = (await page.evaluate(findOverflow)) as Overflow[];
      expect(overflow!.right).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  });

  it('keeps the page of a 24-hour run small (downsampled)', () => {
    const html = renderPage(run(86_400, 1), null);
    expect(html.length).toBeLessThan(5 * 1024 * 1024);
    writeFileSync(join(out, 'report-24h.html'), html);
  });
});
