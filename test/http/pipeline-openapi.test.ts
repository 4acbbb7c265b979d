import type { RequestListener } from 'node:http';
import path from 'node:path';
import pino from 'pino';
import request, { type Response } from 'supertest';
import { Pipeline, type Responder } from '../../src/app/pipeline';
import { findResponseSpec, validateReply, type ResponseViolation } from '../../src/app/response-validation';
import type { Dialect } from '../../src/dialects/dialect';
import { envelopeDialect, ENVELOPE_CODES } from '../../src/dialects/envelope';
import { fastapiDialect } from '../../src/dialects/fastapi';
import { compileApi, type CompiledApi } from '../../src/spec/registry';

/**
 * What the request pipeline serves beyond the five apis' needs, on a made-up OpenAPI 3.1
 * document (test/fixtures/pipeline): path templates, parameter styles, form bodies and each
 * kind of security scheme. The responder echoes what the pipeline handed it.
 */

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'pipeline');

/** The credentials the injected verifiers refuse; any other found credential is accepted. */
const REFUSED = { headerKey: 'revoked-key', queryKey: 'revoked-key', cookieKey: 'revoked-key', basic: 'mallory:wrong', bearer: 'forged-token' };

interface Served {
  api: CompiledApi;
  http: ReturnType<typeof request>;
  pipeline: Pipeline;
  violations: ResponseViolation[];
}

async function serve(dialect: Dialect): Promise<Served> {
  const api = await compileApi({ name: 'pipeline', dialect, formats: 'json-schema', requestProfile: 'strict' }, FIXTURE, path.join(FIXTURE, 'overlays'));
  const echo: Responder = (received) => ({
    status: 200,
    body: { operationId: received.operationId, parameters: received.parameters, body: received.body ?? null, credentials: received.credentials, bearer: received.bearer ?? null },
  });
  const violations: ResponseViolation[] = [];
  const verifiers = new Map(Object.entries(REFUSED).map(([scheme, refused]) => [scheme, (credential: string) => credential !== refused]));
  const pipeline = new Pipeline({
    apis: [api],
    responders: new Map(api.operations.map((operation) => [operation.operationId, echo])),
    logger: pino({ level: 'silent' }),
    maxBodyBytes: 64 * 1024,
    debug: false,
    onResponseViolation: (violation) => violations.push(violation),
    securityVerifiers: new Map([['pipeline', verifiers]]),
  });
  // As src/app/app.ts wires it: the raw path (query dropped) is routed, the rest is a 404.
  const handler: RequestListener = (req, res) => {
    const url = req.url ?? '/';
    const match = pipeline.route(url.split('?')[0]);
    if (match) return void pipeline.handle(req, res, match);
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
  };
  return { api, http: request(handler), pipeline, violations };
}

let envelope: Served;
let fastapi: Served;
beforeAll(async () => {
  envelope = await serve(envelopeDialect);
  fastapi = await serve(fastapiDialect);
});
afterAll(() => {
  expect(envelope.violations).toEqual([]);
  expect(fastapi.violations).toEqual([]);
});

/** The response is one the document declares for `operationId` (status, media type, body, headers). */
function expectConforms(served: Served, operationId: string, res: Response): void {
  const operation = served.api.operations.find((op) => op.operationId === operationId);
  if (!operation) throw new Error(`no operation ${operationId}`);
  expect({ status: res.status, declared: Boolean(findResponseSpec(operation, res.status)) }).toEqual({ status: res.status, declared: true });
  expect(validateReply(operation, { status: res.status, body: res.body, headers: res.headers })).toBeUndefined();
}

const KEY = { 'x-api-key': 'key-123' };
const FORM = 'application/x-www-form-urlencoded';

function refreshUser(target: string, headers: Record<string, string> = KEY) {
  return envelope.http.post(target).set(headers).set('content-type', FORM).send('refresh_token=rt-abcdefgh');
}

async function expectEnvelopeError(operationId: string, res: Response, status: number, code: number, msg?: RegExp): Promise<void> {
  expectConforms(envelope, operationId, res);
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ data: null, code, error: null });
  if (msg) expect(res.body.msg).toMatch(msg);
}

describe('path templates', () => {
  it('routes /users/{user_id}/refresh and hands the handler the path parameter typed by its schema', async () => {
    const res = await refreshUser('/users/42/refresh');
    expectConforms(envelope, 'user_refresh', res);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ operationId: 'user_refresh', parameters: { user_id: 42 } });
  });

  it('an exact path wins over a template that also matches it', async () => {
    const res = await envelope.http.post('/users/me/refresh').set('authorization', 'Bearer token-1');
    expectConforms(envelope, 'me_refresh', res);
    expect(res.body).toMatchObject({ operationId: 'me_refresh', bearer: 'token-1' });
  });

  it('matches segment by segment, each percent-decoded on its own, partial segments too', async () => {
    const res = await envelope.http.get('/users/a%2Fb/devices/ph%6Fne.json');
    expectConforms(envelope, 'user_device', res);
    expect(res.body.parameters).toEqual({ user_id: 'a/b', device: 'phone' });
    expect(envelope.pipeline.route('/users/a/b/devices/phone.json')).toBeUndefined();
    expect(envelope.pipeline.route('/users/42/refresh/more')).toBeUndefined();
  });

  it('validates path parameters: out of bounds, or not the schema type, is a 422 naming path.user_id', async () => {
    await expectEnvelopeError('user_refresh', await refreshUser('/users/0/refresh'), 422, ENVELOPE_CODES.validation_failed, /^path\.user_id: Input should be greater than or equal to 1/);
    await expectEnvelopeError('user_refresh', await refreshUser('/users/abc/refresh'), 422, ENVELOPE_CODES.validation_failed, /^path\.user_id: Input should be a valid integer/);
    await expectEnvelopeError('user_device', await envelope.http.get('/users/7/devices/x.json'), 422, ENVELOPE_CODES.validation_failed, /^path\.device: /);
  });

  it('a method the templated path does not declare gets 405 with Allow', async () => {
    const res = await envelope.http.get('/users/42/refresh');
    await expectEnvelopeError('user_refresh', res, 405, ENVELOPE_CODES.method_not_allowed);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('parameter styles, coerced by schema type', () => {
  it('query form (exploded and not), deepObject, header simple, cookie form', async () => {
    const res = await refreshUser('/users/42/refresh?scope=read&scope=write&ids=1,2,3&filter[min]=1&filter[max]=9&dry_run=true', {
      ...KEY,
      'x-tags': 'blue, green',
      'x-limit': '7',
      cookie: 'prefs=dark,compact',
    });
    expectConforms(envelope, 'user_refresh', res);
    expect(res.body.parameters).toEqual({
      user_id: 42,
      scope: ['read', 'write'],
      ids: [1, 2, 3],
      filter: { min: 1, max: 9 },
      dry_run: true,
      'X-Tags': ['blue', 'green'],
      'X-Limit': 7,
      prefs: ['dark', 'compact'],
    });
  });

  it('a value that is not its schema type is a 422 at its place in the list', async () => {
    await expectEnvelopeError('user_refresh', await refreshUser('/users/42/refresh?ids=1,x'), 422, ENVELOPE_CODES.validation_failed, /^query\.ids\.1: Input should be a valid integer/);
    await expectEnvelopeError('user_refresh', await refreshUser('/users/42/refresh?scope=delete'), 422, ENVELOPE_CODES.validation_failed, /^query\.scope\.0: /);
    await expectEnvelopeError('user_refresh', await refreshUser('/users/42/refresh', { ...KEY, 'x-limit': '500' }), 422, ENVELOPE_CODES.validation_failed, /^header\.X-Limit: /);
  });
});

describe('request bodies by Content-Type', () => {
  it('a form body becomes an object typed per property, repeated names filling arrays', async () => {
    const res = await envelope.http.post('/users/42/refresh').set(KEY).set('content-type', FORM).send('refresh_token=rt-abcdefgh&remember=true&ttl=120&scopes=a&scopes=b');
    expectConforms(envelope, 'user_refresh', res);
    expect(res.body.body).toEqual({ refresh_token: 'rt-abcdefgh', remember: true, ttl: 120, scopes: ['a', 'b'] });
  });

  it('the same operation takes JSON under a JSON Content-Type', async () => {
    const res = await envelope.http.post('/users/42/refresh').set(KEY).set('content-type', 'application/json').send('{"refresh_token":"rt-abcdefgh","ttl":90}');
    expectConforms(envelope, 'user_refresh', res);
    expect(res.body.body).toEqual({ refresh_token: 'rt-abcdefgh', ttl: 90 });
  });

  it('a form is validated with its schema: a missing field, a value not of its type, an undeclared field', async () => {
    const post = (form: string) => envelope.http.post('/users/42/refresh').set(KEY).set('content-type', FORM).send(form);
    await expectEnvelopeError('user_refresh', await post('remember=true'), 422, ENVELOPE_CODES.validation_failed, /^refresh_token: Field required/);
    await expectEnvelopeError('user_refresh', await post('refresh_token=rt-abcdefgh&ttl=soon'), 422, ENVELOPE_CODES.validation_failed, /^ttl: Input should be a valid integer/);
    await expectEnvelopeError('user_refresh', await post('refresh_token=rt-abcdefgh&admin=1'), 422, ENVELOPE_CODES.validation_failed, /^admin: Extra inputs are not permitted/);
  });

  it('a Content-Type the operation does not declare, or none, gets 415 naming the declared ones', async () => {
    for (const contentType of ['text/plain', 'multipart/form-data; boundary=x', undefined]) {
      const pending = envelope.http.post('/users/42/refresh').set(KEY);
      const res = await (contentType ? pending.set('content-type', contentType) : pending).send(Buffer.from('refresh_token=rt-abcdefgh'));
      await expectEnvelopeError('user_refresh', res, 415, ENVELOPE_CODES.unsupported_media_type, /^Request body must be application\/x-www-form-urlencoded or application\/json$/);
    }
  });
});

describe('security schemes', () => {
  const cases: Array<{ scheme: keyof typeof REFUSED; operationId: string; send: (credential: string) => request.Test; credential: string; found?: string; challenge: string }> = [
    { scheme: 'headerKey', operationId: 'user_refresh', credential: 'key-123', challenge: 'APIKey', send: (key) => refreshUser('/users/42/refresh', { 'x-api-key': key }) },
    { scheme: 'queryKey', operationId: 'query_key', credential: 'key-123', challenge: 'APIKey', send: (key) => envelope.http.get(`/keys/query?api_key=${key}`) },
    { scheme: 'cookieKey', operationId: 'cookie_key', credential: 'key-123', challenge: 'APIKey', send: (key) => envelope.http.get('/keys/cookie').set('cookie', `session_key=${key}`) },
    {
      scheme: 'basic',
      operationId: 'basic_auth',
      credential: 'alice:secret',
      challenge: 'Basic',
      send: (pair) => envelope.http.get('/basic').set('authorization', `Basic ${Buffer.from(pair).toString('base64')}`),
    },
    { scheme: 'bearer', operationId: 'me_refresh', credential: 'token-1', challenge: 'Bearer', send: (token) => envelope.http.post('/users/me/refresh').set('authorization', `Bearer ${token}`) },
  ];
  const withoutCredential: Record<string, (served: Served) => request.Test> = {
    headerKey: (served) => served.http.post('/users/42/refresh').set('content-type', FORM).send('refresh_token=rt-abcdefgh'),
    queryKey: (served) => served.http.get('/keys/query?api_key='),
    cookieKey: (served) => served.http.get('/keys/cookie').set('cookie', 'other=1'),
    basic: (served) => served.http.get('/basic').set('authorization', 'Basic not-base64!'),
    bearer: (served) => served.http.post('/users/me/refresh').set('authorization', 'Basic YTpi'),
  };

  describe.each(cases)('$scheme', ({ scheme, operationId, send, credential, challenge }) => {
    it('a present credential is passed to the handler under the scheme name', async () => {
      const res = await send(credential);
      expectConforms(envelope, operationId, res);
      expect(res.status).toBe(200);
      expect(res.body.credentials).toEqual({ [scheme]: credential });
    });

    it('a missing credential is the dialect notAuthenticated: the envelope 40114, FastAPI with the scheme challenge', async () => {
      await expectEnvelopeError(operationId, await withoutCredential[scheme](envelope), 401, ENVELOPE_CODES.bearer_missing, /^Not authenticated$/);
      const res = await withoutCredential[scheme](fastapi);
      expectConforms(fastapi, operationId, res);
      expect({ status: res.status, body: res.body, challenge: res.headers['www-authenticate'] }).toEqual({ status: 401, body: { detail: 'Not authenticated' }, challenge });
    });

    it('a credential the verifier refuses gets the dialect answer to an invalid bearer', async () => {
      await expectEnvelopeError(operationId, await send(REFUSED[scheme]), 401, ENVELOPE_CODES.bearer_invalid);
    });
  });

  it('an alternative of two schemes is met only when both find their credential; another alternative may meet it alone', async () => {
    const both = await envelope.http.get('/both?api_key=q-1').set('x-api-key', 'h-1');
    expectConforms(envelope, 'both_keys', both);
    expect(both.body.credentials).toEqual({ headerKey: 'h-1', queryKey: 'q-1' });
    await expectEnvelopeError('both_keys', await envelope.http.get('/both').set('x-api-key', 'h-1'), 401, ENVELOPE_CODES.bearer_missing);
    const bearer = await envelope.http.get('/both').set('authorization', 'Bearer token-2');
    expect(bearer.body).toMatchObject({ credentials: { bearer: 'token-2' }, bearer: 'token-2' });
  });

  it('an empty alternative makes the credential optional; one that is sent still reaches the handler', async () => {
    const anonymous = await envelope.http.get('/optional');
    expectConforms(envelope, 'optional_bearer', anonymous);
    expect(anonymous.body).toMatchObject({ credentials: {}, bearer: null });
    const signedIn = await envelope.http.get('/optional').set('authorization', 'Bearer token-3');
    expect(signedIn.body).toMatchObject({ credentials: { bearer: 'token-3' }, bearer: 'token-3' });
  });
});
