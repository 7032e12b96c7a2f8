import { fileURLToPath } from 'node:url';
import { packageConfig } from '../../vitest.shared.ts';

// The service kit is aliased to its sources like the @org/shared-* packages.
export default packageConfig({
  resolve: {
    alias: [
      {
        find: /^@org\/service-kit$/,
        replacement: fileURLToPath(new URL('../kit/src/index.ts', import.meta.url)),
      },
    ],
  },
});
