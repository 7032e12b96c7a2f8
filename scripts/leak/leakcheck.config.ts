/**
 * This repository's leak checks (`npm run leak`, `npm run leak -w @org/scripts -- --fixtures`): the
 * scenarios of every package, and the deliberately leaky fixtures that prove each signal fails.
 * Scenarios exporting `needs = ['DATABASE_URL']` get the PostgreSQL harness started for them.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineLeakcheckConfig } from '@org/shared-leakcheck';

const harness = fileURLToPath(new URL('../pg-harness.sh', import.meta.url));

export default defineLeakcheckConfig({
  scenarios: ['scenarios'],
  fixtures: ['fixtures'],
  prepare({ needs, log }) {
    if (!needs.has('DATABASE_URL') || process.env.DATABASE_URL) return;
    log('DATABASE_URL is not set; starting the PostgreSQL harness');
    execFileSync('bash', [harness, 'start'], { stdio: 'inherit' });
    for (const line of execFileSync('bash', [harness, 'env'], { encoding: 'utf8' }).split('\n')) {
      const match = /^(?:export\s+)?([A-Z_]+)=["']?([^"']*)["']?$/.exec(line.trim());
      if (match) process.env[match[1]!] = match[2]!;
    }
  },
});
