import { fileURLToPath } from 'node:url';
import { packageConfig } from '../../vitest.shared.ts';

// The service kit is aliased to its sources like the @org/shared-* packages.
const kit = (file: string) => fileURLToPath(new URL(`../kit/src/${file}`, import.meta.url));
export default packageConfig({
  resolve: {
    alias: [
      { find: /^@org\/service-kit\/testing$/, replacement: kit('testing.ts') },
      { find: /^@org\/service-kit$/, replacement: kit('index.ts') },
    ],
  },
});
