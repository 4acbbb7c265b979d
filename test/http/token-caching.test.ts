import { validateReply } from '../../src/app/response-validation';
import { DRIVERS, mint } from '../support/drivers';
import { ADMIN_TOKEN, expectConforms, useRealHarness, type RealHarness } from '../support/harness';
import { startMock } from '../support/mock-harness';

/**
 * RFC 6749 §5.1: a response holding tokens carries `Cache-Control: no-store` and
 * `Pragma: no-cache`. The documents (overlays, admin.yaml) mark both required, so response
 * validation holds every such answer to it.
 */
const h = useRealHarness();

const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };

describe.each(DRIVERS)('$api', (driver) => {
  it('a refresh answers with Cache-Control: no-store and Pragma: no-cache', async () => {
    const session = await mint(h, driver);
    const res = await driver.refresh(h, session, session.refreshToken);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject(noStore);
    expectConforms(h.built, driver.method, driver.path, res);
  });

  it('so does the grace replay of a used token (it hands back the same successor)', async () => {
    const session = await mint(h, driver);
    await driver.refresh(h, session, session.refreshToken);
    h.clock.advanceSeconds(2);
    const replay = await driver.refresh(h, session, session.refreshToken);
    expect(replay.status).toBe(200);
    expect(replay.headers).toMatchObject(noStore);
  });

  it('the served document requires both headers on the 200: a reply without them is a violation', async () => {
    const operation = h.built.apis.flatMap((api) => api.operations).find((op) => op.path === driver.path)!;
    // A real 200, so that only the headers changed below can be what fails.
    const session = await mint(h, driver);
    const real = await driver.refresh(h, session, session.refreshToken);
    const headers = Object.fromEntries(Object.entries(real.headers).filter(([name]) => name !== 'content-length')) as Record<string, string>;
    const without = (name: string) => Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
    expect(validateReply(operation, { status: 200, body: real.body, headers })).toBeUndefined();
    expect(validateReply(operation, { status: 200, body: real.body, headers: without('cache-control') })?.reason).toBe('required header cache-control is missing');
    expect(validateReply(operation, { status: 200, body: real.body, headers: without('pragma') })?.reason).toBe('required header pragma is missing');
    expect(validateReply(operation, { status: 200, body: real.body, headers: { ...headers, 'cache-control': 'max-age=60' } })?.reason).toBe(
      'header cache-control does not match its schema',
    );
  });
});

it('the admin api mints a session with Cache-Control: no-store and Pragma: no-cache', async () => {
  const res = await h.http.post('/admin/sessions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ api: 'watchr', sub: 'alice' });
  expect(res.status).toBe(201);
  expect(res.headers).toMatchObject(noStore);
  expectConforms(h.built, 'post', '/admin/sessions', res);
});

it('the mock answers each 200 with the same headers, sampled from the document', async () => {
  const mock = await startMock();
  for (const driver of DRIVERS) {
    const session = { sub: driver.sub, sessionId: 's', accessToken: 'a.b.c', refreshToken: 'r.s.t' };
    const res = await driver.refresh({ http: mock.http } as RealHarness, session, session.refreshToken);
    expect({ api: driver.api, status: res.status, headers: res.headers }).toMatchObject({ api: driver.api, status: 200, headers: noStore });
  }
  expect(mock.violations).toEqual([]);
});
