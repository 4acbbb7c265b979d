import pgDriver from 'pg';
import { withPgClient } from '../../scripts/embedded-postgres';
import { StoreUnavailableError, type ConsumeRefreshTokenInput, type RotateRefreshTokenInput, type TokenStore } from '../../src/store/contract';
import { storeConfig } from '../../src/store/factory';
import { POSTGRES_SCHEMA_VERSION } from '../../src/store/migrations';
import { describeDatabaseUrl } from '../../src/store/database-url';
import { openPostgresStore } from '../../src/store/postgres';
import { useTestPostgres } from '../support/postgres';

/** What the shared contract suite cannot say about PostgreSQL: migrations, locks, timeouts, URLs. */
const pg = useTestPostgres();

const T0 = 1_750_000_000_000;

test('a database URL selects PostgreSQL with its own settings; without one, SQLite under the data dir', () => {
  expect(storeConfig({ dataDir: '/var/lib/refreshd', sqliteSync: 'FULL', databaseStatementTimeoutMs: 700 })).toEqual({
    backend: 'sqlite',
    filePath: '/var/lib/refreshd/refreshd.sqlite',
    synchronous: 'FULL',
    backgroundCheckpoints: true,
  });
  expect(storeConfig({ dataDir: '/var/lib/refreshd', sqliteSync: 'FULL', databaseUrl: 'postgres://db/refreshd', databaseStatementTimeoutMs: 700 })).toEqual({
    backend: 'postgres',
    url: 'postgres://db/refreshd',
    connectTimeoutMs: undefined,
    statementTimeoutMs: 700,
    poolSize: undefined,
  });
});

test('a URL is described without its password or parameters', () => {
  expect(describeDatabaseUrl('postgres://app:pa55word@db.internal:5433/tokens?sslmode=require&password=x')).toBe('postgres://app@db.internal:5433/tokens');
  expect(describeDatabaseUrl('not a url pa55word')).toBe('postgres://(unparsable url)');
});

test('instances opening an empty database together migrate it once, to the newest version', async () => {
  const url = await pg.server.createDatabase();

  const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore({ url })));

  await Promise.all(stores.map((store) => store.close()));
  const versions = await withPgClient(url, (client) => client.query('SELECT version FROM refreshd_migrations ORDER BY version'));
  expect(versions.rows).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })));
});

test('requiring the schema refuses an empty database and changes nothing', async () => {
  const url = await pg.server.createDatabase();

  await expect(openPostgresStore({ url, migrations: 'require' })).rejects.toThrow(/schema is at version 0, this refreshd needs \d+: run `refreshd migrate` first/);

  const tables = await withPgClient(url, (client) => client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"));
  expect(tables.rows).toEqual([]);
});

test('a database migrated by a newer refreshd is refused rather than misread', async () => {
  const url = await pg.server.createDatabase();
  await (await openPostgresStore({ url })).close();
  await withPgClient(url, (client) => client.query("INSERT INTO refreshd_migrations (version, description) VALUES ($1, 'from the future')", [POSTGRES_SCHEMA_VERSION + 1]));

  await expect(openPostgresStore({ url })).rejects.toThrow(/newer than this refreshd supports/);
});

test('a statement that waits past the statement timeout rejects as unavailable, and the store serves again afterwards', async () => {
  const { url, drop } = await pg.server.createSchema();
  const store = await openPostgresStore({ url, statementTimeoutMs: 300 });
  try {
    await store.ensureSubjectStamp('alice', 'stamp', T0);
    await withPgClient(url, async (client) => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE subject_stamps IN ACCESS EXCLUSIVE MODE');
      await expect(store.findSubjectStamp('alice')).rejects.toBeInstanceOf(StoreUnavailableError);
      await client.query('ROLLBACK');
    });
    await expect(store.findSubjectStamp('alice')).resolves.toBe('stamp');
  } finally {
    await store.close();
    await drop();
  }
});

test('an unreachable server fails the opening with the reason and without the password', async () => {
  const opening = openPostgresStore({ url: 'postgres://app:pa55word@127.0.0.1:1/refreshd', connectTimeoutMs: 500 });

  await expect(opening).rejects.toThrow(/^PostgreSQL at postgres:\/\/app@127\.0\.0\.1:1\/refreshd: ECONNREFUSED/);
  await expect(opening).rejects.not.toThrow(/pa55word/);
});

test('while another instance purges, a purge deletes nothing and reports zeros', async () => {
  const { url, drop } = await pg.server.createSchema();
  const store = await openPostgresStore({ url });
  try {
    await store.createSession(
      { id: 's1', api: 'watchr', sub: 'alice', organizations: [], organizationId: null, createdAtMs: T0, absoluteExpiresAtMs: T0 + 1, stateHash: 'h' },
      { jti: 't1', sessionId: 's1', parentJti: null, issuedAtMs: T0, expiresAtMs: T0 + 1, kid: 'k', claims: {} },
    );
    await withPgClient(url, async (client) => {
      await client.query('BEGIN');
      // The purge's lock key, held as another instance's purge would hold it.
      await client.query('SELECT pg_advisory_xact_lock(7412290017751103202)');
      expect(await store.purgeExpired(T0 + 10)).toEqual({ sessions: 0, refreshTokens: 0 });
      await client.query('ROLLBACK');
    });
    expect(await store.findSession('s1')).not.toBeNull();

    expect(await store.purgeExpired(T0 + 10)).toEqual({ sessions: 1, refreshTokens: 1 });
  } finally {
    await store.close();
    await drop();
  }
});

describe('the rotations asked for in one turn of the event loop', () => {
  const END = T0 + 365 * 24 * 3600 * 1000;
  const EXPIRES = T0 + 30 * 24 * 3600 * 1000;
  let store: TokenStore;
  let url: string;
  let drop: () => Promise<void>;
  let statements: jest.SpyInstance;

  beforeEach(async () => {
    ({ url, drop } = await pg.server.createSchema());
    store = await openPostgresStore({ url, statementTimeoutMs: 500 });
    await store.ensureSubjectStamp('alice', 'stamp', T0);
  });

  afterEach(async () => {
    statements?.mockRestore();
    await store.close();
    await drop();
  });

  /** From here on, counts the statements the store sends (every one goes through its pool's `query`). */
  const countStatements = () => {
    statements = jest.spyOn(pgDriver.Pool.prototype, 'query');
    return () => statements.mock.calls.length;
  };

  /** Session `sessionId` of alice with its first token `jti`. */
  async function chain(sessionId: string, jti: string): Promise<void> {
    await store.createSession(
      { id: sessionId, api: 'watchr', sub: 'alice', organizations: ['org-a', 'org-b'], organizationId: null, createdAtMs: T0, absoluteExpiresAtMs: END, stateHash: 'stamp' },
      { jti, sessionId, parentJti: null, issuedAtMs: T0, expiresAtMs: EXPIRES, kid: 'k', claims: { jti } },
    );
  }

  function consume(jti: string, sessionId: string, successorJti: string): ConsumeRefreshTokenInput {
    return { jti, nowMs: T0 + 1000, successor: { jti: successorJti, sessionId, parentJti: jti, issuedAtMs: T0 + 1000, expiresAtMs: EXPIRES, kid: 'k', claims: { jti: successorJti } } };
  }

  /** A rotation of `jti` whose expectations hold for what `chain` stores, unless `expected` says otherwise. */
  function rotation(jti: string, sessionId: string, successorJti: string, expected: Partial<RotateRefreshTokenInput['expected']> = {}): RotateRefreshTokenInput {
    return {
      ...consume(jti, sessionId, successorJti),
      expected: { sessionId, api: 'watchr', sub: 'alice', stateHash: 'stamp', organizationId: null, requestedOrganizationId: null, uncappedExpiresAtMs: EXPIRES, ...expected },
    };
  }

  test('go to the database as one statement, whatever their number', async () => {
    const sessions = Array.from({ length: 12 }, (_, i) => `s${i}`);
    for (const id of sessions) await chain(id, `${id}-t1`);
    const sent = countStatements();

    const results = await Promise.all(sessions.map((id) => store.rotateRefreshToken(rotation(`${id}-t1`, id, `${id}-t2`))));

    expect(sent()).toBe(1);
    expect(results.map((result) => result.consumed)).toEqual(sessions.map(() => true));
    expect(results.map((result) => result.context?.token.jti)).toEqual(sessions.map((id) => `${id}-t1`));
    for (const id of sessions) {
      expect(await store.findRefreshToken(`${id}-t1`)).toMatchObject({ usedAtMs: T0 + 1000, successorJti: `${id}-t2` });
      expect(await store.findRefreshToken(`${id}-t2`)).toMatchObject({ parentJti: `${id}-t1`, usedAtMs: null });
    }
  });

  test('each get their own outcome in one group: consumed, already used, unknown, revoked, not as expected', async () => {
    for (const id of ['ok', 'used', 'revoked', 'mismatch', 'c-ok', 'c-used', 'c-revoked']) await chain(id, `${id}-t1`);
    await store.consumeRefreshToken(consume('used-t1', 'used', 'used-earlier'));
    await store.consumeRefreshToken(consume('c-used-t1', 'c-used', 'c-used-earlier'));
    await store.revokeSession('revoked', T0 + 1, 'revoked');
    await store.revokeSession('c-revoked', T0 + 1, 'revoked');
    const sent = countStatements();

    const [ok, used, unknown, revoked, mismatch, cOk, cUsed, cUnknown, cRevoked] = await Promise.all([
      store.rotateRefreshToken({ ...rotation('ok-t1', 'ok', 'ok-t2', { requestedOrganizationId: 'org-b' }), organizationId: 'org-b' }),
      store.rotateRefreshToken(rotation('used-t1', 'used', 'used-t2')),
      store.rotateRefreshToken(rotation('ghost', 'ok', 'ghost-t2')),
      store.rotateRefreshToken(rotation('revoked-t1', 'revoked', 'revoked-t2')),
      store.rotateRefreshToken(rotation('mismatch-t1', 'mismatch', 'mismatch-t2', { api: 'galileo' })),
      store.consumeRefreshToken(consume('c-ok-t1', 'c-ok', 'c-ok-t2')),
      store.consumeRefreshToken(consume('c-used-t1', 'c-used', 'c-used-t2')),
      store.consumeRefreshToken(consume('c-ghost', 'c-ok', 'c-ghost-t2')),
      store.consumeRefreshToken(consume('c-revoked-t1', 'c-revoked', 'c-revoked-t2')),
    ]);

    // One statement for the group, and one more read for the consume whose token was unused yet not
    // consumed (it tells a revoked session from a lost race).
    expect(sent()).toBe(2);
    expect(ok).toMatchObject({ consumed: true, context: { token: { jti: 'ok-t1', usedAtMs: null }, session: { id: 'ok', organizationId: null }, subjectStamp: 'stamp' } });
    expect(used).toMatchObject({ consumed: false, context: { token: { jti: 'used-t1', usedAtMs: T0 + 1000, successorJti: 'used-earlier' } } });
    expect(unknown).toEqual({ consumed: false, context: null });
    expect(revoked).toMatchObject({ consumed: false, context: { token: { jti: 'revoked-t1', usedAtMs: null }, session: { revokedAtMs: T0 + 1 } } });
    expect(mismatch).toMatchObject({ consumed: false, context: { token: { jti: 'mismatch-t1', usedAtMs: null }, session: { api: 'watchr' } } });
    expect(cOk).toEqual({ outcome: 'consumed' });
    expect(cUsed).toMatchObject({ outcome: 'already_used', token: { jti: 'c-used-t1', successorJti: 'c-used-earlier' } });
    expect(cUnknown).toEqual({ outcome: 'not_found' });
    expect(cRevoked).toEqual({ outcome: 'session_inactive' });

    const stored = await Promise.all(
      ['ok-t2', 'used-t2', 'ghost-t2', 'revoked-t2', 'mismatch-t2', 'c-ok-t2', 'c-used-t2', 'c-ghost-t2', 'c-revoked-t2'].map((jti) => store.findRefreshToken(jti)),
    );
    expect(stored.filter((record) => record !== null).map((record) => record!.jti)).toEqual(['ok-t2', 'c-ok-t2']);
    expect(await store.findSession('ok')).toMatchObject({ organizationId: 'org-b' });
    expect(await store.findRefreshToken('mismatch-t1')).toMatchObject({ usedAtMs: null });
  });

  test('two refreshes of one token in one group: the first in call order that holds consumes, and only its successor and scope are written', async () => {
    await chain('s1', 't1');
    await chain('s2', 'u1');
    const sent = countStatements();

    const [first, second, consumeAfter] = await Promise.all([
      store.rotateRefreshToken({ ...rotation('t1', 's1', 't2-first', { requestedOrganizationId: 'org-a' }), organizationId: 'org-a' }),
      store.rotateRefreshToken({ ...rotation('t1', 's1', 't2-second', { requestedOrganizationId: 'org-b' }), organizationId: 'org-b' }),
      store.consumeRefreshToken(consume('t1', 's1', 't2-third')),
    ]);

    expect(sent()).toBe(2); // the group, and the losing consume's read
    expect(first.consumed).toBe(true);
    expect(second).toMatchObject({ consumed: false, context: { token: { jti: 't1' } } });
    expect(consumeAfter).toMatchObject({ outcome: 'already_used', token: { successorJti: 't2-first' } });
    expect(await store.findRefreshToken('t1')).toMatchObject({ successorJti: 't2-first' });
    expect(await store.findRefreshToken('t2-second')).toBeNull();
    expect(await store.findRefreshToken('t2-third')).toBeNull();
    expect(await store.findSession('s1')).toMatchObject({ organizationId: 'org-a' });

    // The first entry's expectations do not hold: the second, which holds, consumes.
    const [mismatched, holding] = await Promise.all([
      store.rotateRefreshToken(rotation('u1', 's2', 'u2-first', { stateHash: 'another' })),
      store.rotateRefreshToken(rotation('u1', 's2', 'u2-second')),
    ]);
    expect([mismatched.consumed, holding.consumed]).toEqual([false, true]);
    expect(await store.findRefreshToken('u1')).toMatchObject({ successorJti: 'u2-second' });
  });

  test('an entry that fails the statement fails alone: the group is tried again entry by entry and the others commit', async () => {
    for (const id of ['s1', 's2', 's3']) await chain(id, `${id}-t1`);
    const sent = countStatements();

    const results = await Promise.allSettled([
      store.rotateRefreshToken(rotation('s1-t1', 's1', 's1-t2')),
      // Its successor's jti is taken: the insert violates the primary key.
      store.rotateRefreshToken(rotation('s2-t1', 's2', 's3-t1')),
      store.consumeRefreshToken(consume('s3-t1', 's3', 's3-t2')),
    ]);

    expect(sent()).toBe(1 + 3);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { consumed: true } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: '23505' } });
    expect(results[1]).not.toMatchObject({ reason: expect.any(StoreUnavailableError) });
    expect(results[2]).toEqual({ status: 'fulfilled', value: { outcome: 'consumed' } });
    expect(await store.findRefreshToken('s2-t1')).toMatchObject({ usedAtMs: null, successorJti: null });
    expect(await store.findRefreshToken('s1-t2')).not.toBeNull();
    expect(await store.findRefreshToken('s3-t2')).not.toBeNull();
  });

  test('a deadlock of the group with another transaction is not a failure of its entries: each is tried again alone, and both consume', async () => {
    await chain('s1', 't1');
    await chain('s2', 'u1');
    const patient = await openPostgresStore({ url, statementTimeoutMs: 20_000 });
    try {
      await withPgClient(url, async (other) => {
        await other.query('BEGIN');
        // This transaction never runs the deadlock check first: the group's (after the default 1 s) does, and is the one cancelled.
        await other.query("SET LOCAL deadlock_timeout = '1min'");
        await other.query("UPDATE sessions SET organization_id = NULL WHERE id = 's1'");
        const sent = countStatements();
        const rotations = Promise.all([
          patient.rotateRefreshToken({ ...rotation('t1', 's1', 't2', { requestedOrganizationId: 'org-a' }), organizationId: 'org-a' }),
          patient.rotateRefreshToken(rotation('u1', 's2', 'u2')),
        ]);
        // Once the group holds t1 and waits for the session's row, take t1 too: each waits for the other.
        await withPgClient(url, async (watcher) => {
          const waiting = async () => (await watcher.query("SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")).rows[0].n > 0;
          while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 10));
        });
        await other.query("UPDATE refresh_tokens SET kid = kid WHERE jti = 't1'");
        await other.query('ROLLBACK');
        await expect(rotations).resolves.toMatchObject([{ consumed: true }, { consumed: true }]);
        expect(sent()).toBe(1 + 2);
      });
      expect(await store.findSession('s1')).toMatchObject({ organizationId: 'org-a' });
      expect(await store.findRefreshToken('u2')).not.toBeNull();
    } finally {
      await patient.close();
    }
  });

  test('a database that cannot answer fails the whole group as unavailable, writes nothing, and is not asked again entry by entry', async () => {
    for (const id of ['s1', 's2', 's3']) await chain(id, `${id}-t1`);
    await withPgClient(url, async (client) => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE');
      const sent = countStatements();
      const results = await Promise.allSettled(['s1', 's2', 's3'].map((id) => store.rotateRefreshToken(rotation(`${id}-t1`, id, `${id}-t2`))));
      expect(sent()).toBe(1);
      for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(StoreUnavailableError) });
      await client.query('ROLLBACK');
    });
    for (const id of ['s1', 's2', 's3']) expect(await store.findRefreshToken(`${id}-t1`)).toMatchObject({ usedAtMs: null });
    await expect(store.rotateRefreshToken(rotation('s1-t1', 's1', 's1-t2'))).resolves.toMatchObject({ consumed: true });
  });

  test('closing commits the rotations already asked for before the connections go', async () => {
    await chain('s1', 't1');
    await chain('s2', 'u1');

    const asked = [store.rotateRefreshToken(rotation('t1', 's1', 't2')), store.consumeRefreshToken(consume('u1', 's2', 'u2'))];
    await store.close();

    await expect(Promise.all(asked)).resolves.toMatchObject([{ consumed: true }, { outcome: 'consumed' }]);
    await expect(store.rotateRefreshToken(rotation('t2', 's1', 't3'))).rejects.toBeInstanceOf(StoreUnavailableError);
    const rows = await withPgClient(url, (client) => client.query("SELECT jti FROM refresh_tokens WHERE jti IN ('t2', 'u2') ORDER BY jti"));
    expect(rows.rows).toEqual([{ jti: 't2' }, { jti: 'u2' }]);
    store = await openPostgresStore({ url });
  });
});
