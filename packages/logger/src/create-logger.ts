// createLogger: the options checked, the outputs and winston wired together, winston's log API, shutdown and stats.
import { CloseOnce, type CloseOptions, ListenerGroup, report, stderrReporter } from '@org/shared-lifecycle';
import winston from 'winston';
import { ecsLine } from './ecs-format.js';
import { CallInfo, type InfoLike, kArgs, kEcsLine, LEVEL, setEcsLine } from './ecs-info.js';
import type { EcsFormatOptions, ServiceInfo } from './ecs-options.js';
import { LoggerError } from './errors.js';
import { LEVEL_VALUES, LEVELS, resolveLevel } from './level.js';
import {
  type ChildLogger,
  contextFields,
  INFO_KEYS,
  isMessageObject,
  kChildMeta,
  MESSAGE_KEYS,
  readLevel,
  readMessage,
} from './log-calls.js';
import { createDispatch, outputsTake } from './log-dispatch.js';
import { optionNumber } from './logger-option-checks.js';
import { createOutputs } from './logger-outputs.js';
import type { Logger, LoggerOptions, LoggerStats } from './logger-types.js';
import { DEFAULT_REDACT_KEYS } from './sanitize.js';

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
  const { outputs, colour, es } = createOutputs(options, env, onError, service, serviceInfo, maxEntryBytes);

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

  const dispatch = createDispatch({ outputs, es, formatOptions, colour, hasTransports, streamWrite });

  // isLevelEnabled: true when an output, the Elasticsearch transport or a winston transport takes the level.
  const winstonIsLevelEnabled = logger.isLevelEnabled.bind(logger);
  logger.isLevelEnabled = function isLevelEnabled(this: winston.Logger, levelName: string): boolean {
    const value = LEVEL_VALUES[levelName];
    const threshold = LEVEL_VALUES[this.level];
    if (value === undefined || threshold === undefined) return false;
    if (outputsTake(outputs, es, threshold, value)) return true;
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
