/**
 * The config file of org-leakcheck (default: leakcheck.config.ts, .js or .mjs in the working
 * directory): where a service keeps its scenarios and its deliberately leaky fixtures, and what has
 * to be started before they run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LeakcheckError } from './errors.js';
import { configChecks } from './options.js';

export interface PrepareContext {
  /** Everything the selected scenario files export in `needs`, e.g. 'DATABASE_URL'. */
  needs: ReadonlySet<string>;
  /** Prints one line of the run's output. */
  log: (line: string) => void;
}

export interface LeakcheckConfig {
  /** Scenario files or directories of them (files starting with "_" are helpers, not run). Relative to the config file. */
  scenarios: readonly string[];
  /** Deliberately leaky fixtures (scenarios with `expectLeak`), run with `--fixtures`. */
  fixtures?: readonly string[];
  /**
   * Runs once before the first scenario, with what the selected scenarios need: start a database
   * only when one is needed, set environment variables (children inherit process.env).
   */
  prepare?: (context: PrepareContext) => void | Promise<void>;
  /** A scenario's child is killed after this long. Default 180 000 ms. */
  timeoutMs?: number;
  /** Extra Node flags for every child (besides --expose-gc). */
  execArgv?: readonly string[];
}

const CODE = 'ORG_LEAKCHECK_INVALID_CONFIG';

/** Gives a config file type checking; checks it at load time (ORG_LEAKCHECK_INVALID_CONFIG). */
export function defineLeakcheckConfig(config: LeakcheckConfig): LeakcheckConfig {
  checkConfig(config);
  return config;
}

function checkConfig(value: unknown): asserts value is LeakcheckConfig {
  const c = value as Partial<LeakcheckConfig> | null;
  if (typeof c !== 'object' || c === null)
    throw new LeakcheckError(
      CODE,
      'the config must be an object (export default defineLeakcheckConfig({...}))',
    );
  const paths = (name: 'scenarios' | 'fixtures', list: unknown) => {
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === ''))
      throw new LeakcheckError(CODE, `${name} must be an array of file or directory paths`, {
        details: { option: name },
      });
  };
  paths('scenarios', c.scenarios);
  if (c.fixtures !== undefined) paths('fixtures', c.fixtures);
  if (c.prepare !== undefined && typeof c.prepare !== 'function')
    throw new LeakcheckError(CODE, 'prepare must be a function', { details: { option: 'prepare' } });
  configChecks.number('timeoutMs', c.timeoutMs, { default: 1, min: 1 });
  if (
    c.execArgv !== undefined &&
    (!Array.isArray(c.execArgv) || c.execArgv.some((a) => typeof a !== 'string'))
  )
    throw new LeakcheckError(CODE, 'execArgv must be an array of strings', {
      details: { option: 'execArgv' },
    });
}

export const DEFAULT_CONFIG_FILES = ['leakcheck.config.ts', 'leakcheck.config.mjs', 'leakcheck.config.js'];

/** Loads a config file; paths in it become absolute (relative to the file). */
export async function loadConfig(file: string): Promise<LeakcheckConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new LeakcheckError(CODE, `config file not found: ${path}`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new LeakcheckError(CODE, `config file ${path} does not load`, { cause: error });
  }
  checkConfig(mod.default);
  const base = dirname(path);
  const config = mod.default;
  return {
    ...config,
    scenarios: config.scenarios.map((p) => resolve(base, p)),
    ...(config.fixtures ? { fixtures: config.fixtures.map((p) => resolve(base, p)) } : {}),
  };
}

/** Scenario files under the given files and directories, sorted; helpers ("_x.ts") left out. */
export function scenarioFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (existsSync(path) && statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (/\.(ts|mts|js|mjs)$/.test(name) && !name.startsWith('_') && !name.endsWith('.d.ts'))
          files.push(join(path, name));
      }
    } else {
      files.push(resolve(path));
    }
  }
  return files;
}
