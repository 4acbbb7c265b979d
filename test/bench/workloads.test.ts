import path from 'node:path';
import { catalogueOf } from '../../src/spec/catalogue';
import type { ApiDeclaration } from '../../src/spec/catalogue';
import { loadRefreshPlan, planRefresh, RefreshPlanError } from '../../scripts/bench/refresh-plan';
import type { SessionSeed } from '../../scripts/bench/protocol';
import { createWorkload } from '../../scripts/bench/workloads';

const ROOT = path.resolve(__dirname, '..', '..');
const CREDENTIALS = { apiKey: 'bench-key', adminToken: 'bench-admin' };
const SEED: SessionSeed = { refreshToken: 'refresh.one', accessToken: 'access.one', sub: 'b3a4f0d2-6a0e-4c44-9d7e-3f0b8c1c2e11' };

/** A JWT-shaped string whose payload names `sub` (the workload reads it, never verifies it). */
const jwtFor = (sub: string) => `h.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.s`;

function workloadOf(specsDir: string, api: string) {
  const workload = createWorkload({ kind: 'refresh', plan: loadRefreshPlan(catalogueOf(specsDir).get(api), CREDENTIALS) });
  workload.addSeeds([SEED]);
  return workload;
}

describe('the bench builds each refresh request from the api document and its x-refreshd declaration', () => {
  const specs = path.join(ROOT, 'specs');

  it('sends, for each of the five project apis, the request the hand-written workloads used to send', () => {
    const first = (api: string) => workloadOf(specs, api).next();
    expect(first('watchr')).toEqual({ method: 'POST', path: '/auth/refresh', headers: { cookie: 'refresh_token=refresh.one' } });
    expect(first('galileo')).toEqual({ method: 'POST', path: '/v1/refresh_token', headers: { cookie: 'refresh_token=refresh.one' } });
    expect(first('pathstack')).toEqual({
      method: 'POST',
      path: '/refresh',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: SEED.sub, refresh_token: 'refresh.one' }),
    });
    expect(first('almanac')).toEqual({
      method: 'POST',
      path: '/v1/auth/token/refresh',
      headers: { 'content-type': 'application/json', authorization: 'Bearer access.one' },
      body: JSON.stringify({ refresh_token: 'refresh.one' }),
    });
    expect(first('session')).toEqual({
      method: 'POST',
      path: '/session/token/refresh',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: 'refresh.one' }),
    });
  });

  it('follows the rotation from the reply cookie the declaration names', () => {
    const workload = workloadOf(specs, 'watchr');
    workload.next();
    workload.onResponse(200, { 'set-cookie': ['other=x; Path=/', 'refresh_token=refresh.two; HttpOnly; Path=/auth/refresh'] }, '{"access_token":"a","token_type":"bearer"}');
    expect(workload.next().headers.cookie).toBe('refresh_token=refresh.two');
  });

  it('follows the rotation from where the reply template puts $refresh_token and $access_token', () => {
    const almanac = workloadOf(specs, 'almanac');
    almanac.next();
    almanac.onResponse(200, {}, JSON.stringify({ access_token: 'access.two', refresh_token: 'refresh.two', organization_id: null }));
    const next = almanac.next();
    expect(next.headers.authorization).toBe('Bearer access.two');
    expect(JSON.parse(next.body as string)).toEqual({ refresh_token: 'refresh.two' });

    const session = workloadOf(specs, 'session');
    session.next();
    session.onResponse(200, {}, JSON.stringify({ data: { access_token: 'a', access_expires: 'x', refresh_token: 'refresh.two', refresh_expires: 'y' }, code: 0, msg: '' }));
    expect(JSON.parse(session.next().body as string)).toEqual({ refresh_token: 'refresh.two' });
  });

  it("reads the subject of the next request from the rotated token's claims when the request names it", () => {
    const workload = workloadOf(specs, 'pathstack');
    workload.next();
    const rotated = jwtFor('0d9b7a53-2f4e-4a59-8a61-7c2b1e9f4d30');
    workload.onResponse(200, {}, JSON.stringify({ data: { token_type: 'bearer', expires_in: 900, access_token: 'a', refresh_token: rotated } }));
    expect(JSON.parse(workload.next().body as string)).toEqual({ sub: '0d9b7a53-2f4e-4a59-8a61-7c2b1e9f4d30', refresh_token: rotated });
  });

  it('puts nothing back in the pool for an answer that is not the declared success', () => {
    const workload = workloadOf(specs, 'session');
    workload.next();
    workload.onResponse(401, {}, JSON.stringify({ data: { refresh_token: 'refresh.two' } }));
    expect(workload.available()).toBe(0);
  });

  it('fills the sixth api: the subject into its path template, the other path parameter from its schema, a form body, the api key header', () => {
    const workload = workloadOf(path.join(ROOT, 'test', 'fixtures', 'sixth-api'), 'widgets');
    const call = workload.next();
    expect(call.method).toBe('POST');
    expect(call.path).toMatch(new RegExp(`^/tenants/[a-z][a-z0-9-]{0,31}/users/${SEED.sub}/token$`));
    expect(call.headers).toEqual({ 'x-widget-key': 'bench-key', 'content-type': 'application/x-www-form-urlencoded' });
    expect(Object.fromEntries(new URLSearchParams(call.body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh.one' });
  });
});

describe('an api the bench cannot drive is refused with a reason', () => {
  const declaration = (refresh: ApiDeclaration['refresh'], security: ApiDeclaration['security'] = {}): ApiDeclaration => ({
    dialect: 'problem',
    formats: 'json-schema',
    subject: 'any',
    role: 'token',
    security,
    refresh,
  });
  const refreshOnly = { refresh_it: { token: { in: 'body' as const, name: 'refresh_token' }, reply: { body: { refresh_token: '$refresh_token' } } } };
  const documentWith = (operation: Record<string, unknown>, components: Record<string, unknown> = {}) => ({
    openapi: '3.1.0',
    paths: { '/orgs/{org}/refresh': { post: { operationId: 'refresh_it', ...operation } } },
    components,
  });
  const jsonBody = { content: { 'application/json': { schema: { type: 'object', properties: { refresh_token: { type: 'string' } } } } } };

  it('names a path parameter no example, default, enum or schema can fill', () => {
    const document = documentWith({ parameters: [{ name: 'org', in: 'path', required: true, schema: { not: {} } }], requestBody: jsonBody });
    expect(() => planRefresh({ name: 'made-up', declaration: declaration(refreshOnly) }, document, CREDENTIALS)).toThrow(RefreshPlanError);
    expect(() => planRefresh({ name: 'made-up', declaration: declaration(refreshOnly) }, document, CREDENTIALS)).toThrow(/made-up: cannot fill the path parameter "org" of refresh_it/);
  });

  it('uses the example a path parameter declares', () => {
    const document = documentWith({ parameters: [{ name: 'org', in: 'path', required: true, example: 'acme', schema: { type: 'string' } }], requestBody: jsonBody });
    const plan = planRefresh({ name: 'made-up', declaration: declaration(refreshOnly) }, document, CREDENTIALS);
    expect(createWorkload({ kind: 'refresh', plan }).next().path).toBe('/orgs/acme/refresh');
  });

  it('names a security scheme it has no credential for', () => {
    const document = documentWith(
      { parameters: [{ name: 'org', in: 'path', required: true, example: 'acme' }], requestBody: jsonBody, security: [{ basicAuth: [] }] },
      { securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } } },
    );
    expect(() => planRefresh({ name: 'made-up', declaration: declaration(refreshOnly) }, document, CREDENTIALS)).toThrow(/made-up: the bench has no credential for the security scheme\(s\) basicAuth/);
  });

  it('names a reply the bench cannot follow the rotation through', () => {
    const document = documentWith({ parameters: [{ name: 'org', in: 'path', required: true, example: 'acme' }], requestBody: jsonBody });
    const noToken = { refresh_it: { token: { in: 'body' as const, name: 'refresh_token' }, reply: { body: { ok: true } } } };
    expect(() => planRefresh({ name: 'made-up', declaration: declaration(noToken) }, document, CREDENTIALS)).toThrow(/declares no cookie and no \$refresh_token/);
  });
});
