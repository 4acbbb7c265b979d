import type { Response } from 'supertest';
import type { PublishedApi } from './apis';
import type { RealHarness } from './harness';

/** The claims of a JWT, read without verifying (test-only). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export interface MintedForTest {
  sub: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

/** How each api carries a refresh token in and out, and what its 401 looks like. */
export interface ApiDriver {
  api: PublishedApi;
  method: 'post';
  path: string;
  sub: string;
  refresh(h: RealHarness, session: MintedForTest, refreshToken: string): Promise<Response>;
  /** The rotated refresh token in the 200 response. */
  rotatedToken(res: Response): string | undefined;
  expectUnauthorized(res: Response): void;
}

const cookieToken = (res: Response): string | undefined => {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const match = cookies.map((c) => /^refresh_token=([^;]*)/.exec(c)).find(Boolean);
  return match?.[1];
};

const fastapi401 = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ detail: expect.any(String) });
};

export const DRIVERS: ApiDriver[] = [
  {
    api: 'watchr',
    method: 'post',
    path: '/auth/refresh',
    sub: 'alice',
    refresh: (h, _s, token) => h.http.post('/auth/refresh').set('Cookie', `refresh_token=${token}`),
    rotatedToken: cookieToken,
    expectUnauthorized: fastapi401,
  },
  {
    api: 'galileo',
    method: 'post',
    path: '/v1/refresh_token',
    sub: 'alice',
    refresh: (h, _s, token) => h.http.post('/v1/refresh_token').set('Cookie', `refresh_token=${token}`),
    rotatedToken: cookieToken,
    expectUnauthorized: fastapi401,
  },
  {
    api: 'pathstack',
    method: 'post',
    path: '/refresh',
    sub: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    refresh: (h, s, token) => h.http.post('/refresh').send({ sub: s.sub, refresh_token: token }),
    rotatedToken: (res) => res.body?.data?.refresh_token,
    expectUnauthorized: (res) => {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 401, message: 'Invalid Refresh Token' } });
    },
  },
  {
    api: 'almanac',
    method: 'post',
    path: '/v1/auth/token/refresh',
    sub: 'alice',
    refresh: (h, s, token) =>
      h.http.post('/v1/auth/token/refresh').set('Authorization', `Bearer ${s.accessToken}`).send({ refresh_token: token }),
    rotatedToken: (res) => res.body?.refresh_token,
    expectUnauthorized: fastapi401,
  },
  {
    api: 'session',
    method: 'post',
    path: '/session/token/refresh',
    sub: 'alice',
    refresh: (h, _s, token) => h.http.post('/session/token/refresh').send({ refresh_token: token }),
    rotatedToken: (res) => res.body?.data?.refresh_token,
    expectUnauthorized: (res) => {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        data: null,
        code: expect.any(Number),
        msg: expect.any(String),
        error: null,
        correlation_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(res.headers['x-correlation-id']).toBe(res.body.correlation_id);
    },
  },
];

export async function mint(h: RealHarness, driver: ApiDriver, organizations: string[] = []): Promise<MintedForTest> {
  const minted = await h.tokens.mintSession({ api: driver.api, sub: driver.sub, organizations });
  return { sub: minted.sub, sessionId: minted.sessionId, accessToken: minted.accessToken, refreshToken: minted.refreshToken };
}
