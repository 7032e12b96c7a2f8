import { EnduranceError } from './errors.js';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "2m", "30m", "24h", "90s", "1h30m" → milliseconds (ORG_ENDURANCE_USAGE otherwise). */
export function parseDuration(text: string, option = '--duration'): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of text.trim().matchAll(re)) {
    total += Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.trim().length || total <= 0) {
    throw new EnduranceError(
      'ORG_ENDURANCE_USAGE',
      `${option}: expected e.g. 2m, 30m, 24h or 1h30m, got "${text}"`,
      {
        details: { option },
      },
    );
  }
  return total;
}

/** Milliseconds as a duration flag: 120000 → "2m", 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0 || ms < 1000) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
