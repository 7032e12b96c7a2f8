import knex, { type Knex } from 'knex';

export interface KnexPoolOptions {
  max: number;
  /** Default 'service'. */
  applicationName?: string;
}

/**
 * A knex instance for one PostgreSQL URL with the pool limits of DESIGN.md (max 10, acquire 30 s,
 * idle 30 s, destroy 5 s, min 0). Close it with destroy().
 */
export function openKnex(url: string, options: KnexPoolOptions): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: url, application_name: options.applicationName ?? 'service' },
    pool: {
      min: 0,
      max: options.max,
      acquireTimeoutMillis: 30_000,
      idleTimeoutMillis: 30_000,
      destroyTimeoutMillis: 5_000,
      createTimeoutMillis: 10_000,
    },
  });
}
