import { packageConfig } from '../../vitest.shared.ts';

// The fixture runs start fresh Node processes and analyse heap snapshots: slower than unit tests.
export default packageConfig({ test: { testTimeout: 120_000 } });
