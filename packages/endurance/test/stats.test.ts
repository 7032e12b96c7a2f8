import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.ts';
import { linearRegression, theilSen, theilSenSlope, windowMinima } from '../src/stats.ts';

describe('endurance helpers', () => {
  it('parses duration flags, refuses nonsense with a typed error, and prints them back', () => {
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(() => parseDuration('2 minutes')).toThrow(
      expect.objectContaining({ code: 'ORG_ENDURANCE_USAGE' }),
    );
    expect(() => parseDuration('0s')).toThrow(/--duration/);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(120_000)).toBe('2m');
  });

  it('fits least squares', () => {
    expect(
      linearRegression([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toEqual({ slope: 2, intercept: 1, r2: 1 });
  });

  it('computes Theil–Sen slopes that one stray point cannot move, with an interval around them', () => {
    const points = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => ({ x, y: 2 * x + (x % 2 ? 0.1 : -0.1) }));
    points[9] = { x: 9, y: 400 };
    const fit = theilSen(points);
    expect(fit.slope).toBeCloseTo(2, 0);
    expect(fit.low).toBeLessThanOrEqual(fit.slope);
    expect(fit.high).toBeGreaterThanOrEqual(fit.slope);
    expect(linearRegression(points).slope).toBeGreaterThan(10);
    expect(theilSenSlope([{ x: 1, y: 1 }])).toBe(0);
  });

  it('takes the floor of a sawtooth, one point per window', () => {
    const saw = Array.from({ length: 120 }, (_, i) => ({ x: i, y: 20 + (i % 10) * (1 + i / 60) }));
    const floor = windowMinima(saw, 0, 120, 12);
    expect(floor).toHaveLength(12);
    expect(floor.every((p) => p.y === 20)).toBe(true);
    expect(theilSenSlope(floor)).toBe(0);
  });
});
