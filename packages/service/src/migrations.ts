import type { Knex } from 'knex';

export interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export interface CodeMigrations {
  readonly tableName: string;
  readonly source: Knex.MigrationSource<string>;
  /** Runs the pending migrations; returns the names applied. */
  migrate(knex: Knex): Promise<string[]>;
}

/**
 * Schema migrations kept in code (a knex MigrationSource), so that they run the same from src/ in
 * tests and from dist/ in production, with no directory scan. Names sort in order; append only.
 */
export function codeMigrations(tableName: string, migrations: Record<string, Migration>): CodeMigrations {
  const source: Knex.MigrationSource<string> = {
    getMigrations: async () => Object.keys(migrations).sort(),
    getMigrationName: (name) => name,
    getMigration: async (name) => {
      const migration = migrations[name];
      if (!migration) throw new Error(`unknown migration ${name}`);
      return migration;
    },
  };
  return {
    tableName,
    source,
    async migrate(knex) {
      const [, applied] = (await knex.migrate.latest({ migrationSource: source, tableName })) as [
        number,
        string[],
      ];
      return applied;
    },
  };
}
