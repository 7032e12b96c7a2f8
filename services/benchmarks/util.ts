/** What the service benchmarks share: child processes, /proc figures, free ports, statistics, bench lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { harnessDatabase } from '@org/shared-service/testing';

const CLK_TCK = 100; // getconf CLK_TCK on Linux

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
export function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Starts `node <args>` with `env` and waits until GET `url`/health answers 200. */
export async function startProcess(
  args: string[],
  env: Record<string, string | undefined>,
  url: string,
  healthPath = '/health',
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}${healthPath}`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return child;
    if (performance.now() - started > 120_000) throw new Error(`${args.join(' ')} not healthy after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A database of its own on the harness (primary and replica URLs), dropped first if it exists. */
export const benchDatabase = harnessDatabase;

export const median = (values: number[]): number => {
  const sorted = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export const spread = (values: number[]): string => {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length ? `${Math.min(...finite).toFixed(2)}–${Math.max(...finite).toFixed(2)}` : 'n/a';
};

export const round1 = (v: number) => Math.round(v * 10) / 10;

export function benchLine(line: {
  case: string;
  results: { name: string; value: number; unit: string }[];
  ratios: Record<string, number>;
  target: string;
  met: boolean;
}): void {
  process.stdout.write(`${JSON.stringify({ type: 'bench', package: 'services', ...line })}\n`);
}
