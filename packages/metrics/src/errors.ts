import { OrgError } from '@org/shared-lifecycle';

/** Codes of @org/shared-metrics. Each is documented in the package README (a test keeps them in step). */
export const METRICS_ERROR_CODES = {
  ORG_METRICS_INVALID_OPTION:
    'An option of createMetrics(), handler() or collectStats() is missing, of the wrong type, or out of range.',
  ORG_METRICS_INVALID_CONFIG: 'A metric config is invalid: bad name, help, label names or buckets.',
  ORG_METRICS_RESERVED_LABEL:
    'A metric declares a reserved label name ("overflow", "le" on histograms, names starting with "__").',
  ORG_METRICS_NAME_CONFLICT:
    'A metric name is already used in this instance by a metric of another type or with other label names.',
  ORG_METRICS_INVALID_LABEL:
    'A sample used a label name that the metric does not declare, or a label value that is not a string or number.',
  ORG_METRICS_INVALID_VALUE: 'A sample value is not a finite number, or a counter was asked to go down.',
  ORG_METRICS_STATS_FAILED:
    'A stats() source given to collectStats() threw, or returned a value that is not a plain snapshot; its series are left out of that scrape.',
  ORG_METRICS_COLLECT_FAILED:
    'Rendering the metrics failed (a collect() callback threw); the HTTP handler answers 500.',
  ORG_METRICS_RESET_FAILED: 'resetMetrics() failed; the error is reported, never thrown.',
} as const;

export type MetricsErrorCode = keyof typeof METRICS_ERROR_CODES;

export class MetricsError extends OrgError<MetricsErrorCode> {}
