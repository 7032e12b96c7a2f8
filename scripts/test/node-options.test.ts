// Proves the per-task heap limits of .node-options: the limit reaches the task's Node processes,
// a task that allocates past it fails, and turbo reports that failure (also for a SIGKILL, which is
// what the kernel's OOM killer sends), and turbo-run tasks run on the project's Node (.nvmrc).
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without types
import { nodeOptionsFor, parseNodeOptions } from '../run-task.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'node_modules/.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NODE_OPTIONS: '' };
const nvmrc = readFileSync(join(repo, '.nvmrc'), 'utf8').trim();

let dir: string;

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 60_000 });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'org-node-options-'));
  mkdirSync(join(dir, 'pkgs/a'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'fixture', private: true, workspaces: ['pkgs/*'], packageManager: 'npm@11.19.1' }),
  );
  writeFileSync(
    join(dir, 'turbo.json'),
    JSON.stringify({
      ui: 'stream',
      globalPassThroughEnv: ['ORG_*'],
      tasks: {
        alloc: { cache: false },
        small: { cache: false },
        killed: { cache: false },
        version: { cache: false },
      },
    }),
  );
  const node = (code: string) => `org-task probe node -e "${code}"`;
  writeFileSync(
    join(dir, 'pkgs/a/package.json'),
    JSON.stringify({
      name: 'a',
      version: '1.0.0',
      scripts: {
        alloc: node('const a=[];for(;;)a.push(new Array(1e5).fill(1))'),
        small: node('const a=[];for(let i=0;i<20;i++)a.push(new Array(1e5).fill(1));console.log(a.length)'),
        killed: node("process.kill(process.pid,'SIGKILL')"),
        version: node(
          "console.log('NODE', process.version, 'LIMIT', require('v8').getHeapStatistics().heap_size_limit)",
        ),
      },
    }),
  );
  writeFileSync(join(dir, '.node-options'), '# test\nprobe = --max-old-space-size=64\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fixtureEnv = () => ({ ORG_NODE_OPTIONS_FILE: join(dir, '.node-options') });

describe('.node-options', () => {
  it('parses task lines and rejects a malformed one', () => {
    const tasks = parseNodeOptions('# c\nbuild = --max-old-space-size=4096\n\ntest=--expose-gc\n');
    expect(Object.fromEntries(tasks)).toEqual({ build: '--max-old-space-size=4096', test: '--expose-gc' });
    expect(() => parseNodeOptions('nonsense')).toThrow(/task = flags/);
  });

  it('the repository file has a line for every task, and Node accepts each line in NODE_OPTIONS', () => {
    for (const task of ['build', 'typecheck', 'test', 'dev', 'bench', 'leak', 'endurance', 'service']) {
      const flags = nodeOptionsFor(task, join(repo, '.node-options'));
      const r = spawnSync(join(bin, 'node'), ['-e', '0'], {
        env: { ...env, NODE_OPTIONS: flags },
        encoding: 'utf8',
      });
      expect(r.stderr, `${task}: ${flags}`).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('every Node-based script of every workspace package runs through org-task with its own line', () => {
    const tasks = parseNodeOptions(readFileSync(join(repo, '.node-options'), 'utf8'));
    const dirs = ['packages', 'services'].flatMap((d) =>
      existsSync(join(repo, d)) ? readdirSync(join(repo, d)).map((p) => join(repo, d, p)) : [],
    );
    const offenders: string[] = [];
    for (const d of [...dirs, join(repo, 'scripts')]) {
      const file = join(d, 'package.json');
      if (!existsSync(file)) continue;
      const scripts: Record<string, string> = JSON.parse(readFileSync(file, 'utf8')).scripts ?? {};
      for (const [name, command] of Object.entries(scripts)) {
        if (!/^(build|typecheck|test|bench|leak|endurance|dev|start)$/.test(name)) continue;
        const m = /^org-task (\S+) /.exec(command);
        if (!m || !tasks.has(m[1]!)) offenders.push(`${file}: ${name}: ${command}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('heap limits under turbo', () => {
  it('a turbo-run task runs on the Node of .nvmrc with the limit of its line', () => {
    const r = run(join(bin, 'turbo'), ['run', 'version'], fixtureEnv());
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const m = /NODE v(\d+)\.\S+ LIMIT (\d+)/.exec(r.stdout);
    expect(m?.[1]).toBe(nvmrc);
    // old space 64 MB plus the young generation: far below the default of several GB
    expect(Number(m?.[2])).toBeLessThan(512 * 1024 * 1024);
  });

  it('a task within its limit succeeds', () => {
    const r = run(join(bin, 'turbo'), ['run', 'small'], fixtureEnv());
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('a task that allocates past its limit fails, and turbo reports the failure', () => {
    const r = run(join(bin, 'turbo'), ['run', 'alloc'], fixtureEnv());
    expect(r.status).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/org-task: probe: "node" was killed by SIGABRT/);
    expect(out).toMatch(/Failed:\s+a#alloc/);
    expect(out).toMatch(/0 successful, 1 total/);
  });

  it('a task killed by SIGKILL (as the OOM killer does) is reported as failed, not successful', () => {
    const r = run(join(bin, 'turbo'), ['run', 'killed'], fixtureEnv());
    expect(r.status).toBe(137);
    expect(r.stdout + r.stderr).toMatch(/Failed:\s+a#killed/);
  });
});

describe('Node version guard', () => {
  it('check-node fails early with a clear message on another Node', () => {
    const system = spawnSync('/usr/bin/node', [join(repo, 'scripts/check-node.mjs')], { encoding: 'utf8' });
    const major = spawnSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0]'], {
      encoding: 'utf8',
    });
    if (major.stdout.trim() === nvmrc) {
      expect(system.status).toBe(0);
    } else {
      expect(system.status).toBe(1);
      expect(system.stderr).toMatch(/ORG_NODE_VERSION: this project runs on Node 24/);
    }
    const ours = spawnSync(join(bin, 'node'), [join(repo, 'scripts/check-node.mjs')], { encoding: 'utf8' });
    expect(ours.status).toBe(0);
  });
});
