import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadKeyFile } from '../../src/tokens/keys';
import { ADMIN_TOKEN, expectConforms, useRealHarness } from '../support/harness';

/** Defects found in review, each pinned by the request that showed it. */
const h = useRealHarness();

const ALMANAC = '/v1/auth/token/refresh';
const almanac = (raw: string) => h.http.post(ALMANAC).set('Authorization', 'Bearer t').set('Content-Type', 'application/json').send(raw);

it('refuses JSON nested deeper than the limit with FastAPI\'s 400, on every api, never a 5xx', async () => {
  const deep = `{"refresh_token":"x","a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  const res = await almanac(deep);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ detail: 'There was an error parsing the body' });
  for (const p of ['/refresh', '/session/token/refresh']) {
    const other = await h.http.post(p).set('Content-Type', 'application/json').send(deep);
    expect(other.status).toBeLessThan(500);
    expectConforms(h.built, 'post', p, other);
  }
});

it('echoes a non-finite float as null, so the 422 stays valid JSON', async () => {
  const res = await almanac('{"refresh_token": 1e400}');
  expect(res.status).toBe(422);
  expect(res.text).toBe('{"detail":[{"type":"string_type","loc":["body","refresh_token"],"msg":"Input should be a valid string","input":null}]}');
});

it.each(['constructor', 'toString', '__proto__'])('reports an extra field named %s as extra_forbidden', async (name) => {
  const res = await almanac(`{"refresh_token": "x", "${name}": 1}`);
  expect(res.body).toEqual({ detail: [{ type: 'extra_forbidden', loc: ['body', name], msg: 'Extra inputs are not permitted', input: 1 }] });
});

it('answers a wrong method with a 405 the document declares', async () => {
  for (const p of ['/auth/refresh', '/v1/refresh_token', '/refresh', ALMANAC, '/session/token/refresh']) {
    const res = await h.http.put(p);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  }
});

it('admin: a foreign initial organization is a declared 403, an empty organization name a 422', async () => {
  const admin = (body: object) => h.http.post('/admin/sessions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body);
  const foreign = await admin({ api: 'almanac', sub: 'bob', organizations: ['a'], organization_id: 'b' });
  expect(foreign.status).toBe(403);
  expectConforms(h.built, 'post', '/admin/sessions', foreign);
  const empty = await admin({ api: 'almanac', sub: 'bob', organizations: [''] });
  expect(empty.status).toBe(422);
  expectConforms(h.built, 'post', '/admin/sessions', empty);
});

it('a malformed JWK key file is reported without quoting any of it', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'refreshd-key-')), 'bad.jwk.json');
  writeFileSync(file, '{"kty":"oct","k":c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw}');
  expect(() => loadKeyFile(file)).toThrow(`key file ${file}: not valid JSON`);
  try {
    loadKeyFile(file);
  } catch (error) {
    expect(String((error as Error).message)).not.toContain('c2VjcmV0');
  }
});

it('admin: a wrong admin token is refused before the body is validated, as a FastAPI security dependency would', async () => {
  const res = await h.http.post('/admin/sessions').set('Authorization', 'Bearer not-the-admin-token').send({ bogus: true });
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer');
  expectConforms(h.built, 'post', '/admin/sessions', res);
  const ok = await h.http.post('/admin/sessions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ bogus: true });
  expect(ok.status).toBe(422);
});
