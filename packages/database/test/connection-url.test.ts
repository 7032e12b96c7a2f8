import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../src/connection.js';
import {
  connectionsFromEnv,
  createDatabase,
  DatabaseError,
  parseConnectionUrl,
  redactUrl,
} from '../src/index.js';
import { pgConfigOf } from '../src/node.js';
import { collectErrors, harnessEnv, thrown } from './helpers.js';

// pg's own reading of a config or a connection string: the judge of "the way pg reads them".
const ConnectionParameters = createRequire(import.meta.url)('pg/lib/connection-parameters') as new (
  config: unknown,
) => Record<string, unknown>;

const files = mkdtempSync(join(tmpdir(), 'pg-url-'));
const cert = join(files, 'example.cert');
const key = join(files, 'example.key');
const ca = join(files, 'example.ca');
writeFileSync(cert, 'example cert\n');
writeFileSync(key, 'example key\n');
writeFileSync(ca, 'example ca\n');
afterAll(() => rmSync(files, { recursive: true, force: true }));

const SETTINGS = {
  pool: { createTimeoutMs: 10_000 } as never,
  statementTimeoutMs: 30_000,
  keepAlive: true,
  keepAliveInitialDelayMs: 10_000,
  applicationName: 'org-shared-database',
};

/** What pg will use for a server, as pg's ConnectionParameters computes it (functions by their type). */
function view(params: Record<string, unknown>, url: string): Record<string, unknown> {
  const ssl = params.ssl;
  const out: Record<string, unknown> = {
    host: params.host,
    port: params.port,
    user: params.user,
    password: params.password,
    database: params.database,
    ssl:
      ssl && typeof ssl === 'object'
        ? Object.fromEntries(
            Object.entries(ssl).map(([k, v]) => [k, typeof v === 'function' ? 'function' : v]),
          )
        : ssl,
    options: params.options,
    client_encoding: params.client_encoding,
    fallback_application_name: params.fallback_application_name,
    replication: params.replication,
  };
  // Ours always names the application (default org-shared-database): compare it when the URL does.
  if (/application_name=/.test(url.replace('fallback_application_name', '')))
    out.application_name = params.application_name;
  return out;
}

/** The connection strings of pg-connection-string's own test suite (test/parse.test.ts), as pg accepts them. */
const PG_CONNECTION_STRING_CASES = [
  'postgres://brian:pw@boom:381/lala',
  'postgres://localhost/post gres',
  'postgres://localhost/post%20gres',
  '/const/run/',
  '/const/run/ mydb',
  'socket:/some path/?db=my[db]&encoding=utf8',
  'socket:/some%20path/?db=my%2Bdb&encoding=utf8',
  'socket://brian:pw@/const/run/?db=mydb',
  'postgres://brian:hello<ther>e@localhost:5432/postgres',
  'postgres://brian:hello:pass:world@localhost:5432/postgres',
  'pg://my f%irst name:is&%awesome!@localhost:9000',
  'pg://bi%25na%25%25ry%20:s%40f%23@localhost/%20u%2520rl',
  'different_db_on_default_host',
  'pg://myhost',
  'pg://myhost/',
  'pg://user:pass@/dbname?host=/unix/socket',
  'pg://user:pass@localhost/dbname?host=/unix/socket',
  'pg://user:pass@%2Funix%2Fsocket/dbname',
  'pg://user:pass@localhost/%2Fdbname',
  'pg://user:pass@%2Funix%2Fsocket/dbname?host=localhost',
  'pg:///?application_name=TheApp',
  'pg:///?fallback_application_name=TheAppFallback',
  'pg:///?options=-c geqo=off',
  'pg:///?ssl=true',
  'pg:///?ssl=1',
  'pg:///?ssl=0',
  'pg://myhost/db?ssl=1',
  `pg:///?sslcert=${cert}`,
  `pg:///?sslkey=${key}`,
  `pg:///?sslrootcert=${ca}`,
  'pg:///?sslmode=no-verify',
  'pg:///?sslmode=disable',
  'pg:///?sslmode=prefer',
  'pg:///?sslmode=require',
  'pg:///?sslmode=verify-ca',
  'pg:///?sslmode=verify-full',
  `pg:///?ssl=true&sslrootcert=${ca}&sslmode=require`,
  'pg:///?sslmode=disable&uselibpqcompat=true',
  'pg:///?sslmode=prefer&uselibpqcompat=true',
  'pg:///?sslmode=require&uselibpqcompat=true',
  `pg:///?sslmode=verify-ca&uselibpqcompat=true&sslrootcert=${ca}`,
  'pg:///?sslmode=verify-full&uselibpqcompat=true',
  `pg:///?ssl=true&sslrootcert=${ca}&sslmode=require&uselibpqcompat=true`,
  'pg://myhost/db?max=18&min=4',
  'pg:///?keepalives=1',
  'pg:///?ThereIsNoSuchPostgresParameter=1234',
  'socket:/some path/?db=my[db]&encoding=utf8&client_encoding=bogus',
  'pg:///?keepalives=1&keepalives=0',
  'postgres:///?host=localhost&port=1234',
];

/** URLs as managed PostgreSQL providers hand them out (hosts and secrets made up). */
const PROVIDER_URLS = [
  // Heroku
  'postgres://u8a9bcdef:p0a1b2c3d4e5f6@ec2-54-1-2-3.compute-1.amazonaws.com:5432/d1a2b3c4d5e6f7',
  // Amazon RDS, with the CA bundle
  `postgresql://admin:pa%24%24w0rd@mydb.abc123xyz.us-east-1.rds.amazonaws.com:5432/app?sslmode=verify-full&sslrootcert=${ca}`,
  // Supabase's transaction pooler (Supavisor) as Prisma-style clients use it
  'postgresql://postgres.abcdefghijkl:s3cr3t@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1',
  // Neon
  'postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require&channel_binding=require',
  // Google Cloud SQL through its unix socket
  'postgresql://app:pw@/appdb?host=/cloudsql/my-project:europe-west1:main',
  // Azure Database for PostgreSQL (user@server)
  'postgres://myadmin%40mydemoserver:p%40ss@mydemoserver.postgres.database.azure.com:5432/postgres?sslmode=require',
  // DigitalOcean
  'postgresql://doadmin:AVNS_abc123@db-postgresql-nyc1-12345-do-user-1.b.db.ondigitalocean.com:25060/defaultdb?sslmode=require',
  // Render, Railway, Fly
  'postgres://render_user:pw@dpg-abc123def456-a.oregon-postgres.render.com/render_db',
  'postgresql://postgres:pw@containers-us-west-1.railway.app:6543/railway',
  'postgres://app:pw@top2.nearest.of.my-db.internal:5432/app?sslmode=disable',
  // Settings in the startup packet, IPv6, a pooler's application name and our own timeouts
  'postgres://u:p@h/db?options=-c%20search_path%3Dmyschema%20-c%20statement_timeout%3D5s',
  'postgres://u:p@[2001:db8::1]:5433/db?application_name=svc&connect_timeout=10&statement_timeout=5s',
  'postgresql://u:p@h/db?target_session_attrs=read-write&keepalives=1&keepalives_idle=30',
];

describe('connection URLs the way pg reads them', () => {
  it('accepts every connection string of pg-connection-string’s own tests and reads it as pg does', () => {
    for (const url of [...PG_CONNECTION_STRING_CASES, ...PROVIDER_URLS]) {
      const resolved = resolveConnection(url, 'primary');
      const ours = new ConnectionParameters(pgConfigOf(resolved, SETTINGS));
      const pgs = new ConnectionParameters(url);
      expect(view(ours, url), url).toEqual(view(pgs, url));
      expect(resolved.label, url).not.toMatch(/pw|p0a1b2|s3cr3t|AbC123|pa%24|p%40ss|AVNS/);
    }
  });

  it('reads this package’s own parameters on top', () => {
    expect(
      parseConnectionUrl(
        'postgresql://app:p%40ss@db.example:6543/main?connection_limit=10&pool_timeout=20&connect_timeout=10&statement_timeout=1500&application_name=svc&sslmode=disable&pgbouncer=true',
      ),
    ).toEqual({
      host: 'db.example',
      port: 6543,
      user: 'app',
      password: 'p@ss',
      database: 'main',
      connectionLimit: 10,
      poolTimeoutMs: 20_000,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 1_500,
      applicationName: 'svc',
      pgbouncer: true,
      ssl: false,
    });
    expect(parseConnectionUrl('postgres://h/db?statement_timeout=5s').statementTimeoutMs).toBe(5_000);
    expect(parseConnectionUrl('postgres://h/db?statement_timeout=2min').statementTimeoutMs).toBe(120_000);
    expect(parseConnectionUrl('postgres://h/db?channel_binding=require').driver).toEqual({
      enableChannelBinding: true,
    });
    expect(parseConnectionUrl('postgres://h/db?options=-c%20geqo%3Doff').driver).toEqual({
      options: '-c geqo=off',
    });
  });

  it('refuses a malformed URL or a bad own parameter with ORG_DATABASE_INVALID_URL, the password masked everywhere', () => {
    const cases: [string, string, RegExp][] = [
      // pg-connection-string's own "does not print out the password" case: # @ $ ` in the password
      ['postgres://user:g#4624$@F$#v`@localhost:5432/db', 'g#4624$@F$#v`', /not a connection URL/],
      ['postgres://u:%C0%AFhunter2@db.example/x', 'hunter2', /percent-encoding/],
      ['postgres://u:hun/ter2@db.example:5432/x', 'hun/ter2', /not a connection URL/],
      ['postgres://u:hunter2@db.example:99999/x', 'hunter2', /not a connection URL/],
      ['postgres://u:hunter2@db.example/x?connection_limit=0', 'hunter2', /connection_limit/],
      ['postgres://u:hunter2@db.example/x?pool_timeout=soon', 'hunter2', /pool_timeout/],
      ['postgres://u:hunter2@db.example/x?connection_limt=5', 'hunter2', /did you mean connection_limit/],
      ['postgres://u:hunter2@db.example/x?Pool-Timeout=5', 'hunter2', /did you mean pool_timeout/],
      ['postgres://u:hunter2@db.example/x?pgbouncer=maybe', 'hunter2', /pgbouncer/],
      ['postgres://u:hunter2@db.example/x?sslmode=verify-ca&uselibpqcompat=true', 'hunter2', /sslrootcert/],
      ['postgres://u:hunter2@db.example/x?sslrootcert=/nonexistent/ca.pem', 'hunter2', /TLS file/],
      ['postgres://db.example/x?password=hunter2&connect_timeout=never', 'hunter2', /connect_timeout/],
      ['postgres://db.example/x?port=70000&password=hunter2', 'hunter2', /port/],
    ];
    for (const [url, secret, reason] of cases) {
      const error = thrown(() => createDatabase(url));
      expect(error, url).toBeInstanceOf(DatabaseError);
      expect(error.code, url).toBe('ORG_DATABASE_INVALID_URL');
      expect(error.message, url).toMatch(reason);
      // Every way an error is shown: message, stack, details, JSON, inspect (hidden properties too),
      // and every error of the cause chain.
      const shown = [
        error.message,
        String(error.stack),
        JSON.stringify(error),
        JSON.stringify(error.details),
        inspect(error, { depth: null, showHidden: true }),
      ];
      for (let cause = error.cause as Error | undefined; cause; cause = cause.cause as Error | undefined) {
        shown.push(
          cause.message,
          String(cause.stack),
          JSON.stringify(cause),
          inspect(cause, { showHidden: true }),
        );
      }
      for (const text of shown) expect(text, `${url}: ${text}`).not.toContain(secret);
      expect(JSON.stringify(error.details), url).toContain('***');
    }
  });

  it('masks passwords in any text, malformed URLs included', () => {
    expect(redactUrl('postgres://u:hunter2@h/db and password=hunter2')).toBe(
      'postgres://u:***@h/db and password=***',
    );
    expect(redactUrl('postgres://user:g#4624$@F$#v`@localhost:5432/db')).toBe(
      'postgres://user:***@localhost:5432/db',
    );
    expect(redactUrl('postgres://u:a/b?c@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('postgres://a:x@h1/db,postgres://b:y@h2/db')).toBe(
      'postgres://a:***@h1/db,postgres://b:***@h2/db',
    );
    expect(redactUrl('postgres://h:5432/db')).toBe('postgres://h:5432/db');
    expect(redactUrl('postgres://h/db?sslpassword=k3y&application_name=svc')).toBe(
      'postgres://h/db?sslpassword=***&application_name=svc',
    );
  });

  it('rejects bad objects and options with ORG_DATABASE_INVALID_OPTION before opening anything', () => {
    const cases: unknown[] = [
      { primary: { host: 'db.example', port: 70_000, password: 'hunter2' } },
      { primary: 42 },
      { primary: 'postgres://h/db', replicas: 'postgres://r/db' },
      { primary: 'postgres://h/db', pool: { max: 0 } },
      { primary: 'postgres://h/db', lag: { maxSeconds: -1 } },
      { primary: 'postgres://h/db', retry: { attempts: 0 } },
      { primary: { host: 'h', password: 42 } },
      {},
      null,
    ];
    for (const options of cases) {
      const error = thrown(() => createDatabase(options as never));
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.code).toBe('ORG_DATABASE_INVALID_OPTION');
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('hunter2');
    }
    expect(thrown(() => createDatabase({ primary: { host: 'db.example', port: 70_000 } })).message).toContain(
      'db.example:70000',
    );
  });

  it('reads DATABASE_URL and comma-separated DATABASE_REPLICA_URLS', () => {
    expect(
      connectionsFromEnv({
        DATABASE_URL: 'postgres://p/db',
        DATABASE_REPLICA_URLS: 'postgres://r1/db, postgres://r2/db,',
      }),
    ).toEqual({ primary: 'postgres://p/db', replicas: ['postgres://r1/db', 'postgres://r2/db'] });
    expect(connectionsFromEnv({ DATABASE_URL: 'postgres://p/db' }).replicas).toEqual([]);
    expect(thrown(() => connectionsFromEnv({})).code).toBe('ORG_DATABASE_INVALID_OPTION');
  });
});

describe('connection URLs against the real server', () => {
  const env = harnessEnv();
  const port = new URL(env.primary).port;
  const socketDir = process.env.PG_HARNESS_SOCKET_DIR;
  const passwordUrl = process.env.PG_HARNESS_PASSWORD_URL;
  const password = process.env.PG_HARNESS_PASSWORD;

  it('connects through the unix socket: ?host=/dir, socket:/dir and an encoded socket host', async () => {
    expect(socketDir, 'PG_HARNESS_SOCKET_DIR (bash scripts/pg-harness.sh env)').toBeTruthy();
    for (const url of [
      `postgres://postgres@/postgres?host=${socketDir}&port=${port}`,
      `socket://postgres@${socketDir}?db=postgres&port=${port}`,
      `postgres://postgres@${encodeURIComponent(socketDir!)}:${port}/postgres`,
    ]) {
      await using db = createDatabase({ primary: url, pool: { max: 1 } });
      const { rows } = await db.primary.raw('SELECT inet_server_addr() AS addr, current_user AS who');
      // No server address: the connection came over the socket, not TCP.
      expect(rows[0], url).toEqual({ addr: null, who: 'postgres' });
      expect(db.stats().pools.primary).toMatchObject({ max: 1 });
      expect((await db.health()).primary.label).toBe(`postgres@${socketDir}:${port}/postgres`);
    }
  });

  it('sends options, application_name and statement_timeout as the URL says', async () => {
    await using db = createDatabase(
      `${env.primary}?options=${encodeURIComponent('-c search_path=org_url_test,public -c work_mem=8MB')}&application_name=url-test&statement_timeout=2s`,
    );
    const { rows } = await db.primary.raw(
      "SELECT current_setting('search_path') AS path, current_setting('work_mem') AS mem, current_setting('application_name') AS app, current_setting('statement_timeout') AS st",
    );
    expect(rows[0]).toEqual({ path: 'org_url_test,public', mem: '8MB', app: 'url-test', st: '2s' });
  });

  it('authenticates a password role with SCRAM, channel_binding=prefer and sslmode=disable (no TLS on the harness)', async () => {
    expect(passwordUrl, 'PG_HARNESS_PASSWORD_URL (bash scripts/pg-harness.sh env)').toBeTruthy();
    const reported = collectErrors();
    const url = passwordUrl!.replace('@', `:${password}@`);
    await using db = createDatabase({
      primary: `${url}?channel_binding=prefer&sslmode=disable`,
      onError: reported.onError,
    });
    const { rows } = await db.primary.raw('SELECT current_user AS who');
    expect(rows[0].who).toBe('org_harness_password');
    // No field of stats() or health(), and no report, shows the password.
    const seen = [
      JSON.stringify(db.stats()),
      JSON.stringify(await db.health()),
      inspect(reported.errors, { depth: null }),
    ];
    for (const text of seen) expect(text).not.toContain(password!);
  });
});
