import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuiltApp } from '../../src/app/app';
import { expectConforms } from './harness';

/**
 * Real `refreshd` processes for end-to-end tests, run from the sources (tsx's loader, so no build is
 * needed) in one process each, so that a signal sent to one reaches the server itself; and the five
 * apis driven over real HTTP with each response checked against the served documents.
 */
const ROOT = path.join(__dirname, '..', '..');
const NODE_ARGS = ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'run.ts')];

/** `serve` refuses an admin token shorter than 32 characters. */
export const ADMIN_TOKEN = 'serve-process-admin-token-0123456789abcdef';

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
}

/** `refreshd serve --port 0 <args>`; resolves once it listens. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, REFRESHD_LOG_LEVEL: 'info', ...env } });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      // The start-up record is a JSON log line: the URL ends at its closing quote.
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match) resolve({ child, url: match[1], output: () => output, exited });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

/** An HS256 key file (an `oct` JWK) with the given kid. */
export function writeKeyFile(dir: string, kid: string): string {
  const file = path.join(dir, `${kid}.jwk.json`);
  writeFileSync(file, JSON.stringify({ kty: 'oct', alg: 'HS256', kid, k: randomBytes(32).toString('base64url') }), { mode: 0o600 });
  return file;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

/** A fetch whose answer is checked against the served documents (`method path` names the operation). */
export async function call(docs: BuiltApp, baseUrl: string, method: 'get' | 'post', operationPath: string, init: { url?: string; headers?: Record<string, string>; json?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${init.url ?? operationPath}`, {
    method: method.toUpperCase(),
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  const reply: Reply = { status: res.status, headers: Object.fromEntries(res.headers), text, body: text ? JSON.parse(text) : undefined };
  if (res.headers.getSetCookie().length > 0) reply.headers['set-cookie'] = res.headers.getSetCookie().join('\n');
  expectConforms(docs, method, operationPath, reply as never);
  return reply;
}

export interface MintedSession {
  api: string;
  session_id: string;
  sub: string;
  access_token: string;
  refresh_token: string;
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Mints a session through an instance's admin api. */
export async function mintVia(docs: BuiltApp, baseUrl: string, api: string, sub: string): Promise<MintedSession> {
  const reply = await call(docs, baseUrl, 'post', '/admin/sessions', { headers: admin, json: { api, sub } });
  if (reply.status !== 201) throw new Error(`mint answered ${reply.status}: ${reply.text}`);
  return { api, ...reply.body } as MintedSession;
}

export const revokeSessionVia = (docs: BuiltApp, baseUrl: string, sessionId: string) =>
  call(docs, baseUrl, 'post', '/admin/sessions/revoke', { headers: admin, json: { session_id: sessionId } });

export const revokeSubjectVia = (docs: BuiltApp, baseUrl: string, sub: string) =>
  call(docs, baseUrl, 'post', '/admin/subjects/revoke', { headers: admin, json: { sub } });

/** How each api carries a refresh token over real HTTP, and where the rotated one comes back. */
export const HTTP_DRIVERS: Record<string, { path: string; sub: string; send(session: MintedSession, token: string): { headers?: Record<string, string>; json?: unknown }; rotated(reply: Reply): string | undefined }> = {
  watchr: {
    path: '/auth/refresh',
    sub: 'alice',
    send: (_s, token) => ({ headers: { cookie: `refresh_token=${token}` } }),
    rotated: (reply) => /refresh_token=([^;]+)/.exec(reply.headers['set-cookie'] ?? '')?.[1],
  },
  galileo: {
    path: '/v1/refresh_token',
    sub: 'alice',
    send: (_s, token) => ({ headers: { cookie: `refresh_token=${token}` } }),
    rotated: (reply) => /refresh_token=([^;]+)/.exec(reply.headers['set-cookie'] ?? '')?.[1],
  },
  pathstack: {
    path: '/refresh',
    sub: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    send: (s, token) => ({ json: { sub: s.sub, refresh_token: token } }),
    rotated: (reply) => reply.body?.data?.refresh_token,
  },
  almanac: {
    path: '/v1/auth/token/refresh',
    sub: 'alice',
    send: (s, token) => ({ headers: { authorization: `Bearer ${s.access_token}` }, json: { refresh_token: token } }),
    rotated: (reply) => reply.body?.refresh_token,
  },
  session: {
    path: '/session/token/refresh',
    sub: 'alice',
    send: (_s, token) => ({ json: { refresh_token: token } }),
    rotated: (reply) => reply.body?.data?.refresh_token,
  },
};

/** Refreshes `token` of `session` on the instance at `baseUrl`, through its api. */
export function refreshVia(docs: BuiltApp, baseUrl: string, session: MintedSession, token: string): Promise<Reply> {
  const driver = HTTP_DRIVERS[session.api];
  return call(docs, baseUrl, 'post', driver.path, driver.send(session, token));
}

/** The rotated refresh token of a 200 answer of `api`. */
export const rotatedToken = (api: string, reply: Reply) => HTTP_DRIVERS[api].rotated(reply);

/** The `jti` of a token, read without verifying (test-only). */
export const jtiOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { jti: string }).jti;

/** Waits until `condition` holds; a bound against hanging, not a measure of speed. */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
