import { packageConfig } from '../../vitest.shared.ts';

// The replication suite stops the replica and restarts the primary; the other files read through the
// replica. Running the files one after another keeps each one's view of the harness predictable.
export default packageConfig({ test: { fileParallelism: false } });
