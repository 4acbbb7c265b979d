import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { expectConforms } from '../support/harness';
import { startMock, type MockHarness } from '../support/mock-harness';

let m: MockHarness;
beforeAll(async () => {
  m = await startMock();
});
afterEach(() => {
  expect(m.violations).toEqual([]);
});

const VALID_SUB = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** A valid request per operation: what reaches the mock responder. */
const VALID = [
  { api: 'watchr', path: '/auth/refresh', send: () => m.http.post('/auth/refresh') },
  { api: 'galileo', path: '/v1/refresh_token', send: () => m.http.post('/v1/refresh_token').set('Cookie', 'refresh_token=abc') },
  { api: 'pathstack', path: '/refresh', send: () => m.http.post('/refresh').send({ sub: VALID_SUB, refresh_token: 'abc' }) },
  { api: 'almanac', path: '/v1/auth/token/refresh', send: () => m.http.post('/v1/auth/token/refresh').set('Authorization', 'Bearer t').send({ refresh_token: 'abc' }) },
  { api: 'session', path: '/session/token/refresh', send: () => m.http.post('/session/token/refresh').send({ refresh_token: 'abc' }) },
];

describe.each(VALID)('mock $api', ({ path: opPath, send }) => {
  it('answers a valid request with a 200 that matches the document', async () => {
    const res = await send();
    expect(res.status).toBe(200);
    expectConforms(m.built, 'post', opPath, res);
  });

  it('answers every declared status on Prefer: code=<status>, each matching the document', async () => {
    const operation = m.built.apis.flatMap((a) => a.operations).find((op) => op.path === opPath)!;
    for (const status of operation.responses.keys()) {
      const res = await send().set('Prefer', `code=${status}`);
      expect(res.status).toBe(Number(status));
      expect(res.headers['preference-applied']).toBe(`code=${status}`);
      expectConforms(m.built, 'post', opPath, res);
    }
  });

  it('gives the same dynamic body for the same seed, and a schema-valid one', async () => {
    const a = await send().set('Prefer', 'dynamic=true, seed=42');
    const b = await send().set('Prefer', 'dynamic=true; seed=42');
    expect(a.status).toBe(200);
    expect(a.body).toEqual(b.body);
    expectConforms(m.built, 'post', opPath, a);
  });

  it('ignores a preference it cannot honour, saying why, and answers the default', async () => {
    const res = await send().set('Prefer', 'code=418');
    expect(res.status).toBe(200);
    expect(res.headers['x-refreshd-mock-warning']).toMatch(/Prefer ignored/);
    expect(res.headers['preference-applied']).toBeUndefined();
  });
});

describe('mock examples', () => {
  it("returns the session document's example verbatim", async () => {
    const document = YAML.parse(readFileSync(path.join(__dirname, '..', '..', 'specs', 'session.yaml'), 'utf8'));
    const example = document.paths['/session/token/refresh'].post.responses['200'].content['application/json'].example;
    const res = await m.http.post('/session/token/refresh').send({ refresh_token: 'abc' });
    expect(res.body).toEqual(example);
  });
  it('uses the same request validation and dialects as the real server', async () => {
    const galileo = await m.http.post('/v1/refresh_token');
    expect(galileo.text).toBe('{"detail":[{"type":"missing","loc":["cookie","refresh_token"],"msg":"Field required","input":null}]}');
    const almanac = await m.http.post('/v1/auth/token/refresh').send({ refresh_token: 'x' });
    expect(almanac.status).toBe(401);
    expect(almanac.body).toEqual({ detail: 'Not authenticated' });
    const pathstack = await m.http.post('/refresh').send({ refresh_token: 'x' });
    expect(pathstack.body).toEqual({ error: { code: 422, message: 'Field required', loc: ['body', 'sub'], msg: 'Field required', type: 'missing' } });
    const session = await m.http.post('/session/token/refresh').send({ refresh_token: 1 });
    expect(session.status).toBe(422);
    expect(session.body.code).toBe(42200);
  });
});
