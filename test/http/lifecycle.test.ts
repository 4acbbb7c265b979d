import { DEFAULT_REFRESH_IDLE_TTL_SECONDS } from '../../src/tokens/service';
import { claimsOf, DRIVERS, mint } from '../support/drivers';
import { expectConforms, startReal, type RealHarness } from '../support/harness';

let h: RealHarness;
beforeEach(async () => {
  h = await startReal();
});
afterEach(async () => {
  expect(h.violations).toEqual([]);
  await h.close();
});

const algNone = (token: string): string => {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  return `${header}.${token.split('.')[1]}.`;
};
const tamper = (token: string): string => {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.sub = `${claims.sub}x`;
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
};

describe.each(DRIVERS)('$api refresh lifecycle', (driver) => {
  it('rotates: a refresh returns a new refresh token in its documented place and the new one works', async () => {
    const session = await mint(h, driver);
    const first = await driver.refresh(h, session, session.refreshToken);
    expect(first.status).toBe(200);
    expectConforms(h.built, driver.method, driver.path, first);
    const rotated = driver.rotatedToken(first) as string;
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(session.refreshToken);
    expect(claimsOf(rotated)).toMatchObject({ token_type: 'refresh', sub: session.sub, sid: session.sessionId, aud: driver.api });

    h.clock.advanceSeconds(60);
    const second = await driver.refresh(h, session, rotated);
    expect(second.status).toBe(200);
    expectConforms(h.built, driver.method, driver.path, second);
  });

  it('when a used token is replayed inside the grace window, the same successor (same jti) comes back', async () => {
    const session = await mint(h, driver);
    const first = await driver.refresh(h, session, session.refreshToken);
    h.clock.advanceSeconds(5);
    const replay = await driver.refresh(h, session, session.refreshToken);
    expect(replay.status).toBe(200);
    expectConforms(h.built, driver.method, driver.path, replay);
    expect(claimsOf(driver.rotatedToken(replay) as string).jti).toBe(claimsOf(driver.rotatedToken(first) as string).jti);
  });

  it('when 20 refreshes of one token race, all get the one same successor', async () => {
    const session = await mint(h, driver);
    const responses = await Promise.all(Array.from({ length: 20 }, () => driver.refresh(h, session, session.refreshToken)));
    responses.forEach((res) => expect(res.status).toBe(200));
    const jtis = new Set(responses.map((res) => claimsOf(driver.rotatedToken(res) as string).jti));
    expect(jtis.size).toBe(1);
  });

  it('when a used token is replayed after the grace window, the whole session is revoked, successor included', async () => {
    const session = await mint(h, driver);
    const first = await driver.refresh(h, session, session.refreshToken);
    const successor = driver.rotatedToken(first) as string;
    h.clock.advanceSeconds(11);
    const replay = await driver.refresh(h, session, session.refreshToken);
    driver.expectUnauthorized(replay);
    expectConforms(h.built, driver.method, driver.path, replay);
    const withSuccessor = await driver.refresh(h, session, successor);
    driver.expectUnauthorized(withSuccessor);
  });

  it.each([
    ['an expired refresh token', async (s: { refreshToken: string }) => {
      h.clock.advanceSeconds(DEFAULT_REFRESH_IDLE_TTL_SECONDS + 1);
      return s.refreshToken;
    }],
    ['a tampered refresh token', async (s: { refreshToken: string }) => tamper(s.refreshToken)],
    ['an alg:none token', async (s: { refreshToken: string }) => algNone(s.refreshToken)],
    ['an access token used as a refresh token', async (s: { accessToken: string }) => s.accessToken],
    ['a refresh token of another api', async () => {
      const other = DRIVERS.find((d) => d.api !== driver.api && d.api !== 'pathstack') as (typeof DRIVERS)[number];
      const foreign = await h.tokens.mintSession({ api: other.api, sub: driver.sub });
      return foreign.refreshToken;
    }],
    ['a refresh token of a revoked subject', async (s: { refreshToken: string; sub?: string }) => {
      await h.tokens.revokeSubject(driver.sub);
      return s.refreshToken;
    }],
    ['garbage', async () => 'not-a-jwt'],
  ])('refuses %s with a 401 in the dialect', async (_name, makeToken) => {
    const session = await mint(h, driver);
    const token = await (makeToken as (s: typeof session) => Promise<string>)(session);
    const res = await driver.refresh(h, session, token);
    driver.expectUnauthorized(res);
    expectConforms(h.built, driver.method, driver.path, res);
  });
});

describe('pathstack subject binding', () => {
  const driver = DRIVERS.find((d) => d.api === 'pathstack')!;
  it('refuses a body sub that is not the token subject, without burning the token', async () => {
    const session = await mint(h, driver);
    const res = await h.http.post('/refresh').send({ sub: '0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d', refresh_token: session.refreshToken });
    driver.expectUnauthorized(res);
    expectConforms(h.built, 'post', '/refresh', res);
    const ok = await driver.refresh(h, session, session.refreshToken);
    expect(ok.status).toBe(200);
  });
  it('accepts the subject in another UUID spelling, as Pydantic would parse it', async () => {
    const session = await mint(h, driver);
    const res = await h.http.post('/refresh').send({ sub: session.sub.toUpperCase(), refresh_token: session.refreshToken });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ token_type: 'bearer', expires_in: 3600, access_token: expect.any(String), refresh_token: expect.any(String) });
  });
});

describe('almanac bearer and organizations', () => {
  const driver = DRIVERS.find((d) => d.api === 'almanac')!;
  it('answers 401 Not authenticated with WWW-Authenticate when the bearer is missing', async () => {
    const session = await mint(h, driver);
    const res = await h.http.post('/v1/auth/token/refresh').send({ refresh_token: session.refreshToken });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Not authenticated' });
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });
  it("refuses another session's access token as the bearer", async () => {
    const session = await mint(h, driver);
    const other = await mint(h, driver);
    const res = await h.http
      .post('/v1/auth/token/refresh')
      .set('Authorization', `Bearer ${other.accessToken}`)
      .send({ refresh_token: session.refreshToken });
    driver.expectUnauthorized(res);
    expectConforms(h.built, 'post', '/v1/auth/token/refresh', res);
  });
  it('accepts an expired access token of the same session as the bearer', async () => {
    const session = await mint(h, driver);
    h.clock.advanceSeconds(7200);
    const res = await driver.refresh(h, session, session.refreshToken);
    expect(res.status).toBe(200);
  });
  it('scopes to an organization of the session and echoes it; refuses a foreign one with 403', async () => {
    const session = await mint(h, driver, ['org-a', 'org-b']);
    const foreign = await h.http
      .post('/v1/auth/token/refresh')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ refresh_token: session.refreshToken, organization_id: 'org-z' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ detail: expect.any(String) });
    expectConforms(h.built, 'post', '/v1/auth/token/refresh', foreign);
    const scoped = await h.http
      .post('/v1/auth/token/refresh')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ refresh_token: session.refreshToken, organization_id: 'org-b' });
    expect(scoped.status).toBe(200);
    expect(scoped.body.organization_id).toBe('org-b');
    expectConforms(h.built, 'post', '/v1/auth/token/refresh', scoped);
  });
  it('echoes organization_id null when the session has no scope', async () => {
    const session = await mint(h, driver);
    const res = await driver.refresh(h, session, session.refreshToken);
    expect(res.body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), organization_id: null });
  });
});

describe('cookie transport', () => {
  it.each([
    ['watchr', '/auth/refresh'],
    ['galileo', '/v1/refresh_token'],
  ])('%s sets the rotated cookie HttpOnly, Secure, SameSite=Strict on its path with the remaining lifetime', async (api, path) => {
    const driver = DRIVERS.find((d) => d.api === api)!;
    const session = await mint(h, driver);
    const res = await driver.refresh(h, session, session.refreshToken);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^refresh_token=[^;]+; HttpOnly; Secure; SameSite=Strict; Path=${path}; Max-Age=15552000$`));
  });
});

describe('session envelope', () => {
  it('returns ISO expiries with offset and microseconds', async () => {
    const driver = DRIVERS.find((d) => d.api === 'session')!;
    const session = await mint(h, driver);
    const res = await driver.refresh(h, session, session.refreshToken);
    expect(res.body.code).toBe(0);
    expect(res.body.msg).toBe('');
    expect(res.body.data.access_expires).toBe('2026-01-01T13:00:00.000000+00:00');
    expect(res.body.data.refresh_expires).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
  });
});
