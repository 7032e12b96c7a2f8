/**
 * The memory verdict: is a service's memory still rising at the end of the run?
 *
 * Read as an engineer reads the chart: a curve that rises and levels off is not a leak; one that keeps
 * rising through the last part of the run is. So the slope that is judged is the one of the LAST THIRD
 * of the steady-state window (after the warm-up), fitted robustly (Theil–Sen on windowed minima), and
 * the slope before it is reported beside it ("early 24 MB/h → late 0.3 MB/h: levelled off").
 *
 * - heap: the post-GC floor, i.e. the tenured heap (young generation left out) in each bucket where a
 *   major GC happened, from the process's sixth major GC on (see settledFromS: until then V8 still
 *   drops the bytecode of code that ran only at start-up, a step down of a few MB). That is the live set; young garbage, the sawtooth and old-generation garbage
 *   awaiting the next major GC are not in it. The judged segment must hold a minimum number of major
 *   GCs that grows with the run (6 for a 1- or 2-min run, 30 from about an hour on); when the last third
 *   has fewer, the segment reaches back into the window until it has them. Without them the heap is
 *   judged on the minima of heap used (windows of 5 s or more), which count old-generation garbage as
 *   growth and so can only over-estimate: below the limit that still passes; above it the check is
 *   inconclusive ("not judged"), not failed.
 * - RSS: the minima of RSS in 30 windows of the last third. Runs under 10 minutes only report it: V8
 *   is still growing its heap to its working size, in steps.
 */
import { pointsOf, type ServiceSeries } from './series.js';
import { type Point, theilSen, windowMinima } from './stats.js';

export type CheckStatus = 'pass' | 'fail' | 'inconclusive' | 'reported';

export interface SlopeVerdict {
  status: CheckStatus;
  /** 'post-gc': tenured heap after major GCs; 'heap-floor': minima of heap used (over-estimate); 'rss': minima of RSS. */
  method: 'post-gc' | 'heap-floor' | 'rss';
  /** Slope of the judged (late) segment, MB/h, with Sen's 95 % interval. */
  slopeMbPerHour: number;
  lowMbPerHour: number;
  highMbPerHour: number;
  /** Slope of the steady window before the judged segment, MB/h (null with fewer than 2 points there). */
  earlySlopeMbPerHour: number | null;
  limitMbPerHour: number;
  /** The judged segment, seconds since the start. */
  fromS: number;
  toS: number;
  /** The fitted points (x seconds, y MB) and the line through them, for the chart. */
  points: Point[];
  line: [Point, Point] | null;
  /** Evidence: points in the judged segment, and how many were needed. */
  evidence: { points: number; needed: number };
  /** One sentence: why this status. */
  reason: string;
}

export interface SlopeOptions {
  /** End of the run, seconds. */
  endS: number;
  /** Samples before this are the warm-up, seconds. */
  warmUpS: number;
  limitMbPerHour: number;
  /** Major GCs needed in the judged segment. Default minMajorGcs(window). */
  minPoints?: number;
  /** RSS slopes are enforced from this run length on. Default 600 s. */
  enforceRssFromS?: number;
  /** The heap is judged from the major GC with this count on (see settledFromS). Default BYTECODE_OLD_AGE. */
  settleMajorGcs?: number;
}

/**
 * V8's `--bytecode-old-age` (6 in Node 24): the bytecode of a function that has not run for that many
 * major GCs is flushed. The code that ran only at start-up (module bodies, config, wiring) leaves the live
 * set at about the sixth major GC of the process: a step down of 4–5 MB in the leaky target and 1–3 MB
 * in the services. Judged across it, a 600 MB/h leak in a 1-minute run measured 276–350 MB/h, or passed.
 */
export const BYTECODE_OLD_AGE = 6;

/**
 * Where the heap's steady state begins: the warm-up's end, or the first bucket whose major-GC count has
 * reached `settleMajorGcs`, whichever is later. The count is the one the metrics saw, at most the
 * process's own (GCs before the metrics started are not counted), so this errs late, never early. A run
 * that never reaches that count has not flushed its start-up code and keeps its warm-up.
 */
export function settledFromS(
  series: ServiceSeries | undefined,
  warmUpS: number,
  settleMajorGcs = BYTECODE_OLD_AGE,
): number {
  const gc = series?.columns.gc_major?.max;
  if (!series || !gc) return warmUpS;
  for (let i = 0; i < series.t.length; i++) {
    const count = gc[i];
    if (count !== null && count !== undefined && count >= settleMajorGcs)
      return Math.max(warmUpS, series.t[i]!);
  }
  return warmUpS;
}

const PER_HOUR = 3600;

/** The warm-up left out of the verdict: a quarter of a run under 10 min, else 10 % up to 10 min. */
export function defaultWarmUpS(durationS: number): number {
  return durationS < 600 ? durationS * 0.25 : Math.min(600, durationS * 0.1);
}

/**
 * Default heap slope limit, MB/h, by run length: what the run can tell apart from noise (see the
 * README's resolution table). A leak of twice the limit fails reliably.
 */
export function defaultHeapSlopeLimit(durationS: number): number {
  if (durationS < 5 * 60) return 150;
  if (durationS < 15 * 60) return 60;
  if (durationS < 3600) return 10;
  if (durationS < 6 * 3600) return 5;
  return 2;
}

/**
 * RSS is noisier than the post-GC heap: allocator and V8 page granularity, steps of a few MB after
 * faults, file-backed pages evicted and faulted back in on a busy box. Twice the heap limit, and at
 * least 20 MB/h (the bound RSS always had here: about 480 MB a day).
 */
export function defaultRssSlopeLimit(durationS: number): number {
  return Math.max(20, 2 * defaultHeapSlopeLimit(durationS));
}

/**
 * Major GCs the judged segment must hold: one per two minutes of steady window, 6 to 30. Six, not four:
 * in 1-minute runs of the leaky target, Sen's 95 % interval over the last 4 post-GC points was 160 to
 * 1,100 MB/h wide (clean target: −90 MB/h, −301 … 123), over the last 6 points 45 to 540 MB/h wide
 * (the same clean run: +6 MB/h, −98 … 123).
 */
export function minMajorGcs(windowS: number): number {
  return Math.min(30, Math.max(6, Math.ceil(windowS / 120)));
}

/** The post-GC floor: (t, tenured heap MB) of every bucket in which the major-GC count rose. */
export function postGcPoints(series: ServiceSeries | undefined, fromS = 0): Point[] {
  const gc = series?.columns.gc_major?.max;
  const tenured = series?.columns.heap_tenured_mb?.min ?? series?.columns.heap_used_mb?.min;
  if (!series || !gc || !tenured) return [];
  const points: Point[] = [];
  let previous: number | null = null;
  for (let i = 0; i < series.t.length; i++) {
    const count = gc[i];
    if (count === null || count === undefined) continue;
    const value = tenured[i];
    if (
      previous !== null &&
      count > previous &&
      series.t[i]! >= fromS &&
      value !== null &&
      value !== undefined
    )
      points.push({ x: series.t[i]!, y: value });
    previous = count;
  }
  return points;
}

interface Fit {
  slope: number;
  low: number;
  high: number;
  points: Point[];
  line: [Point, Point] | null;
}

function fit(points: readonly Point[], fromS: number, toS: number, windows: number): Fit {
  const minima = windowMinima(points, fromS, toS, Math.max(1, Math.min(windows, points.length)));
  const ts = theilSen(minima);
  const line: [Point, Point] | null =
    minima.length >= 2
      ? [
          { x: fromS, y: ts.intercept + ts.slope * fromS },
          { x: toS, y: ts.intercept + ts.slope * toS },
        ]
      : null;
  return {
    slope: ts.slope * PER_HOUR,
    low: ts.low * PER_HOUR,
    high: ts.high * PER_HOUR,
    points: minima,
    line,
  };
}

const count = (points: readonly Point[], fromS: number, toS: number) =>
  points.filter((p) => p.x >= fromS && p.x <= toS).length;

function early(points: readonly Point[], warmUpS: number, fromS: number): number | null {
  const before = points.filter((p) => p.x >= warmUpS && p.x < fromS);
  return before.length >= 2 ? fit(before, warmUpS, fromS, 30).slope : null;
}

const mb = (v: number) => `${v.toFixed(1)} MB/h`;

/** A verdict from its fit and what was decided about it. */
function verdict(
  f: Fit,
  decided: Pick<
    SlopeVerdict,
    'status' | 'method' | 'earlySlopeMbPerHour' | 'limitMbPerHour' | 'fromS' | 'toS' | 'evidence' | 'reason'
  >,
): SlopeVerdict {
  return {
    ...decided,
    slopeMbPerHour: f.slope,
    lowMbPerHour: f.low,
    highMbPerHour: f.high,
    points: f.points,
    line: f.line,
  };
}

function describe(status: CheckStatus, f: Fit, earlySlope: number | null, limit: number): string {
  const trend =
    earlySlope === null
      ? ''
      : earlySlope > limit && f.slope <= limit
        ? `; early ${mb(earlySlope)} then ${mb(f.slope)}: rose and levelled off`
        : `; before it ${mb(earlySlope)}`;
  if (status === 'fail')
    return `still rising through the last part of the run: ${mb(f.slope)} > ${mb(limit)}${trend}`;
  return `last part ${mb(f.slope)} (95 % interval ${mb(f.low)} … ${mb(f.high)})${trend}`;
}

/** The heap verdict of one service (see the module comment). */
export function heapVerdict(series: ServiceSeries | undefined, options: SlopeOptions): SlopeVerdict {
  const { endS, limitMbPerHour: limit } = options;
  const warmUpS = Math.min(endS, settledFromS(series, options.warmUpS, options.settleMajorGcs));
  const windowS = Math.max(0, endS - warmUpS);
  const needed = options.minPoints ?? minMajorGcs(windowS);
  const post = postGcPoints(series, warmUpS);
  // The last third, reaching back into the window until it holds the major GCs needed.
  let fromS = endS - windowS / 3;
  if (count(post, fromS, endS) < needed) {
    const inWindow = post.filter((p) => p.x <= endS);
    fromS = inWindow.length >= needed ? inWindow[inWindow.length - needed]!.x : warmUpS;
  }
  const have = count(post, fromS, endS);
  if (have >= needed) {
    const f = fit(post, fromS, endS, 40);
    const earlySlope = early(post, warmUpS, fromS);
    const status: CheckStatus = f.slope > limit ? 'fail' : 'pass';
    return verdict(f, {
      status,
      method: 'post-gc',
      earlySlopeMbPerHour: earlySlope,
      limitMbPerHour: limit,
      fromS,
      toS: endS,
      evidence: { points: have, needed },
      reason: describe(status, f, earlySlope, limit),
    });
  }
  // Too few major GCs: the minima of heap used (an over-estimate) in windows of at least 5 s, so that
  // each holds a trough of the young generation's sawtooth: over the last third, or over the whole
  // steady window when the last third is shorter than a minute.
  const lateFrom = windowS / 3 >= 60 ? endS - windowS / 3 : warmUpS;
  const used = pointsOf(series, 'heap_used_mb', 'min').filter((p) => p.x >= warmUpS);
  const f = fit(used, lateFrom, endS, Math.max(3, Math.min(12, Math.floor((endS - lateFrom) / 5))));
  // An over-estimate only while garbage accumulates: a major GC inside the fitted part lowers the
  // minima after it, and a short part that ends after one reads a leak as a fall (−870 MB/h for a
  // 600 MB/h leak in 15 s). Then it is not judged either way.
  const gcInside = postGcPoints(series, lateFrom).some((p) => p.x > lateFrom && p.x <= endS);
  const status: CheckStatus = f.points.length >= 3 && f.slope <= limit && !gcInside ? 'pass' : 'inconclusive';
  return verdict(f, {
    status,
    method: 'heap-floor',
    earlySlopeMbPerHour: early(used, warmUpS, lateFrom),
    limitMbPerHour: limit,
    fromS: lateFrom,
    toS: endS,
    evidence: { points: have, needed },
    reason:
      status === 'pass'
        ? `only ${have} of ${needed} major GCs needed; the minima of heap used (an over-estimate) rose ${mb(f.slope)}, within the limit`
        : gcInside && f.slope <= limit
          ? `only ${have} of ${needed} major GCs needed to judge the live heap; the minima of heap used rose ${mb(f.slope)}, but a major GC inside that part lowers them, so it is no over-estimate: not judged (run longer)`
          : `only ${have} of ${needed} major GCs needed to judge the live heap; the minima of heap used rose ${mb(f.slope)}, which also counts old-generation garbage: not judged (run longer)`,
  });
}

/** The RSS verdict of one service: minima of RSS over the last third. */
export function rssVerdict(series: ServiceSeries | undefined, options: SlopeOptions): SlopeVerdict {
  const { endS, warmUpS, limitMbPerHour: limit } = options;
  const windowS = Math.max(0, endS - warmUpS);
  const fromS = endS - windowS / 3;
  const rss = pointsOf(series, 'rss_mb', 'min').filter((p) => p.x >= warmUpS);
  const f = fit(rss, fromS, endS, 30);
  const earlySlope = early(rss, warmUpS, fromS);
  const needed = 10;
  const enforced = endS >= (options.enforceRssFromS ?? 600);
  const status: CheckStatus =
    f.points.length < needed ? 'inconclusive' : !enforced ? 'reported' : f.slope > limit ? 'fail' : 'pass';
  return verdict(f, {
    status,
    method: 'rss',
    earlySlopeMbPerHour: earlySlope,
    limitMbPerHour: limit,
    fromS,
    toS: endS,
    evidence: { points: f.points.length, needed },
    reason:
      status === 'reported'
        ? `${describe('pass', f, earlySlope, limit)}; runs under 10 min see V8 grow its heap to its working size, so RSS slopes are reported only`
        : status === 'inconclusive'
          ? `${f.points.length} RSS samples in the last third, ${needed} needed`
          : describe(status, f, earlySlope, limit),
  });
}
