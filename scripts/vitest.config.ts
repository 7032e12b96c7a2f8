import { packageConfig } from '../vitest.shared.ts';

export default packageConfig({ test: { testTimeout: 60_000 } });
