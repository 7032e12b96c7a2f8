/**
 * Metric names derived from stats() paths, made to pass `promtool check metrics` whatever the field
 * names are (the linter of Prometheus 2.42, plus the suffixes OpenMetrics reserves):
 *
 * - a time unit word anywhere in the path (`ms`, `us`, `ns`, `s`, `sec`, `m`, `h`, `d` and
 *   `milliseconds`, `microseconds`, `nanoseconds`, `minutes`, `hours`, `days`, `weeks`) is taken out
 *   and the name ends in `_seconds`, the value scaled (`waitMs` → `wait_seconds`, ÷1000;
 *   `acquireMs.p99` → `acquire_p99_seconds`); with several, the last one counts and the others are
 *   spelled out;
 * - other unit abbreviations and non-base units are spelled out in the singular, value unchanged
 *   (`heapMb` → `heap_megabyte`, `kilobytes` → `kilobyte`), since kB is 1000 or 1024 by convention;
 * - the metric type words are made plural (`counter` → `counters`, `gauge`, `histogram`, `summary`);
 * - a gauge whose name would end in a suffix reserved for other types (`_total`, `_count`, `_sum`,
 *   `_bucket`, `_created`, `_info`) gets `_value` appended (`lastSample.heapTotal` →
 *   `last_sample_heap_total_value`); a counter gets `_total`, once.
 *
 * Only the words that come from the snapshot are changed; the prefixes are the caller's.
 */

/** Time unit words and how a value in them becomes seconds (exact: 5 µs is 0.000005 s, not 4.99…e-6). */
const toSeconds = (perSecond: number) => (value: number) => value / perSecond;
const fromUnit = (seconds: number) => (value: number) => value * seconds;
const TIME_UNITS = new Map<string, (value: number) => number>([
  ['ns', toSeconds(1e9)],
  ['nanoseconds', toSeconds(1e9)],
  ['us', toSeconds(1e6)],
  ['microseconds', toSeconds(1e6)],
  ['ms', toSeconds(1e3)],
  ['milliseconds', toSeconds(1e3)],
  ['s', fromUnit(1)],
  ['sec', fromUnit(1)],
  ['m', fromUnit(60)],
  ['minutes', fromUnit(60)],
  ['h', fromUnit(3600)],
  ['hours', fromUnit(3600)],
  ['d', fromUnit(86_400)],
  ['days', fromUnit(86_400)],
  ['weeks', fromUnit(604_800)],
]);

/** What the other words promtool rejects become. */
const SPELLED = new Map<string, string>([
  ['ns', 'nanosecond'],
  ['nanoseconds', 'nanosecond'],
  ['us', 'microsecond'],
  ['microseconds', 'microsecond'],
  ['ms', 'millisecond'],
  ['milliseconds', 'millisecond'],
  ['s', 'second'],
  ['sec', 'second'],
  ['m', 'minute'],
  ['minutes', 'minute'],
  ['h', 'hour'],
  ['hours', 'hour'],
  ['d', 'day'],
  ['days', 'day'],
  ['weeks', 'week'],
  ['b', 'byte'],
  ['kb', 'kilobyte'],
  ['mb', 'megabyte'],
  ['gb', 'gigabyte'],
  ['tb', 'terabyte'],
  ['pb', 'petabyte'],
  ['bits', 'bit'],
  ['kilobits', 'kilobit'],
  ['megabits', 'megabit'],
  ['gigabits', 'gigabit'],
  ['kilobytes', 'kilobyte'],
  ['megabytes', 'megabyte'],
  ['gigabytes', 'gigabyte'],
  ['terabytes', 'terabyte'],
  ['petabytes', 'petabyte'],
  ['kibibytes', 'kibibyte'],
  ['gibibytes', 'gibibyte'],
  ['tebibytes', 'tebibyte'],
  ['pebibytes', 'pebibyte'],
  ['inches', 'inch'],
  ['yards', 'yard'],
  ['miles', 'mile'],
  ['kilometers', 'kilometer'],
  ['centimeters', 'centimeter'],
  ['millimeters', 'millimeter'],
  ['kelvins', 'kelvin'],
  ['fahrenheit', 'degree_f'],
  ['rankine', 'degree_r'],
  ['pounds', 'pound'],
  ['ounces', 'ounce'],
  ['kilograms', 'kilogram'],
  ['milligrams', 'milligram'],
  ['counter', 'counters'],
  ['gauge', 'gauges'],
  ['histogram', 'histograms'],
  ['summary', 'summaries'],
]);

/** Suffixes a gauge must not end in: other types' series (and OpenMetrics' info type). */
const RESERVED_GAUGE_SUFFIXES = ['_total', '_count', '_sum', '_bucket', '_created', '_info'] as const;

/** The suffix a gauge gets when its name would end in a reserved one. */
const SAFE_GAUGE_SUFFIX = '_value';

/**
 * The metric name for a stats field: `prefix` (already a valid name) and the snake_case parts of the
 * field's path. `convert` turns the field's value into the unit the name says (seconds).
 */
export function statsMetricName(
  prefix: string,
  parts: readonly string[],
  counter: boolean,
): { name: string; convert: (value: number) => number } {
  const words = parts.flatMap((part) => part.split('_')).filter((word) => word !== '');
  let convert = (value: number) => value;
  const timeAt = words.findLastIndex((word) => TIME_UNITS.has(word));
  if (timeAt >= 0) {
    convert = TIME_UNITS.get(words[timeAt] as string) as (value: number) => number;
    words.splice(timeAt, 1);
    words.push('seconds');
  }
  const safe = words.map((word) => SPELLED.get(word) ?? word);
  if (counter && safe.at(-1) === 'total') safe.pop();
  let name = [prefix, ...safe].join('_');
  if (counter) name += '_total';
  else if (RESERVED_GAUGE_SUFFIXES.some((suffix) => name.endsWith(suffix))) name += SAFE_GAUGE_SUFFIX;
  return { name, convert };
}

/** Words of a dotted stats path: `lastSample.heapUsedBytes` → last sample heap used bytes. */
function pathWords(path: string): string[] {
  return path
    .split('.')
    .flatMap((part) =>
      part
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .replace(/[_\-\s]+/g, ' ')
        .toLowerCase()
        .split(' '),
    )
    .filter((word) => word !== '');
}

/**
 * The default HELP of a stats series, in words: `Last sample heap used, in bytes (memory_guard
 * stats()).` The unit is the one the name ends in; the path's own unit word is left out of the words.
 */
export function statsHelp(prefix: string, path: string, name: string, counter: boolean): string {
  const unit =
    name.endsWith('_seconds') || name.endsWith('_seconds_total')
      ? 'seconds'
      : name.endsWith('_bytes') || name.endsWith('_bytes_total')
        ? 'bytes'
        : undefined;
  const words = pathWords(path === '' ? prefix : path).filter(
    (word) => !(unit !== undefined && (word === unit || word === 'byte' || TIME_UNITS.has(word))),
  );
  const text = words.length === 0 ? prefix : words.join(' ');
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return `${sentence}${unit === undefined ? '' : `, in ${unit}`}${counter ? ', in total' : ''} (${prefix} stats()).`;
}
