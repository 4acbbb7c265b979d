import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { buildMockApp } from '../../src/app/mock-server';
import { ROOT, runCli, startCli, type RunningCli } from '../support/cli';
import { expectConforms } from '../support/harness';

/**
 * `refreshd mock test/fixtures/petstore/petstore.yaml`, as a user runs it: a document refreshd
 * knows nothing about, mocked with request validation, Prefer negotiation and /docs, its
 * errors in Prism's problem+json. Every api response is checked against the served document;
 * every problem against RFC 9457's members.
 */
const FIXTURE = 'test/fixtures/petstore/petstore.yaml';

/** A fetch response in the shape the harness checks (supertest's). */
async function received(res: Response) {
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    text,
    body: text && /json/.test(contentType) ? JSON.parse(text) : undefined,
    contentType: contentType.split(';')[0],
  };
}

const isProblem = new Ajv({ strict: false }).compile({
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: { type: { type: 'string', minLength: 1 }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
});

function expectProblem(res: Awaited<ReturnType<typeof received>>, type: string): void {
  expect(res.contentType).toBe('application/problem+json');
  expect(isProblem(res.body)).toBe(true);
  expect(res.body.status).toBe(res.status);
  expect(res.body.type).toBe(`https://stoplight.io/prism/errors#${type}`);
}

describe('refreshd mock <petstore document>', () => {
  let mock: RunningCli;
  let built: Awaited<ReturnType<typeof buildMockApp>>;
  const call = async (method: string, target: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    received(await fetch(`${mock.url}${target}`, { method, headers: init.headers, body: init.body }));
  const createPet = (body: unknown, headers: Record<string, string> = {}) =>
    call('POST', '/pets', { headers: { authorization: 'Bearer t', 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    [mock, built] = await Promise.all([startCli(['mock', '--port', '0', FIXTURE]), buildMockApp({ documents: [path.join(ROOT, FIXTURE)] })]);
  }, 30_000);
  afterAll(async () => {
    mock.child.kill('SIGTERM');
    expect(await mock.exited).toBe(0);
  });

  it('lists the routes of the document, and only those', () => {
    const listening = mock.records().find((record) => /listening on/.test(record.msg));
    expect(listening?.routes.map((route: string) => route.replace(mock.url, ''))).toEqual(['petstore GET /pets', 'petstore POST /pets', 'petstore GET /pets/{petId}', 'petstore GET /store/inventory']);
  });

  it("answers a valid request with the operation's example", async () => {
    const res = await call('GET', '/pets?limit=2');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { id: 1, name: 'Rex', species: 'dog' },
      { id: 2, name: 'Tom', species: 'cat' },
    ]);
    expectConforms(built, 'get', '/pets', res as never);
    const pet = await call('GET', '/pets/7');
    expect([pet.status, pet.body]).toEqual([200, { id: 1, name: 'Rex', species: 'dog' }]);
    expectConforms(built, 'get', '/pets/{petId}', pet as never);
    const inventory = await call('GET', '/store/inventory');
    expect(inventory.body).toEqual({ dog: 3, cat: 1 });
    expectConforms(built, 'get', '/store/inventory', inventory as never);
  });

  it('answers Prefer code= and example= from the document', async () => {
    const conflict = await createPet({ name: 'Rex', species: 'dog' }, { prefer: 'code=409' });
    expect([conflict.status, conflict.body, conflict.headers['preference-applied']]).toEqual([409, { code: 'pet_exists', message: 'A pet named Rex exists' }, 'code=409']);
    expectConforms(built, 'post', '/pets', conflict as never);
    const tweety = await createPet({ name: 'Tweety', species: 'bird' }, { prefer: 'example=tweety' });
    expect([tweety.status, tweety.body]).toEqual([201, { id: 3, name: 'Tweety', species: 'bird' }]);
    expectConforms(built, 'post', '/pets', tweety as never);
    const undeclared = await call('GET', '/pets?limit=1', { headers: { prefer: 'code=418' } });
    expect(undeclared.status).toBe(404);
    expectProblem(undeclared, 'NOT_FOUND');
  });

  it('answers a request that breaks the document with a 422 problem listing every violation', async () => {
    const res = await createPet({ species: 'fish', extra: 1 });
    expect(res.status).toBe(422);
    expectProblem(res, 'UNPROCESSABLE_ENTITY');
    expect(res.body.validation).toEqual([
      { location: ['body', 'name'], severity: 'Error', code: 'required', message: 'Request body property name: Field required' },
      { location: ['body', 'species'], severity: 'Error', code: 'enum', message: "Request body property species: Input should be 'dog', 'cat' or 'bird'" },
      { location: ['body', 'extra'], severity: 'Error', code: 'additionalProperties', message: 'Request body property extra: Extra inputs are not permitted' },
    ]);
    const badId = await call('GET', '/pets/rex');
    expect(badId.status).toBe(422);
    expect(badId.body.validation).toEqual([{ location: ['path', 'petId'], severity: 'Error', code: 'type', message: 'Request path parameter petId: Input should be a valid integer' }]);
    const noLimit = await call('GET', '/pets');
    expect(noLimit.body.validation).toEqual([{ location: ['query', 'limit'], severity: 'Error', code: 'required', message: 'Request query parameter limit: Field required' }]);
  });

  it('answers missing credentials, another media type, an unknown path and a wrong method with their problems', async () => {
    const anonymous = await call('POST', '/pets', { headers: { 'content-type': 'application/json' }, body: '{"name":"Rex","species":"dog"}' });
    expect([anonymous.status, anonymous.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    expectProblem(anonymous, 'UNAUTHORIZED');
    const text = await call('POST', '/pets', { headers: { authorization: 'Bearer t', 'content-type': 'text/plain' }, body: 'Rex' });
    expect(text.status).toBe(415);
    expectProblem(text, 'INVALID_CONTENT_TYPE');
    const unknown = await call('GET', '/owners');
    expect(unknown.status).toBe(404);
    expectProblem(unknown, 'NO_PATH_MATCHED_ERROR');
    const wrongMethod = await call('DELETE', '/pets');
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, 'GET, POST']);
    expectProblem(wrongMethod, 'NO_METHOD_MATCHED_ERROR');
  });

  it('serves the document at /openapi/petstore.json, this server first under servers, and its page at /docs/petstore', async () => {
    const served = await call('GET', '/openapi/petstore.json');
    const { servers, ...document } = served.body;
    const { servers: published, ...original } = YAML.parse(readFileSync(path.join(ROOT, FIXTURE), 'utf8'));
    // The one operation without an operationId is named from its method and path.
    original.paths['/store/inventory'].get.operationId = 'get_store_inventory';
    expect(document).toEqual(original);
    expect(servers).toEqual([{ url: '/', description: 'This refreshd server' }, ...published]);
    const page = await call('GET', '/docs/petstore');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/openapi/petstore.json');
    const index = await call('GET', '/docs');
    expect(index.text).toContain('Petstore (a refreshd test fixture)');
  });
});

describe('refreshd mock refuses documents it cannot serve, in one line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-mock-cli-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
    return path.join(dir, file);
  };

  it.each([
    ['a missing file', () => ['no-such.yaml'], 'refreshd mock: no such file: no-such.yaml'],
    ['a Swagger 2.0 document', () => [write('old.json', '{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{}}')], `refreshd mock: cannot load ${dir}/old.json: a Swagger 2.0 document: only OpenAPI 3.0.x and 3.1.x are served (convert it first)`],
    ['YAML that is not OpenAPI', () => [write('notes.yaml', 'notes: [a, b]\n')], `refreshd mock: cannot load ${dir}/notes.yaml: not an OpenAPI document (no "openapi" field)`],
    ['two files with one base name', () => [FIXTURE, write('copy/petstore.json', '{}')], `refreshd mock: two documents would both be the api "petstore": ${FIXTURE} and ${dir}/copy/petstore.json (rename one)`],
  ])('%s', (_name, files, line) => {
    const result = runCli(['mock', '--port', '0', ...files()]);
    expect({ status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({ status: 1, stderr: `${line}\n`, stdout: '' });
  });

  it('an invalid document: its meta-schema findings on the same line', () => {
    const file = write('broken.yaml', 'openapi: 3.1.0\ninfo: {title: t}\npaths: {}\n');
    const result = runCli(['mock', '--port', '0', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^refreshd mock: cannot load ${dir}/broken\\.yaml: not a valid OpenAPI 3\\.1\\.0 document: /info must have required property 'version'.*\\n$`));
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('--apis with documents', () => {
    const result = runCli(['mock', '--apis', 'watchr', FIXTURE]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: --apis names refreshd's apis; it cannot be combined with documents to mock\n/);
  });
});
