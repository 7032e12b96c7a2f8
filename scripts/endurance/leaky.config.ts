/**
 * The endurance run of the leaky target (endurance/leaky-target.ts), through the same mechanism as the
 * services: the verdict must fail it when it leaks and pass it when it does not.
 *
 *   LEAK_MB_PER_HOUR=300 org-endurance --config scripts/endurance/leaky.config.ts --duration 2m
 *   LEAK_MB_PER_HOUR=0   …                                                        (the clean control)
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@org/shared-endurance';
// @ts-expect-error: plain ESM script without types
import { nodeOptionsFor } from '../run-task.mjs';

const target = fileURLToPath(new URL('./leaky-target.ts', import.meta.url));

export default defineConfig({
  name: `leaky target (${process.env.LEAK_MB_PER_HOUR ?? '0'} MB/h)`,
  services: [
    {
      name: 'leaky-target',
      command: process.execPath,
      args: [target],
      env: {
        NODE_OPTIONS: nodeOptionsFor('service') as string,
        LEAK_MB_PER_HOUR: process.env.LEAK_MB_PER_HOUR ?? '0',
      },
      maxRssMb: 512,
    },
  ],
  // Four samples a second: the post-GC sample comes at most 250 ms after a major GC, so the garbage
  // promoted since (the target's 1.6 MB/s) adds at most 0.4 MB to it, not 1.6 MB as at 1 Hz.
  sampleIntervalMs: 250,
  load: { rate: 100, targets: [{ service: 'leaky-target', connections: 2, requests: [{ path: '/items' }] }] },
});
