/**
 * The child process of EmbeddedPostgres: PGlite (PostgreSQL compiled to WASM) served over the wire
 * protocol on 127.0.0.1 by @electric-sql/pglite-socket. Its memory is its own, not the service's.
 *
 * Protocol over the IPC channel: the child sends { type: 'ready', conn } once it listens, or
 * { type: 'failed', message } and exits 1; on { type: 'stop' }, or when the parent goes away
 * (the channel disconnects), it stops the server, closes PGlite and exits 0.
 *
 * No imports of this package: the file runs as it is, from dist/ and (in the monorepo's tests)
 * from src/ with Node's type stripping.
 */
import { setImmediate as tick } from 'node:timers/promises';

interface ChildOptions {
  dataDir: string | null;
  maxConnections: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const send = (message: object) => {
  if (process.connected) process.send?.(message);
};

let stopping: Promise<void> | null = null;
let stopServer: () => Promise<void> = async () => {};

function stop(): Promise<void> {
  stopping ??= (async () => {
    try {
      await stopServer();
    } finally {
      process.exit(0);
    }
  })();
  return stopping;
}

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') void stop();
});
process.on('disconnect', () => void stop());
// Signals go to the whole process group (Ctrl-C): the parent decides when the child stops.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop());

try {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  // Postgres' default 128 MB of shared buffers sit in WASM memory, which never shrinks: a
  // development database needs far less (measured idle RSS of this process: 435 → 315 MB).
  const db = await PGlite.create(options.dataDir ?? 'memory://', { postgresqlconf: ['shared_buffers=16MB'] });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections,
  });
  await server.start();
  stopServer = async () => {
    await server.stop();
    // pglite-socket detaches sockets without awaiting their teardown; let it run before closing PGlite.
    await tick();
    await db.close();
  };
  if (stopping) await stop();
  send({ type: 'ready', conn: server.getServerConn() });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
