import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { buildRealApp } from '../../src/app/real-server';
import { openSqliteStore } from '../../src/store/sqlite';
import { generateSigningKey, KeySet } from '../../src/tokens/keys';
import { claimsOf, DRIVERS } from '../support/drivers';
import { ADMIN_TOKEN, FakeClock } from '../support/harness';

/** Every log line of a full lifecycle, on every api, searched for secrets and token values. */
it('no token, key or admin token value appears in any log line of a full lifecycle', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const clock = new FakeClock();
  const key = generateSigningKey('HS256');
  const store = openSqliteStore(':memory:');
  const runtime = await buildRealApp(
    { dataDir: '/nonexistent', keys: [], production: false, issuer: 'refreshd-test', secureCookies: true, adminToken: ADMIN_TOKEN, graceWindowSeconds: 10, debug: true },
    { clock, store, keySet: new KeySet([key]), logger: pino({ level: 'trace' }, sink) },
  );
  const http = request(runtime.built.handler);
  const secrets = new Set<string>([ADMIN_TOKEN]);
  const exported = key.signingKey?.export({ format: 'jwk' }) as { k?: string } | undefined;
  if (exported?.k) secrets.add(exported.k);

  for (const driver of DRIVERS) {
    const minted = await http.post('/admin/sessions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ api: driver.api, sub: driver.sub, organizations: ['org-a'] });
    expect(minted.status).toBe(201);
    const session = { sub: minted.body.sub, sessionId: minted.body.session_id, accessToken: minted.body.access_token, refreshToken: minted.body.refresh_token };
    secrets.add(session.accessToken).add(session.refreshToken);
    const harness = { http } as never;
    const first = await driver.refresh(harness, session, session.refreshToken);
    expect(first.status).toBe(200);
    const rotated = driver.rotatedToken(first) as string;
    secrets.add(rotated);
    clock.advanceSeconds(11);
    const reuse = await driver.refresh(harness, session, session.refreshToken);
    expect(reuse.status).toBe(401);
    await driver.refresh(harness, session, `${rotated}tampered`);
    expect(claimsOf(rotated).sid).toBe(session.sessionId);
  }
  await http.post('/admin/subjects/revoke').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ sub: 'alice' });
  await http.post('/admin/sessions').set('Authorization', 'Bearer wrong-admin-token-value').send({ api: 'watchr', sub: 'x' });
  secrets.add('wrong-admin-token-value');
  await store.close();

  expect(lines.length).toBeGreaterThan(20);
  expect(lines.some((line) => line.includes('"status":401'))).toBe(true);
  const leaks = lines.filter((line) => [...secrets].some((secret) => line.includes(secret) || line.includes(secret.split('.')[2] ?? secret)));
  expect(leaks).toEqual([]);
});
