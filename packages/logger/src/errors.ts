import { OrgError, type OrgErrorOptions } from '@org/shared-lifecycle';

/** Codes of @org/shared-logger. Each is documented in the package README (a test keeps them in step). */
export const LOGGER_ERROR_CODES = {
  ORG_LOGGER_INVALID_OPTION:
    'An option of createLogger() or ElasticsearchTransport is missing, of the wrong type or out of range.',
  ORG_LOGGER_INVALID_LEVEL: 'The level (option or LOG_LEVEL) is not one of the npm levels.',
  ORG_LOGGER_FORMAT_FAILED:
    'Formatting an entry failed unexpectedly; a minimal entry with the message was written instead.',
  ORG_LOGGER_OUTPUT_FAILED:
    'Writing to the console stream, stdout or the log file failed (the file could not be opened, a write or a rotation failed).',
  ORG_LOGGER_OUTPUT_DROPPED:
    'The console or file output had 64 MiB waiting to be written (nobody reads stdout); further lines are dropped and counted in stats().outputDropped. Reported once per output.',
  ORG_LOGGER_CLOSED: 'An entry was logged after shutdown(); it is counted in stats().droppedAfterShutdown.',
  ORG_LOGGER_ES_REQUEST_FAILED:
    'A _bulk request failed as a whole (refused, reset, timeout, 429, 5xx), or the client could not be created; the batch went back to the buffer and the transport backs off.',
  ORG_LOGGER_ES_ITEMS_REJECTED:
    'Elasticsearch rejected items with a non-retryable status (such as a 400 mapping error); they were dropped (dropped.rejected). One sampled item is in details.',
  ORG_LOGGER_ES_BATCH_REJECTED:
    'Elasticsearch rejected a whole _bulk request with a non-retryable 4xx status; its entries were dropped (dropped.rejected).',
  ORG_LOGGER_ES_BAD_RESPONSE:
    'A _bulk answer could not be read or did not answer every entry; the unanswered entries are in doubt and were sent again under the same ids.',
  ORG_LOGGER_ES_UNCONFIRMED:
    'Entries whose answer was lost had to go before they could be sent again (buffer full, close deadline, age, or documentIds false); they may be stored; counted in stats().unconfirmed.',
  ORG_LOGGER_ES_TEMPLATE_FAILED: 'Bootstrapping the index template failed; logging continues without it.',
  ORG_LOGGER_ES_CLOSE_UNSENT:
    'close() could not deliver every buffered entry before its deadline (or the cluster was down); they are counted in dropped.closed (or unconfirmed when their answer was lost).',
  ORG_LOGGER_ES_DROPPED:
    'Entries were dropped because the buffer was full or they were too old; counted in stats().dropped (reported at most once a minute).',
} as const;

export type LoggerErrorCode = keyof typeof LOGGER_ERROR_CODES;

export class LoggerError extends OrgError<LoggerErrorCode> {
  constructor(code: LoggerErrorCode, message: string, options?: OrgErrorOptions) {
    super(code, message, options);
  }
}
