import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withPgClient } from '../../scripts/embedded-postgres';
import type { BuiltApp } from '../../src/app/app';
import { startReal, type RealHarness } from '../support/harness';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import {
  ADMIN_TOKEN,
  jtiOf,
  mintVia,
  refreshVia,
  revokeSessionVia,
  revokeSubjectVia,
  rotatedToken,
  runCli,
  startServe,
  writeKeyFile,
  type MintedSession,
  type ServeProcess,
  until,
} from '../support/serve-process';

/**
 * Two real `refreshd serve` processes on two ports sharing one PostgreSQL database, as behind a
 * load balancer: rotation, grace replay and revocation hold across them; the sessions CLI and
 * `refreshd migrate` work on the same database; an instance signing with a kid the others do
 * not know is reported; killing one under load loses nothing it acknowledged.
 */
let postgres: TestPostgres;
let databaseUrl: string;
let keyFile: string;
let keyDir: string;
let a: ServeProcess;
let b: ServeProcess;
let harness: RealHarness;
let docs: BuiltApp;
const started: ServeProcess[] = [];

const serveArgs = () => ['--database-url', databaseUrl, '--key-file', keyFile, '--admin-token', ADMIN_TOKEN, '--insecure-cookies', '--grace-seconds', '10'];

async function serve(args: string[]): Promise<ServeProcess> {
  const instance = await startServe(args);
  started.push(instance);
  return instance;
}

const query = (text: string, values: unknown[] = []) => withPgClient(databaseUrl, async (client) => (await client.query(text, values)).rows);

beforeAll(async () => {
  postgres = await startTestPostgres();
  databaseUrl = await postgres.createDatabase();
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-keys-'));
  keyFile = writeKeyFile(keyDir, 'shared-1');
  // The served documents, to check every answer against (an in-process app serves the same ones).
  // The servers run with --insecure-cookies: the served documents are its profile's.
  harness = await startReal({ secureCookies: false });
  docs = harness.built;
  // Started together: both migrate the empty database at once, under the advisory lock.
  [a, b] = await Promise.all([serve(serveArgs()), serve(serveArgs())]);
}, 90_000);

afterAll(async () => {
  for (const instance of started) if (instance.child.exitCode === null) instance.child.kill('SIGKILL');
  await Promise.all(started.map((instance) => instance.exited));
  await harness.close();
  await postgres.close();
});

const mint = (api = 'session', sub = 'alice') => mintVia(docs, a.url, api, sub);

test('two instances starting together on an empty database migrate it once', async () => {
  expect(await query('SELECT version FROM refreshd_migrations ORDER BY version')).toEqual([{ version: 1 }]);
  for (const instance of [a, b]) expect(instance.output()).not.toMatch(/"level":(50|60)/);
});

test('of 50 concurrent refreshes of one token split across both instances, one rotates and every 200 carries its successor', async () => {
  const session = await mint();

  const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => refreshVia(docs, (i % 2 === 0 ? a : b).url, session, session.refresh_token)));

  expect(replies.map((reply) => reply.status)).toEqual(Array(50).fill(200));
  const successors = new Set(replies.map((reply) => rotatedToken('session', reply)));
  expect(successors.size).toBe(1);
  const [successor] = [...successors] as string[];
  expect(await query('SELECT jti FROM refresh_tokens WHERE parent_jti = $1', [jtiOf(session.refresh_token)])).toEqual([{ jti: jtiOf(successor) }]);
});

test("a grace replay on B returns the successor A issued", async () => {
  const session = await mint('pathstack', '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b');
  const onA = await refreshVia(docs, a.url, session, session.refresh_token);
  expect(onA.status).toBe(200);

  const replayOnB = await refreshVia(docs, b.url, session, session.refresh_token);

  expect(replayOnB.status).toBe(200);
  expect(rotatedToken('pathstack', replayOnB)).toBe(rotatedToken('pathstack', onA));
});

test('a session revoked through A is refused on B at the very next request', async () => {
  const session = await mint('watchr');
  const onB = await refreshVia(docs, b.url, session, session.refresh_token);
  expect(onB.status).toBe(200);

  expect((await revokeSessionVia(docs, a.url, session.session_id)).body).toEqual({ revoked: true });
  const next = await refreshVia(docs, b.url, session, rotatedToken('watchr', onB) as string);

  expect(next.status).toBe(401);
});

test("a subject revoked through A has every session refused on B at the very next request", async () => {
  const sessions = [await mint('session', 'erin'), await mint('galileo', 'erin')];
  const other = await mint('session', 'frank');

  expect((await revokeSubjectVia(docs, a.url, 'erin')).body).toEqual({ sessions_revoked: 2 });

  for (const session of sessions) expect((await refreshVia(docs, b.url, session, session.refresh_token)).status).toBe(401);
  expect((await refreshVia(docs, b.url, other, other.refresh_token)).status).toBe(200);
});

test('the sessions commands work on the shared database with the shared key', async () => {
  const dbArgs = ['--database-url', databaseUrl, '--key-file', keyFile];
  const created = runCli(['sessions', 'create', '--api', 'session', '--sub', 'gina', ...dbArgs]);
  expect(created.stderr).toBe('');
  const session = { api: 'session', ...JSON.parse(created.stdout) } as MintedSession;
  expect((await refreshVia(docs, b.url, session, session.refresh_token)).status).toBe(200);

  const listed = runCli(['sessions', 'list', '--sub', 'gina', ...dbArgs]);
  expect((JSON.parse(listed.stdout) as { sessions: { session_id: string }[] }).sessions.map((s) => s.session_id)).toEqual([session.session_id]);

  const second = { api: 'session', ...JSON.parse(runCli(['sessions', 'create', '--api', 'session', '--sub', 'gina', ...dbArgs]).stdout) } as MintedSession;
  expect(JSON.parse(runCli(['sessions', 'revoke', second.session_id, ...dbArgs]).stdout)).toMatchObject({ revoked: true });
  expect((await refreshVia(docs, a.url, second, second.refresh_token)).status).toBe(401);
  expect(JSON.parse(runCli(['sessions', 'revoke-subject', 'gina', ...dbArgs]).stdout)).toEqual({ sessions_revoked: 1 });
});

test('refreshd migrate creates the schema of an empty database, and says so; run again, it has nothing to do', async () => {
  const fresh = await postgres.createDatabase();

  const first = runCli(['migrate', '--database-url', fresh]);
  const second = runCli(['migrate', '--database-url', fresh]);

  expect(first.status).toBe(0);
  expect(first.stdout).toMatch(/^postgres store at postgres:\/\/\S+\/refreshd_test_\w+: migrated from schema version 0 to 1$/m);
  expect(second.stdout).toMatch(/already at schema version 1/);
  for (const output of [first.stdout, first.stderr]) expect(output).not.toContain(new URL(fresh).password);
});

test('serve refuses to generate a key for a shared database', () => {
  const result = runCli(['serve', '--port', '0', '--database-url', databaseUrl, '--data-dir', mkdtempSync(path.join(os.tmpdir(), 'refreshd-nokey-'))]);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/refusing to generate a signing key with --database-url/);
});

test('an unreachable database stops serve at start with the reason, and no password', () => {
  const unreachable = 'postgres://postgres:s3cret-pw@127.0.0.1:1/refreshd';
  const result = runCli(['serve', '--port', '0', '--database-url', unreachable, '--key-file', keyFile, '--database-connect-timeout', '500']);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/refreshd: ECONNREFUSED/);
  expect(result.stderr + result.stdout).not.toContain('s3cret-pw');
});

describe('an instance that signs with a kid the others do not know', () => {
  let c: ServeProcess;

  beforeAll(async () => {
    c = await serve(['--database-url', databaseUrl, '--key-file', writeKeyFile(keyDir, 'stray-2'), '--admin-token', ADMIN_TOKEN]);
  }, 60_000);

  test('reports it at start-up, naming the kid and the instances that cannot verify it', async () => {
    const warnings = () => c.output().split('\n').filter((line) => line.includes('signing keys disagree')).join('\n');
    // The log is written asynchronously: the lines may follow the banner.
    await until(() => warnings().split('\n').length >= 4);
    expect(warnings()).toMatch(new RegExp(`pid ${a.child.pid} cannot verify kid \\\\"stray-2\\\\" that this instance signs with`));
    expect(warnings()).toMatch(new RegExp(`pid ${b.child.pid} signs with kid \\\\"shared-1\\\\" that this instance cannot verify`));
  });

  test('and /readyz shows it, there and on the others', async () => {
    const onC = await (await fetch(`${c.url}/readyz`)).json();
    const onA = await (await fetch(`${a.url}/readyz`)).json();

    expect(onC).toEqual({ status: 'ready', key_problems: expect.arrayContaining([expect.stringMatching(/cannot verify kid "stray-2"/)]) });
    expect(onA).toEqual({
      status: 'ready',
      key_problems: [expect.stringMatching(/cannot verify kid "shared-1" that this instance signs with/), expect.stringMatching(/signs with kid "stray-2" that this instance cannot verify/)],
    });
  });

  test('once it stops, the others no longer report it', async () => {
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);

    expect(await (await fetch(`${a.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});

describe('under load', () => {
  test('kill -9 of one instance under load loses nothing it acknowledged; the other keeps serving', async () => {
    const chains = await Promise.all(['session', 'watchr', 'galileo', 'pathstack', 'almanac', 'session', 'watchr', 'almanac'].map((api) => mint(api, api === 'pathstack' ? '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' : 'hana')));
    const acknowledged = new Map<MintedSession, string>(chains.map((session) => [session, session.refresh_token]));
    const statusesOnB: number[] = [];
    let killed = false;
    let stop = false;

    const loop = async (session: MintedSession) => {
      for (let i = 0; !stop; i += 1) {
        const target = i % 2 === 0 ? a : b;
        if (target === a && killed) continue;
        let reply;
        try {
          reply = await refreshVia(docs, target.url, session, acknowledged.get(session) as string);
        } catch {
          // A's connection died with it: not acknowledged, so the token held is still the one to use.
          continue;
        }
        if (target === b) statusesOnB.push(reply.status);
        expect(reply.status).toBe(200);
        acknowledged.set(session, rotatedToken(session.api, reply) as string);
      }
    };
    const running = chains.map(loop);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    a.child.kill('SIGKILL');
    killed = true;
    await a.exited;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop = true;
    await Promise.all(running);

    expect(statusesOnB.length).toBeGreaterThan(chains.length);
    expect(new Set(statusesOnB)).toEqual(new Set([200]));
    // Every token last acknowledged, by A or by B, is the live one of its family: it rotates, once.
    for (const [session, token] of acknowledged) {
      expect(await query('SELECT used_at FROM refresh_tokens WHERE jti = $1', [jtiOf(token)])).toEqual([{ used_at: null }]);
      expect((await refreshVia(docs, b.url, session, token)).status).toBe(200);
    }
    expect(await query('SELECT parent_jti FROM refresh_tokens WHERE parent_jti IS NOT NULL GROUP BY parent_jti HAVING count(*) > 1')).toEqual([]);
  }, 60_000);
});
