import { MetricsError } from './errors.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The label that marks the series into which label sets beyond the cap are folded. */
export const OVERFLOW_LABEL = 'overflow';

export function checkMetricName(name: unknown): string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new MetricsError('ORG_METRICS_INVALID_CONFIG', `invalid metric name ${JSON.stringify(name)}`, {
      details: { name },
    });
  }
  return name;
}

export function checkHelp(name: string, help: unknown): string {
  if (typeof help !== 'string' || help.trim() === '') {
    throw new MetricsError('ORG_METRICS_INVALID_CONFIG', `metric ${name}: help must be a non-empty string`, {
      details: { name },
    });
  }
  return help;
}

/** Validates label names; `reserved` lists names a metric type keeps for itself. */
export function checkLabelNames(
  metric: string,
  labelNames: unknown,
  reserved: readonly string[] = [],
): string[] {
  if (labelNames === undefined) return [];
  if (!Array.isArray(labelNames)) {
    throw new MetricsError('ORG_METRICS_INVALID_CONFIG', `metric ${metric}: labelNames must be an array`, {
      details: { name: metric },
    });
  }
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
      throw new MetricsError(
        'ORG_METRICS_INVALID_CONFIG',
        `metric ${metric}: invalid label name ${JSON.stringify(label)}`,
        {
          details: { name: metric, label },
        },
      );
    }
    if (label === OVERFLOW_LABEL || label.startsWith('__') || reserved.includes(label)) {
      throw new MetricsError(
        'ORG_METRICS_RESERVED_LABEL',
        `metric ${metric}: label name "${label}" is reserved`,
        {
          details: { name: metric, label },
        },
      );
    }
    if (seen.has(label)) {
      throw new MetricsError(
        'ORG_METRICS_INVALID_CONFIG',
        `metric ${metric}: label name "${label}" is repeated`,
        {
          details: { name: metric, label },
        },
      );
    }
    seen.add(label);
  }
  return [...labelNames] as string[];
}

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** camelCase / kebab / dotted → snake_case, with anything outside [a-zA-Z0-9_] replaced by '_'. */
export function toSnakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .toLowerCase();
}
