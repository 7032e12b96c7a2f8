import { type ErrorReporter, optionChecks } from '@org/shared-lifecycle';
import type { DefaultMetricsOptions } from './default-metrics.js';
import { MetricsError } from './errors.js';
import { isValidLabelName } from './names.js';

export interface MetricsOptions {
  /** Prepended to every metric name, e.g. 'myapp_'. Default ''. */
  prefix?: string;
  /** Labels added to every series at scrape time, e.g. { service: 'api' }. Default none. */
  defaultLabels?: Readonly<Record<string, string>>;
  /** Process and Node.js runtime metrics (see README). true, false or their options. Default true. */
  defaultMetrics?: boolean | DefaultMetricsOptions;
  /** Cardinality cap: label sets per metric before new ones fold into { overflow="true" }. Default 2000. */
  maxLabelSets?: number;
  /** Label sets idle this long are deleted by the cleanup sweep; 0 never. Default 0 (see README). */
  labelTtlMs?: number;
  /** Period of the owned, unref'd cleanup sweep (runs only while some metric has a TTL). Default 60000. */
  cleanupIntervalMs?: number;
  /** Where errors of stats sources, scrapes, sweeps and resetMetrics() go. Default: one line on stderr. */
  onError?: ErrorReporter;
}

export const DEFAULTS = {
  prefix: '',
  maxLabelSets: 2000,
  labelTtlMs: 0,
  cleanupIntervalMs: 60_000,
} as const;

const NAME_PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** The package's one option check: lifecycle's optionChecks with ORG_METRICS_INVALID_OPTION. */
export const check = optionChecks(
  (message, details) =>
    new MetricsError('ORG_METRICS_INVALID_OPTION', message, { details: { option: details.option } }),
);

export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !NAME_PREFIX.test(prefix)) {
    throw new MetricsError(
      'ORG_METRICS_INVALID_OPTION',
      `prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(prefix)}`,
      {
        details: { option: 'prefix', value: prefix },
      },
    );
  }
  return prefix;
}

export function checkDefaultLabels(labels: unknown): Readonly<Record<string, string>> {
  if (labels === undefined) return Object.freeze({});
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new MetricsError('ORG_METRICS_INVALID_OPTION', 'defaultLabels must be a record of strings', {
      details: { option: 'defaultLabels' },
    });
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!isValidLabelName(name) || name.startsWith('__') || typeof value !== 'string') {
      throw new MetricsError(
        'ORG_METRICS_INVALID_OPTION',
        `defaultLabels.${name} must be a valid label name with a string value`,
        {
          details: { option: 'defaultLabels', label: name },
        },
      );
    }
    out[name] = value;
  }
  return Object.freeze(out);
}
