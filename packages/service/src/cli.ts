import type { Knex } from 'knex';
import { type ConfigSpecs, type Env, helpText, type LoadedConfig, loadConfig } from './config.js';
import { ServiceError } from './errors.js';
import { loadServiceConfig, type ServiceConfigOf, specsFor } from './specs.js';

export interface CliCommand<S extends ConfigSpecs> {
  description: string;
  /** Runs the command; resolves with the exit code (a long-running command may never resolve). */
  run(config: LoadedConfig<S>): Promise<number | undefined> | number | undefined;
}

export interface CliOptions<S extends ConfigSpecs> {
  name: string;
  version: string;
  summary: string;
  specs: S;
  /** The first is the default command. */
  commands: Record<string, CliCommand<S>>;
  /** Validates the environment; default loadConfig(specs, env). */
  load?: (env: Env) => LoadedConfig<S>;
  argv?: readonly string[];
  env?: Env;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/** Exit codes of the CLI: 0 ok, 1 runtime failure, 2 bad command line, 78 bad configuration (EX_CONFIG). */
export const CLI_EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;

export function usage<S extends ConfigSpecs>(options: CliOptions<S>): string {
  const names = Object.keys(options.commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `${options.name} ${options.version}: ${options.summary}`,
    '',
    `Usage: ${options.name} [command] [--help] [--version]`,
    '',
    'Commands:',
    ...names.map(
      (n, i) => `  ${n.padEnd(width)}  ${options.commands[n]?.description}${i === 0 ? ' (default)' : ''}`,
    ),
    '',
    'Environment variables:',
    helpText(options.specs),
    '',
  ].join('\n');
}

/**
 * Parses argv, prints help or version, validates the environment (every problem at once), and
 * runs the chosen command. Returns the exit code; never throws.
 */
export async function runCli<S extends ConfigSpecs>(options: CliOptions<S>): Promise<number> {
  const argv = options.argv ?? process.argv.slice(2);
  const out = options.out ?? ((text) => process.stdout.write(text));
  const err = options.err ?? ((text) => process.stderr.write(text));
  if (argv.includes('--help') || argv.includes('-h')) {
    out(usage(options));
    return CLI_EXIT.ok;
  }
  if (argv.includes('--version')) {
    out(`${options.version}\n`);
    return CLI_EXIT.ok;
  }
  const names = Object.keys(options.commands);
  const unknown = argv.filter((arg) => arg.startsWith('-'));
  const positional = argv.filter((arg) => !arg.startsWith('-'));
  const commandName = positional[0] ?? names[0] ?? '';
  const command = options.commands[commandName];
  if (unknown.length > 0 || positional.length > 1 || !command) {
    const error = new ServiceError(
      'ORG_SERVICE_USAGE',
      `unknown ${command ? 'option' : 'command'}: ${[...unknown, ...positional.slice(command ? 1 : 0)].join(' ')}`,
    );
    err(
      `${options.name}: ${error.code}: ${error.message}\nRun "${options.name} --help" for the commands and variables.\n`,
    );
    return CLI_EXIT.usage;
  }
  let config: LoadedConfig<S>;
  try {
    const env = options.env ?? process.env;
    config = options.load ? options.load(env) : loadConfig(options.specs, env);
  } catch (error) {
    if (
      error instanceof ServiceError &&
      (error.code === 'ORG_SERVICE_CONFIG_INVALID' || error.code === 'ORG_SERVICE_DATABASE_REQUIRED')
    ) {
      err(
        `${options.name}: ${error.code}: ${error.message}\nRun "${options.name} --help" for every variable and its default.\n`,
      );
      return CLI_EXIT.config;
    }
    throw error;
  }
  try {
    return (await command.run(config)) ?? CLI_EXIT.ok;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    err(
      `${options.name}: ${commandName} failed: ${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`,
    );
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof Error) err(`  cause: ${cause.message}\n`);
    return CLI_EXIT.failed;
  }
}

export interface ServiceCliOptions<S extends ConfigSpecs> {
  name: string;
  version: string;
  summary: string;
  /** Default of PORT. */
  port?: number;
  /** The service's own variables (the common ones, and the database's with `migrate`, are added). */
  specs?: S;
  /** Starts the service (createService(..., { config }) and listen()); the CLI then waits for the shutdown to exit. */
  start: (config: ServiceConfigOf<S>) => Promise<unknown>;
  /** With migrations the service has a database: DATABASE_* variables and the `migrate` command. */
  migrate?: (knex: Knex) => Promise<string[]>;
  argv?: readonly string[];
  env?: Env;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/**
 * The command line of a service: `start` (the default: runs until the shutdown coordinator exits
 * the process), `migrate` (runs the pending migrations against DATABASE_URL and exits) when the
 * service has migrations, `--help` with every variable and its default, `--version`. The
 * environment is checked before anything starts: every problem at once, exit 78. Resolves with
 * the exit code.
 */
export function runServiceCli<S extends ConfigSpecs = Record<never, never>>(
  options: ServiceCliOptions<S>,
): Promise<number> {
  const { start, migrate, port, specs: own, ...cli } = options;
  const shape = {
    ...(port === undefined ? {} : { port }),
    ...(own ? { specs: own } : {}),
    database: Boolean(migrate),
  };
  const specs = specsFor<S>(shape);
  type Config = ServiceConfigOf<S>;
  const commands: Record<string, CliCommand<typeof specs>> = {
    start: {
      description: 'start the HTTP service (drains and stops in order on SIGTERM/SIGINT)',
      async run(config) {
        await start(config as unknown as Config);
        // Keep running: the shutdown coordinator exits the process.
        return new Promise<never>(() => {});
      },
    },
  };
  if (migrate) {
    commands.migrate = {
      description: 'run pending migrations against DATABASE_URL and exit',
      async run(config) {
        const url = (config as unknown as Config).DATABASE_URL;
        if (!url) {
          (cli.err ?? ((text) => process.stderr.write(text)))(
            `${cli.name} migrate: DATABASE_URL is required (the embedded database migrates at start)\n`,
          );
          return CLI_EXIT.config;
        }
        const { createDatabase } = await import('@org/shared-database');
        const database = createDatabase({
          primary: url,
          pool: { max: 1 },
          applicationName: `${cli.name}-migrate`,
        });
        try {
          const applied = await migrate(database.primary);
          (cli.out ?? ((text) => process.stdout.write(text)))(
            `applied ${applied.length} migration(s)${applied.length ? `: ${applied.join(', ')}` : ''}\n`,
          );
          return CLI_EXIT.ok;
        } finally {
          await database.close();
        }
      },
    };
  }
  return runCli({
    ...cli,
    specs,
    load: (env) => loadServiceConfig<S>(shape, env) as unknown as LoadedConfig<typeof specs>,
    commands,
  });
}
