import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, cliEnv, ROOT, runCli, startCli, TSX, type RunningCli } from '../support/cli';

/**
 * What an operator touches first, through the real CLI: key files and their order, key
 * rotation across restarts, the sessions commands' guards, the log stream, a port in use.
 */
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `refreshd-${prefix}-`));
const ADMIN = 'operator-test-admin-token-0123456789abcdef';

const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as { kid: string; alg: string };

function generateKey(dir: string, name: string, alg: string, format = 'jwk'): { kid: string; file: string } {
  const file = path.join(dir, name);
  const result = runCli(['keys', 'generate', '--alg', alg, '--format', format, '--out', file]);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as { kid: string; file: string };
}

function mint(dataDir: string, keyFiles: string[], api = 'session', sub = 'alice') {
  const result = runCli(['sessions', 'create', '--api', api, '--sub', sub, '--data-dir', dataDir, ...(keyFiles.length ? ['--key-file', keyFiles.join(',')] : [])]);
  if (result.status !== 0) throw new Error(`sessions create failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { session_id: string; access_token: string; refresh_token: string };
}

async function refreshSession(server: RunningCli, refreshToken: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/session/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refreshToken }) });
  return { status: res.status, body: await res.json() };
}

async function stop(server: RunningCli): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
}

const serve = (dataDir: string, keyFiles: string[], env: NodeJS.ProcessEnv = {}, extra: string[] = []) =>
  startCli(['serve', '--port', '0', '--data-dir', dataDir, ...(keyFiles.length ? ['--key-file', keyFiles.join(',')] : []), ...extra], env);

describe('signing keys', () => {
  const keyDir = tmp('keys');
  let rsa: { kid: string; file: string };
  let ec: { kid: string; file: string };

  beforeAll(() => {
    rsa = generateKey(keyDir, 'rsa.pem', 'RS256', 'pem');
    ec = generateKey(keyDir, 'ec.jwk.json', 'ES256');
  });

  it('keys generate writes a 0600 file whatever the umask, prints the kid serve will use, and never overwrites', () => {
    const file = path.join(keyDir, 'umask.jwk.json');
    const loose = spawnSync('sh', ['-c', `umask 000 && exec "$0" "$@"`, TSX, CLI, 'keys', 'generate', '--alg', 'EdDSA', '--out', file], { cwd: ROOT, encoding: 'utf8', env: cliEnv() });
    expect(loose.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const printed = JSON.parse(loose.stdout) as { kid: string; alg: string };
    const inspected = JSON.parse(runCli(['keys', 'inspect', file]).stdout) as { kid: string; alg: string; signs: boolean }[];
    expect(inspected).toEqual([expect.objectContaining({ kid: printed.kid, alg: 'EdDSA', signs: true })]);

    const before = readFileSync(file, 'utf8');
    const again = runCli(['keys', 'generate', '--alg', 'HS256', '--out', file]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists: refusing to overwrite/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(runCli(['keys', 'generate', '--alg', 'HS256', '--format', 'pem', '--out', path.join(keyDir, 'hs.pem')]).stderr).toMatch(/no PEM form/);
  });

  it.each([
    ['rsa then ec', () => [rsa, ec]],
    ['ec then rsa', () => [ec, rsa]],
  ])('of two --key-file entries (%s) the last signs and both verify', async (_order, keys) => {
    const [first, last] = keys();
    const dataDir = tmp('key-order');
    const server = await serve(dataDir, [first.file, last.file]);
    try {
      const minted = mint(dataDir, [first.file, last.file]);
      expect(headerOf(minted.refresh_token)).toMatchObject({ kid: last.kid, alg: last === rsa ? 'RS256' : 'ES256' });
      const refreshed = await refreshSession(server, minted.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(headerOf(refreshed.body.data.refresh_token)).toMatchObject({ kid: last.kid });
      const jwks = await fetch(`${server.url}/.well-known/jwks.json`);
      expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
      expect(((await jwks.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toEqual([first.kid, last.kid]);
    } finally {
      await stop(server);
    }
  }, 60_000);

  it('the README recipe: append the new key, restart, later drop the old one; tokens minted before each step refresh after it', async () => {
    const dataDir = tmp('rotation');
    const oldKey = generateKey(keyDir, 'old.jwk.json', 'ES256');
    const newKey = generateKey(keyDir, 'new.jwk.json', 'EdDSA');

    // Step 0: the old key alone.
    let server = await serve(dataDir, [oldKey.file]);
    const sessionA = mint(dataDir, [oldKey.file]);
    const idle = mint(dataDir, [oldKey.file], 'session', 'idle-user');
    const a1 = await refreshSession(server, sessionA.refresh_token);
    expect(a1.status).toBe(200);
    expect(headerOf(a1.body.data.refresh_token).kid).toBe(oldKey.kid);
    await stop(server);

    // Step 1: the new key appended on every instance; tokens of the old key keep refreshing.
    server = await serve(dataDir, [oldKey.file, newKey.file]);
    const a2 = await refreshSession(server, a1.body.data.refresh_token);
    expect(a2.status).toBe(200);
    expect(headerOf(a2.body.data.refresh_token)).toMatchObject({ kid: newKey.kid, alg: 'EdDSA' });
    const sessionB = mint(dataDir, [oldKey.file, newKey.file]);
    expect(headerOf(sessionB.refresh_token).kid).toBe(newKey.kid);
    // The CLI left on the old configuration is refused: the server no longer signs with that key.
    const stale = runCli(['sessions', 'create', '--api', 'session', '--sub', 'x', '--data-dir', dataDir, '--key-file', oldKey.file]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(`would sign with kid ${oldKey.kid}, but the server signs with kid ${newKey.kid}`);
    await stop(server);

    // Step 2: once the refresh lifetime has passed, the old key is dropped; whatever was refreshed meanwhile still works.
    server = await serve(dataDir, [newKey.file]);
    try {
      expect((await refreshSession(server, a2.body.data.refresh_token)).status).toBe(200);
      expect((await refreshSession(server, sessionB.refresh_token)).status).toBe(200);
      // A token of the old key never refreshed during the window is what the wait protects: now refused.
      const stale = await refreshSession(server, idle.refresh_token);
      expect(stale).toMatchObject({ status: 401, body: { code: 40102 } });
    } finally {
      await stop(server);
    }
  }, 90_000);
});

describe('refreshd sessions never creates a store or a key', () => {
  it('on a data dir without a store it exits non-zero, says how to create one, and writes nothing', () => {
    const typo = path.join(tmp('typo'), 'dtaa');
    for (const args of [['create', '--api', 'session', '--sub', 'a'], ['list'], ['revoke', 'x'], ['revoke-subject', 'a']]) {
      const result = runCli(['sessions', ...args, '--data-dir', typo]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/no refreshd store at .*dtaa.*refreshd serve --data-dir .*creates the store/);
    }
    expect(existsSync(typo)).toBe(false);
  });

  describe('on a store serve created', () => {
    const dataDir = tmp('guarded');
    const keyDir = tmp('guarded-keys');
    let served: { kid: string; file: string };
    let server: RunningCli;

    beforeAll(async () => {
      served = generateKey(keyDir, 'served.jwk.json', 'ES256');
      server = await serve(dataDir, [served.file], {}, ['--admin-token', ADMIN]);
    }, 30_000);
    afterAll(() => stop(server));

    it('without the --key-file serve uses, it refuses rather than generate a key', () => {
      const result = runCli(['sessions', 'create', '--api', 'session', '--sub', 'a', '--data-dir', dataDir]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/no signing key: .*signing-key\.jwk\.json does not exist.*pass the same --key-file as serve/);
      expect(existsSync(path.join(dataDir, 'signing-key.jwk.json'))).toBe(false);
    });

    it('with a key serve never signed with, it refuses naming both kids', () => {
      const stranger = generateKey(keyDir, 'stranger.jwk.json', 'ES256');
      const result = runCli(['sessions', 'create', '--api', 'session', '--sub', 'a', '--data-dir', dataDir, '--key-file', stranger.file]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`would sign with kid ${stranger.kid}, but the server signs with kid ${served.kid}`);
    });

    it('prints the admin api shapes, and refuses an unknown api or session id', async () => {
      const minted = mint(dataDir, [served.file], 'watchr', 'carol');
      const list = runCli(['sessions', 'list', '--sub', 'carol', '--data-dir', dataDir]);
      const viaAdmin = await (await fetch(`${server.url}/admin/sessions?sub=carol`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
      expect(JSON.parse(list.stdout)).toEqual(viaAdmin);
      expect(viaAdmin).toEqual({
        sessions: [
          {
            session_id: minted.session_id,
            api: 'watchr',
            sub: 'carol',
            status: 'active',
            organizations: [],
            created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
            expires_at: expect.stringMatching(/Z$/),
            revoked_at: null,
          },
        ],
      });

      const revoke = runCli(['sessions', 'revoke', minted.session_id, '--data-dir', dataDir]);
      expect([revoke.status, JSON.parse(revoke.stdout)]).toEqual([0, { revoked: true }]);
      const again = runCli(['sessions', 'revoke', minted.session_id, '--data-dir', dataDir]);
      expect([again.status, JSON.parse(again.stdout)]).toEqual([0, { revoked: false }]);
      expect(again.stderr).toMatch(/already revoked at/);

      const unknownSession = runCli(['sessions', 'revoke', 'no-such-session', '--data-dir', dataDir]);
      expect(unknownSession.status).toBe(1);
      expect(unknownSession.stderr).toMatch(/no session "no-such-session"/);
      const unknownApi = runCli(['sessions', 'list', '--api', 'nope', '--data-dir', dataDir]);
      expect(unknownApi.status).toBe(1);
      expect(unknownApi.stderr).toMatch(/unknown api "nope"/);
      const subject = runCli(['sessions', 'revoke-subject', 'carol', '--data-dir', dataDir]);
      expect(JSON.parse(subject.stdout)).toEqual({ sessions_revoked: 0 });
    });
  });
});

describe('the process as an operator runs it', () => {
  let blocker: Server;
  let busyPort: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it.each([[[]], [['--workers', '2']]])('serving on a port in use (%j) fails before anything is written to the data dir', (extra) => {
    const dataDir = path.join(tmp('busy'), 'data');
    const result = runCli(['serve', '--port', String(busyPort), '--data-dir', dataDir, ...extra]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${busyPort}: the port is in use`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a store that cannot be opened stops start-up before a key is generated', () => {
    const dataDir = tmp('corrupt');
    writeFileSync(path.join(dataDir, 'refreshd.sqlite'), 'this is not a SQLite database, not even close to one.'.repeat(100));
    const result = runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    expect(result.status).toBe(1);
    expect(existsSync(path.join(dataDir, 'signing-key.jwk.json'))).toBe(false);
  });

  it('an admin token shorter than 32 characters is refused at start-up, without echoing it', () => {
    const dataDir = path.join(tmp('short-admin'), 'data');
    for (const env of [{ REFRESHD_ADMIN_TOKEN: 'hunter2-but-longer-0123456789' }, { REFRESHD_ADMIN_TOKEN: '' }]) {
      const result = runCli(['serve', '--port', '0', '--data-dir', dataDir], env);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/--admin-token \/ REFRESHD_ADMIN_TOKEN must be at least 32 characters/);
      if (env.REFRESHD_ADMIN_TOKEN) expect(result.stderr).not.toContain(env.REFRESHD_ADMIN_TOKEN);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stdout carries only JSON log lines; the variables that say "false" turn Secure and debug details on and off', async () => {
    const dataDir = tmp('json-logs');
    const server = await serve(dataDir, [], { REFRESHD_INSECURE_COOKIES: 'false', REFRESHD_DEBUG: 'false' });
    const minted = mint(dataDir, [], 'watchr');
    try {
      const res = await fetch(`${server.url}/auth/refresh`, { method: 'POST', headers: { cookie: `refresh_token=${minted.refresh_token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/; HttpOnly; Secure; SameSite=Strict;/);
      const bad = await refreshSession(server, 'not-a-token');
      expect(bad.body).toMatchObject({ code: 40101, error: null });
    } finally {
      await stop(server);
    }
    // Every line parses (records() throws otherwise), the banner and the generated-key warning among them.
    expect(server.records().map((record) => record.msg)).toEqual(
      expect.arrayContaining([expect.stringMatching(/generated an HS256 key/), expect.stringMatching(/^refreshd serve listening on http/)]),
    );
    expect(server.stdout()).not.toContain(minted.refresh_token);
    expect(server.stdout()).not.toContain(minted.refresh_token.split('.')[2]);
  }, 60_000);

  it('--log-format pretty writes lines for people; --version prints the version', async () => {
    const child = spawn(TSX, [CLI, 'mock', '--port', '0', '--log-format', 'pretty'], { cwd: ROOT, env: cliEnv() });
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('\n')) resolve();
      });
      child.once('exit', () => reject(new Error(`mock exited: ${stdout}`)));
    });
    child.kill('SIGTERM');
    const firstLine = stdout.split('\n')[0];
    expect(firstLine).toMatch(/INFO.*refreshd mock listening on http/);
    expect(() => JSON.parse(firstLine)).toThrow();

    // On a terminal (a pty from util-linux's script) pretty is the default.
    const onTerminal = spawn('script', ['-qfec', `"${TSX}" "${CLI}" mock --port 0`, '/dev/null'], { cwd: ROOT, env: cliEnv(), detached: true });
    let terminal = '';
    await new Promise<void>((resolve, reject) => {
      onTerminal.stdout.on('data', (chunk: Buffer) => {
        terminal += chunk;
        if (/listening on/.test(terminal)) resolve();
      });
      onTerminal.once('exit', () => reject(new Error(`mock on a terminal exited: ${terminal}`)));
    });
    process.kill(-(onTerminal.pid as number), 'SIGTERM');
    expect(terminal).toMatch(/INFO.*refreshd mock listening on http/);
    expect(terminal).not.toMatch(/"level":30/);

    const version = runCli(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  }, 30_000);
});
