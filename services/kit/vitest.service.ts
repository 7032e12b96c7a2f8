// The vitest config of the services: the shared one, plus @org/service-kit aliased to its sources
// like the @org/shared-* packages (tests need no build of the kit).
import { fileURLToPath } from 'node:url';
import { packageConfig } from '../../vitest.shared.ts';

const kit = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export const serviceConfig = packageConfig({
  resolve: {
    alias: [
      { find: /^@org\/service-kit\/testing$/, replacement: kit('testing.ts') },
      { find: /^@org\/service-kit$/, replacement: kit('index.ts') },
    ],
  },
});
