/** Checks a config before anything starts; each problem is an ORG_ENDURANCE_INVALID_CONFIG naming the option. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { optionChecks } from '@org/shared-lifecycle';
import type { ConfigInput, EnduranceConfig, LoadRequest, LoadSpec, ServiceSpec } from './config.js';
import { EnduranceError } from './errors.js';

const CODE = 'ORG_ENDURANCE_INVALID_CONFIG';

function fail(option: string, problem: string): never {
  throw new EnduranceError(CODE, `${option}: ${problem}`, { details: { option } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const check = optionChecks(
  (message, { option }) => new EnduranceError(CODE, message, { details: { option } }),
);
const number = (option: string, v: unknown, min: number, max = Number.POSITIVE_INFINITY) =>
  check.number(option, v, { min, max });
const optionalNumber = (option: string, v: unknown, min: number, max?: number) =>
  v === undefined ? undefined : number(option, v, min, max);
const string = (option: string, v: unknown) => check.string(option, v);
const fn = (option: string, v: unknown) => check.fn(option, v);

export function checkConfig(value: unknown): asserts value is EnduranceConfig {
  if (!isObject(value)) fail('config', 'an object (export default defineConfig({...}))');
  const c = value as Partial<EnduranceConfig>;
  if (!Array.isArray(c.services) || c.services.length === 0) fail('services', 'a non-empty array');
  const names = new Set<string>();
  c.services.forEach((raw: unknown, i) => {
    const at = `services[${i}]`;
    if (!isObject(raw)) fail(at, 'an object');
    const s = raw as unknown as ServiceSpec;
    string(`${at}.name`, s.name);
    if (names.has(s.name)) fail(`${at}.name`, `"${s.name}" is used twice`);
    names.add(s.name);
    string(`${at}.command`, s.command);
    if (s.args !== undefined && (!Array.isArray(s.args) || s.args.some((a) => typeof a !== 'string')))
      fail(`${at}.args`, 'an array of strings');
    number(`${at}.maxRssMb`, s.maxRssMb, 1);
    if (s.portEnv === null && s.url === undefined) fail(`${at}.url`, 'required when portEnv is null');
    optionalNumber(`${at}.ready.timeoutMs`, s.ready?.timeoutMs, 1);
    optionalNumber(`${at}.stop.timeoutMs`, s.stop?.timeoutMs, 1);
    for (const [j, cap] of (s.caps ?? []).entries()) {
      string(`${at}.caps[${j}].column`, cap.column);
      if (cap.max === undefined && cap.maxColumn === undefined)
        fail(`${at}.caps[${j}]`, 'needs max or maxColumn');
      optionalNumber(`${at}.caps[${j}].max`, cap.max, Number.NEGATIVE_INFINITY);
    }
    if (s.errorPattern !== undefined && !(s.errorPattern instanceof RegExp))
      fail(`${at}.errorPattern`, 'a RegExp');
  });
  if (!isObject(c.load)) fail('load', 'an object');
  const load = c.load as LoadSpec;
  number('load.rate', load.rate, 0.1);
  if (!Array.isArray(load.targets) || load.targets.length === 0) fail('load.targets', 'a non-empty array');
  load.targets.forEach((t, i) => {
    const at = `load.targets[${i}]`;
    if (!names.has(t.service)) fail(`${at}.service`, `no service named "${String(t.service)}"`);
    optionalNumber(`${at}.share`, t.share, 0);
    optionalNumber(`${at}.connections`, t.connections, 1, 1000);
    optionalNumber(`${at}.timeoutS`, t.timeoutS, 0.1);
    if (!Array.isArray(t.requests) || t.requests.length === 0) fail(`${at}.requests`, 'a non-empty array');
    t.requests.forEach((r: LoadRequest, j: number) => {
      string(`${at}.requests[${j}].path`, r.path);
      if (r.acknowledge !== undefined) {
        string(`${at}.requests[${j}].acknowledge.counter`, r.acknowledge.counter);
        fn(`${at}.requests[${j}].acknowledge.count`, r.acknowledge.count);
      }
    });
  });
  const faults = [...(c.faults ?? [])].sort((a, b) => a.from - b.from);
  faults.forEach((f, i) => {
    const at = `faults (${String(f.name)})`;
    string(`${at}.name`, f.name);
    number(`${at}.from`, f.from, 0, 1);
    number(`${at}.to`, f.to, f.from, 1);
    fn(`${at}.start`, f.start);
    fn(`${at}.stop`, f.stop);
    const next = faults[i + 1];
    if (next && next.from < f.to) fail(at, `overlaps "${next.name}"`);
  });
  const counters = new Set(
    load.targets.flatMap((t) =>
      t.requests.flatMap((r: LoadRequest) => (r.acknowledge ? [r.acknowledge.counter] : [])),
    ),
  );
  (c.lostData ?? []).forEach((l, i) => {
    const at = `lostData[${i}]`;
    string(`${at}.name`, l.name);
    if (!counters.has(l.counter))
      fail(`${at}.counter`, `no request of the load acknowledges into "${l.counter}"`);
    fn(`${at}.stored`, l.stored);
    optionalNumber(`${at}.settleMs`, l.settleMs, 0);
    if (l.acknowledgedMetric && !names.has(l.acknowledgedMetric.service))
      fail(`${at}.acknowledgedMetric.service`, `no service named "${l.acknowledgedMetric.service}"`);
  });
  optionalNumber('bounds.heapSlopeMbPerHour', c.bounds?.heapSlopeMbPerHour, 0);
  optionalNumber('bounds.rssSlopeMbPerHour', c.bounds?.rssSlopeMbPerHour, 0);
  optionalNumber('bounds.samplesAnswered', c.bounds?.samplesAnswered, 0, 1);
  optionalNumber('sampleIntervalMs', c.sampleIntervalMs, 100);
  optionalNumber('progressIntervalMs', c.progressIntervalMs, 100);
}

export const DEFAULT_CONFIG_FILES = ['endurance.config.ts', 'endurance.config.mjs', 'endurance.config.js'];

/** Imports a config file (TypeScript is run by Node's type stripping) and returns its default export. */
export async function importConfig(file: string): Promise<ConfigInput> {
  const path = resolve(file);
  if (!existsSync(path))
    throw new EnduranceError(CODE, `config file not found: ${path}`, { details: { option: '--config' } });
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new EnduranceError(CODE, `config file ${path} does not load`, {
      cause: error,
      details: { option: '--config' },
    });
  }
  if (typeof mod.default !== 'function' && !isObject(mod.default))
    fail('config', `${path} has no default export (export default defineConfig({...}))`);
  return mod.default as ConfigInput;
}
