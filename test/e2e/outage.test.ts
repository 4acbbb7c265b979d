import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withPgClient } from '../../scripts/embedded-postgres';
import { startReal, type RealHarness } from '../support/harness';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import {
  ADMIN_TOKEN,
  jtiOf,
  mintVia,
  refreshVia,
  rotatedToken,
  startServe,
  writeKeyFile,
  type MintedSession,
  type ServeProcess,
  until,
} from '../support/serve-process';

/**
 * PostgreSQL stopped while two real instances serve every api: each answers only its declared
 * 503s (never a 500, never a hang), /readyz says not ready; started again, the same processes
 * serve 200s, nothing they acknowledged is lost and no family branches.
 */
let postgres: TestPostgres;
let databaseUrl: string;
let instances: ServeProcess[];
let harness: RealHarness;

beforeAll(async () => {
  // Its own cluster: this test stops it.
  postgres = await startTestPostgres({ own: true });
  databaseUrl = await postgres.createDatabase();
  const keyFile = writeKeyFile(mkdtempSync(path.join(os.tmpdir(), 'refreshd-keys-')), 'outage-1');
  const args = ['--database-url', databaseUrl, '--key-file', keyFile, '--admin-token', ADMIN_TOKEN, '--insecure-cookies'];
  instances = await Promise.all([startServe([...args, '--database-connect-timeout', '1000', '--database-statement-timeout', '1000']), startServe(args)]);
  // The servers run with --insecure-cookies: the served documents are its profile's.
  harness = await startReal({ secureCookies: false });
}, 90_000);

afterAll(async () => {
  for (const instance of instances ?? []) if (instance.child.exitCode === null) instance.child.kill('SIGKILL');
  await Promise.all((instances ?? []).map((instance) => instance.exited));
  await harness?.close();
  await postgres?.close();
});

type Phase = 'up' | 'stopping' | 'down' | 'starting' | 'back';

interface Answer {
  chain: number;
  instance: number;
  sentIn: Phase;
  answeredIn: Phase;
  status: number;
}

test('stopping PostgreSQL under load gives only 503s and /readyz 503; started again, 200s resume without a restart, nothing acknowledged lost', async () => {
  const docs = harness.built;
  const apis = ['watchr', 'galileo', 'pathstack', 'almanac', 'session'];
  const chains = await Promise.all(
    [...apis, ...apis].map((api) => mintVia(docs, instances[0].url, api, api === 'pathstack' ? '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' : 'ines')),
  );
  const acknowledged = chains.map((session) => session.refresh_token);
  const answers: Answer[] = [];
  let phase: Phase = 'up';
  let stop = false;

  const loop = async (session: MintedSession, chain: number) => {
    for (let i = chain; !stop; i += 1) {
      const instance = i % 2;
      const sentIn = phase;
      const reply = await refreshVia(docs, instances[instance].url, session, acknowledged[chain]);
      answers.push({ chain, instance, sentIn, answeredIn: phase, status: reply.status });
      if (reply.status === 200) acknowledged[chain] = rotatedToken(session.api, reply) as string;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const running = chains.map(loop);
  const pids = instances.map((instance) => instance.child.pid);

  await until(() => answers.filter((answer) => answer.status === 200).length >= 40, 30_000);
  phase = 'stopping';
  await postgres.stop();
  phase = 'down';
  await until(() => [0, 1].every((instance) => answers.filter((a) => a.sentIn === 'down' && a.answeredIn === 'down' && a.instance === instance).length >= 10), 30_000);
  const readiness = await Promise.all(instances.map(async (instance) => fetch(`${instance.url}/readyz`).then(async (res) => ({ status: res.status, body: await res.json() }))));
  phase = 'starting';
  await postgres.start();
  phase = 'back';
  await until(() => chains.every((_, chain) => answers.some((a) => a.chain === chain && a.sentIn === 'back' && a.status === 200)), 30_000);
  stop = true;
  await Promise.all(running);

  expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200, 503]));
  expect(new Set(answers.filter((a) => a.sentIn === 'down' && a.answeredIn === 'down').map((a) => a.status))).toEqual(new Set([503]));
  expect(readiness).toEqual([
    { status: 503, body: { status: 'not ready' } },
    { status: 503, body: { status: 'not ready' } },
  ]);
  expect(instances.map((instance) => [instance.child.pid, instance.child.exitCode])).toEqual(pids.map((pid) => [pid, null]));
  for (const instance of instances) expect(instance.output()).not.toMatch(/response violates the document|"level":60/);

  // What each client holds last is its family's one live token: every rotation acknowledged was
  // kept, none half-applied, and no used token became usable again.
  await withPgClient(databaseUrl, async (client) => {
    for (const [chain, session] of chains.entries()) {
      const { rows } = await client.query('SELECT jti FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL', [session.session_id]);
      expect(rows).toEqual([{ jti: jtiOf(acknowledged[chain]) }]);
    }
    const branched = await client.query('SELECT parent_jti FROM refresh_tokens WHERE parent_jti IS NOT NULL GROUP BY parent_jti HAVING count(*) > 1');
    expect(branched.rows).toEqual([]);
  });
  for (const [chain, session] of chains.entries()) expect((await refreshVia(docs, instances[chain % 2].url, session, acknowledged[chain])).status).toBe(200);
}, 120_000);
