import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from '../../src/store/migrations';
import { StoreNotFoundError } from '../../src/store/contract';
import { migrateSqliteFile, openSqliteStore } from '../../src/store/sqlite';

describe('sqlite store specifics', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'refreshd-sqlite-'));
    file = join(dir, 'refreshd.sqlite');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * The sessions in a copy of the database file alone, without its WAL: only what checkpoints
   * copied over. A copy taken while a checkpoint is writing the file can be torn (SQLITE_CORRUPT):
   * that reads as "not there yet", and the caller looks again.
   */
  function sessionsInMainFile(copyName: string): unknown[] {
    const copy = join(dir, copyName);
    copyFileSync(file, copy);
    const db = new Database(copy, { readonly: true });
    try {
      const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").get();
      return hasTable ? db.prepare('SELECT id FROM sessions').pluck().all() : [];
    } catch (error) {
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_CORRUPT')) return [];
      throw error;
    } finally {
      db.close();
    }
  }

  test('a new file database is migrated to the newest schema version, in WAL mode', async () => {
    const store = openSqliteStore(file);
    await store.close();

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").pluck().all();
      expect(indexes).toEqual(expect.arrayContaining(['sessions_by_sub', 'refresh_tokens_by_session']));
    } finally {
      db.close();
    }
  });

  test('a missing parent directory is created', async () => {
    const store = openSqliteStore(join(dir, 'nested', 'deeper', 'refreshd.sqlite'));

    await expect(store.listSessions()).resolves.toEqual([]);
    await store.close();
  });

  test('reopening an up-to-date database runs no migration again', async () => {
    await openSqliteStore(file).close();

    const store = openSqliteStore(file);

    await expect(store.listSessions()).resolves.toEqual([]);
    await store.close();
  });

  test('a database written by a newer schema is refused rather than misread', () => {
    const db = new Database(file);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();

    expect(() => openSqliteStore(file)).toThrow(/newer than this refreshd supports/);
  });

  test('requiring the schema refuses a missing file, and creates none', () => {
    expect(() => openSqliteStore(file, { migrations: 'require' })).toThrow(/no refreshd store at /);
    expect(existsSync(file)).toBe(false);
  });

  test('requiring the schema refuses an older one; migrating the file brings it up to date, once', async () => {
    const db = new Database(file);
    db.exec(SQLITE_MIGRATIONS[0].sql);
    db.pragma(`user_version = ${SQLITE_MIGRATIONS[0].version}`);
    db.close();

    expect(() => openSqliteStore(file, { migrations: 'require' })).toThrow(/schema is at version 1, this refreshd needs \d+: run `refreshd migrate` first/);
    expect(migrateSqliteFile(file)).toEqual({ from: 1, to: SQLITE_SCHEMA_VERSION });
    expect(migrateSqliteFile(file)).toEqual({ from: SQLITE_SCHEMA_VERSION, to: SQLITE_SCHEMA_VERSION });
    const store = openSqliteStore(file, { migrations: 'require' });
    await expect(store.knownSigningKids()).resolves.toEqual([]);
    await store.close();
  });

  test('with background checkpoints, committed rows reach the database file without the event loop checkpointing', async () => {
    const store = openSqliteStore(file, { backgroundCheckpoints: true });
    try {
      await store.createSession(
        { id: 's1', api: 'watchr', sub: 'alice', organizations: [], organizationId: null, createdAtMs: 0, absoluteExpiresAtMs: 10, stateHash: 'h' },
        { jti: 't1', sessionId: 's1', parentJti: null, issuedAtMs: 0, expiresAtMs: 10, kid: 'k', claims: { jti: 't1' } },
      );
      let found: unknown[] = [];
      for (let attempt = 0; attempt < 100 && found.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        found = sessionsInMainFile(`copy-${attempt}.sqlite`);
      }
      expect(found).toEqual(['s1']);
    } finally {
      await store.close();
    }
  });

  /** `count` rotations of one token chain, `perTurn` asked for in each turn of the event loop; resolves to how many were consumed. */
  async function rotateChain(store: ReturnType<typeof openSqliteStore>, count: number, perTurn: number): Promise<number> {
    const claims = { jti: 't0', sub: 'alice', typ: 'refresh', padding: 'x'.repeat(400) };
    await store.createSession(
      { id: 's1', api: 'watchr', sub: 'alice', organizations: [], organizationId: null, createdAtMs: 0, absoluteExpiresAtMs: 1e13, stateHash: 'h' },
      { jti: 't0', sessionId: 's1', parentJti: null, issuedAtMs: 0, expiresAtMs: 1e13, kid: 'k', claims },
    );
    let consumed = 0;
    for (let n = 0; n < count; n += perTurn) {
      const turn = [];
      for (let i = n; i < n + perTurn; i++) {
        const successor = { jti: `t${i + 1}`, sessionId: 's1', parentJti: `t${i}`, issuedAtMs: 0, expiresAtMs: 1e13, kid: 'k', claims };
        turn.push(store.consumeRefreshToken({ jti: `t${i}`, nowMs: 1, successor }));
      }
      for (const result of await Promise.all(turn)) if (result.outcome === 'consumed') consumed += 1;
    }
    return consumed;
  }

  test('with background checkpoints, a steady stream of rotations keeps the WAL short (the checkpointer restarts it) and every rotation commits', async () => {
    const store = openSqliteStore(file, { backgroundCheckpoints: true, walRestartFrames: 1000 });
    try {
      // About 10000 WAL frames if nothing restarted the log; the checkpointer restarts it every 1000 or so.
      expect(await rotateChain(store, 6000, 1)).toBe(6000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(statSync(`${file}-wal`).size).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await store.close();
    }
  });

  test('a checkpointer that stops before the store closes hands the checkpoints back to the event loop, at its usual size', async () => {
    const store = openSqliteStore(file, { backgroundCheckpoints: true });
    // Reaches into the store: nothing outside it can kill its thread or read its connection's pragma.
    const internals = store as unknown as { checkpointer: { worker: Worker }; db: { pragma(source: string, options: { simple: true }): unknown } };
    try {
      const autocheckpoint = () => internals.db.pragma('wal_autocheckpoint', { simple: true });
      expect(autocheckpoint()).toBe(40000);
      const exited = new Promise((resolve) => internals.checkpointer.worker.once('exit', resolve));
      await internals.checkpointer.worker.terminate();
      await exited;
      expect(autocheckpoint()).toBe(10000);
      expect(await rotateChain(store, 10, 1)).toBe(10);
    } finally {
      await store.close();
    }
  });

  /** A thread's nice value from its `stat` (Linux: nice is per thread). */
  const niceOf = (statFile: string) => Number(readFileSync(statFile, 'utf8').split(') ')[1].split(' ')[16]);
  /** The nice value of every thread of this process. */
  const threadNiceValues = () => readdirSync('/proc/self/task').map((tid) => niceOf(`/proc/self/task/${tid}/stat`));

  test('the checkpointer thread runs at a lower priority than the event loop (nice 5), the rest of the process unchanged', async () => {
    const before = threadNiceValues();
    expect(before).not.toContain(5);
    const mainThreadNice = () => niceOf('/proc/thread-self/stat');
    const mainBefore = mainThreadNice();
    const store = openSqliteStore(file, { backgroundCheckpoints: true });
    try {
      let after: number[] = [];
      for (let attempt = 0; attempt < 100 && !after.includes(5); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = threadNiceValues();
      }
      expect(after.filter((nice) => nice === 5)).toHaveLength(1);
      expect(mainThreadNice()).toBe(mainBefore);
    } finally {
      await store.close();
    }
  });

  test('without background checkpoints the same stream leaves a long WAL (the test above can fail)', async () => {
    const store = openSqliteStore(file);
    try {
      expect(await rotateChain(store, 6000, 1)).toBe(6000);
      expect(statSync(`${file}-wal`).size).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    } finally {
      await store.close();
    }
  });

  test('without background checkpoints, a small commit stays in the WAL (the test above can fail)', async () => {
    const store = openSqliteStore(file);
    try {
      await store.createSession(
        { id: 's1', api: 'watchr', sub: 'alice', organizations: [], organizationId: null, createdAtMs: 0, absoluteExpiresAtMs: 10, stateHash: 'h' },
        { jti: 't1', sessionId: 's1', parentJti: null, issuedAtMs: 0, expiresAtMs: 10, kid: 'k', claims: { jti: 't1' } },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(sessionsInMainFile('copy.sqlite')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test("a rotation waiting for another connection's write lock leaves the event loop serving, and commits once the lock is free", async () => {
    const store = openSqliteStore(file, { busyTimeoutMs: 2000 });
    await store.createSession(
      { id: 's1', api: 'watchr', sub: 'alice', organizations: [], organizationId: null, createdAtMs: 0, absoluteExpiresAtMs: 10, stateHash: 'h' },
      { jti: 't1', sessionId: 's1', parentJti: null, issuedAtMs: 0, expiresAtMs: 10, kid: 'k', claims: { jti: 't1' } },
    );
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();

    const consumed = store.consumeRefreshToken({
      jti: 't1',
      nowMs: 1,
      successor: { jti: 't2', sessionId: 's1', parentJti: 't1', issuedAtMs: 1, expiresAtMs: 10, kid: 'k', claims: { jti: 't2' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Reads go on meanwhile; a busy handler sleeping in SQLite would have blocked this thread until the timeout.
    expect(await store.findRefreshToken('t1')).toMatchObject({ usedAtMs: null });
    other.prepare('COMMIT').run();
    other.close();

    await expect(consumed).resolves.toEqual({ outcome: 'consumed' });
    expect(await store.findRefreshToken('t1')).toMatchObject({ successorJti: 't2' });
    await store.close();
  });

  test('the stored refresh token row holds claims and a kid, never a token string', async () => {
    const store = openSqliteStore(file);
    await store.createSession(
      { id: 's1', api: 'watchr', sub: 'alice', organizations: [], organizationId: null, createdAtMs: 0, absoluteExpiresAtMs: 10, stateHash: 'h' },
      { jti: 't1', sessionId: 's1', parentJti: null, issuedAtMs: 0, expiresAtMs: 10, kid: 'k', claims: { jti: 't1' } },
    );
    await store.close();

    const db = new Database(file, { readonly: true });
    try {
      const columns = db.prepare("SELECT name FROM pragma_table_info('refresh_tokens')").pluck().all();
      expect(columns).toEqual(['jti', 'session_id', 'parent_jti', 'issued_at', 'expires_at', 'used_at', 'successor_jti', 'kid', 'claims']);
    } finally {
      db.close();
    }
  });
});

describe('opening only an existing store (the sessions CLI)', () => {
  it('refuses a missing file without creating it, or its directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'refreshd-must-exist-'));
    const file = join(dir, 'typo', 'refreshd.sqlite');
    expect(() => openSqliteStore(file, { migrations: 'require' })).toThrow(StoreNotFoundError);
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('refuses a SQLite file that is not a refreshd store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'refreshd-must-exist-'));
    const file = join(dir, 'other.sqlite');
    new Database(file).close();
    expect(() => openSqliteStore(file, { migrations: 'require' })).toThrow(/not a refreshd store/);
  });

  it('opens one serve created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refreshd-must-exist-'));
    const file = join(dir, 'refreshd.sqlite');
    await openSqliteStore(file).close();
    const store = openSqliteStore(file, { migrations: 'require' });
    expect(await store.listSessions()).toEqual([]);
    await store.close();
  });
});
