import { projectApi } from '../support/apis';
import { validRequest, type CaseKind, type RequestCase } from '../../src/contract/cases';
import { failingChecks, vacuousMatch, type Exchange, type ReceivedResponse } from '../../src/contract/checks';
import type { CompiledOperation } from '../../src/spec/registry';

const operations: Record<string, CompiledOperation> = {};
beforeAll(async () => {
  for (const name of ['watchr', 'pathstack', 'almanac', 'session'] as const) operations[name] = (await projectApi(name)).compiled.operations[0];
});

/** What every answer holding tokens carries (the overlays require it), so the fixtures below vary one thing at a time. */
const TOKEN_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' };

function exchange(api: string, response: Partial<ReceivedResponse> & { status: number }, kase: Partial<RequestCase> & { kind?: CaseKind } = {}): Exchange {
  const operation = operations[api];
  return {
    operation,
    case: { name: 'a case', kind: 'valid', request: validRequest(operation), ...kase },
    response: { setCookies: [], text: '', ...response, headers: { 'content-type': 'application/json', ...(response.status === 200 ? TOKEN_HEADERS : {}), ...response.headers } },
    durationMs: 1,
  };
}

const COOKIE = 'refresh_token=abc; HttpOnly; Secure; SameSite=Strict; Path=/auth/refresh; Max-Age=100';
const watchrOk = (setCookies: string[]) => exchange('watchr', { status: 200, text: '{"access_token":"a","token_type":"bearer"}', setCookies });

describe('response_schema_conformance: the vacuous match', () => {
  const pathstack422 = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } } } };

  test('a body that has none of the properties its schema declares matches only vacuously', () => {
    expect(vacuousMatch(pathstack422, { detail: [{ msg: 'Field required' }] })).toBe('/');
    expect(vacuousMatch(pathstack422, {})).toBe('/');
    expect(vacuousMatch(pathstack422, { error: { detail: 'x' } })).toBe('/error');
    expect(vacuousMatch({ type: 'array', items: pathstack422 }, [{ error: { code: 1 } }, { other: 1 }])).toBe('/1');
  });

  test('one declared property present is enough, at every level; a schema without properties says nothing', () => {
    expect(vacuousMatch(pathstack422, { error: { code: 422 } })).toBeUndefined();
    expect(vacuousMatch({ type: 'object' }, { anything: true })).toBeUndefined();
    expect(vacuousMatch({ type: 'object', properties: {} }, {})).toBeUndefined();
  });

  test("pathstack's 422 in FastAPI's shape fails the check, which it would pass on the schema alone", () => {
    const fastapiShaped = exchange('pathstack', { status: 422, text: '{"detail":[{"type":"missing","loc":["body","sub"],"msg":"Field required"}]}' }, { kind: 'negative' });
    expect(failingChecks(fastapiShaped)).toEqual(['response_schema_conformance']);
    const ownShape = exchange('pathstack', { status: 422, text: '{"error":{"code":422,"message":"Field required","loc":["body","sub"],"msg":"Field required","type":"missing"}}' }, { kind: 'negative' });
    expect(failingChecks(ownShape)).toEqual([]);
  });
});

describe('response_headers_conformance', () => {
  test("the rotated cookie's attributes, each declared as a pattern in the overlay", () => {
    expect(failingChecks(watchrOk([COOKIE]))).toEqual([]);
    expect(failingChecks(watchrOk(['refresh_token=abc; SameSite=Lax; Secure; Max-Age=100']))).toEqual(['response_headers_conformance']);
    expect(failingChecks(watchrOk([]))).toEqual(['response_headers_conformance']);
  });

  test('X-Correlation-Id on every session answer, a uuid', () => {
    const ok = '{"data":{"access_token":"a","access_expires":"2025-04-26T15:58:28.456762+00:00","refresh_token":"r","refresh_expires":"2025-10-23T14:58:28.456762+00:00"},"code":0,"msg":""}';
    const withId = (id?: string) => exchange('session', { status: 200, text: ok, headers: { 'content-type': 'application/json', ...(id ? { 'x-correlation-id': id } : {}) } });
    expect(failingChecks(withId('b4351ecc-ee1a-4455-bc94-2c3dbcc58538'))).toEqual([]);
    expect(failingChecks(withId('not-a-uuid'))).toEqual(['response_headers_conformance']);
    expect(failingChecks(withId())).toEqual(['response_headers_conformance']);
  });

  test('a 401 that refuses the Bearer credential challenges it; a 401 for the refresh token behind a good Bearer need not', () => {
    const bearer = { name: 'bearerAuth', type: 'http', scheme: 'bearer' } as const;
    const unauthorized = (headers: Record<string, string>, bearerFault: boolean) =>
      exchange(
        'almanac',
        { status: 401, text: '{"detail":"Not authenticated"}', headers: { 'content-type': 'application/json', ...headers } },
        { kind: 'auth', securityFault: bearerFault ? bearer : undefined },
      );
    expect(failingChecks(unauthorized({ 'www-authenticate': 'Bearer' }, true))).toEqual([]);
    expect(failingChecks(unauthorized({}, true))).toEqual(['response_headers_conformance']);
    expect(failingChecks(unauthorized({ 'www-authenticate': 'Basic realm="x"' }, true))).toEqual(['response_headers_conformance']);
    expect(failingChecks(unauthorized({}, false))).toEqual([]);
  });

  test('a 401 refusing a Basic credential challenges Basic; one refusing an API key needs no challenge (HTTP has none for it)', () => {
    const basic = { name: 'basicAuth', type: 'http', scheme: 'basic' } as const;
    const apiKey = { name: 'key', type: 'apiKey', in: 'header', parameterName: 'X-Key' } as const;
    const unauthorized = (headers: Record<string, string>, securityFault: typeof basic | typeof apiKey) =>
      exchange('watchr', { status: 401, text: '{"detail":"Not authenticated"}', headers: { 'content-type': 'application/json', ...headers } }, { kind: 'auth', securityFault });
    expect(failingChecks(unauthorized({ 'www-authenticate': 'Basic realm="x"' }, basic))).toEqual([]);
    expect(failingChecks(unauthorized({ 'www-authenticate': 'Bearer' }, basic))).toEqual(['response_headers_conformance']);
    expect(failingChecks(unauthorized({}, basic))).toEqual(['response_headers_conformance']);
    expect(failingChecks(unauthorized({}, apiKey))).toEqual([]);
  });

  test('a 405 carries Allow, naming the methods the path declares', () => {
    const notAllowed = (headers: Record<string, string>) =>
      exchange(
        'watchr',
        { status: 405, text: '{"detail":"Method Not Allowed"}', headers: { 'content-type': 'application/json', ...headers } },
        { kind: 'unsupported-method', allowedMethods: ['POST'] },
      );
    expect(failingChecks(notAllowed({ allow: 'POST' }))).toEqual([]);
    expect(failingChecks(notAllowed({}))).toEqual(['response_headers_conformance']);
    expect(failingChecks(notAllowed({ allow: 'GET' }))).toEqual(['response_headers_conformance']);
  });
});

describe('one fault, one check', () => {
  test('a 5xx is only not_a_server_error\'s, whatever the request was meant to get', () => {
    for (const kind of ['negative', 'positive', 'auth', 'missing-header', 'unsupported-method'] as const) {
      const crashed = exchange('watchr', { status: 500, text: '{"detail":"Internal Server Error"}' }, { kind, allowedMethods: ['POST'] });
      expect({ kind, failing: failingChecks(crashed) }).toEqual({ kind, failing: ['not_a_server_error'] });
    }
  });

  test("an answer to an undeclared method is the operation's to describe only when it is the 405", () => {
    const answered = exchange('watchr', { status: 200, text: '{"unexpected":true}' }, { kind: 'unsupported-method', allowedMethods: ['POST'] });
    expect(failingChecks(answered)).toEqual(['unsupported_method']);
  });

  test('invalid input accepted fails negative_data_rejection; rejected in any 4xx it passes (the body is the schema check\'s)', () => {
    const accepted = exchange('almanac', { status: 200, text: '{"access_token":"a","refresh_token":"r","organization_id":null}' }, { kind: 'negative' });
    expect(failingChecks(accepted)).toEqual(['negative_data_rejection']);
    const rejected = exchange('almanac', { status: 401, text: '{"detail":"Invalid refresh token"}' }, { kind: 'negative' });
    expect(failingChecks(rejected)).toEqual([]);
  });

  test('a required header left out must be rejected', () => {
    expect(failingChecks(exchange('watchr', { status: 200, text: '{"access_token":"a","token_type":"bearer"}', setCookies: [COOKIE] }, { kind: 'missing-header' }))).toEqual([
      'missing_required_header',
    ]);
  });
});
