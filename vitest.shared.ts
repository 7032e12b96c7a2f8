// Shared vitest settings for every workspace package. Packages are aliased to their TypeScript
// sources, so tests never need a build and always test the code next to them (as trpc does).
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export const base = defineConfig({
  resolve: {
    alias: [
      { find: /^@org\/shared-([a-z-]+)\/testing$/, replacement: `${root}packages/$1/src/testing.ts` },
      { find: /^@org\/shared-([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@org\/es-test-server$/, replacement: `${root}packages/es-test-server/src/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Leak assertions call gc(); org-task's "test" line in .node-options adds --expose-gc.
    pool: 'forks',
  },
});

export function packageConfig(overrides: ViteUserConfig = {}): ViteUserConfig {
  return mergeConfig(base, overrides);
}
