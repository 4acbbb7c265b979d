import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildRealApp } from '../../src/app/real-server';
import { openSqliteStore } from '../../src/store/sqlite';
import { StoreUnavailableError } from '../../src/store/contract';
import { generateSigningKey, KeySet } from '../../src/tokens/keys';
import { expectConforms, FakeClock } from '../support/harness';

/** A database locked by another process past the busy timeout is a 503 in the api's dialect, and nothing rotates. */
it('answers 503 in the dialect while another connection holds the write lock, and rotates once it is released', async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'refreshd-locked-')), 'refreshd.sqlite');
  const store = openSqliteStore(file, { busyTimeoutMs: 50 });
  const violations: unknown[] = [];
  const runtime = await buildRealApp(
    { dataDir: '/nonexistent', keys: [], production: false, issuer: 'refreshd-test', secureCookies: true },
    { clock: new FakeClock(), store, keySet: new KeySet([generateSigningKey('HS256')]), onResponseViolation: (v) => violations.push(v) },
  );
  const http = request(runtime.built.handler);
  const minted = await runtime.tokens.mintSession({ api: 'session', sub: 'alice' });

  const other = new Database(file);
  other.prepare('BEGIN IMMEDIATE').run();
  await expect(store.consumeRefreshToken({ jti: 'x', nowMs: 0, successor: { jti: 'y', sessionId: 's', parentJti: 'x', issuedAtMs: 0, expiresAtMs: 1, kid: 'k', claims: {} } })).rejects.toBeInstanceOf(StoreUnavailableError);
  const locked = await http.post('/session/token/refresh').send({ refresh_token: minted.refreshToken });
  expect(locked.status).toBe(503);
  expect(locked.body).toMatchObject({ data: null, code: 50300, error: null });
  expectConforms(runtime.built, 'post', '/session/token/refresh', locked);

  const metrics = (await http.get('/metrics')).text;
  expect(metrics).toMatch(/^refreshd_store_unavailable_total\{api="session"\} 1$/m);
  expect(metrics).toMatch(/^refreshd_refreshes_total\{api="session",outcome="store_unavailable"\} 1$/m);

  other.prepare('ROLLBACK').run();
  other.close();
  const retried = await http.post('/session/token/refresh').send({ refresh_token: minted.refreshToken });
  expect(retried.status).toBe(200);
  expect(violations).toEqual([]);
  await store.close();
});
