import { startReal, type RealHarness } from '../support/harness';

/**
 * `serve --insecure-cookies` drops Secure from the refresh cookie, which the documents promise:
 * the insecure-cookies profile overlay makes the served and validated documents say what is
 * really sent, so the answer still passes response validation and a client can read the change.
 */
let h: RealHarness;
afterEach(() => h.close());

it.each([
  ['watchr', '/auth/refresh'],
  ['galileo', '/v1/refresh_token'],
])('%s: with insecure cookies the rotated cookie has no Secure, and the served document says so', async (api, path) => {
  h = await startReal({ secureCookies: false });
  const minted = await h.tokens.mintSession({ api: api as 'watchr', sub: 'alice' });
  const res = await h.http.post(path).set('cookie', `refresh_token=${minted.refreshToken}`);
  expect(res.status).toBe(200);
  expect(res.headers['set-cookie'][0]).toMatch(new RegExp(`; HttpOnly; SameSite=Strict; Path=${path}; Max-Age=\\d+$`));
  expect(h.violations).toEqual([]);
  const served = (await h.http.get(`/openapi/${api}.json`)).body;
  expect(JSON.stringify(served.paths[path].post.responses['200'].headers['Set-Cookie'])).toContain('without Secure');
});

it('with secure cookies (the default) the cookie is Secure and the served document requires it', async () => {
  h = await startReal();
  const minted = await h.tokens.mintSession({ api: 'watchr', sub: 'alice' });
  const res = await h.http.post('/auth/refresh').set('cookie', `refresh_token=${minted.refreshToken}`);
  expect(res.headers['set-cookie'][0]).toMatch(/; HttpOnly; Secure; SameSite=Strict;/);
  expect(h.violations).toEqual([]);
  const header = (await h.http.get('/openapi/watchr.json')).body.paths['/auth/refresh'].post.responses['200'].headers['Set-Cookie'];
  expect(header.schema.allOf).toContainEqual({ pattern: ';\\s*Secure\\s*(;|$)' });
});
