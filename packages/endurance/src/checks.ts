/** The checks of a run, from its recorded series and what the runner saw (exits, logs, counts, faults). */
import type { BoundsSpec, CapSpec } from './config.js';
import {
  type CheckStatus,
  defaultHeapSlopeLimit,
  defaultRssSlopeLimit,
  defaultWarmUpS,
  heapVerdict,
  rssVerdict,
  type SlopeVerdict,
} from './memory-verdict.js';
import { missingColumns, REQUIRED_COLUMNS } from './sampler.js';
import { maxOf, type RecordedSeries, type ServiceSeries } from './series.js';

export interface Check {
  name: string;
  status: CheckStatus;
  value: number | string;
  limit: number | string;
  detail?: string;
}

export const failed = (c: Check) => c.status === 'fail';

export interface MemoryVerdicts {
  heap: SlopeVerdict;
  rss: SlopeVerdict;
  maxRssMb: number;
}

export interface MemoryOptions {
  /** The run's length (the bound limits and the warm-up follow it), seconds. */
  durationS: number;
  /** The last sample, seconds. Default durationS. */
  endS?: number;
  bounds?: BoundsSpec;
}

/** The memory verdicts of every service in a recorded run (also what the recorded-run tests call). */
export function judgeMemory(series: RecordedSeries, options: MemoryOptions): Record<string, MemoryVerdicts> {
  const endS = options.endS ?? options.durationS;
  const warmUpS = defaultWarmUpS(options.durationS);
  const out: Record<string, MemoryVerdicts> = {};
  for (const [name, s] of Object.entries(series.services)) {
    out[name] = {
      heap: heapVerdict(s, {
        endS,
        warmUpS,
        limitMbPerHour: options.bounds?.heapSlopeMbPerHour ?? defaultHeapSlopeLimit(options.durationS),
      }),
      rss: rssVerdict(s, {
        endS,
        warmUpS,
        limitMbPerHour: options.bounds?.rssSlopeMbPerHour ?? defaultRssSlopeLimit(options.durationS),
      }),
      maxRssMb: Math.max(0, maxOf(s, 'rss_mb')),
    };
  }
  return out;
}

export interface ServiceFacts {
  name: string;
  maxRssMb: number;
  caps: readonly CapSpec[];
  required: readonly string[];
  /** Sampling ticks answered, of `ticks`. */
  answered: number;
  unhandled: number;
  earlyExit: string | null;
  exitCode: number | null;
  expectedExitCode: number;
  logFile: string;
}

export interface LostDataFacts {
  name: string;
  acknowledged: number;
  stored: number;
  detail: string;
}

export interface FaultFacts {
  name: string;
  startS: number;
  endS: number;
  /** What went wrong starting or stopping it. */
  errors: string[];
  started: boolean;
  stopped: boolean;
}

export interface RunFacts {
  durationS: number;
  endS: number;
  ticks: number;
  services: readonly ServiceFacts[];
  lostData: readonly LostDataFacts[];
  faults: readonly FaultFacts[];
  bounds?: BoundsSpec;
}

const mbh = (v: number) => `${v.toFixed(1)} MB/h`;

function slopeCheck(service: string, label: string, v: SlopeVerdict): Check {
  const method =
    v.method === 'post-gc'
      ? 'tenured heap after major GCs'
      : v.method === 'heap-floor'
        ? 'minima of heap used: too few major GCs'
        : 'minima of RSS';
  return {
    name: `${service}: ${label} slope, last part of the run (${method})`,
    status: v.status,
    value: mbh(v.slopeMbPerHour),
    limit: v.status === 'reported' ? 'reported only' : mbh(v.limitMbPerHour),
    detail: `${v.reason}; ${v.fromS.toFixed(0)}–${v.toS.toFixed(0)} s, ${v.evidence.points} points (${v.evidence.needed} needed)`,
  };
}

function capCheck(service: string, s: ServiceSeries | undefined, cap: CapSpec): Check {
  const name = `${service}: ${cap.column} within its cap`;
  const values = s?.columns[cap.column]?.max ?? [];
  const seen = values.some((v) => v !== null);
  if (!seen)
    return {
      name,
      status: cap.required === false ? 'reported' : 'fail',
      value: 'not sampled',
      limit: cap.max ?? cap.maxColumn ?? '-',
      detail: `no ${cap.column} in any sample`,
    };
  const largest = Math.max(...values.map((v) => v ?? Number.NEGATIVE_INFINITY));
  let over = 0;
  let capSeen = Number.POSITIVE_INFINITY;
  if (cap.maxColumn) {
    const caps = s?.columns[cap.maxColumn]?.min ?? [];
    values.forEach((v, i) => {
      const c = caps[i];
      if (v !== null && c !== null && c !== undefined) {
        capSeen = Math.min(capSeen, c);
        if (v > c) over++;
      }
    });
  }
  const limit = Math.min(cap.max ?? Number.POSITIVE_INFINITY, capSeen);
  const ok = largest <= (cap.max ?? Number.POSITIVE_INFINITY) && over === 0 && Number.isFinite(limit);
  return {
    name,
    status: ok ? 'pass' : 'fail',
    value: largest,
    limit: Number.isFinite(limit) ? limit : 'not sampled',
    detail: cap.maxColumn
      ? `never above ${cap.maxColumn} (the cap it reports)${cap.max === undefined ? '' : ` nor ${cap.max}`}${over ? `; above it in ${over} buckets` : ''}`
      : '',
  };
}

/** Every check of a run. */
export function runChecks(
  series: RecordedSeries,
  facts: RunFacts,
  memory: Record<string, MemoryVerdicts>,
  seenColumns: ReadonlyMap<string, ReadonlySet<string>>,
): Check[] {
  const checks: Check[] = [];
  const share = facts.bounds?.samplesAnswered ?? 0.8;
  for (const f of facts.services) {
    const m = memory[f.name];
    const s = series.services[f.name];
    if (m) checks.push(slopeCheck(f.name, 'heap', m.heap), slopeCheck(f.name, 'RSS', m.rss));
    const maxRss = m?.maxRssMb ?? 0;
    checks.push({
      name: `${f.name}: RSS ceiling`,
      status: maxRss > 0 && maxRss <= f.maxRssMb ? 'pass' : 'fail',
      value: `${maxRss.toFixed(0)} MB`,
      limit: `${f.maxRssMb} MB`,
      detail: 'largest RSS of the whole run, warm-up included',
    });
    for (const cap of f.caps) checks.push(capCheck(f.name, s, cap));
    const missing = missingColumns(seenColumns.get(f.name) ?? new Set(), [
      ...REQUIRED_COLUMNS,
      ...f.required,
    ]);
    checks.push(
      {
        name: `${f.name}: every required quantity sampled`,
        status: missing.length === 0 ? 'pass' : 'fail',
        value: missing.length === 0 ? 'all' : `missing ${missing.join(', ')}`,
        limit: 'all',
        detail: 'a renamed metric would leave its column (and its check) empty',
      },
      {
        name: `${f.name}: unhandled errors in its log`,
        status: f.unhandled === 0 ? 'pass' : 'fail',
        value: f.unhandled,
        limit: 0,
      },
      {
        name: `${f.name}: ran until the end`,
        status: f.earlyExit === null ? 'pass' : 'fail',
        value: f.earlyExit ?? 'yes',
        limit: 'yes',
        ...(f.earlyExit ? { detail: `see ${f.logFile}` } : {}),
      },
      {
        name: `${f.name}: clean exit on stop`,
        status: f.exitCode === f.expectedExitCode ? 'pass' : 'fail',
        value: String(f.exitCode),
        limit: f.expectedExitCode,
      },
      {
        name: `${f.name}: samples answered`,
        status: f.answered >= Math.floor(facts.ticks * share) ? 'pass' : 'fail',
        value: f.answered,
        limit: `≥ ${Math.floor(facts.ticks * share)} of ${facts.ticks}`,
        detail: 'a service that stops answering /memory and /metrics for long is itself a failure',
      },
    );
  }
  for (const l of facts.lostData) {
    const lost = Math.max(0, l.acknowledged - l.stored);
    checks.push({
      name: `lost ${l.name}`,
      status: lost === 0 && l.acknowledged > 0 ? 'pass' : 'fail',
      value: lost,
      limit: 0,
      detail: `${l.detail}${l.acknowledged === 0 ? '; nothing was acknowledged, so nothing was proven' : ''}`,
    });
  }
  const broken = facts.faults.filter((f) => f.errors.length > 0 || !f.started || !f.stopped);
  checks.push({
    name: 'fault schedule ran',
    status: broken.length === 0 ? 'pass' : 'fail',
    value:
      broken.length === 0 ? `${facts.faults.length} of ${facts.faults.length}` : `${broken.length} broken`,
    limit: 'all started and ended',
    detail: broken
      .map((f) => `${f.name}: ${f.errors.join('; ') || (f.started ? 'never ended' : 'never started')}`)
      .join(' · '),
  });
  return checks;
}
