import request from 'supertest';
import { buildRealApp } from '../../src/app/real-server';
import type { ResponseViolation } from '../../src/app/response-validation';
import type { TokenStore } from '../../src/store/contract';
import { openPostgresStore } from '../../src/store/postgres';
import { generateSigningKey, KeySet } from '../../src/tokens/keys';
import { DRIVERS, mint } from '../support/drivers';
import { ADMIN_TOKEN, expectConforms, FakeClock, type RealHarness } from '../support/harness';
import { startTestPostgres, type TestPostgres } from '../support/postgres';

/**
 * The real app on PostgreSQL, in process: every api and the admin api answer from the shared
 * store; with the database stopped, each answers its own declared 503 (and /readyz 503); when
 * the database is back, the same app serves again without a restart.
 */
let postgres: TestPostgres;
let store: TokenStore;
const harness = {} as RealHarness;

beforeAll(async () => {
  // Its own cluster: the test stops and starts it.
  postgres = await startTestPostgres({ own: true });
  const url = await postgres.createDatabase();
  // Short timeouts: a stopped database is noticed at once anyway (connections are refused).
  store = await openPostgresStore({ url, connectTimeoutMs: 500, statementTimeoutMs: 1000 });
  const violations: ResponseViolation[] = [];
  const clock = new FakeClock();
  const runtime = await buildRealApp(
    { dataDir: '/nonexistent', keys: [], production: false, issuer: 'refreshd-test', secureCookies: true, adminToken: ADMIN_TOKEN },
    { clock, store, keySet: new KeySet([generateSigningKey('HS256')]), onResponseViolation: (v) => violations.push(v) },
  );
  Object.assign(harness, { built: runtime.built, tokens: runtime.tokens, store, clock, violations, http: request(runtime.built.handler), close: () => runtime.close() });
}, 60_000);

afterAll(async () => {
  expect(harness.violations).toEqual([]);
  await harness.close();
  await postgres.close();
});

const admin = () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` });

describe('on PostgreSQL', () => {
  test.each(DRIVERS.map((driver) => [driver.api, driver] as const))('%s: a minted session refreshes, and its used token replays within the grace window', async (_api, driver) => {
    const session = await mint(harness, driver);

    const rotated = await driver.refresh(harness, session, session.refreshToken);
    expect(rotated.status).toBe(200);
    expectConforms(harness.built, driver.method, driver.path, rotated);
    const replayed = await driver.refresh(harness, session, session.refreshToken);
    expect(replayed.status).toBe(200);
    expect(driver.rotatedToken(replayed)).toBe(driver.rotatedToken(rotated));
  });

  test('the admin api mints, lists, revokes a session and revokes a subject', async () => {
    const created = await harness.http.post('/admin/sessions').set(admin()).send({ api: 'session', sub: 'dora', organizations: [] });
    expect(created.status).toBe(201);
    expectConforms(harness.built, 'post', '/admin/sessions', created);
    harness.clock.advanceSeconds(1);
    const other = await harness.http.post('/admin/sessions').set(admin()).send({ api: 'watchr', sub: 'dora' });

    const listed = await harness.http.get('/admin/sessions?sub=dora').set(admin());
    expect(listed.status).toBe(200);
    expectConforms(harness.built, 'get', '/admin/sessions', listed);
    expect(listed.body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([created.body.session_id, other.body.session_id]);

    const revoked = await harness.http.post('/admin/sessions/revoke').set(admin()).send({ session_id: created.body.session_id });
    expect(revoked.status).toBe(200);
    expectConforms(harness.built, 'post', '/admin/sessions/revoke', revoked);
    expect(revoked.body).toEqual({ revoked: true });

    const subject = await harness.http.post('/admin/subjects/revoke').set(admin()).send({ sub: 'dora' });
    expect(subject.status).toBe(200);
    expectConforms(harness.built, 'post', '/admin/subjects/revoke', subject);
    expect(subject.body).toEqual({ sessions_revoked: 1 });
  });

  test('text PostgreSQL cannot store (U+0000) is refused as invalid input or found nowhere, never a 500', async () => {
    const created = await harness.http.post('/admin/sessions').set(admin()).send({ api: 'session', sub: 'a\u0000b' });
    expect(created.status).toBe(422);
    expectConforms(harness.built, 'post', '/admin/sessions', created);
    const withOrganization = await harness.http.post('/admin/sessions').set(admin()).send({ api: 'almanac', sub: 'ann', organizations: ['o\u0000'] });
    expect(withOrganization.status).toBe(422);

    const listed = await harness.http.get('/admin/sessions?sub=a%00b').set(admin());
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ sessions: [] });
    const revoked = await harness.http.post('/admin/sessions/revoke').set(admin()).send({ session_id: 'x\u0000' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ revoked: false });
    const subject = await harness.http.post('/admin/subjects/revoke').set(admin()).send({ sub: 'a\u0000b' });
    expect(subject.status).toBe(200);
    expect(subject.body).toEqual({ sessions_revoked: 0 });
  });

  describe('while the database is stopped', () => {
    const sessions = new Map<string, Awaited<ReturnType<typeof mint>>>();

    beforeAll(async () => {
      for (const driver of DRIVERS) sessions.set(driver.api, await mint(harness, driver));
      await postgres.stop();
    });

    test.each(DRIVERS.map((driver) => [driver.api, driver] as const))('%s answers its declared 503', async (_api, driver) => {
      const session = sessions.get(driver.api)!;
      const res = await driver.refresh(harness, session, session.refreshToken);
      expect(res.status).toBe(503);
      expectConforms(harness.built, driver.method, driver.path, res);
    });

    test('the admin api answers 503 and /readyz says not ready', async () => {
      const listed = await harness.http.get('/admin/sessions').set(admin());
      expect(listed.status).toBe(503);
      expectConforms(harness.built, 'get', '/admin/sessions', listed);
      const ready = await harness.http.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not ready' });
    });

    test('once it is started again, the same app serves every api without a restart, and no token was burnt', async () => {
      await postgres.start();

      const ready = await harness.http.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready' });
      for (const driver of DRIVERS) {
        const session = sessions.get(driver.api)!;
        const res = await driver.refresh(harness, session, session.refreshToken);
        expect({ api: driver.api, status: res.status }).toEqual({ api: driver.api, status: 200 });
        expectConforms(harness.built, driver.method, driver.path, res);
      }
    });
  });
});

test("opening with a wrong password fails with the server's reason, and never the password (this server checks passwords)", async () => {
  const url = new URL(await postgres.createDatabase());
  url.password = 'not-the-pa55word';

  const opening = openPostgresStore({ url: url.toString() });

  await expect(opening).rejects.toThrow(/: 28P01 password authentication failed for user "postgres"$/);
  await expect(opening).rejects.not.toThrow(/not-the-pa55word/);
});
