import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The path of a tool, or a clear failure: CI installs it with scripts/install-prometheus.sh. */
export function requireTool(name: 'promtool' | 'prometheus'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `${name} is not installed: run packages/metrics/scripts/install-prometheus.sh (Debian's prometheus package)`,
    );
  }
}

/** Runs promtool with stdin; returns exit code and output. */
export function promtool(
  args: string[],
  input?: string,
  cwd?: string,
): Promise<{ code: number; output: string }> {
  const bin = requireTool('promtool');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(input ?? '');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Prometheus server on 127.0.0.1 with a temp config and data dir, killed and removed on dispose. */
export async function startPrometheus(scrape: {
  target: string;
  bearerToken?: string;
  ruleFiles?: string[];
}): Promise<{
  url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  logs(): string;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const bin = requireTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'org-metrics-prom-'));
  const port = await freePort();
  const auth = scrape.bearerToken ? `\n    authorization:\n      credentials: ${scrape.bearerToken}` : '';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n${
      scrape.ruleFiles ? `rule_files:\n${scrape.ruleFiles.map((f) => `  - ${f}\n`).join('')}` : ''
    }scrape_configs:\n  - job_name: test\n    metrics_path: /metrics${auth}\n    static_configs:\n      - targets: ['${scrape.target}']\n`,
  );
  let logs = '';
  const child = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${logs}`);
      try {
        if ((await fetch(`${url}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready within 30 s:\n${logs}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: never[] }; error?: string };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    logs: () => logs,
    [Symbol.asyncDispose]: stop,
  };
}
