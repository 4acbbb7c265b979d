import type { OpenAPIV3, OpenAPIV3_1 } from 'openapi-types';
import { dereferenceDocument } from '../../src/schema/deref';
import { buildMockResponders, isMockFailure, mockResponse, MockResult, MockSuccess, OpenApiOperation } from '../../src/mock/respond';
import { parsePrefer } from '../../src/mock/prefer';
import { allCases, DocValidator, loadRaw, loadSpec, pointerOf, SPEC_NAMES } from './helpers';

function success(r: MockResult): MockSuccess {
  if (isMockFailure(r)) throw new Error(`expected a success, got ${r.error}: ${r.message}`);
  return r;
}

describe('the five documents', () => {
  it.each(SPEC_NAMES)('%s: no preference → lowest 2xx, body valid', (name) => {
    const spec = loadSpec(name);
    for (const [p, item] of Object.entries<any>(spec.doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const r = success(mockResponse(op, {}));
        expect(r.status).toBe(200);
        expect(r.contentType).toBe('application/json');
        const pointer = pointerOf('paths', p, method, 'responses', '200', 'content', 'application/json', 'schema');
        expect(spec.validator.errors(pointer, r.body)).toBeNull();
      }
    }
  });

  it.each(allCases().map((c) => [`${c.spec} ${c.method} ${c.path} ${c.status}`, c] as const))('%s: code=N, static and dynamic', (_l, c) => {
    const spec = loadSpec(c.spec);
    const code = Number(c.status);
    const r = success(mockResponse(c.operation, { code }));
    expect(r.status).toBe(code);
    expect(r.responseKey).toBe(c.status);
    if (c.media.example === undefined) {
      expect(r.source).toBe('schema');
      expect(spec.validator.errors(c.pointer, r.body)).toBeNull();
    }
    for (const seed of [1, 2, 3, 99, 123456]) {
      const d = success(mockResponse(c.operation, { code, dynamic: true, seed }));
      expect(d.source).toBe('dynamic');
      expect(d.seed).toBe(seed);
      expect(spec.validator.errors(c.pointer, d.body)).toBeNull();
      expect(success(mockResponse(c.operation, { code, dynamic: true, seed })).body).toEqual(d.body);
    }
  });

  it('session 200 answers its `example` verbatim', () => {
    const raw = loadRaw('session');
    const { doc } = loadSpec('session');
    const op = doc.paths['/session/token/refresh'].post;
    const expected = raw.paths['/session/token/refresh'].post.responses['200'].content['application/json'].example;
    for (const prefer of [{}, { code: 200 }, { dynamic: false }]) {
      const r = success(mockResponse(op, prefer));
      expect(r.status).toBe(200);
      expect(r.source).toBe('example');
      expect(r.body).toStrictEqual(expected);
      expect(JSON.stringify(r.body)).toBe(JSON.stringify(expected)); // same keys, same order
    }
    // The singular example is also reachable as example=default (Prism names it "default").
    expect(success(mockResponse(op, { example: 'default' })).body).toStrictEqual(expected);
    // dynamic=true generates from the schema instead.
    const d = success(mockResponse(op, { dynamic: true, seed: 4 }));
    expect(d.body).not.toEqual(expected);
    expect(loadSpec('session').validator.errors(pointerOf('paths', '/session/token/refresh', 'post', 'responses', '200', 'content', 'application/json', 'schema'), d.body)).toBeNull();
  });

  it('code not declared → status_not_declared (404 suggested)', () => {
    const { doc } = loadSpec('watchr');
    const r = mockResponse(doc.paths['/auth/refresh'].post, { code: 418 });
    expect(isMockFailure(r) && r.error).toBe('status_not_declared');
    expect(isMockFailure(r) && r.httpStatus).toBe(404);
    expect(isMockFailure(r) && r.message).toMatch(/418/);
  });

  it('unknown example name → example_not_found', () => {
    const { doc } = loadSpec('galileo');
    const r = mockResponse(doc.paths['/v1/refresh_token'].post, { example: 'nope' });
    expect(isMockFailure(r) && r.error).toBe('example_not_found');
    expect(isMockFailure(r) && r.httpStatus).toBe(404);
  });

  it('buildMockResponders: every operation, no start-up problems, cached static bodies are cloned', () => {
    for (const name of SPEC_NAMES) {
      const { doc } = loadSpec(name);
      const responders = buildMockResponders(doc);
      expect(responders.problems()).toEqual([]);
      expect(responders.operations.length).toBe(Object.keys(doc.paths).length);
      for (const m of responders.operations) {
        expect(responders.get(m.method!.toUpperCase(), m.path!)).toBe(m);
        if (m.operationId) expect(responders.byOperationId(m.operationId)).toBe(m);
        const a = success(m.respond());
        const before = JSON.stringify(a.body);
        (a.body as any).mutated = true;
        const b = success(m.respond());
        expect(JSON.stringify(b.body)).toBe(before);
        expect(success(m.respond({ dynamic: true, seed: 8 })).body).toEqual(success(mockResponse(m.operation, { dynamic: true, seed: 8 })).body);
      }
    }
  });
});

describe('an overlay-style document (generic behaviour)', () => {
  // Simulates the lead's overlay: error responses added to the session doc, one of
  // them using the self-referencing Response schema.
  const raw = structuredClone(loadRaw('session'));
  const op = raw.paths['/session/token/refresh'].post;
  op.responses['401'] = {
    description: 'Unauthorized',
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Response' },
        examples: {
          expired: { summary: 'expired', value: { data: '', code: 40101, msg: 'token expired' } },
          revoked: { value: { data: '', code: 40102, msg: 'token revoked' } },
        },
      },
    },
  };
  op.responses['500'] = { description: 'Boom', content: { 'application/json': { schema: { $ref: '#/components/schemas/Response' } } } };
  op.responses.default = {
    description: 'Problem',
    headers: { 'X-Request-Id': { schema: { type: 'string', format: 'uuid' } }, 'Retry-After': { schema: { type: 'integer', minimum: 1 }, example: 30 } },
    content: { 'application/problem+json': { schema: { type: 'object', properties: { title: { type: 'string' }, status: { type: 'integer' } }, required: ['title', 'status'] } } },
  };
  const doc = dereferenceDocument(raw);
  const dop = doc.paths['/session/token/refresh'].post;
  const validator = new DocValidator(raw);
  const ptr = (code: string, mt = 'application/json') => pointerOf('paths', '/session/token/refresh', 'post', 'responses', code, 'content', mt, 'schema');

  it('example=name picks the named example; without it the first examples entry', () => {
    expect(success(mockResponse(dop, { code: 401, example: 'revoked' }))).toMatchObject({ status: 401, exampleName: 'revoked', body: { code: 40102 }, source: 'examples' });
    expect(success(mockResponse(dop, { code: 401 }))).toMatchObject({ status: 401, exampleName: 'expired', body: { code: 40101 } });
    const missing = mockResponse(dop, { code: 401, example: 'nope' });
    expect(isMockFailure(missing) && missing.message).toMatch(/expired, revoked/);
  });

  it('the cyclic Response schema samples validly (static and dynamic)', () => {
    const r = success(mockResponse(dop, { code: 500 }));
    expect(validator.errors(ptr('500'), r.body)).toBeNull();
    for (let seed = 0; seed < 30; seed++) {
      const d = success(mockResponse(dop, { code: 500, dynamic: true, seed }));
      expect(validator.errors(ptr('500'), d.body)).toBeNull();
    }
  });

  it('an undeclared code falls back to `default` with that status (Prism)', () => {
    const r = success(mockResponse(dop, { code: 503 }));
    expect(r).toMatchObject({ status: 503, responseKey: 'default', contentType: 'application/problem+json' });
    expect(validator.errors(ptr('default', 'application/problem+json'), r.body)).toBeNull();
    expect(r.headers['Retry-After']).toBe('30');
    expect(r.headers['X-Request-Id']).toMatch(/^[0-9a-f-]{36}$/);
    const d = success(mockResponse(dop, { code: 503, dynamic: true, seed: 1 }));
    expect(Number(d.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('no start-up problems', () => {
    expect(buildMockResponders(doc).problems()).toEqual([]);
  });
});

describe('negotiation rules on synthetic operations', () => {
  const op = (responses: Record<string, unknown>, extra: Partial<OpenApiOperation> = {}): OpenApiOperation => ({ responses, ...extra });
  const json = (schema: unknown, more: object = {}) => ({ description: '', content: { 'application/json': { schema, ...more } } });

  it('lowest 2xx wins, then 2XX, then default (as 200)', () => {
    expect(success(mockResponse(op({ '204': { description: '' }, '201': json({ type: 'integer' }), '400': json({}) }), {}))).toMatchObject({ status: 201, body: 0 });
    expect(success(mockResponse(op({ '2XX': json({ type: 'boolean' }), default: json({ type: 'string' }) }), {}))).toMatchObject({ status: 200, responseKey: '2XX', body: true });
    expect(success(mockResponse(op({ default: json({ type: 'string' }), '404': json({}) }), {}))).toMatchObject({ status: 200, responseKey: 'default', body: 'string' });
    const none = mockResponse(op({ '404': json({}) }), {});
    expect(isMockFailure(none) && none.error).toBe('no_success_response');
  });

  it('code=N: exact, then NXX range, then default', () => {
    const o = op({ '200': json({ const: 'ok' }), '4XX': json({ const: 'client' }), default: json({ const: 'other' }) });
    expect(success(mockResponse(o, { code: 200 }))).toMatchObject({ status: 200, body: 'ok' });
    expect(success(mockResponse(o, { code: 409 }))).toMatchObject({ status: 409, body: 'client', responseKey: '4XX' });
    expect(success(mockResponse(o, { code: 502 }))).toMatchObject({ status: 502, body: 'other', responseKey: 'default' });
  });

  it('responses without content: empty body', () => {
    const r = success(mockResponse(op({ '204': { description: 'No Content' } }), { dynamic: true }));
    expect(r).toMatchObject({ status: 204, contentType: '', body: undefined, source: 'empty' });
  });

  it('prefers application/json, honours Accept, 406 when nothing matches', () => {
    const o = op({
      '200': {
        description: '',
        content: {
          'text/plain': { schema: { type: 'string' }, example: 'plain' },
          'application/json; charset=utf-8': { schema: { type: 'object', properties: { a: { type: 'integer' } } } },
        },
      },
    });
    expect(success(mockResponse(o, {}))).toMatchObject({ contentType: 'application/json; charset=utf-8', body: { a: 0 } });
    expect(success(mockResponse(o, {}, { accept: 'text/*' }))).toMatchObject({ contentType: 'text/plain', body: 'plain' });
    expect(success(mockResponse(o, {}, { accept: 'text/plain;q=0.5, application/json' }))).toMatchObject({ body: { a: 0 } });
    expect(success(mockResponse(o, {}, { accept: '*/*' }))).toMatchObject({ contentType: 'text/plain' });
    const r = mockResponse(o, {}, { accept: 'application/xml' });
    expect(isMockFailure(r) && r.error).toBe('not_acceptable');
    expect(isMockFailure(r) && r.httpStatus).toBe(406);
  });

  it('problem+json is chosen over non-JSON when there is no application/json', () => {
    const o = op({ '200': { description: '', content: { 'text/html': { example: '<p/>' }, 'application/problem+json': { example: { t: 1 } } } } });
    expect(success(mockResponse(o, {}))).toMatchObject({ contentType: 'application/problem+json', body: { t: 1 } });
  });

  it('example precedence: example=name beats dynamic; example beats examples beats schema', () => {
    const o = op({
      '200': json(
        { type: 'object', properties: { n: { type: 'integer' } } },
        { example: { n: 1 }, examples: { two: { value: { n: 2 } }, ext: { externalValue: 'https://example.com/x.json' } } },
      ),
    });
    expect(success(mockResponse(o, {}))).toMatchObject({ body: { n: 1 }, source: 'example' });
    expect(success(mockResponse(o, { example: 'two', dynamic: true }))).toMatchObject({ body: { n: 2 }, exampleName: 'two' });
    // externalValue-only example → schema sample (Prism falls back to the schema)
    expect(success(mockResponse(o, { example: 'ext' }))).toMatchObject({ body: { n: 0 }, exampleName: 'ext', source: 'schema' });
    expect(success(mockResponse(o, { dynamic: true, seed: 3 })).source).toBe('dynamic');
  });

  it('dynamic=true without a seed picks one and reports it for replay', () => {
    const o = op({ '200': json({ type: 'object', properties: { id: { type: 'string', format: 'uuid' }, n: { type: 'integer' } }, required: ['id', 'n'] }) });
    const r = success(mockResponse(o, { dynamic: true }));
    expect(typeof r.seed).toBe('number');
    expect(success(mockResponse(o, { dynamic: true, seed: r.seed })).body).toEqual(r.body);
  });

  it('dynamic without a schema → no_schema; unsatisfiable schema → generation_failed', () => {
    const a = mockResponse(op({ '200': { description: '', content: { 'application/json': { example: 1 } } } }), { dynamic: true });
    expect(isMockFailure(a) && a.error).toBe('no_schema');
    const b = mockResponse(op({ '200': json({ type: 'string', minLength: 3, maxLength: 1 }) }), {});
    expect(isMockFailure(b) && b.error).toBe('generation_failed');
    expect(isMockFailure(b) && b.httpStatus).toBe(500);
    const responders = buildMockResponders({ paths: { '/x': { get: op({ '200': json({ type: 'string', minLength: 3, maxLength: 1 }) }) } } });
    expect(responders.problems()).toEqual([expect.objectContaining({ method: 'get', path: '/x', responseKey: '200', mediaType: 'application/json' })]);
  });

  it('writeOnly properties are left out of response bodies', () => {
    const o = op({ '200': json({ type: 'object', properties: { password: { type: 'string', writeOnly: true }, name: { type: 'string' } } }) });
    expect(success(mockResponse(o, {})).body).toEqual({ name: 'string' });
  });

  it('a header whose schema the sampler cannot satisfy (one pattern per attribute) sends its example, dynamic or not', () => {
    const cookie = 'refresh_token=t; HttpOnly; Path=/r';
    const headers = { 'Set-Cookie': { required: true, example: cookie, schema: { type: 'string', allOf: [{ pattern: '^refresh_token=' }, { pattern: ';\\s*HttpOnly' }, { pattern: ';\\s*Path=/r' }] } } };
    const operation = op({ '200': { ...json({ type: 'integer' }), headers } });
    expect(success(mockResponse(operation, {})).headers).toEqual({ 'Set-Cookie': cookie });
    expect(success(mockResponse(operation, { dynamic: true, seed: 3 })).headers).toEqual({ 'Set-Cookie': cookie });
  });

  it('deprecated operations carry a Deprecation header (Prism)', () => {
    expect(success(mockResponse(op({ '200': json({ type: 'integer' }) }, { deprecated: true }), {})).headers).toEqual({ Deprecation: 'true' });
  });

  it('accepts openapi-types operation objects (type-level compatibility)', () => {
    const v3: OpenAPIV3.OperationObject = { responses: { '200': { description: '', content: { 'application/json': { schema: { type: 'string' } } } } } };
    const v31: OpenAPIV3_1.OperationObject = { responses: { '200': { description: '', content: { 'application/json': { schema: { type: ['string', 'null'] } } } } } };
    expect(success(mockResponse(v3, {})).body).toBe('string');
    expect(success(mockResponse(v31, {})).body).toBe('string');
  });

  it('end to end with parsePrefer', () => {
    const o = op({ '200': json({ type: 'integer' }), '422': json({ type: 'string' }) });
    const p = parsePrefer('code=422; dynamic=false');
    expect(p.ok && success(mockResponse(o, p.prefer))).toMatchObject({ status: 422, body: 'string' });
  });
});
