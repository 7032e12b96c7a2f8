import { OrgError } from '@org/shared-lifecycle';

/** Codes of the events-ingest service. Each is documented in README.md; HTTP errors carry the code. */
export const INGEST_ERROR_CODES = {
  ORG_INGEST_INVALID_INPUT:
    'An event of the batch is not of the right shape (400); nothing of it was accepted; details.problems names each field.',
  ORG_INGEST_UNSTORABLE:
    'An event holds a value the database could not store as sent (422): a NUL or lone surrogate, a timestamp out of range, a payload too large or too deep; nothing accepted; details.problems names each field.',
  ORG_INGEST_BODY_TOO_LARGE: 'The request body is larger than BODY_LIMIT (413).',
  ORG_INGEST_BUSY:
    'The write queue has no room for the whole batch (503, Retry-After); nothing of it was accepted.',
  ORG_INGEST_SHUTTING_DOWN: 'The service is stopping (503); nothing of the batch was accepted.',
  ORG_INGEST_UNAVAILABLE:
    'The database is unreachable or busy (503, Retry-After): connection, timeout, full pool, deadlock after retries; nothing of the batch was accepted; retry.',
  ORG_INGEST_NOT_FOUND: 'No such route (404).',
  ORG_INGEST_INTERNAL: 'An unexpected failure (500); the cause is logged, not returned.',
  ORG_INGEST_CLEANUP_FAILED:
    'A run of the stale-session cleanup job failed; reported on the error channel, retried next run.',
} as const;

export type IngestErrorCode = keyof typeof INGEST_ERROR_CODES;

export class IngestError extends OrgError<IngestErrorCode> {}
