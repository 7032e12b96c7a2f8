import { fileURLToPath } from 'node:url';
import { packageConfig } from '../../vitest.shared.ts';

// The live runs (a target under load for a minute) and the headless-Chromium test are slow.
export default packageConfig({
  resolve: {
    alias: [
      {
        find: /^@org\/shared-leakcheck\/progress$/,
        replacement: fileURLToPath(new URL('../leakcheck/src/progress.ts', import.meta.url)),
      },
    ],
  },
  test: { testTimeout: 180_000 },
});
