import { codeMigrations } from '@org/shared-service';

/** The schema of orders-api, in code (see codeMigrations). Append only. */
export const migrations = codeMigrations('orders_api_migrations', {
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
});
