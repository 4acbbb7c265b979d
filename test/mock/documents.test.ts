import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { buildMockApp } from '../../src/app/mock-server';
import type { ResponseViolation } from '../../src/app/response-validation';
import { nameOperations, operationIdFor } from '../../src/spec/operation-ids';
import { expectConforms } from '../support/harness';

/**
 * `buildMockApp({ documents })`: any OpenAPI document mocked in-process, the way
 * `refreshd mock <file>` serves it (test/e2e/mock-documents.test.ts runs the CLI itself).
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-mock-documents-'));

function writeDocument(file: string, document: unknown): string {
  const target = path.join(dir, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, file.endsWith('.json') ? JSON.stringify(document) : YAML.stringify(document));
  return target;
}

const NOTE = { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1 } } };

/** A 3.0 document with no operationIds, a declared 422 (problem+json) and a declared 401. */
const NOTES = {
  openapi: '3.0.3',
  info: { title: 'Notes', version: '1' },
  paths: {
    '/notes': {
      get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: NOTE }, example: [{ text: 'hi' }] } } } } },
      post: {
        security: [{ bearer: [] }],
        requestBody: { required: true, content: { 'application/json': { schema: NOTE } } },
        responses: {
          '201': { description: 'made', content: { 'application/json': { schema: NOTE, example: { text: 'hi' } } } },
          '401': { description: 'who', content: { 'application/json': { schema: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }, example: { message: 'log in' } } } },
          '422': {
            description: 'bad',
            content: { 'application/problem+json': { schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } }, example: { title: 'The note is not valid' } } },
          },
        },
      },
    },
    '/notes/archive': { post: { responses: { '204': { description: 'done' } } } },
  },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
};

describe('a document mocked from a file', () => {
  const violations: ResponseViolation[] = [];
  let http: ReturnType<typeof request>;
  let built: Awaited<ReturnType<typeof buildMockApp>>;
  beforeAll(async () => {
    built = await buildMockApp({ documents: [writeDocument('notes.json', NOTES)], onResponseViolation: (v) => violations.push(v) });
    http = request(built.handler);
  });
  afterEach(() => expect(violations).toEqual([]));

  it('is the api named by its file, each operation named from its method and path when the document names none', async () => {
    expect(built.apis.map((api) => api.name)).toEqual(['notes']);
    expect(built.apis[0].operations.map((op) => op.operationId)).toEqual(['get_notes', 'post_notes', 'post_notes_archive']);
    const served = await http.get('/openapi/notes.json');
    expect(served.body.paths['/notes'].get.operationId).toBe('get_notes');
  });

  it("answers a request that breaks the document with the operation's own declared response, as Prism does", async () => {
    const invalid = await http.post('/notes').set('Authorization', 'Bearer t').send({ text: '' });
    expect(invalid.status).toBe(422);
    expect(invalid.headers['content-type']).toBe('application/problem+json');
    expect(invalid.body).toEqual({ title: 'The note is not valid' });
    expectConforms(built, 'post', '/notes', invalid);

    const anonymous = await http.post('/notes').send({ text: 'hi' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ message: 'log in' });
    expectConforms(built, 'post', '/notes', anonymous);
  });

  it("answers in Prism's own problem where the operation declares nothing for it", async () => {
    const res = await http.post('/notes/archive').set('Content-Type', 'text/plain').send('x');
    expect(res.status).toBe(204);
    const notFound = await http.get('/notes/nope');
    expect(notFound.status).toBe(404);
    expect(notFound.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(notFound.body.type).toBe('https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR');
    const wrongMethod = await http.delete('/notes');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.type).toBe('https://stoplight.io/prism/errors#NO_METHOD_MATCHED_ERROR');
  });
});

describe('the answers the mock keeps ready', () => {
  it('refuses an example that breaks its own schema on every request, not only the first', async () => {
    const broken = { ...NOTES, paths: { '/notes': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: NOTE, example: { text: '' } } } } } } } } };
    const violations: ResponseViolation[] = [];
    const built = await buildMockApp({ documents: [writeDocument('broken.json', broken)], onResponseViolation: (v) => violations.push(v) });
    const http = request(built.handler);
    for (let i = 0; i < 3; i++) {
      const res = await http.get('/notes');
      expect(res.status).toBe(500);
    }
    expect(violations.map((v) => v.reason)).toEqual(Array(3).fill('body does not match the schema: /text must NOT have fewer than 1 characters'));
  });

  it('draws a dynamic body anew for each request, and answers the same Prefer with the same bytes', async () => {
    const built = await buildMockApp({ documents: [writeDocument('notes-dynamic.json', NOTES)] });
    const http = request(built.handler);
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add(JSON.stringify((await http.get('/notes').set('Prefer', 'dynamic=true')).body));
    expect(bodies.size).toBeGreaterThan(1);
    const asked = await http.post('/notes').set('Authorization', 'Bearer t').set('Prefer', 'code=422').send({ text: 'hi' });
    const again = await http.post('/notes').set('Authorization', 'Bearer t').set('Prefer', 'code=422').send({ text: 'hi' });
    const plain = await http.post('/notes').set('Authorization', 'Bearer t').send({ text: 'hi' });
    expect([asked.status, again.status, plain.status]).toEqual([422, 422, 201]);
    expect(again.text).toBe(asked.text);
    expect(plain.body).toEqual({ text: 'hi' });
  });
});

it('answers in the dialect an overlay beside the document names under x-refreshd', async () => {
  const file = writeDocument('fastapi-notes/notes.yaml', NOTES);
  writeDocument('fastapi-notes/overlays/notes.overlay.yaml', { overlay: '1.0.0', info: { title: 'x', version: '1' }, actions: [], 'x-refreshd': { dialect: 'fastapi' } });
  const built = await buildMockApp({ documents: [file] });
  const res = await request(built.handler).get('/nope');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ detail: 'Not Found' });
  expect(built.apis[0].dialect.name).toBe('fastapi');
});

it('answers in the dialect the document itself names under x-refreshd', async () => {
  const file = writeDocument('enveloped.yaml', { ...NOTES, 'x-refreshd': { dialect: 'envelope' } });
  const built = await buildMockApp({ documents: [file] });
  expect(built.apis[0].dialect.name).toBe('envelope');
});

describe('documents it cannot serve are refused, naming the file', () => {
  it.each([
    ['a missing file', () => [path.join(dir, 'absent.yaml')], /^no such file: .*absent\.yaml$/],
    ['two files with one base name', () => [writeDocument('a/pets.yaml', NOTES), writeDocument('b/pets.json', NOTES)], /two documents would both be the api "pets": .*a\/pets\.yaml and .*b\/pets\.json/],
    ['a Swagger 2.0 document', () => [writeDocument('swagger.yaml', { swagger: '2.0', info: { title: 's', version: '1' }, paths: {} })], /swagger\.yaml: a Swagger 2\.0 document: only OpenAPI 3\.0\.x and 3\.1\.x are served/],
    ['a file that is no OpenAPI document', () => [writeDocument('list.yaml', { name: 'not a document' })], /list\.yaml: not an OpenAPI document \(no "openapi" field\)/],
    ['an unknown dialect', () => [writeDocument('odd.yaml', { ...NOTES, 'x-refreshd': { dialect: 'soap' } })], /x-refreshd\.dialect "soap" is not one of problem, fastapi, pathstack, envelope/],
    [
      'an operationId two documents declare',
      () => [writeDocument('one.yaml', { ...NOTES, paths: { '/one': { get: { operationId: 'same', responses: { '204': { description: '' } } } } } }), writeDocument('two.yaml', { ...NOTES, paths: { '/two': { get: { operationId: 'same', responses: { '204': { description: '' } } } } } })],
      /operationId "same" is declared by both .*one\.yaml and .*two\.yaml/,
    ],
  ])('%s', async (_name, files, message) => {
    await expect(buildMockApp({ documents: files() })).rejects.toThrow(message);
  });
});

it('names operations from method and path, never taking a name the document or an earlier operation has', () => {
  expect(operationIdFor('GET', '/pets/{petId}/photos')).toBe('get_pets_petId_photos');
  expect(operationIdFor('post', '/')).toBe('post');
  const document = {
    paths: {
      '/a-b': { get: {} },
      '/a/b': { get: {}, post: { operationId: 'get_a_b_2' } },
    },
  };
  nameOperations(document);
  expect([document.paths['/a-b'].get, document.paths['/a/b'].get, document.paths['/a/b'].post]).toEqual([
    { operationId: 'get_a_b' },
    { operationId: 'get_a_b_3' },
    { operationId: 'get_a_b_2' },
  ]);
});
