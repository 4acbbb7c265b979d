import { withPgClient } from '../../scripts/embedded-postgres';
import { StoreUnavailableError } from '../../src/store/contract';
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
