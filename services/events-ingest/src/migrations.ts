import type { Knex } from 'knex';

/** Schema migrations in code (a knex MigrationSource): same from src/ and dist/, no directory scan. Append only. */
const migrations: Record<string, { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }> = {
  '20250101000000_events_sessions': {
    async up(knex) {
      await knex.schema.createTable('ingest_events', (t) => {
        t.bigIncrements('id').primary();
        t.text('event_id').notNullable();
        t.text('session_id').notNullable();
        t.text('type').notNullable();
        t.timestamp('occurred_at', { useTz: true }).notNullable();
        t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.jsonb('payload');
        t.index(['session_id', 'occurred_at']);
      });
      await knex.schema.createTable('ingest_sessions', (t) => {
        t.text('id').primary();
        t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.timestamp('closed_at', { useTz: true });
        t.text('close_reason');
      });
      // The cleanup job's scan: open sessions by last_seen_at.
      await knex.raw(
        'create index ingest_sessions_open_idx on ingest_sessions (last_seen_at) where closed_at is null',
      );
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('ingest_events');
      await knex.schema.dropTableIfExists('ingest_sessions');
    },
  },
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = migrations[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};

export const MIGRATIONS_TABLE = 'events_ingest_migrations';

export async function migrate(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource, tableName: MIGRATIONS_TABLE })) as [
    number,
    string[],
  ];
  return applied;
}
