import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli, type RunningCli } from '../support/cli';

/**
 * The commands as a user runs them (through tsx on the sources, so no build is needed):
 * serve on a fresh data dir, mint with `sessions create`, refresh over HTTP on each api,
 * then SIGTERM.
 */
const startServe = (args: string[]) => startCli(['serve', '--port', '0', ...args]);

describe('refreshd serve + sessions, end to end', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-e2e-'));
  let server: RunningCli;

  beforeAll(async () => {
    server = await startServe(['--data-dir', dataDir, '--insecure-cookies']);
  }, 30_000);

  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('generates a key on first start, file mode 0600, and says so in a warning record', () => {
    expect(server.records()).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/generated an HS256 key in the data dir/) }));
    expect(statSync(path.join(dataDir, 'signing-key.jwk.json')).mode & 0o777).toBe(0o600);
    expect(server.records()).toContainEqual(expect.objectContaining({ hint: expect.stringMatching(/sessions create --api galileo --sub alice/) }));
  });

  const mint = (api: string, sub: string, extra: string[] = []) => {
    const result = runCli(['sessions', 'create', '--api', api, '--sub', sub, '--data-dir', dataDir, ...extra]);
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as { session_id: string; sub: string; access_token: string; refresh_token: string };
  };

  it.each([
    ['watchr', '/auth/refresh'],
    ['galileo', '/v1/refresh_token'],
  ])('%s: a minted session refreshes by cookie and the rotated token comes back in Set-Cookie', async (api, refreshPath) => {
    const session = mint(api, 'alice');
    const res = await fetch(`${server.url}${refreshPath}`, { method: 'POST', headers: { cookie: `refresh_token=${session.refresh_token}` } });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^refresh_token=[^;]+; HttpOnly; SameSite=Strict; Path=${refreshPath}; Max-Age=\\d+$`));
    expect(cookie).not.toContain(session.refresh_token);
  });

  it('pathstack: refreshes with {sub, refresh_token} and returns the rotated token in data', async () => {
    const session = mint('pathstack', '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b');
    const res = await fetch(`${server.url}/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: session.sub, refresh_token: session.refresh_token }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { refresh_token: string } };
    expect(body.data.refresh_token).not.toBe(session.refresh_token);
  });

  it('almanac: refreshes with the access token as bearer, scoped to a session organization', async () => {
    const session = mint('almanac', 'alice', ['--org', 'acme', 'globex']);
    const res = await fetch(`${server.url}/v1/auth/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.access_token}` },
      body: JSON.stringify({ refresh_token: session.refresh_token, organization_id: 'globex' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ organization_id: 'globex' });
  });

  it('session: refreshes with {refresh_token} and answers the envelope', async () => {
    const session = mint('session', 'alice');
    const res = await fetch(`${server.url}/session/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: session.refresh_token }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 0, msg: '', data: { refresh_token: expect.any(String) } });
  });

  it('revoke-subject stops every session of the subject at its next refresh', async () => {
    const session = mint('session', 'bob');
    expect(runCli(['sessions', 'revoke-subject', 'bob', '--data-dir', dataDir]).status).toBe(0);
    const res = await fetch(`${server.url}/session/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: session.refresh_token }) });
    expect(res.status).toBe(401);
  });

  it('SIGTERM stops the server cleanly and the store reopens with everything in it', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const list = runCli(['sessions', 'list', '--data-dir', dataDir]);
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as { sessions: unknown[] }).sessions).toHaveLength(6);
  });
});

describe('refreshd mock --dynamic --seed N', () => {
  let mock: RunningCli;
  beforeAll(async () => {
    mock = await startCli(['mock', '--port', '0', '--apis', 'session', '--dynamic', '--seed', '7']);
  }, 30_000);
  afterAll(() => {
    if (mock.child.exitCode === null) mock.child.kill('SIGKILL');
  });

  const refresh = (prefer?: string) =>
    fetch(`${mock.url}/session/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(prefer ? { prefer } : {}) },
      body: '{"refresh_token": "abc"}',
    });

  it('says so, and answers every request with the body of seed 7, generated from the schema', async () => {
    expect(mock.records().find((record) => /listening on/.test(record.msg))?.bodies).toBe('dynamic, seed 7');
    const [first, second, example] = [await refresh(), await refresh(), await refresh('dynamic=false')];
    expect(first.headers.get('preference-applied')).toBe('seed=7');
    const body = await first.json();
    expect(await second.json()).toEqual(body);
    expect(await example.json()).not.toEqual(body);
  });

  it('refuses a Prefer code the document does not declare with 404', async () => {
    const res = await refresh('code=418');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('stops on SIGTERM', async () => {
    mock.child.kill('SIGTERM');
    expect(await mock.exited).toBe(0);
  });
});

it('refuses to start in production without configured keys, and writes nothing', () => {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'refreshd-e2e-prod-')), 'data');
  const result = runCli(['serve', '--port', '0', '--data-dir', dataDir], { NODE_ENV: 'production' });
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/refusing to start in production without configured signing keys/);
  expect(existsSync(dataDir)).toBe(false);
});

describe('refreshd contract exit statuses', () => {
  it('exits 2 with one line when the target cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = runCli(['contract', `http://127.0.0.1:${port}`, '--admin-token', 'x']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`refreshd contract: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it.each([
    ['an empty --admin-token', ['--admin-token', '']],
    ['an unknown api', ['--apis', 'nope']],
    ['the old --api flag', ['--api', 'watchr']],
    ['a malformed --token', ['--token', 'watchr']],
    ['a --spec that cannot be loaded', ['--spec', '/nonexistent/document.yaml']],
    ['a --seed out of range', ['--seed', '-1']],
  ])('exits 2 on a usage error: %s', (_name, args) => {
    const result = runCli(['contract', 'http://127.0.0.1:9', ...args]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: /);
  });
});

it('prints --help for every command', () => {
  for (const args of [['--help'], ['serve', '--help'], ['mock', '--help'], ['sessions', '--help'], ['sessions', 'create', '--help'], ['keys', 'generate', '--help'], ['contract', '--help']]) {
    const result = runCli(args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: refreshd/);
  }
});
