/** What the child process records (measurements.json) and the parent turns into a verdict. */
import type { Signal } from './scenario.js';

export interface Checkpoint {
  /** 'baseline' (after setup and a warm-up round) or 'round N'. */
  label: string;
  /** Time the round's iterations took. */
  roundMs: number;
  /** Time spent waiting for handles to settle and collecting garbage. */
  settleMs: number;
  /** process.getActiveResourcesInfo() counted by type. */
  resources: Record<string, number>;
  /** v8.queryObjects(Class, { format: 'count' }) per watched class, after GC. */
  instances: Record<string, number>;
  /** WeakRef probes on what the round's iterations returned: how many are still alive after GC. */
  probes: { total: number; alive: number };
  heapUsed: number;
  /** Heap snapshot written at this checkpoint. */
  snapshot: string;
}

export interface Measurements {
  name: string;
  description?: string;
  file: string;
  iterations: number;
  rounds: number;
  instanceTolerance: number;
  ignoreResources: string[];
  ignoreHeapClasses: string[];
  classes: string[];
  expectLeak?: Signal[];
  checkpoints: Checkpoint[];
  /** Unhandled rejections, uncaught exceptions and teardown failures seen in the child. */
  errors: string[];
  node: string;
}
