import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const MiB = 1024 * 1024;

/** How the old-generation limit was found. */
export type OldGenerationSource = 'max-old-space-size' | 'max-semi-space-size' | 'estimate';

/** Where the container's memory limit was read. */
export type ContainerLimitSource = 'cgroup-v2' | 'cgroup-v1' | 'constrained-memory';

/** What the process can really use: V8's limits and the container's. */
export interface MemoryLimits {
  /** V8's `heap_size_limit`: the old generation plus the young generation (3 × the semi-space size). */
  heapSizeLimitBytes: number;
  /**
   * What the old generation may grow to: V8 aborts when live objects approach it, well before
   * heapUsed reaches heap_size_limit (with `--max-old-space-size=384`, heap_size_limit is 576 MiB on
   * a large box, and the process dies at 350–380 MB of heap used).
   */
  oldGenerationBytes: number;
  oldGenerationSource: OldGenerationSource;
  /** The smallest memory limit of the container (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`, `process.constrainedMemory()`), or null. */
  containerBytes: number | null;
  containerSource: ContainerLimitSource | null;
}

/** Where the limits are read from; the defaults are the running process's. */
export interface MemoryLimitsSources {
  /** Node's command-line flags. Default process.execArgv. */
  execArgv?: readonly string[];
  /** NODE_OPTIONS. Default process.env.NODE_OPTIONS. */
  nodeOptions?: string;
  /** V8's heap_size_limit. Default getHeapStatistics().heap_size_limit. */
  heapSizeLimitBytes?: number;
  /** Where cgroup file systems are mounted. Default /sys/fs/cgroup. */
  cgroupRoot?: string;
  /** The text of /proc/self/cgroup. Default: read from /proc. */
  procSelfCgroup?: string;
  /** libuv's view (process.constrainedMemory()). Default: asked. */
  constrainedMemory?: number;
  /** Physical memory: a limit at or above it is no limit. Default os.totalmem(). */
  totalMemoryBytes?: number;
}

/** The last value of a V8 size flag (MiB) in argv-style tokens: `--max-old-space-size=384`, `--max_old_space_size 384`. */
function flagMiB(tokens: readonly string[], flag: string): number | undefined {
  const names = [`--${flag}`, `--${flag.replaceAll('-', '_')}`];
  let value: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    for (const name of names) {
      let text: string | undefined;
      if (token.startsWith(`${name}=`)) text = token.slice(name.length + 1);
      else if (token === name) text = tokens[i + 1];
      const n = text === undefined ? Number.NaN : Number(text);
      if (Number.isFinite(n) && n > 0) value = n;
    }
  }
  return value;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A limit file's value in bytes, or undefined for "max", absent or unparsable. */
function limitFile(path: string): number | undefined {
  const text = readText(path)?.trim();
  if (text === undefined || text === '' || text === 'max') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function parents(path: string): string[] {
  const out: string[] = [];
  let current = path.replace(/\/+$/, '');
  while (current !== '') {
    out.push(current);
    current = current.slice(0, current.lastIndexOf('/'));
  }
  out.push('');
  return out;
}

function smallest(values: (number | undefined)[]): number | undefined {
  let min: number | undefined;
  for (const v of values) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
}

/**
 * cgroup v2: the process's group from the `0::/path` line, `memory.max` of it and of every parent
 * (a parent's limit binds too), under the unified mount (`<root>` or `<root>/unified` on hybrid hosts).
 */
function cgroupV2(root: string, cgroups: string): number | undefined {
  const line = cgroups.split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) return undefined;
  const path = line.slice(3).trim();
  const found: (number | undefined)[] = [];
  for (const mount of [root, `${root}/unified`]) {
    for (const dir of parents(path)) found.push(limitFile(`${mount}${dir}/memory.max`));
  }
  return smallest(found);
}

/**
 * cgroup v1: the `memory` controller's group (`N:memory:/path`), `memory.limit_in_bytes` of it and
 * its parents; inside a container the group is often mounted as the root, so the root file counts too.
 */
function cgroupV1(root: string, cgroups: string): number | undefined {
  const line = cgroups.split('\n').find((l) => {
    const controllers = l.split(':')[1];
    return controllers?.split(',').includes('memory');
  });
  if (line === undefined) return undefined;
  const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1).trim();
  return smallest(parents(path).map((dir) => limitFile(`${root}/memory${dir}/memory.limit_in_bytes`)));
}

/**
 * The limits the process really has: the old-generation limit (from `--max-old-space-size` in the
 * flags or NODE_OPTIONS; else V8's heap_size_limit less the young generation, exact when
 * `--max-semi-space-size` is set and estimated from V8's sizing rule otherwise) and the container's
 * memory limit (the smallest of cgroup v2, cgroup v1 and libuv's `process.constrainedMemory()`; a
 * value at or above physical memory means no limit).
 */
export function memoryLimits(sources: MemoryLimitsSources = {}): MemoryLimits {
  const tokens = [
    ...(sources.execArgv ?? process.execArgv),
    ...(sources.nodeOptions ?? process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((t) => t !== ''),
  ];
  const heapSizeLimitBytes = sources.heapSizeLimitBytes ?? getHeapStatistics().heap_size_limit;
  let oldGenerationBytes: number;
  let oldGenerationSource: OldGenerationSource;
  const oldFlag = flagMiB(tokens, 'max-old-space-size');
  const semiFlag = flagMiB(tokens, 'max-semi-space-size');
  if (oldFlag !== undefined) {
    oldGenerationBytes = oldFlag * MiB;
    oldGenerationSource = 'max-old-space-size';
  } else if (semiFlag !== undefined) {
    // The young generation is two semi-spaces plus a new large-object space of the same size.
    oldGenerationBytes = heapSizeLimitBytes - 3 * semiFlag * MiB;
    oldGenerationSource = 'max-semi-space-size';
  } else {
    // V8 sizes the semi-space at 1/64 of the old generation, at most 64 MiB (Node 24 on x64).
    oldGenerationBytes = heapSizeLimitBytes - Math.min(3 * 64 * MiB, (heapSizeLimitBytes * 3) / 67);
    oldGenerationSource = 'estimate';
  }
  oldGenerationBytes = Math.max(MiB, Math.min(heapSizeLimitBytes, Math.floor(oldGenerationBytes)));

  const root = sources.cgroupRoot ?? '/sys/fs/cgroup';
  const cgroups = sources.procSelfCgroup ?? readText('/proc/self/cgroup') ?? '';
  const physical = sources.totalMemoryBytes ?? totalmem();
  const constrained = sources.constrainedMemory ?? process.constrainedMemory();
  const candidates: [number | undefined, ContainerLimitSource][] = [
    [cgroupV2(root, cgroups), 'cgroup-v2'],
    [cgroupV1(root, cgroups), 'cgroup-v1'],
    [constrained > 0 ? constrained : undefined, 'constrained-memory'],
  ];
  let containerBytes: number | null = null;
  let containerSource: ContainerLimitSource | null = null;
  for (const [value, source] of candidates) {
    if (value !== undefined && value < physical && (containerBytes === null || value < containerBytes)) {
      containerBytes = value;
      containerSource = source;
    }
  }
  return { heapSizeLimitBytes, oldGenerationBytes, oldGenerationSource, containerBytes, containerSource };
}
