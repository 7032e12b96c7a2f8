import { describe, expect, it } from 'vitest';
import { renderChart } from '../endurance/report-html.ts';
import {
  bucketMinima,
  defaultSlopeLimit,
  linearRegression,
  parseDuration,
  slopeMbPerHour,
} from '../endurance/stats.ts';

describe('endurance helpers', () => {
  it('parses duration flags and refuses nonsense', () => {
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(() => parseDuration('2 minutes')).toThrow(/--duration/);
    expect(() => parseDuration('0s')).toThrow(/--duration/);
  });

  it('fits a line and reports slopes in MB per hour', () => {
    expect(
      linearRegression([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toEqual({ slope: 2, intercept: 1, r2: 1 });
    // 1 MiB per minute = 60 MB/h.
    const samples = Array.from({ length: 11 }, (_, i) => ({
      t: i * 60_000,
      value: 100 * 2 ** 20 + i * 2 ** 20,
    }));
    expect(slopeMbPerHour(samples)).toBeCloseTo(60, 6);
    expect(slopeMbPerHour(samples.map((s) => ({ ...s, value: 5 })))).toBe(0);
  });

  it('takes the post-GC floor of a sawtooth, so a flat heap has no slope', () => {
    // A sawtooth whose peaks grow but whose floor stays at 20: flat after GC.
    const saw = Array.from({ length: 120 }, (_, i) => ({ t: i * 1000, value: 20 + (i % 10) * (1 + i / 60) }));
    const floor = bucketMinima(saw);
    expect(floor).toHaveLength(12);
    expect(floor.every((p) => p.value === 20)).toBe(true);
    expect(slopeMbPerHour(floor)).toBe(0);
    expect(slopeMbPerHour(saw)).toBeGreaterThan(0);
  });

  it('has stricter slope limits for longer runs', () => {
    expect(defaultSlopeLimit(120_000)).toBeGreaterThan(defaultSlopeLimit(30 * 60_000));
    expect(defaultSlopeLimit(24 * 3_600_000)).toBe(20);
  });

  it('renders a chart with the fault windows shaded and escaped labels', () => {
    const svg = renderChart(
      {
        title: 'mem <rss>',
        unit: 'MB',
        series: [
          {
            name: 'rss',
            points: [
              [0, 1],
              [60, 2],
            ],
          },
        ],
      },
      [{ name: 'ES down', startS: 10, endS: 20 }],
      60,
    );
    expect(svg).toContain('<title>ES down</title>');
    expect(svg).toContain('mem &lt;rss&gt;');
    expect(svg).toMatch(/<path d="M70\.0,[\d.]+L1260\.0,[\d.]+"/);
  });
});
