import { codeMigrations } from '@org/shared-service';

/** The schema of events-ingest, in code (see codeMigrations). Append only. */
export const migrations = codeMigrations('events_ingest_migrations', {
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
});
