import type { Knex } from 'knex';

/**
 * Schema migrations, kept in code (a knex MigrationSource) so that they run the same from src/ in
 * tests and from dist/ in production, with no directory scan. Append only.
 */
const migrations: Record<string, { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }> = {
  '20250101000000_orders': {
    async up(knex) {
      await knex.schema.createTable('orders', (t) => {
        t.bigIncrements('id').primary();
        t.text('customer_id').notNullable();
        t.text('status').notNullable().defaultTo('pending');
        t.bigInteger('total_cents').notNullable();
        t.text('currency').notNullable().defaultTo('EUR');
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.index(['customer_id', 'id']);
        t.index(['status', 'id']);
      });
      await knex.raw(
        `alter table orders add constraint orders_status_check check (status in ('pending', 'paid', 'shipped', 'cancelled'))`,
      );
      await knex.schema.createTable('order_items', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('order_id').notNullable().references('id').inTable('orders').onDelete('CASCADE');
        t.text('sku').notNullable();
        t.integer('quantity').notNullable();
        t.bigInteger('unit_price_cents').notNullable();
        t.index(['order_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('order_items');
      await knex.schema.dropTableIfExists('orders');
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

export const MIGRATIONS_TABLE = 'orders_api_migrations';

/** Runs the pending migrations on the primary; returns the names applied. */
export async function migrate(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource, tableName: MIGRATIONS_TABLE })) as [
    number,
    string[],
  ];
  return applied;
}
