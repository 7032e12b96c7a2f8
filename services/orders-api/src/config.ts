import { int, str } from '@org/shared-service';

/**
 * The environment variables of orders-api itself, with their defaults (the common and database
 * ones come from @org/shared-service). `orders-api --help` prints them all.
 */
export const ordersApiSpecs = {
  REPLICA_MAX_LAG_SECONDS: int({
    desc: 'A replica further behind than this takes no reads.',
    default: 5,
    min: 0,
    max: 3600,
  }),
  REPLICA_POLL_INTERVAL_MS: int({
    desc: 'How often replica lag is measured.',
    default: 2000,
    min: 100,
    max: 600_000,
  }),
  READ_YOUR_WRITES_MS: int({
    desc: 'Reads in the same context as a write go to the primary for this long.',
    default: 0,
    min: 0,
    max: 600_000,
  }),
  SEED: str({
    desc: 'Demo orders: "auto" seeds an empty embedded database, "always" any empty database, "never".',
    choices: ['auto', 'always', 'never'],
    default: 'auto',
  }),
  PAGE_SIZE_DEFAULT: int({ desc: 'Orders per page when ?limit is absent.', default: 20, min: 1, max: 1000 }),
  PAGE_SIZE_MAX: int({
    desc: 'Hard maximum of ?limit; larger values are rejected with 400.',
    default: 100,
    min: 1,
    max: 1000,
  }),
};
