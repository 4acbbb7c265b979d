import { ADMIN_TOKEN, startReal, type RealHarness } from '../support/harness';

/** `/metrics` counts what an operator alerts on, from real requests through the pipeline. */
let h: RealHarness;
beforeEach(async () => {
  h = await startReal({ graceWindowSeconds: 10 });
});
afterEach(() => h.close());

const refresh = (refreshToken: unknown) => h.http.post('/session/token/refresh').send({ refresh_token: refreshToken });
const admin = (path: string, body: object) => h.http.post(path).set('authorization', `Bearer ${ADMIN_TOKEN}`).send(body);

/** The value of one series in the exposition text, 0 when absent. */
async function series(name: string, labels: string): Promise<number> {
  const text = (await h.http.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

it('every refresh outcome, every rejection reason, reuse and each kind of revocation is counted', async () => {
  const minted = await h.tokens.mintSession({ api: 'session', sub: 'alice' });
  const first = await refresh(minted.refreshToken);
  expect(first.status).toBe(200);
  expect((await refresh(minted.refreshToken)).status).toBe(200); // inside the grace window: the same successor
  h.clock.advanceSeconds(11);
  expect((await refresh(minted.refreshToken)).status).toBe(401); // after it: reuse, the family is revoked
  expect((await refresh('garbage')).status).toBe(401);

  const other = await h.tokens.mintSession({ api: 'session', sub: 'bob' });
  expect((await admin('/admin/sessions/revoke', { session_id: other.sessionId })).status).toBe(200);
  await h.tokens.mintSession({ api: 'watchr', sub: 'carol' });
  await h.tokens.mintSession({ api: 'session', sub: 'carol' });
  expect((await admin('/admin/subjects/revoke', { sub: 'carol' })).body).toEqual({ sessions_revoked: 2 });

  expect(await series('refreshd_refreshes_total', 'api="session",outcome="rotated"')).toBe(1);
  expect(await series('refreshd_refreshes_total', 'api="session",outcome="grace_replay"')).toBe(1);
  expect(await series('refreshd_refreshes_total', 'api="session",outcome="rejected"')).toBe(2);
  expect(await series('refreshd_token_rejections_total', 'api="session",reason="token_reused"')).toBe(1);
  expect(await series('refreshd_token_rejections_total', 'api="session",reason="token_malformed"')).toBe(1);
  expect(await series('refreshd_reuse_detected_total', 'api="session"')).toBe(1);
  expect(await series('refreshd_revocations_total', 'kind="reuse"')).toBe(1);
  expect(await series('refreshd_revocations_total', 'kind="session"')).toBe(1);
  expect(await series('refreshd_revocations_total', 'kind="subject"')).toBe(2);
  expect(await series('refreshd_requests_total', 'api="session",status="401"')).toBe(2);
  expect(h.violations).toEqual([]);
});

it('a refresh without its cookie is counted as a token_missing rejection', async () => {
  expect((await h.http.post('/auth/refresh')).status).toBe(401);
  expect(await series('refreshd_token_rejections_total', 'api="watchr",reason="token_missing"')).toBe(1);
  expect(await series('refreshd_refreshes_total', 'api="watchr",outcome="rejected"')).toBe(1);
});

it('every api has its refresh series from the first scrape, and build_info names the version', async () => {
  for (const api of ['watchr', 'galileo', 'pathstack', 'almanac', 'session']) {
    for (const outcome of ['rotated', 'grace_replay', 'rejected', 'store_unavailable']) {
      expect((await h.http.get('/metrics')).text).toContain(`refreshd_refreshes_total{api="${api}",outcome="${outcome}"} 0`);
    }
  }
  expect((await h.http.get('/metrics')).text).toMatch(/^refreshd_build_info\{version="\d+\.\d+\.\d+",node="v\d+[^"]*"\} 1$/m);
});

it('the event-loop delay is exported by quantile, over the window since the previous scrape', async () => {
  await series('refreshd_event_loop_delay_seconds', 'quantile="1"'); // starts a window
  await new Promise((resolve) => setTimeout(resolve, 30));
  const blockedUntil = Date.now() + 150;
  while (Date.now() < blockedUntil) {
    // the event loop is held, as a synchronous stall in a handler would hold it
  }
  await new Promise((resolve) => setTimeout(resolve, 30));
  const text = (await h.http.get('/metrics')).text;
  for (const quantile of ['0.5', '0.9', '0.99', '0.999', '1']) {
    expect(text).toMatch(new RegExp(`^refreshd_event_loop_delay_seconds\\{quantile="${quantile}"\\} [0-9.e-]+$`, 'm'));
  }
  const longest = Number(/^refreshd_event_loop_delay_seconds\{quantile="1"\} (\S+)$/m.exec(text)?.[1]);
  expect(longest).toBeGreaterThanOrEqual(0.1);
  expect(longest).toBeLessThan(1);
  // The next window no longer holds the stall.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(await series('refreshd_event_loop_delay_seconds', 'quantile="1"')).toBeLessThan(0.1);
});
