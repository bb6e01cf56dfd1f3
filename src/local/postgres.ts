import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ensureDataDir } from './db-template.js';

export interface PostgresEndpoint {
  /** `postgresql://postgres:postgres@127.0.0.1:PORT/postgres?sslmode=disable` */
  url: string;
  /** Settles when the database accepts queries; rejects when it could not be started. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Connections one endpoint accepts at once; more are refused with "Too many connections". */
export const MAX_CONNECTIONS = 64;

/**
 * The local database as a real Postgres endpoint: the PGlite data directory served over the wire protocol by
 * `@electric-sql/pglite-socket`. PGlite is one session; the server's multiplexer lets several connections (a
 * migration tool's pool) share it, running one query at a time and keeping an open transaction's queries
 * together on the connection that began it.
 *
 * The address is known, and accepts connections, at once: a loopback port in front of the server holds each
 * connection until the database has started (copying the template, starting Postgres), then joins it to the
 * server. So the task may start while the database does, as a service's database is simply there on AWS.
 */
export async function openPostgres(options: {
  dataDir: string;
  templateCacheDir: string;
  onProgress?: (line: string) => void;
}): Promise<PostgresEndpoint> {
  const front = createServer();
  const clients = new Set<Socket>();
  let backendPort: number | undefined;
  let failed: Error | undefined;
  front.on('connection', (client) => {
    client.setNoDelay(true);
    clients.add(client);
    client.once('close', () => clients.delete(client));
    client.on('error', () => client.destroy());
    if (backendPort !== undefined) join(client, backendPort);
    else if (failed !== undefined) client.destroy();
    // Otherwise it waits: `ready` joins every held connection.
  });
  await listen(front);
  const address = front.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const backend = startBackend(options);
  const ready = backend.then(
    ({ port: p }) => {
      backendPort = p;
      for (const client of clients) if (!client.destroyed && !joined.has(client)) join(client, p);
    },
    (error: Error) => {
      failed = error;
      for (const client of clients) client.destroy();
      throw error;
    },
  );
  // A caller that never awaits `ready` must not see an unhandled rejection; close() reports nothing either.
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    ready,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          front.close(() => resolve());
          for (const client of clients) client.destroy();
        });
        const started = await backend.catch(() => undefined);
        await started?.stop();
      })();
      return closing;
    },
  };
}

/** Like `openPostgres()`, resolving once the database accepts queries. */
export async function startPostgres(options: Parameters<typeof openPostgres>[0]): Promise<PostgresEndpoint> {
  const endpoint = await openPostgres(options);
  try {
    await endpoint.ready;
  } catch (error) {
    await endpoint.close();
    throw error;
  }
  return endpoint;
}

const joined = new WeakSet<Socket>();

function join(client: Socket, port: number): void {
  joined.add(client);
  const server = createConnection({ host: '127.0.0.1', port });
  server.setNoDelay(true);
  client.pipe(server).pipe(client);
  const end = () => {
    client.destroy();
    server.destroy();
  };
  server.on('error', end);
  server.once('close', end);
  client.once('close', end);
}

/**
 * The contrib extensions (shipped inside `@electric-sql/pglite`) a migration may `CREATE EXTENSION` locally: the
 * ones migrations commonly create (Rails' `enable_extension "pgcrypto"`, uuid-ossp for uuid defaults, …). PGlite
 * takes them at start only, unpacking each one's files and compiling its module then, so each costs every start
 * (measured: uuid-ossp, citext, pg_trgm and hstore about 30-70 ms together, pgcrypto, OpenSSL inside, 140-220 ms);
 * creating one costs only when a migration asks. A migration that fails locally for a missing extension costs a
 * user far more than that. The data directory is the same with or without them (initdb, and so the template, never
 * sees them), so a database made before, or from a template built before, opens with them.
 */
async function localExtensions() {
  const [{ uuid_ossp }, { citext }, { pg_trgm }, { hstore }, { pgcrypto }] = await Promise.all([
    import('@electric-sql/pglite/contrib/uuid_ossp'),
    import('@electric-sql/pglite/contrib/citext'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/contrib/hstore'),
    import('@electric-sql/pglite/contrib/pgcrypto'),
  ]);
  return { uuid_ossp, citext, pg_trgm, hstore, pgcrypto };
}

async function startBackend(options: Parameters<typeof openPostgres>[0]): Promise<{ port: number; stop(): Promise<void> }> {
  const [{ PGlite }, { PGLiteSocketServer }, extensions] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-socket'),
    localExtensions(),
    ensureDataDir(options.dataDir, options.templateCacheDir, options.onProgress),
  ]);
  const db = await PGlite.create(options.dataDir, { extensions });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    port: Number(server.getServerConn().split(':').pop()),
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
