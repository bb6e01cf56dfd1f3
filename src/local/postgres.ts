import { ensureDataDir } from './db-template.js';

export interface PostgresEndpoint {
  /** `postgresql://postgres:postgres@127.0.0.1:PORT/postgres?sslmode=disable` */
  url: string;
  close(): Promise<void>;
}

/** Connections one endpoint accepts at once; more are refused with "Too many connections". */
export const MAX_CONNECTIONS = 64;

/**
 * The local database as a real Postgres endpoint: the PGlite data directory served over the wire protocol on a
 * free loopback port by `@electric-sql/pglite-socket`. PGlite is one session; the server's multiplexer lets
 * several connections (a migration tool's pool) share it, running one query at a time and keeping an open
 * transaction's queries together on the connection that began it.
 */
export async function startPostgres(options: {
  dataDir: string;
  templateCacheDir: string;
  onProgress?: (line: string) => void;
}): Promise<PostgresEndpoint> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-socket'),
    ensureDataDir(options.dataDir, options.templateCacheDir, options.onProgress),
  ]);
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: MAX_CONNECTIONS });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const port = server.getServerConn().split(':').pop();
  let closing: Promise<void> | undefined;
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    close: () => {
      closing ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return closing;
    },
  };
}
