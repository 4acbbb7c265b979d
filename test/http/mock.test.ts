import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { expectConforms } from '../support/harness';
import request from 'supertest';
import { buildMockApp } from '../../src/app/mock-server';
import type { ResponseViolation } from '../../src/app/response-validation';
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

  it.each([
    ['an undeclared code', 'code=418', 404, /status code 418 is not defined in the document \(declared: 200, /],
    ['an unknown example', 'example=no-such-example', 404, /no example named "no-such-example"/],
    ['a malformed code', 'code=abc', 400, /Prefer code must be a 3-digit HTTP status code/],
  ])('refuses %s as Prism does, never answering the default by accident', async (_name, prefer, status, detail) => {
    const res = await send().set('Prefer', prefer);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['preference-applied']).toBeUndefined();
    const body = JSON.parse(res.text);
    expect(body).toEqual({ type: 'about:blank', title: expect.any(String), status, detail: expect.stringMatching(detail) });
    expect(body.detail).toContain(`POST ${opPath}: `);
  });
});

describe('mock defaults (refreshd mock --dynamic --seed N)', () => {
  let dynamic: MockHarness;
  beforeAll(async () => {
    const violations: ResponseViolation[] = [];
    const built = await buildMockApp({ defaults: { dynamic: true, seed: 7 }, onResponseViolation: (v) => violations.push(v) });
    dynamic = { built, violations, http: request(built.handler) };
  });
  afterEach(() => expect(dynamic.violations).toEqual([]));

  const session = (h: MockHarness) => h.http.post('/session/token/refresh').send({ refresh_token: 'abc' });

  it('generates bodies from the schema with the seed: the same body every time, not the example', async () => {
    const [a, b, example] = [await session(dynamic), await session(dynamic), await session(m)];
    expect(a.status).toBe(200);
    expect(a.body).toEqual(b.body);
    expect(a.body).not.toEqual(example.body);
    expect(a.headers['preference-applied']).toBe('seed=7');
    expectConforms(dynamic.built, 'post', '/session/token/refresh', a);
  });

  it('lets a request override them with its own Prefer', async () => {
    const staticBody = await session(dynamic).set('Prefer', 'dynamic=false');
    expect(staticBody.body).toEqual((await session(m)).body);
    const otherSeed = await session(dynamic).set('Prefer', 'seed=8');
    expect(otherSeed.body).not.toEqual((await session(dynamic)).body);
    expect(otherSeed.headers['preference-applied']).toBe('seed=8');
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
