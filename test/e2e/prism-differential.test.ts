import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { buildMockApp } from '../../src/app/mock-server';
import { ROOT } from '../support/cli';

/**
 * The same requests to Prism 5.14 (`prism mock`, the bench's reference, from devDependencies)
 * and to refreshd's mock of the same document: the status, the media type and, for a problem,
 * its `type` must agree; an api response's body too. Where the two differ by design (a body
 * that is not JSON, one over the size limit, a malformed Prefer) the README says so.
 */
const FIXTURE = path.join(ROOT, 'test/fixtures/petstore/petstore.yaml');
const PRISM = path.join(ROOT, 'node_modules/.bin/prism');

function startPrism(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(PRISM, ['mock', '-h', '127.0.0.1', '-p', '0', FIXTURE], { cwd: ROOT });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      // eslint-disable-next-line no-control-regex
      const listening = /Prism is listening on (http:\/\/[\d.]+:\d+)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (listening) resolve({ child, url: listening[1] });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`prism exited with ${code}: ${output}`)));
  });
}

const JSON_BODY = { 'content-type': 'application/json' };
const AUTHORIZED = { ...JSON_BODY, authorization: 'Bearer t' };

const REQUESTS: Array<[name: string, method: string, target: string, headers?: Record<string, string>, body?: string]> = [
  ['a valid request', 'GET', '/pets?limit=2'],
  ['an operation with no operationId', 'GET', '/store/inventory'],
  ['a templated path', 'GET', '/pets/7'],
  ['a path parameter of the wrong type', 'GET', '/pets/rex'],
  ['a path parameter below its minimum', 'GET', '/pets/0'],
  ['a required query parameter missing', 'GET', '/pets'],
  ['a query parameter of the wrong type', 'GET', '/pets?limit=abc'],
  ['a query parameter below its minimum', 'GET', '/pets?limit=0'],
  ['no credentials', 'POST', '/pets', JSON_BODY, '{"name":"Rex","species":"dog"}'],
  ['a body breaking required, enum and additionalProperties', 'POST', '/pets', AUTHORIZED, '{"species":"fish","extra":1}'],
  ['a body of another media type', 'POST', '/pets', { authorization: 'Bearer t', 'content-type': 'text/plain' }, 'Rex'],
  ['a valid body', 'POST', '/pets', AUTHORIZED, '{"name":"Rex","species":"dog"}'],
  ['Prefer code= a declared status', 'POST', '/pets', { ...AUTHORIZED, prefer: 'code=409' }, '{"name":"Rex","species":"dog"}'],
  ['Prefer example= a named example', 'POST', '/pets', { ...AUTHORIZED, prefer: 'example=tweety' }, '{"name":"Tweety","species":"bird"}'],
  ['Prefer code= an undeclared status', 'GET', '/pets?limit=1', { prefer: 'code=418' }],
  ['an unknown path', 'GET', '/owners'],
  ['a method the path does not declare', 'DELETE', '/pets'],
];

describe('refreshd mock and Prism answer the petstore document alike', () => {
  let prism: { child: ChildProcess; url: string };
  let server: Server;
  let refreshd: string;

  beforeAll(async () => {
    const [started, built] = await Promise.all([startPrism(), buildMockApp({ documents: [FIXTURE] })]);
    prism = started;
    server = createServer(built.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    refreshd = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 30_000);
  afterAll(async () => {
    prism?.child.kill('SIGTERM');
    await new Promise((resolve) => server?.close(resolve));
  });

  async function answer(base: string, method: string, target: string, headers?: Record<string, string>, body?: string) {
    const res = await fetch(`${base}${target}`, { method, headers, body });
    const text = await res.text();
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].toLowerCase();
    const parsed = text === '' ? undefined : JSON.parse(text);
    return {
      status: res.status,
      mediaType,
      // A problem is compared by its type; an api response by its body.
      ...(mediaType === 'application/problem+json' ? { type: parsed.type } : { body: parsed }),
    };
  }

  // Rows as objects: Jest would read a short row's missing arguments as a `done` callback.
  it.each(REQUESTS.map(([name, method, target, headers, body]) => ({ name, method, target, headers, body })))('$name', async ({ method, target, headers, body }) => {
    const [theirs, ours] = await Promise.all([answer(prism.url, method, target, headers, body), answer(refreshd, method, target, headers, body)]);
    expect(ours).toEqual(theirs);
  });
});
