import client from 'prom-client';
import type { GuardedMetric, GuardStats, SeriesEntry } from './guard.js';
import type { StatsCollectorImpl } from './stats-collector.js';

/**
 * The instance's own series about its guards: label sets held and their cap, overflow samples, expired
 * label sets per guarded metric, and failures of stats() sources per collector — read at scrape time.
 */
export function registerSelfMetrics(
  registry: client.Registry,
  prefix: string,
  metrics: ReadonlyMap<string, GuardedMetric<SeriesEntry>>,
  collectors: ReadonlyMap<string, StatsCollectorImpl>,
): void {
  const guarded = () => [...metrics.values()].filter((m) => m.labelNames.length > 0);
  const each = (read: (s: GuardStats) => number) =>
    function (this: client.Gauge<string> | client.Counter<string>) {
      this.reset();
      for (const metric of guarded()) {
        const value = read(metric.guardStats());
        if (this instanceof client.Counter) this.inc({ metric: metric.name }, value);
        else this.set({ metric: metric.name }, value);
      }
    };
  const registers = [registry];
  const p = prefix;
  new client.Gauge({
    name: `${p}metrics_label_sets`,
    help: 'Label sets held per guarded metric (the overflow series not included).',
    labelNames: ['metric'],
    registers,
    collect: each((s) => s.labelSets),
  });
  new client.Gauge({
    name: `${p}metrics_label_sets_limit`,
    help: 'Cardinality cap per guarded metric (maxLabelSets).',
    labelNames: ['metric'],
    registers,
    collect: each((s) => s.maxLabelSets),
  });
  new client.Counter({
    name: `${p}metrics_overflow_samples_total`,
    help: 'Samples folded into the overflow="true" series because the metric was at its cardinality cap.',
    labelNames: ['metric'],
    registers,
    collect: each((s) => s.overflowSamples),
  });
  new client.Counter({
    name: `${p}metrics_expired_label_sets_total`,
    help: 'Label sets deleted by the cleanup sweep after labelTtlMs without a sample.',
    labelNames: ['metric'],
    registers,
    collect: each((s) => s.expiredLabelSets),
  });
  new client.Counter({
    name: `${p}metrics_stats_failures_total`,
    help: 'Failures of stats() sources given to collectStats(): throws, invalid fields, series over the cap.',
    labelNames: ['collector'],
    registers,
    collect() {
      this.reset();
      for (const collector of collectors.values())
        this.inc({ collector: collector.prefix }, collector.failures);
    },
  });
}
