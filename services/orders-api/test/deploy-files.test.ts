// No Docker or hadolint here: parse the Dockerfiles and deploy files and check the rules we rely on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const serviceHeap = /^service\s*=\s*(.+)$/m.exec(read('.node-options'))?.[1]?.trim();

function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe.each(['orders-api', 'events-ingest'])('%s deploy files', (service) => {
  const dockerfile = instructions(read(`services/${service}/Dockerfile`));

  it('is multi-stage, pinned to Node 24, runs as a non-root user, with HEALTHCHECK on /health', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.args).toMatch(/^node:24[\w.-]*\s+AS\s+\w+/i);
    expect(dockerfile.some((i) => i.op === 'COPY' && i.args.includes('--from=build'))).toBe(true);
    const lastFrom = dockerfile.findLastIndex((i) => i.op === 'FROM');
    const users = dockerfile.slice(lastFrom).filter((i) => i.op === 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]?.args).not.toMatch(/^(root|0)(:|$)/);
    const health = dockerfile.filter((i) => i.op === 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]?.args).toContain('/health');
    expect(dockerfile.at(-1)?.op).toBe('CMD');
    expect(dockerfile.at(-1)?.args).toContain(`services/${service}/dist/main.js`);
    // Exec form only (signals reach node, so SIGTERM drains the service).
    for (const i of dockerfile.filter((i) => i.op === 'CMD' || i.op === 'ENTRYPOINT'))
      expect(i.args.startsWith('[')).toBe(true);
  });

  it('applies the "service" line of .node-options (heap limit and young generation)', () => {
    expect(serviceHeap).toBe('--max-old-space-size=384 --max-semi-space-size=4');
    expect(dockerfile.some((i) => i.op === 'ENV' && i.args.includes(`NODE_OPTIONS="${serviceHeap}"`))).toBe(
      true,
    );
  });

  it('has a railway.json with the Dockerfile and the /health check', () => {
    const railway = JSON.parse(read(`services/${service}/railway.json`)) as {
      build: { builder: string; dockerfilePath: string };
      deploy: { healthcheckPath: string };
    };
    expect(railway.build).toEqual({
      builder: 'DOCKERFILE',
      dockerfilePath: `services/${service}/Dockerfile`,
    });
    expect(railway.deploy.healthcheckPath).toBe('/health');
  });

  it('is in render.yaml with its Dockerfile and health check', () => {
    const render = read('services/render.yaml');
    const block = render.split(/\n\s+- type: web\n/).find((b) => b.includes(`name: ${service}\n`));
    expect(block).toBeDefined();
    expect(block).toContain(`dockerfilePath: ./services/${service}/Dockerfile`);
    expect(block).toContain('healthCheckPath: /health');
  });
});
