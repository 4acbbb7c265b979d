import { buildMockApp } from '../../src/app/mock-server';
import type { ResponseViolation } from '../../src/app/response-validation';
import { startReal, type RealHarness } from '../support/harness';
import { answerTo, expectRawConforms, listenRaw, rawPost, type RawResponse } from '../support/raw-http';

/**
 * FastAPI 0.142's request rules, which refreshd follows for the apis whose documents come
 * from FastAPI: `strict_content_type` (a body without a Content-Type is not JSON), a JSON
 * `null` body is a missing body, routing on the percent-decoded path. Each expectation is
 * what FastAPI 0.142.2 + Pydantic 2.13.5 answer to the same bytes (test/fastapi-reference).
 */
let h: RealHarness;
let real: Awaited<ReturnType<typeof listenRaw>>;
let mock: Awaited<ReturnType<typeof listenRaw>>;
const mockViolations: ResponseViolation[] = [];
beforeAll(async () => {
  h = await startReal();
  real = await listenRaw(h.built.handler);
  mock = await listenRaw((await buildMockApp({ onResponseViolation: (v) => mockViolations.push(v) })).handler);
});
afterAll(async () => {
  expect(h.violations).toEqual([]);
  expect(mockViolations).toEqual([]);
  await real.close();
  await mock.close();
  await h.close();
});

const VALID_SUB = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const ALMANAC = '/v1/auth/token/refresh';
const NOT_A_DICT = 'Input should be a valid dictionary or object to extract fields from';

const post = (target: string, headers: string[], body = ''): Promise<RawResponse> => answerTo(real.port, rawPost(target, headers, body));
const json = (res: RawResponse): unknown => JSON.parse(res.body);
const conforms = (path: string, res: RawResponse) => expectRawConforms(h.built, 'post', path, res);

describe('a body without a Content-Type is not JSON (strict_content_type)', () => {
  const body = JSON.stringify({ refresh_token: 'x' });

  it.each([
    ['no Content-Type header', []],
    ['an empty Content-Type', ['Content-Type: ']],
  ])('almanac: %s is validated as raw text (422 model_attributes_type, input the text)', async (_name, contentType) => {
    const res = await post(ALMANAC, ['Authorization: Bearer t', ...contentType], body);
    expect(res.status).toBe(422);
    expect(res.body).toBe(JSON.stringify({ detail: [{ type: 'model_attributes_type', loc: ['body'], msg: NOT_A_DICT, input: body }] }));
    conforms(ALMANAC, res);
  });

  it('almanac: the bearer check still comes first', async () => {
    const res = await post(ALMANAC, [], body);
    expect(res.status).toBe(401);
    expect(res.body).toBe('{"detail":"Not authenticated"}');
  });

  it('pathstack: the first error in its own 422 shape', async () => {
    const res = await post('/refresh', [], JSON.stringify({ sub: VALID_SUB, refresh_token: 'x' }));
    expect(res.status).toBe(422);
    expect(json(res)).toEqual({ error: { code: 422, message: NOT_A_DICT, loc: ['body'], msg: NOT_A_DICT, type: 'model_attributes_type' } });
    conforms('/refresh', res);
  });

  it('session (not FastAPI): its 415 envelope', async () => {
    const res = await post('/session/token/refresh', [], body);
    expect(res.status).toBe(415);
    expect(json(res)).toMatchObject({ data: null, code: 41500, msg: 'Request body must be application/json', error: null });
    conforms('/session/token/refresh', res);
  });

  it('an empty body without a Content-Type is a missing body', async () => {
    const res = await post(ALMANAC, ['Authorization: Bearer t']);
    expect(res.body).toBe('{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}');
  });
});

describe('a JSON null body where a body is required is missing', () => {
  it('almanac: missing at loc ["body"], input null', async () => {
    const res = await post(ALMANAC, ['Authorization: Bearer t', 'Content-Type: application/json'], 'null');
    expect(res.status).toBe(422);
    expect(res.body).toBe('{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}');
    conforms(ALMANAC, res);
  });

  it('pathstack: missing at loc ["body"]', async () => {
    const res = await post('/refresh', ['Content-Type: application/json'], ' null ');
    expect(res.status).toBe(422);
    expect(json(res)).toEqual({ error: { code: 422, message: 'Field required', loc: ['body'], msg: 'Field required', type: 'missing' } });
    conforms('/refresh', res);
  });
});

describe('routing on the percent-decoded path, as Starlette does', () => {
  it('POST /auth%2Frefresh reaches watchr', async () => {
    const res = await post('/auth%2Frefresh', []);
    expect(res.status).toBe(401);
    expect(res.body).toBe('{"detail":"Token is missing"}');
  });

  it('POST /%72efresh reaches pathstack', async () => {
    const res = await post('/%72efresh', ['Content-Type: application/json'], '{}');
    expect(res.status).toBe(422);
    expect(json(res)).toEqual({ error: { code: 422, message: 'Field required', loc: ['body', 'sub'], msg: 'Field required', type: 'missing' } });
  });

  it('POST /refresh%2F gets the trailing-slash 307 to the decoded path, query kept', async () => {
    const res = await post('/refresh%2F?a=%2F', []);
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe('http://t/refresh?a=%2F');
    expect(res.body).toBe('');
  });

  it('an escape that is not two hex digits stays as it is (no route, 404)', async () => {
    const res = await post('/refresh%zz', []);
    expect(res.status).toBe(404);
    expect(res.body).toBe('{"detail":"Not Found"}');
  });
});

describe("pathstack's x-api-version: serve and mock agree", () => {
  const request = (version: string) =>
    rawPost('/refresh', ['Content-Type: application/json', `x-api-version: ${version}`], JSON.stringify({ sub: VALID_SUB, refresh_token: 'x' }));
  const message = 'Value error, Unsupported API version 2023-01-01; supported versions: 2024-03-27';

  it('a well-formed but unsupported version is the same 422 from both', async () => {
    const fromServe = await answerTo(real.port, request('2023-01-01'));
    const fromMock = await answerTo(mock.port, request('2023-01-01'));
    expect(fromServe.status).toBe(422);
    expect(json(fromServe)).toEqual({ error: { code: 422, message, loc: ['header', 'x-api-version'], msg: message, type: 'value_error' } });
    expect(fromMock.status).toBe(422);
    expect(fromMock.body).toBe(fromServe.body);
    conforms('/refresh', fromServe);
  });

  it('the supported version, also as the timestamp of its midnight, passes in both', async () => {
    for (const version of ['2024-03-27', String(Date.UTC(2024, 2, 27) / 1000)]) {
      expect((await answerTo(real.port, request(version))).status).toBe(401);
      expect((await answerTo(mock.port, request(version))).status).toBe(200);
    }
  });
});
