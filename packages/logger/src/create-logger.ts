import {
  CloseOnce,
  type CloseOptions,
  checkNumber,
  type ErrorReporter,
  ListenerGroup,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import winston from 'winston';
import { ecsEntry, ecsLine } from './ecs-format.js';
import { CallInfo, type InfoLike, kArgs, kEcsLine, LEVEL, setEcsLine } from './ecs-info.js';
import type { EcsFormatOptions, ServiceInfo } from './ecs-options.js';
import { LoggerError } from './errors.js';
import {
  ElasticsearchTransport,
  type ElasticsearchTransportOptions,
  type ElasticsearchTransportStats,
} from './es-transport.js';
import { fdOutput } from './fd-output.js';
import { fileOutput } from './file-output.js';
import { LEVEL_VALUES, LEVELS, type LogFormat, resolveFormat, resolveLevel } from './level.js';
import type { Output } from './outputs.js';
import { prettyLine } from './pretty-format.js';
import { DEFAULT_REDACT_KEYS, type SafeObject, safeRead, safeString } from './sanitize.js';
import { streamOutput } from './stream-output.js';

export interface FileOptions {
  filename: string;
  /** Rotate at this size. Default 10 MiB. */
  maxSizeBytes?: number;
  /** Keep this many files. Default 5. */
  maxFiles?: number;
  level?: string;
}

export interface LoggerOptions {
  service: ServiceInfo;
  /** Default: LOG_LEVEL, else 'info' in production and 'debug' elsewhere. */
  level?: string;
  /** Ship to Elasticsearch; when absent, console only. */
  elasticsearch?: ElasticsearchTransportOptions;
  /** Keys (case-insensitive) whose values are replaced by '[REDACTED]'. Replaces the defaults; false: none. */
  redact?: readonly string[] | false;
  /** Per-entry cap in UTF-8 bytes; larger entries are truncated with a marker. Default 16 KiB. */
  maxEntryBytes?: number;
  /** The error channel for transport failures, drops and format errors. Default: one line on stderr. */
  onError?: ErrorReporter;
  /**
   * Lines on stdout (true, default), on another file descriptor (`fd`, e.g. 2 for stderr), on a given
   * stream, or not at all (false).
   */
  console?: boolean | { stream?: NodeJS.WritableStream; fd?: number; level?: string };
  /**
   * The console's format: 'json' (ECS JSON lines) or 'pretty' (one readable line per entry, coloured
   * on a TTY unless NO_COLOR is set). Default: LOG_FORMAT, else 'json'. Files and Elasticsearch
   * always get ECS JSON.
   */
  format?: LogFormat;
  /** A size- and count-limited file transport; never added unless configured. */
  file?: FileOptions;
  /** Fields added to every entry. */
  defaultMeta?: Record<string, unknown>;
  /**
   * Called on every log call for fields to add to its entry, such as the current request's trace and
   * request ids from an AsyncLocalStorage (`contextLogFields` of `@org/shared-middleware`). Return
   * undefined for none. Precedence, lowest first: defaultMeta, context, child() metadata, the call's.
   * It must be cheap; if it throws, the entry is written with a placeholder in `extra.args`.
   */
  context?: () => object | undefined;
  /** Environment for LOG_LEVEL and NODE_ENV. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Default deadline of shutdown(). Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Clock (tests). Default Date.now. */
  now?: () => number;
}

export interface LoggerStats {
  level: string;
  /** Entries accepted by the log methods. */
  logged: number;
  /** Entries whose formatting failed unexpectedly (a minimal entry was written instead). */
  formatErrors: number;
  /** Entries logged after shutdown() started (not written anywhere). */
  droppedAfterShutdown: number;
  /** Lines the console or file output refused because 64 MiB were already waiting to be written. */
  outputDropped: number;
  closed: boolean;
  /** The Elasticsearch transport's stats, undefined when there is none. */
  elasticsearch: ElasticsearchTransportStats | undefined;
}

export type Logger = winston.Logger & {
  stats(): LoggerStats;
  /** Flushes and closes the Elasticsearch transport within the deadline, then closes winston. Idempotent; never rejects. */
  shutdown(options?: CloseOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** The Elasticsearch transport, when configured. */
  readonly elasticsearch: ElasticsearchTransport | undefined;
};

export function createLogger(options: LoggerOptions): Logger {
  if (options === null || typeof options !== 'object') {
    throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'createLogger(options) needs an options object');
  }
  const service = options.service;
  if (
    service === null ||
    typeof service !== 'object' ||
    typeof service.name !== 'string' ||
    service.name === ''
  ) {
    throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'service.name must be a non-empty string', {
      details: { option: 'service.name' },
    });
  }
  const env = options.env ?? process.env;
  const environment = service.environment ?? env.NODE_ENV ?? 'development';
  const production = environment === 'production';
  const level = resolveLevel(options.level, env, production);
  const onError = options.onError ?? stderrReporter;
  const now = options.now ?? Date.now;
  const maxEntryBytes = optionNumber('maxEntryBytes', options.maxEntryBytes ?? 16 * 1024, 256);
  const redact = options.redact === false ? [] : (options.redact ?? DEFAULT_REDACT_KEYS);
  if (!Array.isArray(redact) || redact.some((key) => typeof key !== 'string')) {
    throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'redact must be an array of strings or false', {
      details: { option: 'redact' },
    });
  }
  const context = options.context;
  if (context !== undefined && typeof context !== 'function') {
    throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'context must be a function returning fields', {
      details: { option: 'context' },
    });
  }
  const serviceInfo: ServiceInfo = { name: service.name, environment };
  if (service.version !== undefined) serviceInfo.version = service.version;

  let formatErrors = 0;
  /** A log call whose entry could not be written: counted, reported, never thrown. */
  const writeFailed = (error: unknown): void => {
    formatErrors++;
    report(
      onError,
      new LoggerError('ORG_LOGGER_FORMAT_FAILED', 'writing a log entry failed', { cause: error }),
      {
        source: 'logger',
      },
    );
  };
  let colour = false;
  const formatOptions: EcsFormatOptions = {
    service: serviceInfo,
    redact: new Set(redact.map((key) => key.toLowerCase())),
    maxDepth: 10,
    maxMembers: 1000,
    maxStringLength: maxEntryBytes,
    maxEntryBytes,
    now,
    onFormatError: (error) => {
      formatErrors++;
      report(
        onError,
        new LoggerError('ORG_LOGGER_FORMAT_FAILED', 'formatting a log entry failed', { cause: error }),
        {
          source: 'logger.format',
        },
      );
    },
  };
  // For infos that reach winston's pipeline without going through dispatch (none of ours do).
  const ecs = winston.format((info) => {
    const record = info as Record<string | symbol, unknown>;
    if (record[kEcsLine] !== true) setEcsLine(record, ecsLine(info as InfoLike, formatOptions));
    return info;
  });

  // The package's own outputs: written directly, each entry formatted once (see outputs.ts).
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
  const anyPretty = outputs.some((output) => output.pretty);

  // winston's pipeline carries only transports added with add(): the entries reach them formatted.
  const logger = winston.createLogger({
    level,
    levels: winston.config.npm.levels,
    format: ecs(),
    transports: [],
    exitOnError: false,
  }) as Logger;
  const streamWrite = logger.write.bind(logger) as (info: object) => boolean;
  const readableState = (logger as unknown as { _readableState: { pipesCount?: number; pipes?: unknown } })
    ._readableState;
  const hasTransports = () =>
    (readableState.pipesCount ??
      (Array.isArray(readableState.pipes) ? readableState.pipes.length : readableState.pipes ? 1 : 0)) > 0;

  // winston re-emits transport errors on the logger: with this listener an unhandled 'error' is impossible.
  const listeners = new ListenerGroup();
  listeners.on(logger, 'error', (error: unknown) =>
    report(onError, error, { source: 'logger', code: 'transport-error' }),
  );
  if (es !== undefined) {
    listeners.on(es, 'error', (error: unknown) =>
      report(onError, error, { source: 'logger.elasticsearch', code: 'transport-error' }),
    );
  }

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

  // isLevelEnabled: true when an output, the Elasticsearch transport or a winston transport takes the level.
  const winstonIsLevelEnabled = logger.isLevelEnabled.bind(logger);
  logger.isLevelEnabled = function isLevelEnabled(this: winston.Logger, levelName: string): boolean {
    const value = LEVEL_VALUES[levelName];
    const threshold = LEVEL_VALUES[this.level];
    if (value === undefined || threshold === undefined) return false;
    for (let i = 0; i < outputs.length; i++) {
      const own = outputs[i]!.level;
      if ((own === undefined ? threshold : LEVEL_VALUES[own]!) >= value) return true;
    }
    if (
      es !== undefined &&
      (es.level === undefined ? threshold : (LEVEL_VALUES[es.level] ?? threshold)) >= value
    )
      return true;
    if (hasTransports()) return winstonIsLevelEnabled.call(this, levelName);
    return outputs.length === 0 && es === undefined && threshold >= value;
  };

  // write(info), winston's low-level API (profile(), a child's write): formatted and dispatched the same way.
  (logger as { write: unknown }).write = function write(info: unknown): boolean {
    try {
      const record = info as InfoLike & Record<symbol, unknown>;
      const levelName = typeof record.level === 'string' ? record.level : 'info';
      if (closed || logger.silent) return true;
      record[LEVEL] ??= levelName;
      dispatch(record, levelName, LEVEL_VALUES[logger.level] ?? -1);
    } catch (error) {
      writeFailed(error);
    }
    return true;
  };

  let logged = 0;
  let droppedAfterShutdown = 0;
  let closed = false;
  const defaultMeta = options.defaultMeta;

  function write(
    self: winston.Logger,
    levelName: string,
    message: unknown,
    args: unknown[],
    skip?: Set<string>,
  ) {
    if (closed) {
      droppedAfterShutdown++;
      if (droppedAfterShutdown === 1) {
        report(
          onError,
          new LoggerError('ORG_LOGGER_CLOSED', 'log call after shutdown(); entries are not written'),
          {
            source: 'logger',
          },
        );
      }
      return self;
    }
    try {
      if (!self.isLevelEnabled(levelName)) return self;
      logged++;
      // Lowest precedence first: defaultMeta, context(), child() metadata from the outermost child in, the call's.
      const inherited = (self as ChildLogger)[kChildMeta];
      const fields = context === undefined ? undefined : contextFields(context);
      let all = args;
      if (defaultMeta !== undefined || fields !== undefined || inherited !== undefined) {
        all = [];
        if (defaultMeta !== undefined) all.push(defaultMeta);
        if (fields !== undefined) all.push(fields);
        if (inherited !== undefined) for (const meta of inherited) all.push(meta);
        for (const arg of args) all.push(arg);
      }
      const info = new CallInfo(
        levelName,
        message,
        all.length > 0 ? all : undefined,
        skip === undefined ? undefined : { arg: args[0], keys: skip },
      );
      if (self.silent) return self;
      dispatch(info, levelName, LEVEL_VALUES[self.level] ?? -1);
    } catch (error) {
      writeFailed(error);
    }
    return self;
  }

  // child(meta): the metadata is kept as it is and formatted with each entry like a call's metadata (winston's
  // own child copies it into every info with Object.assign, which throws for a hostile object).
  (logger as { child: unknown }).child = function child(this: ChildLogger, meta: unknown) {
    const metas = [...(this[kChildMeta] ?? []), meta];
    return Object.create(this, {
      [kChildMeta]: { value: metas },
      // A direct write(info) on a child (winston's API) still carries the child's metadata.
      write: {
        value: (info: object) => {
          try {
            const merged: InfoLike & Record<symbol, unknown> = { ...(info as InfoLike) };
            const own = (info as Record<symbol, unknown>)[LEVEL];
            if (own !== undefined) merged[LEVEL] = own;
            merged[kArgs] = [...metas, ...(((info as InfoLike)[kArgs] as unknown[] | undefined) ?? [])];
            return logger.write(merged);
          } catch (error) {
            writeFailed(error);
            return true;
          }
        },
      },
    });
  };

  const methods = logger as unknown as Record<string, unknown>;
  for (const name of LEVELS) {
    methods[name] = function (this: winston.Logger, message: unknown, ...args: unknown[]) {
      if (args.length === 0 && isMessageObject(message)) {
        return write(this, name, readMessage(message), [message], MESSAGE_KEYS);
      }
      return write(this, name, message, args);
    };
  }
  methods.log = function (this: winston.Logger, first: unknown, message?: unknown, ...args: unknown[]) {
    if (first !== null && typeof first === 'object') {
      const levelName = readLevel(first);
      return write(this, levelName, readMessage(first), [first], INFO_KEYS);
    }
    const levelName =
      typeof first === 'string' && (LEVELS as readonly string[]).includes(first) ? first : 'info';
    if (args.length === 0 && isMessageObject(message)) {
      return write(this, levelName, readMessage(message), [message], MESSAGE_KEYS);
    }
    return write(this, levelName, message, args);
  };

  const lifecycle = new CloseOnce(
    'Logger',
    async (ctx) => {
      closed = true;
      await es?.close(ctx);
      await Promise.all(outputs.map((output) => output.close(ctx.signal)));
      logger.close();
      listeners.removeAll();
      // After close, later errors of the (now unpiped) transports have nowhere to go but the channel.
      listeners.on(logger, 'error', (error: unknown) => report(onError, error, { source: 'logger' }));
    },
    { defaultTimeoutMs: optionNumber('shutdownTimeoutMs', options.shutdownTimeoutMs ?? 5000, 0), onError },
  );
  let shutdownPromise: Promise<void> | null = null;

  Object.defineProperty(logger, 'elasticsearch', { value: es, enumerable: false });
  logger.stats = (): LoggerStats => ({
    level: logger.level,
    logged,
    formatErrors,
    droppedAfterShutdown,
    outputDropped: outputs.reduce((sum, output) => sum + output.dropped, 0),
    closed,
    elasticsearch: es?.stats(),
  });
  logger.shutdown = (closeOptions?: CloseOptions) => {
    if (shutdownPromise) return shutdownPromise;
    shutdownPromise = lifecycle.close(closeOptions).catch((error: unknown) => {
      report(onError, error, { source: 'logger.shutdown' });
    });
    return shutdownPromise;
  };
  logger[Symbol.asyncDispose] = () => logger.shutdown();
  return logger;
}

/** Where a child logger keeps its child() metadata (outermost first). */
const kChildMeta: unique symbol = Symbol('@org/shared-logger.childMeta');
type ChildLogger = winston.Logger & { [kChildMeta]?: unknown[] };

const MESSAGE_KEYS = new Set(['message']);
const INFO_KEYS = new Set(['message', 'level']);

/** An object carrying its own message (`info({ message, … })`); false for Errors and unreadable objects. */
function isMessageObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  try {
    return !(value instanceof Error) && 'message' in value;
  } catch {
    return false;
  }
}

function readMessage(value: object): unknown {
  try {
    return (value as { message?: unknown }).message;
  } catch (error) {
    return `[message getter threw: ${safeString(safeRead(() => (error as Error).message)) ?? 'unknown'}]`;
  }
}

function contextFields(context: () => object | undefined): unknown {
  try {
    const fields = context();
    return fields === null ? undefined : fields;
  } catch (error) {
    return `[context() threw: ${safeString(safeRead(() => (error as Error).message)) ?? 'unknown'}]`;
  }
}

function readLevel(value: object): string {
  try {
    const level = (value as { level?: unknown }).level;
    return typeof level === 'string' && (LEVELS as readonly string[]).includes(level) ? level : 'info';
  } catch {
    return 'info';
  }
}

function noop(): void {}

/** An output's own level (validated), or undefined for the logger's. */
function outputLevel(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return resolveLevel(value, {}, false);
  } catch (error) {
    throw new LoggerError('ORG_LOGGER_INVALID_LEVEL', `${option}: ${(error as Error).message}`, {
      cause: error,
      details: { option, level: value },
    });
  }
}

function optionNumber(name: string, value: unknown, min: number): number {
  try {
    return checkNumber(name, value, { min });
  } catch (error) {
    throw new LoggerError(
      'ORG_LOGGER_INVALID_OPTION',
      error instanceof Error ? error.message : String(error),
      {
        cause: error,
        details: { option: name, value },
      },
    );
  }
}
