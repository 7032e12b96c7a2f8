// Where one entry goes: every output, the Elasticsearch transport and winston's transports whose level takes it.
import { ecsEntry, ecsLine } from './ecs-format.js';
import { type InfoLike, setEcsLine } from './ecs-info.js';
import type { EcsFormatOptions } from './ecs-options.js';
import type { ElasticsearchTransport } from './es-transport.js';
import { LEVEL_VALUES } from './level.js';
import type { Output } from './outputs.js';
import { prettyLine } from './pretty-format.js';
import type { SafeObject } from './sanitize.js';

export interface DispatchTargets {
  outputs: Output[];
  es: ElasticsearchTransport | undefined;
  formatOptions: EcsFormatOptions;
  colour: boolean;
  /** Whether winston's pipeline has transports (added with add()). */
  hasTransports: () => boolean;
  /** winston's own write: into its pipeline. */
  streamWrite: (info: object) => boolean;
}

export type Dispatch = (
  info: InfoLike & Record<symbol, unknown>,
  levelName: string,
  threshold: number,
) => void;

export function createDispatch(targets: DispatchTargets): Dispatch {
  const { outputs, es, formatOptions, colour, hasTransports, streamWrite } = targets;
  const anyPretty = outputs.some((output) => output.pretty);

  /** Writes one info to every output, the Elasticsearch transport and winston's transports whose level takes it. */
  function dispatch(info: InfoLike & Record<symbol, unknown>, levelName: string, threshold: number): void {
    const value = LEVEL_VALUES[levelName];
    if (value === undefined) return;
    let line: string | undefined;
    let doc: SafeObject | undefined;
    if (anyPretty) {
      const entry = ecsEntry(info, formatOptions);
      line = entry.line;
      doc = entry.doc;
    }
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i]!;
      const limit = output.level === undefined ? threshold : LEVEL_VALUES[output.level]!;
      if (limit < value) continue;
      if (output.pretty) output.write(doc === undefined ? line! : prettyLine(doc, colour));
      else {
        if (line === undefined) line = ecsLine(info, formatOptions);
        output.write(line);
      }
    }
    if (es !== undefined) {
      const limit = es.level === undefined ? threshold : (LEVEL_VALUES[es.level] ?? threshold);
      if (limit >= value) {
        if (line === undefined) line = ecsLine(info, formatOptions);
        setEcsLine(info, line);
        es.log(info, noop);
      }
    }
    if (hasTransports()) {
      setEcsLine(info, line ?? ecsLine(info, formatOptions));
      streamWrite(info);
    }
  }
  return dispatch;
}

/** Whether an output or the Elasticsearch transport takes the level (`value`), given the logger's `threshold`. */
export function outputsTake(
  outputs: Output[],
  es: ElasticsearchTransport | undefined,
  threshold: number,
  value: number,
): boolean {
  for (let i = 0; i < outputs.length; i++) {
    const own = outputs[i]!.level;
    if ((own === undefined ? threshold : LEVEL_VALUES[own]!) >= value) return true;
  }
  if (
    es !== undefined &&
    (es.level === undefined ? threshold : (LEVEL_VALUES[es.level] ?? threshold)) >= value
  )
    return true;
  return false;
}

function noop(): void {}
