import { decodedPath, isJsonContentType } from '../../src/app/request-input';
import { envelopeDialect, ENVELOPE_CODES } from '../../src/dialects/envelope';
import { fastapiDialect } from '../../src/dialects/fastapi';
import { pathstackDialect } from '../../src/dialects/pathstack';
import type { ValidationProblem } from '../../src/dialects/dialect';
import { TokenError } from '../../src/tokens/errors';

const context = { correlationId: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b', debug: false };
const missing: ValidationProblem = { type: 'missing', loc: ['body', 'refresh_token'], msg: 'Field required', input: {} };
const extra: ValidationProblem = { type: 'extra_forbidden', loc: ['body', 'x'], msg: 'Extra inputs are not permitted', input: 1 };

describe('fastapi dialect', () => {
  it('lists every problem in Pydantic key order, ctx only when present', () => {
    const reply = fastapiDialect.validationFailed(
      [missing, { type: 'json_invalid', loc: ['body', 3], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }],
      context,
    );
    expect(reply.status).toBe(422);
    expect(JSON.stringify(reply.body)).toBe(
      '{"detail":[{"type":"missing","loc":["body","refresh_token"],"msg":"Field required","input":{}},' +
        '{"type":"json_invalid","loc":["body",3],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}',
    );
  });
  it("answers Starlette's bodies for routing and HTTPBearer's for missing credentials", () => {
    expect(fastapiDialect.routeNotFound(context)).toEqual({ status: 404, body: { detail: 'Not Found' } });
    expect(fastapiDialect.methodNotAllowed(['POST'], context)).toEqual({ status: 405, body: { detail: 'Method Not Allowed' }, headers: { allow: 'POST' } });
    expect(fastapiDialect.notAuthenticated(context)).toEqual({ status: 401, body: { detail: 'Not authenticated' }, headers: { 'www-authenticate': 'Bearer' } });
    expect(fastapiDialect.undecodableBody(context)).toEqual({ status: 400, body: { detail: 'There was an error parsing the body' } });
  });
  it('renders a domain error as {"detail": <public message>} with its status, never the internal detail', () => {
    const reply = fastapiDialect.domainError(new TokenError('token_reused', 'session s1 revoked after reuse of jti j1'), context);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Refresh token was already used; the session has been revoked' });
    expect(JSON.stringify(reply)).not.toContain('j1');
  });
});

describe('pathstack dialect', () => {
  it('carries only the first problem, with FastAPI type, loc and msg', () => {
    expect(pathstackDialect.validationFailed([missing, extra], context)).toEqual({
      status: 422,
      body: { error: { code: 422, message: 'Field required', loc: ['body', 'refresh_token'], msg: 'Field required', type: 'missing' } },
    });
  });
  it('says "Invalid Refresh Token" for every 401, whatever the reason', () => {
    expect(pathstackDialect.domainError(new TokenError('subject_mismatch'), context).body).toEqual({ error: { code: 401, message: 'Invalid Refresh Token' } });
    expect(pathstackDialect.domainError(new TokenError('token_expired'), context).body).toEqual({ error: { code: 401, message: 'Invalid Refresh Token' } });
  });
});

describe('envelope dialect', () => {
  it('wraps an error with a stable code, the correlation id in body and header, and error null outside debug', () => {
    const reply = envelopeDialect.domainError(new TokenError('token_expired', 'exp passed'), context);
    expect(reply).toEqual({
      status: 401,
      body: { data: null, code: ENVELOPE_CODES.token_expired, msg: 'Token has expired', error: null, correlation_id: context.correlationId },
      headers: { 'x-correlation-id': context.correlationId },
    });
  });
  it('sends the internal detail only in debug mode', () => {
    const reply = envelopeDialect.domainError(new TokenError('token_expired', 'exp passed'), { ...context, debug: true });
    expect((reply.body as { error: string }).error).toBe('exp passed');
  });
  it('names every failing field in msg', () => {
    const reply = envelopeDialect.validationFailed([missing, extra], context);
    expect(reply.status).toBe(422);
    expect((reply.body as { msg: string; code: number }).msg).toBe('refresh_token: Field required; x: Extra inputs are not permitted');
    expect((reply.body as { code: number }).code).toBe(42200);
  });
  it('never reuses a code for two kinds of error', () => {
    const codes = Object.values(ENVELOPE_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    codes.forEach((code) => expect(code).toBeGreaterThan(0));
  });
});

describe("FastAPI's choice of JSON or raw body by Content-Type", () => {
  // Expectations printed by CPython 3.11's email.message.Message for the same header values;
  // no Content-Type (or an empty one) is not JSON under FastAPI 0.132+'s strict_content_type.
  it.each([
    [undefined, false],
    ['', false],
    ['application/json', true],
    ['Application/JSON; charset=latin-1', true],
    [' application/json', true],
    ['application/vnd.api+json', true],
    ['application/json/x', false],
    ['json', false],
    ['text/json', false],
  ])('%p → JSON: %p', (contentType, json) => {
    expect(isJsonContentType(contentType)).toBe(json);
  });
});

describe('README lists every envelope code', () => {
  it('has a row for each code in ENVELOPE_CODES', () => {
    const readme = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'README.md'), 'utf8') as string;
    for (const code of Object.values(ENVELOPE_CODES)) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});

describe("Starlette's routing path (uvicorn's urllib.parse.unquote)", () => {
  // Expectations printed by CPython 3.11's urllib.parse.unquote for the same raw paths.
  it.each([
    ['/auth/refresh', '/auth/refresh'],
    ['/auth%2Frefresh', '/auth/refresh'],
    ['/%72efresh', '/refresh'],
    ['/refresh%2f', '/refresh/'],
    ['/a%zz%4', '/a%zz%4'],
    ['/%C3%A9', '/é'],
    ['/%ff', '/\ufffd'],
  ])('%p → %p', (raw, decoded) => {
    expect(decodedPath(raw)).toBe(decoded);
  });
});
