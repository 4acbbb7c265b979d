import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, runCli, startCli, type RunningCli } from '../support/cli';

/**
 * A sixth api served by adding YAML only: the test copies `widgets.yaml` and its overlay into
 * an empty specs folder and starts the CLI on it. Nothing under src/ or handlers/ knows the api:
 * its path template, form body and apiKey header are the pipeline's, its refresh is the one
 * its overlay declares, its errors are RFC 9457 problems (the dialect it names).
 */

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'sixth-api');
const ADMIN_TOKEN = 'sixth-api-admin-token-0123456789abcdef';
const API_KEY = 'widget-key-for-tests';

const specsDir = mkdtempSync(path.join(tmpdir(), 'refreshd-sixth-specs-'));
mkdirSync(path.join(specsDir, 'overlays'));
copyFileSync(path.join(FIXTURE, 'widgets.yaml'), path.join(specsDir, 'widgets.yaml'));
copyFileSync(path.join(FIXTURE, 'overlays', 'widgets.overlay.yaml'), path.join(specsDir, 'overlays', 'widgets.overlay.yaml'));

const tenantPath = (user: string, tenant = 'acme') => `/tenants/${tenant}/users/${user}/token`;
/** A response's JSON body, untyped (the tests check its shape). */
const json = (res: Response): Promise<any> => res.json();
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

let serve: RunningCli;

beforeAll(async () => {
  serve = await startCli([
    'serve',
    '--port',
    '0',
    '--specs-dir',
    specsDir,
    '--data-dir',
    mkdtempSync(path.join(tmpdir(), 'refreshd-sixth-data-')),
    '--admin-token',
    ADMIN_TOKEN,
    '--api-keys',
    API_KEY,
    '--grace-seconds',
    '0',
  ]);
}, 60_000);
afterAll(async () => {
  serve?.child.kill('SIGTERM');
  await serve?.exited;
});

async function mint(sub: string): Promise<{ refresh_token: string; sub: string }> {
  const res = await fetch(`${serve.url}/admin/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ api: 'widgets', sub }),
  });
  expect(res.status).toBe(201);
  return json(res);
}

function refresh(user: string, token: string, options: { key?: string | null; tenant?: string; contentType?: string; body?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' };
  if (options.key !== null) headers['x-widget-key'] = options.key ?? API_KEY;
  return fetch(`${serve.url}${tenantPath(user, options.tenant)}`, {
    method: 'POST',
    headers,
    body: options.body ?? form({ grant_type: 'refresh_token', refresh_token: token }),
  });
}

describe('serve: the sixth api from two YAML files', () => {
  test('the start-up record lists its route and a mint hint with a UUID4 subject; the admin api knows it', () => {
    const listening = serve.records().find((record) => /listening on/.test(record.msg));
    expect(listening?.routes.filter((route: string) => !route.startsWith('admin '))).toEqual([`widgets POST ${serve.url}/tenants/{tenant}/users/{user_id}/token`]);
    expect(listening?.routes).toContain(`admin POST ${serve.url}/admin/sessions`);
    expect(listening?.hint).toMatch(/sessions create --api widgets --sub [0-9a-f-]{36} .*--specs-dir /);
  });

  test('a refresh rotates: path template, form body and API key; a used token is refused as reuse', async () => {
    const user = randomUUID();
    const session = await mint(user);
    const first = await refresh(user, session.refresh_token);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const body = await json(first);
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String) });
    expect(body.refresh_token).not.toBe(session.refresh_token);

    const second = await refresh(user, body.refresh_token);
    expect(second.status).toBe(200);

    // Grace window 0: the first token again is reuse, and revokes the family.
    const reused = await refresh(user, session.refresh_token);
    expect(reused.status).toBe(401);
    expect(reused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json(reused)).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });
    const afterReuse = await refresh(user, (await json(second)).refresh_token);
    expect(afterReuse.status).toBe(401);
  });

  test('the apiKey scheme: missing or wrong key is a 401 problem and rotates nothing', async () => {
    const user = randomUUID();
    const session = await mint(user);
    for (const key of [null, 'not-the-key']) {
      const res = await refresh(user, session.refresh_token, { key });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await refresh(user, session.refresh_token)).status).toBe(200);
  });

  test("the path's user must be the token's subject (any UUID spelling of it)", async () => {
    const user = randomUUID();
    const session = await mint(user);
    expect((await refresh(randomUUID(), session.refresh_token)).status).toBe(401);
    expect((await refresh(user.toUpperCase(), session.refresh_token)).status).toBe(200);
  });

  test('bad input gets the 422 and 415 problems the document declares', async () => {
    const user = randomUUID();
    const session = await mint(user);
    const badTenant = await refresh(user, session.refresh_token, { tenant: 'Not_A_Tenant' });
    expect(badTenant.status).toBe(422);
    const problem = await json(badTenant);
    expect(problem).toMatchObject({ type: 'https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY', status: 422 });
    expect(problem.validation).toEqual([expect.objectContaining({ location: ['path', 'tenant'], code: 'pattern' })]);

    const badGrant = await refresh(user, session.refresh_token, { body: form({ grant_type: 'password', refresh_token: session.refresh_token }) });
    expect(badGrant.status).toBe(422);
    expect((await json(badGrant)).validation).toEqual([expect.objectContaining({ location: ['body', 'grant_type'], code: 'enum' })]);

    const asJson = await refresh(user, session.refresh_token, { contentType: 'application/json', body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: session.refresh_token }) });
    expect(asJson.status).toBe(415);
    // None of these used the token up.
    expect((await refresh(user, session.refresh_token)).status).toBe(200);
  });

  test('/docs and /openapi serve it', async () => {
    const list = await json(await fetch(`${serve.url}/openapi`));
    expect(list.apis).toEqual([
      { name: 'widgets', title: 'Widgets token refresh', spec: '/openapi/widgets.json' },
      { name: 'admin', title: 'refreshd admin', spec: '/openapi/admin.json' },
    ]);
    // The admin api lists the apis this server has: widgets only.
    const admin = await json(await fetch(`${serve.url}/openapi/admin.json`));
    expect(admin.components.schemas.ApiName.enum).toEqual(['widgets']);
    const served = await json(await fetch(`${serve.url}/openapi/widgets.json`));
    expect(served.servers[0]).toEqual({ url: '/', description: 'This refreshd server' });
    expect(served.paths['/tenants/{tenant}/users/{user_id}/token'].post.responses['503']).toBeDefined();
    const docs = await fetch(`${serve.url}/docs/widgets`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/Widgets token refresh/);
  });

  test('contract: every check passes against it', () => {
    const result = runCli(['contract', serve.url, '--specs-dir', specsDir, '--admin-token', ADMIN_TOKEN, '--api-key', `widgets=${API_KEY}`, '--grace-seconds', '0', '--examples', '20', '--seed', '1', '--report', 'json']);
    expect(result.stderr).not.toMatch(/error/i);
    // The key and the admin token went into requests, never into the output.
    for (const secret of [API_KEY, ADMIN_TOKEN]) expect(result.stdout + result.stderr).not.toContain(secret);
    const report = JSON.parse(result.stdout);
    expect(report.apis.map((api: { api: string }) => api.api)).toEqual(['widgets']);
    // Every check ran and passed, the token-aware ones too (real key, real tokens, rotation);
    // only the required-header check has nothing to judge: the document requires no header.
    const statuses = Object.fromEntries(report.apis[0].checks.map((check: { check: string; status: string }) => [check.check, check.status]));
    expect(statuses).toEqual({
      not_a_server_error: 'pass',
      status_code_conformance: 'pass',
      content_type_conformance: 'pass',
      response_schema_conformance: 'pass',
      response_headers_conformance: 'pass',
      negative_data_rejection: 'pass',
      positive_data_acceptance: 'pass',
      missing_required_header: 'skipped',
      unsupported_method: 'pass',
      ignored_auth: 'pass',
      rotation: 'pass',
    });
    expect(result.status).toBe(0);
  }, 120_000);
});

describe('mock and sessions: the same folder', () => {
  test('mock answers from the document: the example, and 422 problems for bad input', async () => {
    const mock = await startCli(['mock', '--port', '0', '--specs-dir', specsDir]);
    try {
      const ok = await fetch(`${mock.url}${tenantPath(randomUUID())}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-widget-key': 'anything' },
        body: form({ grant_type: 'refresh_token', refresh_token: 'x' }),
      });
      expect(ok.status).toBe(200);
      expect(await json(ok)).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      const bad = await fetch(`${mock.url}${tenantPath('not-a-uuid')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-widget-key': 'anything' },
        body: form({ grant_type: 'refresh_token', refresh_token: 'x' }),
      });
      expect(bad.status).toBe(422);
      const noKey = await fetch(`${mock.url}${tenantPath(randomUUID())}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: 'refresh_token', refresh_token: 'x' }),
      });
      expect(noKey.status).toBe(401);
    } finally {
      mock.child.kill('SIGTERM');
      await mock.exited;
    }
  }, 60_000);

  test('an api the folder does not hold is refused by name', () => {
    const result = runCli(['serve', '--port', '0', '--specs-dir', specsDir, '--apis', 'watchr']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/unknown api "watchr" \(one of widgets\)/);
  });
});
