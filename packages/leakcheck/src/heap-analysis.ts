/**
 * Signal 3: memlab on the heap snapshots taken after each cool-down.
 *
 * Two analyses, both on memlab's parsed snapshots (@memlab/core):
 *  - class growth: the number of live objects (and closures) of a class grows from every snapshot
 *    to the next (strictly, across at least five cool-downs). Reported with the retainer path memlab
 *    finds from a GC root to the newest instance.
 *  - unbound objects: memlab's unbound-object analysis (ObjectUnboundGrowthAnalysis) follows single
 *    objects whose retained size grows; that plugin only prints, so the same computation is done
 *    here on memlab's TraceFinder retained sizes, keeping the innermost growing objects (an
 *    unbounded array, not the module and global objects that hold it).
 */
import type { IHeapNode, IHeapSnapshot } from '@memlab/core';
import memlab from '@memlab/core';

const { utils, TraceFinder, serializer, config, NumericSet } = memlab;

export interface ClassGrowth {
  /** Class (constructor) name; closures are "name (closure)". */
  name: string;
  /** Live count in each snapshot. */
  counts: number[];
  /** memlab's retainer path from a GC root to the newest instance, one edge per line. */
  retainerPath: string;
}

export interface ObjectGrowth {
  /** Heap object id (stable across the snapshots of one process). */
  id: number;
  name: string;
  /** Retained size in bytes in each snapshot. */
  retainedSizes: number[];
  retainerPath: string;
}

export interface HeapAnalysis {
  snapshots: number;
  growingClasses: ClassGrowth[];
  growingObjects: ObjectGrowth[];
  ms: number;
}

export interface HeapAnalysisOptions {
  /** Class names left out of the class-growth analysis. */
  ignoreClasses?: readonly string[];
  /** An object is reported when its retained size grew at every step and by at least this much. Default 32 KiB. */
  minObjectGrowthBytes?: number;
  /** Most classes/objects reported (largest growth first). Default 5. */
  maxReported?: number;
}

/** Engine and built-in class names: reported after the named classes, which point at the code. */
const GENERIC = /^(system \/|Object$|Array$|Map$|Set$|Promise$|Error$|<anonymous>|.* \(closure\)$)/;

const tracked = (node: IHeapNode) => node.type === 'object' || node.type === 'closure';
const keyOf = (node: IHeapNode) =>
  node.type === 'closure' ? `${node.name || '<anonymous>'} (closure)` : node.name;

/** Runs both analyses on snapshots of one process, in the order they were taken. */
export async function analyzeHeapSnapshots(
  files: readonly string[],
  options: HeapAnalysisOptions = {},
): Promise<HeapAnalysis> {
  const started = performance.now();
  const ignore = new Set(options.ignoreClasses ?? []);
  const minGrowth = options.minObjectGrowthBytes ?? 32 * 1024;
  const maxReported = options.maxReported ?? 5;
  config.muteConsole = true;
  config.chaseWeakMapEdge = false;

  const counts: Map<string, number>[] = [];
  // id -> retained size history; dropped as soon as the object disappears or stops growing.
  let sizes = new Map<number, number[]>();
  let last: IHeapSnapshot | null = null;
  const finder = new TraceFinder();

  for (const [i, file] of files.entries()) {
    const snapshot = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
    finder.calculateAllNodesRetainedSizes(snapshot);
    const perClass = new Map<string, number>();
    const next = new Map<number, number[]>();
    snapshot.nodes.forEach((node) => {
      if (!tracked(node)) return;
      const key = keyOf(node);
      perClass.set(key, (perClass.get(key) ?? 0) + 1);
      const size = node.retainedSize;
      if (i === 0) {
        next.set(node.id, [size]);
      } else {
        const history = sizes.get(node.id);
        if (history && size > history[history.length - 1]!) next.set(node.id, [...history, size]);
      }
    });
    counts.push(perClass);
    sizes = next;
    last = snapshot;
  }
  if (!last || files.length < 2)
    return { snapshots: files.length, growingClasses: [], growingObjects: [], ms: 0 };
  const snapshot = last;
  finder.annotateShortestPaths(snapshot);

  const pathTo = (node: IHeapNode | null | undefined): string => {
    if (!node) return '(no node)';
    const path = finder.getPathToGCRoots(snapshot, node);
    if (!path) return '(no path to a GC root found)';
    return serializer.summarizePath(path, new NumericSet(), snapshot, { color: false }).trimEnd();
  };

  // Class growth: strictly increasing count from each snapshot to the next.
  const names = new Set<string>();
  for (const perClass of counts) for (const name of perClass.keys()) names.add(name);
  const growing: { name: string; counts: number[] }[] = [];
  for (const name of names) {
    if (ignore.has(name)) continue;
    const series = counts.map((perClass) => perClass.get(name) ?? 0);
    if (series.every((count, i) => i === 0 || count > series[i - 1]!)) growing.push({ name, counts: series });
  }
  // Our own classes first (they name the leak), then by growth.
  const generic = (name: string) => GENERIC.test(name);
  growing.sort(
    (a, b) =>
      Number(generic(a.name)) - Number(generic(b.name)) ||
      b.counts.at(-1)! - b.counts[0]! - (a.counts.at(-1)! - a.counts[0]!),
  );
  const growingClasses: ClassGrowth[] = growing.slice(0, maxReported).map(({ name, counts: series }) => {
    let newest: IHeapNode | null = null;
    snapshot.nodes.forEach((node) => {
      if (tracked(node) && keyOf(node) === name && (!newest || node.id > newest.id)) newest = node;
    });
    return { name, counts: series, retainerPath: pathTo(newest) };
  });

  // Unbound objects: present in every snapshot, retained size up at every step, by minGrowth in all.
  const candidates = [...sizes.entries()].filter(
    ([, history]) => history.length === files.length && history.at(-1)! - history[0]! >= minGrowth,
  );
  const candidateIds = new Set(candidates.map(([id]) => id));
  // Keep the innermost: drop every candidate that dominates another candidate.
  const dominatesAnother = new Set<number>();
  for (const [id] of candidates) {
    let up = snapshot.getNodeById(id)?.dominatorNode ?? null;
    for (let depth = 0; up && depth < 10_000; depth++) {
      if (candidateIds.has(up.id)) dominatesAnother.add(up.id);
      if (up.dominatorNode === up) break;
      up = up.dominatorNode;
    }
  }
  const growingObjects: ObjectGrowth[] = candidates
    .filter(([id]) => !dominatesAnother.has(id))
    .sort((a, b) => b[1].at(-1)! - b[1][0]! - (a[1].at(-1)! - a[1][0]!))
    .map(([id, history]) => {
      const node = snapshot.getNodeById(id);
      return { id, name: node ? keyOf(node) : '?', retainedSizes: history, retainerPath: pathTo(node) };
    })
    // The leak runner's own probe registry (child.ts) holds a cell per leaked object: not a finding.
    .filter((growth) => !growth.retainerPath.includes('--leakRunnerProbes (variable)--->'))
    .slice(0, maxReported);

  return { snapshots: files.length, growingClasses, growingObjects, ms: performance.now() - started };
}
