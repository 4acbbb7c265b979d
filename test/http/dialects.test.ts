import { expectConforms, useRealHarness } from '../support/harness';

/**
 * Each kind of bad request, per api, asserted on the whole body: what FastAPI + Pydantic v2
 * sends for watchr, galileo and almanac; pathstack's first-error object; session's envelope.
 */
const h = useRealHarness();

const ALMANAC = '/v1/auth/token/refresh';
const bearer = 'Bearer some-access-token';
const VALID_SUB = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

describe('routing (Starlette)', () => {
  it('answers an unknown path with 404 {"detail":"Not Found"}', async () => {
    const res = await h.http.get('/nope');
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"detail":"Not Found"}');
  });
  it.each([
    ['/auth/refresh', '{"detail":"Method Not Allowed"}'],
    ['/refresh', '{"error":{"code":405,"message":"Method Not Allowed"}}'],
  ])('answers a wrong method on %s with 405 and Allow', async (path, body) => {
    const res = await h.http.get(path);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.text).toBe(body);
  });
});

describe('trailing slashes (Starlette redirect_slashes)', () => {
  it('redirects a FastAPI path with a trailing slash with 307 and an empty body', async () => {
    const res = await h.http.post('/v1/refresh_token/?a=1').set('Host', 'api.example');
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe('http://api.example/v1/refresh_token?a=1');
    expect(res.text).toBe('');
  });
  it('does not redirect the session api, which is not FastAPI', async () => {
    const res = await h.http.post('/session/token/refresh/');
    expect(res.status).toBe(404);
  });
});

describe('galileo (FastAPI)', () => {
  it('reports a missing required cookie with loc ["cookie", name] and input null', async () => {
    const res = await h.http.post('/v1/refresh_token');
    expect(res.status).toBe(422);
    expect(res.text).toBe('{"detail":[{"type":"missing","loc":["cookie","refresh_token"],"msg":"Field required","input":null}]}');
    expectConforms(h.built, 'post', '/v1/refresh_token', res);
  });
  it('reads the cookie as Starlette does: the last of repeated names wins', async () => {
    const minted = await h.tokens.mintSession({ api: 'galileo', sub: 'alice' });
    const res = await h.http.post('/v1/refresh_token').set('Cookie', `refresh_token=garbage; refresh_token=${minted.refreshToken}`);
    expect(res.status).toBe(200);
  });
});

describe('watchr (FastAPI)', () => {
  it('treats the optional cookie being absent as a bad credential (401), not a validation error', async () => {
    const res = await h.http.post('/auth/refresh');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: expect.any(String) });
    expectConforms(h.built, 'post', '/auth/refresh', res);
  });
});

describe('almanac (FastAPI, bearer security)', () => {
  const post = () => h.http.post(ALMANAC);

  it.each([
    ['no Authorization', undefined],
    ['a non-Bearer scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without credentials', 'Bearer'],
  ])('answers 401 Not authenticated with WWW-Authenticate: Bearer for %s', async (_name, authorization) => {
    const req = post().send({ refresh_token: 'x' });
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.status).toBe(401);
    expect(res.text).toBe('{"detail":"Not authenticated"}');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expectConforms(h.built, 'post', ALMANAC, res);
  });

  it('reports malformed JSON before the bearer check, with the character offset', async () => {
    const res = await post().set('Content-Type', 'application/json').send('{"refresh_token": }');
    expect(res.status).toBe(422);
    expect(res.text).toBe(
      '{"detail":[{"type":"json_invalid","loc":["body",18],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}',
    );
    expectConforms(h.built, 'post', ALMANAC, res);
  });

  it('reports other validation errors only after the bearer check', async () => {
    const res = await post().send({});
    expect(res.status).toBe(401);
  });

  it.each([
    ['a missing field (input is the whole body)', { organization_id: null }, [{ type: 'missing', loc: ['body', 'refresh_token'], msg: 'Field required', input: { organization_id: null } }]],
    ['a wrong type', { refresh_token: 1 }, [{ type: 'string_type', loc: ['body', 'refresh_token'], msg: 'Input should be a valid string', input: 1 }]],
    ['a wrong type in a nullable field', { refresh_token: 'x', organization_id: 5 }, [{ type: 'string_type', loc: ['body', 'organization_id'], msg: 'Input should be a valid string', input: 5 }]],
    ['an extra field', { refresh_token: 'x', extra: [1] }, [{ type: 'extra_forbidden', loc: ['body', 'extra'], msg: 'Extra inputs are not permitted', input: [1] }]],
    ['every error at once, fields in order then extras', { organization_id: 5, zzz: true },
      [
        { type: 'string_type', loc: ['body', 'organization_id'], msg: 'Input should be a valid string', input: 5 },
        { type: 'missing', loc: ['body', 'refresh_token'], msg: 'Field required', input: { organization_id: 5, zzz: true } },
        { type: 'extra_forbidden', loc: ['body', 'zzz'], msg: 'Extra inputs are not permitted', input: true },
      ]],
    ['a body that is not an object', [], [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: [] }]],
    ['a JSON string body', 'hello', [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: 'hello' }]],
  ])('reports %s', async (_name, body, detail) => {
    const res = await post().set('Authorization', bearer).set('Content-Type', 'application/json').send(JSON.stringify(body));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail });
    expectConforms(h.built, 'post', ALMANAC, res);
  });

  it('reports a missing body as loc ["body"] with input null', async () => {
    const res = await post().set('Authorization', bearer);
    expect(res.status).toBe(422);
    expect(res.text).toBe('{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}');
  });

  it('validates a non-JSON content type as raw bytes, echoing them as text', async () => {
    const res = await post().set('Authorization', bearer).set('Content-Type', 'text/plain').send('{"refresh_token":"x"}');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: '{"refresh_token":"x"}' }],
    });
  });

  it('answers 400 when the body bytes are not decodable', async () => {
    const res = await post().set('Authorization', bearer).set('Content-Type', 'application/json')
      // Raw bytes: superagent would otherwise JSON-encode a Buffer.
      .serialize((bytes: unknown) => bytes as string)
      .send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(res.status).toBe(400);
    expect(res.text).toBe('{"detail":"There was an error parsing the body"}');
    expectConforms(h.built, 'post', ALMANAC, res);
  });

  it('answers 413 in the dialect for a body over the limit', async () => {
    const res = await post().set('Authorization', bearer).set('Content-Type', 'application/json').send(`{"refresh_token":"${'a'.repeat(70_000)}"}`);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: 'Request Entity Too Large' });
    expectConforms(h.built, 'post', ALMANAC, res);
  });
});

describe('pathstack (first error, FastAPI wording)', () => {
  const post = () => h.http.post('/refresh');
  it('reports only the first error', async () => {
    const res = await post().send({});
    expect(res.status).toBe(422);
    expect(res.text).toBe('{"error":{"code":422,"message":"Field required","loc":["body","sub"],"msg":"Field required","type":"missing"}}');
    expectConforms(h.built, 'post', '/refresh', res);
  });
  it('reports a sub that is not a UUID with Pydantic\'s uuid_parsing', async () => {
    const res = await post().send({ sub: 'not-a-uuid', refresh_token: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 422, loc: ['body', 'sub'], type: 'uuid_parsing' });
    expect(res.body.error.msg).toMatch(/^Input should be a valid UUID, /);
    expectConforms(h.built, 'post', '/refresh', res);
  });
  it('reports a UUID of another version with uuid_version', async () => {
    const res = await post().send({ sub: 'a8098c1a-f86e-11da-bd1a-00112444be1e', refresh_token: 'x' });
    expect(res.body).toEqual({ error: { code: 422, message: 'UUID version 4 expected', loc: ['body', 'sub'], msg: 'UUID version 4 expected', type: 'uuid_version' } });
  });
  it('reports a malformed x-api-version before body errors (header before body)', async () => {
    const res = await post().set('x-api-version', 'yesterday').send({});
    expect(res.status).toBe(422);
    expect(res.body.error.loc).toEqual(['header', 'x-api-version']);
    expect(res.body.error.type).toMatch(/^date_/);
  });
  it('names the supported versions for a well-formed but unsupported x-api-version', async () => {
    const res = await post().set('x-api-version', '2023-01-01').send({ sub: VALID_SUB, refresh_token: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.error.loc).toEqual(['header', 'x-api-version']);
    expect(res.body.error.message).toContain('2024-03-27');
    expectConforms(h.built, 'post', '/refresh', res);
  });
  it('reports malformed JSON as json_invalid with the offset', async () => {
    const res = await post().set('Content-Type', 'application/json').send('{"sub": "x",}');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 422, loc: ['body', expect.any(Number)], msg: 'JSON decode error', type: 'json_invalid' });
  });
});

describe('session (envelope)', () => {
  const post = () => h.http.post('/session/token/refresh');
  const envelope = (res: { body: any; headers: any }, status: number, code: number) => {
    expect(res.body).toEqual({ data: null, code, msg: expect.any(String), error: null, correlation_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(res.headers['x-correlation-id']).toBe(res.body.correlation_id);
  };
  it('reports a schema violation as 422 with code 42200 naming the field', async () => {
    const res = await post().send({ refresh_token: 5 });
    expect(res.status).toBe(422);
    envelope(res, 422, 42200);
    expect(res.body.msg).toBe('refresh_token: Input should be a valid string');
    expectConforms(h.built, 'post', '/session/token/refresh', res);
  });
  it('answers malformed JSON with 400 code 40000', async () => {
    const res = await post().set('Content-Type', 'application/json').send('{');
    expect(res.status).toBe(400);
    envelope(res, 400, 40000);
    expectConforms(h.built, 'post', '/session/token/refresh', res);
  });
  it('answers a non-JSON content type with 415 code 41500', async () => {
    const res = await post().set('Content-Type', 'text/plain').send('refresh_token=x');
    expect(res.status).toBe(415);
    envelope(res, 415, 41500);
    expectConforms(h.built, 'post', '/session/token/refresh', res);
  });
  it('answers a wrong method with the envelope too', async () => {
    const res = await h.http.get('/session/token/refresh');
    expect(res.status).toBe(405);
    envelope(res, 405, 40500);
  });
});
