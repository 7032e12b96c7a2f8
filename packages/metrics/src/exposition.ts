/**
 * Renders a registry's metrics in the Prometheus text format 0.0.4 or in OpenMetrics 1.0.0.
 * prom-client's Registry has one content type per registry, and rendering OpenMetrics renames its
 * counters in place (it strips `_total` from metric.name for good), so one registry cannot answer
 * both; this renderer reads the same metric objects (get() → collect()) and never changes them.
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export type ExpositionContentType = typeof PROMETHEUS_CONTENT_TYPE | typeof OPENMETRICS_CONTENT_TYPE;

interface SampleValue {
  value: number;
  labels?: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  metricName?: string;
}

interface MetricData {
  name: string;
  help: string;
  type: string;
  values?: SampleValue[];
}

/** What a registry holds: prom-client metrics, or any object with the same get(). */
export interface RenderableMetric {
  get(): Promise<unknown> | unknown;
  getForPromString?(): Promise<unknown> | unknown;
}

/**
 * Picks the format for an Accept header: OpenMetrics when the client prefers it (Prometheus sends
 * `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`), else text.
 */
export function negotiateContentType(accept: string | undefined): ExpositionContentType {
  if (!accept) return PROMETHEUS_CONTENT_TYPE;
  let openMetrics = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      if (param.startsWith('q=')) {
        const parsed = Number(param.slice(2));
        q = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(value: string | number): string {
  const s = typeof value === 'string' ? value : String(value);
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string, openMetrics: boolean): string {
  const s = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? s.replace(/"/g, '\\"') : s;
}

function formatLabels(sample: SampleValue, defaults: readonly [string, string][]): string {
  let out = '';
  const shared = sample.sharedLabels;
  const own = sample.labels;
  if (shared) for (const key in shared) out += `${out ? ',' : ''}${key}="${escapeLabelValue(shared[key]!)}"`;
  if (own) {
    for (const key in own) {
      if (shared && key in shared) continue;
      out += `${out ? ',' : ''}${key}="${escapeLabelValue(own[key]!)}"`;
    }
  }
  for (const [key, value] of defaults) {
    if ((own && key in own) || (shared && key in shared)) continue;
    out += `${out ? ',' : ''}${key}="${value}"`;
  }
  return out ? `{${out}}` : '';
}

/** Renders metric objects (in order) with default labels added to every sample that lacks them. */
export async function render(
  metrics: readonly RenderableMetric[],
  defaultLabels: Readonly<Record<string, string>>,
  contentType: ExpositionContentType,
): Promise<string> {
  const openMetrics = contentType === OPENMETRICS_CONTENT_TYPE;
  const defaults = Object.entries(defaultLabels).map(
    ([k, v]) => [k, escapeLabelValue(v)] as [string, string],
  );
  // All collect() callbacks start in one synchronous pass, as in prom-client's Registry.metrics().
  const families = (await Promise.all(
    metrics.map((metric) =>
      typeof metric.getForPromString === 'function' ? metric.getForPromString() : metric.get(),
    ),
  )) as MetricData[];
  const lines: string[] = [];
  for (const family of families) {
    const counter = family.type === 'counter';
    const familyName = openMetrics && counter ? family.name.replace(/_total$/, '') : family.name;
    const type =
      openMetrics && !['counter', 'gauge', 'histogram', 'summary'].includes(family.type)
        ? 'unknown'
        : family.type;
    lines.push(
      `# HELP ${familyName} ${escapeHelp(family.help, openMetrics)}`,
      `# TYPE ${familyName} ${type}`,
    );
    for (const sample of family.values ?? []) {
      const name = sample.metricName ?? (openMetrics && counter ? `${familyName}_total` : family.name);
      lines.push(`${name}${formatLabels(sample, defaults)} ${formatValue(sample.value)}`);
    }
  }
  if (openMetrics) lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
