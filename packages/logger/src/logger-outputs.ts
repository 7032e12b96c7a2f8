// createLogger's outputs from its options: the console (a descriptor or a stream), the rotating file, the Elasticsearch transport.
import type { ErrorReporter } from '@org/shared-lifecycle';
import type { ServiceInfo } from './ecs-options.js';
import { LoggerError } from './errors.js';
import { ElasticsearchTransport } from './es-transport.js';
import { fdOutput } from './fd-output.js';
import { fileOutput } from './file-output.js';
import { resolveFormat } from './level.js';
import { optionNumber, outputLevel } from './logger-option-checks.js';
import type { LoggerOptions } from './logger-types.js';
import type { Output } from './outputs.js';
import { streamOutput } from './stream-output.js';

export interface LoggerOutputs {
  outputs: Output[];
  /** Whether the pretty console colours its lines (a TTY without NO_COLOR). */
  colour: boolean;
  es: ElasticsearchTransport | undefined;
}

/** The package's own outputs: written directly, each entry formatted once (see outputs.ts). */
export function createOutputs(
  options: LoggerOptions,
  env: Record<string, string | undefined>,
  onError: ErrorReporter,
  service: ServiceInfo,
  serviceInfo: ServiceInfo,
  maxEntryBytes: number,
): LoggerOutputs {
  let colour = false;
  const format = resolveFormat(options.format, env);
  const outputs: Output[] = [];
  const consoleOption = options.console ?? true;
  if (consoleOption !== false) {
    const consoleLevel = outputLevel(
      'console.level',
      typeof consoleOption === 'object' ? consoleOption.level : undefined,
    );
    const stream = typeof consoleOption === 'object' ? consoleOption.stream : undefined;
    const fd =
      typeof consoleOption === 'object' && consoleOption.fd !== undefined
        ? optionNumber('console.fd', consoleOption.fd, 0)
        : 1;
    const pretty = format === 'pretty';
    const tty = stream ?? (fd === 1 ? process.stdout : fd === 2 ? process.stderr : {});
    colour = pretty && (tty as { isTTY?: boolean }).isTTY === true && env.NO_COLOR === undefined;
    outputs.push(
      stream
        ? streamOutput(consoleLevel, pretty, stream, onError)
        : fdOutput(fd, consoleLevel, pretty, onError),
    );
  }
  if (options.file !== undefined) {
    const file = options.file;
    if (file === null || typeof file.filename !== 'string' || file.filename === '') {
      throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'file.filename must be a non-empty string', {
        details: { option: 'file.filename' },
      });
    }
    outputs.push(
      fileOutput({
        filename: file.filename,
        maxSizeBytes: optionNumber('file.maxSizeBytes', file.maxSizeBytes ?? 10 * 1024 * 1024, 1024),
        maxFiles: optionNumber('file.maxFiles', file.maxFiles ?? 5, 1),
        level: outputLevel('file.level', file.level),
        onError,
      }),
    );
  }
  let es: ElasticsearchTransport | undefined;
  if (options.elasticsearch !== undefined) {
    es = new ElasticsearchTransport({
      onError,
      service: serviceInfo,
      ...options.elasticsearch,
      dataStream: { dataset: service.name, ...options.elasticsearch.dataStream },
      maxEntryBytes: Math.max(options.elasticsearch.maxEntryBytes ?? 0, maxEntryBytes),
    });
  }
  return { outputs, colour, es };
}
