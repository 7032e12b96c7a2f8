// Runs a mocha-style suite (describe/it/before/after with `done` callbacks, as winston's
// abstract-winston-transport is written) under vitest: the globals it calls are mapped to vitest's for
// the time it registers its tests, and a `done` callback becomes a promise.
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';

type MochaFn = (this: unknown, done?: (error?: unknown) => void) => unknown;

const GLOBALS = ['describe', 'it', 'before', 'after', 'beforeEach', 'afterEach'] as const;

/** A mocha function as a vitest one: a `done` parameter resolves (or rejects) the returned promise. */
function promised(fn: MochaFn): () => unknown {
  if (fn.length === 0) return () => fn.call({});
  return () =>
    new Promise<void>((resolve, reject) => {
      try {
        fn.call({}, (error?: unknown) => (error ? reject(error) : resolve()));
      } catch (error) {
        reject(error);
      }
    });
}

/**
 * Puts mocha's globals in place (vitest runs describe bodies later, so each body installs them again
 * while it runs) and returns what puts the previous ones back.
 */
function installGlobals(timeoutMs: number): () => void {
  const g = globalThis as Record<string, unknown>;
  const saved = GLOBALS.map((name) => [name, g[name]] as const);
  g.describe = (name: string, body: () => void) =>
    describe(name, () => {
      const restore = installGlobals(timeoutMs);
      try {
        body();
      } finally {
        restore();
      }
    });
  g.it = (name: string, fn: MochaFn) => it(name, promised(fn), timeoutMs);
  g.before = (fn: MochaFn) => beforeAll(promised(fn));
  g.after = (fn: MochaFn) => afterAll(promised(fn));
  g.beforeEach = (fn: MochaFn) => beforeEach(promised(fn));
  g.afterEach = (fn: MochaFn) => afterEach(promised(fn));
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete g[name];
      else g[name] = value;
    }
  };
}

/**
 * Loads `module` (a CommonJS test suite) with mocha's globals in place and calls what it exports with
 * `options`. `timeoutMs` bounds each test, so a callback that never comes fails fast.
 */
export function runMochaSuite(module: string, options: unknown, timeoutMs = 2000): void {
  const restore = installGlobals(timeoutMs);
  try {
    const suite = createRequire(import.meta.url)(module) as (options: unknown) => void;
    suite(options);
  } finally {
    restore();
  }
}
