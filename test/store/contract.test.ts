import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewRefreshToken, NewSession, TokenStore } from '../../src/store/contract';
import { openSqliteStore } from '../../src/store/sqlite';

/**
 * Every backend runs this suite against a real database. A durable backend (a
 * file, a server) also gets the tests that need a second connection to the same
 * database: `connect` opens one.
 */
interface StoreBackend {
  name: string;
  durable: boolean;
  open(): Promise<{ store: TokenStore; connect?: () => Promise<TokenStore>; cleanup(): Promise<void> }>;
}

const backends: StoreBackend[] = [
  {
    name: 'sqlite :memory:',
    durable: false,
    async open() {
      return { store: openSqliteStore(':memory:'), cleanup: async () => undefined };
    },
  },
  {
    name: 'sqlite file',
    durable: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'refreshd-store-'));
      const file = join(dir, 'refreshd.sqlite');
      return {
        store: openSqliteStore(file),
        connect: async () => openSqliteStore(file),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

const T0 = 1_750_000_000_000;
const DAY_MS = 24 * 3600 * 1000;

function session(id: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    id,
    api: 'watchr',
    sub: 'alice',
    organizations: ['org-a', 'org-b'],
    organizationId: null,
    createdAtMs: T0,
    absoluteExpiresAtMs: T0 + 365 * DAY_MS,
    stateHash: 'stamp-1',
    ...overrides,
  };
}

function token(jti: string, sessionId: string, overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return {
    jti,
    sessionId,
    parentJti: null,
    issuedAtMs: T0,
    expiresAtMs: T0 + 180 * DAY_MS,
    kid: 'k1',
    claims: { token_type: 'refresh', jti, sid: sessionId },
    ...overrides,
  };
}

describe.each(backends)('store contract: $name', (backend) => {
  let store: TokenStore;
  let connect: (() => Promise<TokenStore>) | undefined;
  let cleanup: () => Promise<void>;
  const durableTest = backend.durable ? test : test.skip;

  beforeEach(async () => {
    ({ store, connect, cleanup } = await backend.open());
  });

  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  test('findRefreshContext reads a token with its session and the subject stamp in one call', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));
    expect(await store.findRefreshContext('nope')).toBeNull();
    const before = await store.findRefreshContext('t1');
    expect(before?.token).toMatchObject({ jti: 't1', sessionId: 's1', usedAtMs: null });
    expect(before?.session).toMatchObject({ id: 's1', sub: 'alice', organizations: ['org-a', 'org-b'], revokedAtMs: null });
    expect(before?.subjectStamp).toBeNull();
    await store.ensureSubjectStamp('alice', 'stamp-1', T0);
    await store.revokeSession('s1', T0 + 1, 'revoked');
    const after = await store.findRefreshContext('t1');
    expect(after?.subjectStamp).toBe('stamp-1');
    expect(after?.session).toMatchObject({ revokedAtMs: T0 + 1, revokeReason: 'revoked' });
  });

  test('a created session and its first refresh token can be found', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));

    expect(await store.findSession('s1')).toEqual({ ...session('s1'), revokedAtMs: null, revokeReason: null });
    expect(await store.findRefreshToken('t1')).toEqual({ ...token('t1', 's1'), usedAtMs: null, successorJti: null });
  });

  test('unknown ids are null, not errors', async () => {
    expect(await store.findSession('nope')).toBeNull();
    expect(await store.findRefreshToken('nope')).toBeNull();
    expect(await store.findSubjectStamp('nobody')).toBeNull();
  });

  test('creating a session is all or nothing: a duplicate first token leaves no session behind', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));

    // Not `toThrow()`: better-sqlite3's SqliteError is not always `instanceof Error` inside jest's sandbox.
    await expect(store.createSession(session('s2'), token('t1', 's2'))).rejects.toMatchObject({ message: expect.any(String) });

    expect(await store.findSession('s2')).toBeNull();
  });

  test('consuming marks the token used and stores the successor', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));

    const result = await store.consumeRefreshToken({
      jti: 't1',
      nowMs: T0 + 1000,
      successor: token('t2', 's1', { parentJti: 't1', issuedAtMs: T0 + 1000 }),
      organizationId: 'org-b',
    });

    expect(result).toEqual({ outcome: 'consumed' });
    expect(await store.findRefreshToken('t1')).toMatchObject({ usedAtMs: T0 + 1000, successorJti: 't2' });
    expect(await store.findRefreshToken('t2')).toMatchObject({ parentJti: 't1', usedAtMs: null });
    expect(await store.findSession('s1')).toMatchObject({ organizationId: 'org-b' });
  });

  test('consumes asked for together each get their own outcome, as if run one after another', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));
    await store.createSession(session('s2'), token('u1', 's2'));

    const results = await Promise.all([
      store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1, successor: token('t2', 's1', { parentJti: 't1' }) }),
      store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1, successor: token('t2-loser', 's1', { parentJti: 't1' }) }),
      store.consumeRefreshToken({ jti: 'u1', nowMs: T0 + 1, successor: token('u2', 's2', { parentJti: 'u1' }) }),
      store.consumeRefreshToken({ jti: 'nope', nowMs: T0 + 1, successor: token('x2', 's1', { parentJti: 'nope' }) }),
    ]);

    expect(results.map((result) => result.outcome)).toEqual(['consumed', 'already_used', 'consumed', 'not_found']);
    expect(results[1]).toMatchObject({ token: { jti: 't1', successorJti: 't2' } });
    expect(await store.findRefreshToken('t2-loser')).toBeNull();
    expect(await store.findRefreshToken('u2')).toMatchObject({ parentJti: 'u1', usedAtMs: null });
  });

  test('one failing consume among several asked for together fails alone', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));
    await store.createSession(session('s2'), token('u1', 's2'));

    const settled = await Promise.allSettled([
      store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1, successor: token('t2', 's1', { parentJti: 't1' }) }),
      // Its successor's jti already exists: the insert violates the primary key.
      store.consumeRefreshToken({ jti: 'u1', nowMs: T0 + 1, successor: token('t1', 's2', { parentJti: 'u1' }) }),
    ]);

    expect(settled[0]).toEqual({ status: 'fulfilled', value: { outcome: 'consumed' } });
    expect(settled[1].status).toBe('rejected');
    expect(await store.findRefreshToken('t2')).toMatchObject({ parentJti: 't1' });
    expect(await store.findRefreshToken('u1')).toMatchObject({ usedAtMs: null, successorJti: null });
  });

  durableTest('a consume asked for just before close is committed, not lost', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));
    const pending = store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1, successor: token('t2', 's1', { parentJti: 't1' }) });

    await store.close();

    await expect(pending).resolves.toEqual({ outcome: 'consumed' });
    store = await (connect as () => Promise<TokenStore>)();
    expect(await store.findRefreshToken('t1')).toMatchObject({ usedAtMs: T0 + 1, successorJti: 't2' });
    expect(await store.findRefreshToken('t2')).toMatchObject({ parentJti: 't1' });
  });

  test('consuming an unknown token reports not_found and stores nothing', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));

    const result = await store.consumeRefreshToken({ jti: 'ghost', nowMs: T0, successor: token('t2', 's1', { parentJti: 'ghost' }) });

    expect(result).toEqual({ outcome: 'not_found' });
    expect(await store.findRefreshToken('t2')).toBeNull();
  });

  test('of 20 concurrent consumes of one token exactly one wins, and only its successor exists', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1000, successor: token(`succ-${i}`, 's1', { parentJti: 't1' }) }),
      ),
    );

    const winners = results.flatMap((result, i) => (result.outcome === 'consumed' ? [i] : []));
    expect(winners).toHaveLength(1);
    const winnerJti = `succ-${winners[0]}`;
    for (const result of results) {
      if (result.outcome === 'already_used') expect(result.token.successorJti).toBe(winnerJti);
    }
    const stored = await Promise.all(results.map((_, i) => store.findRefreshToken(`succ-${i}`)));
    expect(stored.filter((record) => record !== null).map((record) => record!.jti)).toEqual([winnerJti]);
  });

  test('revoking a session is reported once and keeps the first reason', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));

    expect(await store.revokeSession('s1', T0 + 5, 'token_reused')).toBe(true);
    expect(await store.revokeSession('s1', T0 + 9, 'revoked')).toBe(false);
    expect(await store.revokeSession('unknown', T0, 'revoked')).toBe(false);

    expect(await store.findSession('s1')).toMatchObject({ revokedAtMs: T0 + 5, revokeReason: 'token_reused' });
  });

  test('the subject stamp is created once and shared by concurrent callers', async () => {
    const stamps = await Promise.all(['a', 'b', 'c'].map((candidate) => store.ensureSubjectStamp('alice', candidate, T0)));

    expect(new Set(stamps).size).toBe(1);
    expect(await store.findSubjectStamp('alice')).toBe(stamps[0]);
  });

  test('revoking a subject replaces its stamp and revokes its live sessions on every api, not other subjects', async () => {
    await store.ensureSubjectStamp('alice', 'stamp-1', T0);
    await store.createSession(session('s1', { api: 'watchr' }), token('t1', 's1'));
    await store.createSession(session('s2', { api: 'almanac' }), token('t2', 's2'));
    await store.createSession(session('s3', { sub: 'bob' }), token('t3', 's3'));
    await store.revokeSession('s2', T0 + 1, 'revoked');

    const revoked = await store.revokeSubject('alice', 'stamp-2', T0 + 10);

    expect(revoked).toBe(1);
    expect(await store.findSubjectStamp('alice')).toBe('stamp-2');
    expect(await store.findSession('s1')).toMatchObject({ revokedAtMs: T0 + 10, revokeReason: 'subject_revoked' });
    expect(await store.findSession('s2')).toMatchObject({ revokedAtMs: T0 + 1, revokeReason: 'revoked' });
    expect(await store.findSession('s3')).toMatchObject({ revokedAtMs: null });
  });

  test('revoking a subject that never had a stamp gives it one', async () => {
    expect(await store.revokeSubject('carol', 'stamp-x', T0)).toBe(0);
    expect(await store.findSubjectStamp('carol')).toBe('stamp-x');
  });

  test('sessions are listed oldest first and filtered by api and subject', async () => {
    await store.createSession(session('s1', { api: 'watchr', sub: 'alice', createdAtMs: T0 + 2 }), token('t1', 's1'));
    await store.createSession(session('s2', { api: 'galileo', sub: 'alice', createdAtMs: T0 + 1 }), token('t2', 's2'));
    await store.createSession(session('s3', { api: 'watchr', sub: 'bob', createdAtMs: T0 + 3 }), token('t3', 's3'));

    const ids = async (filter?: { api?: string; sub?: string }) => (await store.listSessions(filter)).map((s) => s.id);

    expect(await ids()).toEqual(['s2', 's1', 's3']);
    expect(await ids({ api: 'watchr' })).toEqual(['s1', 's3']);
    expect(await ids({ sub: 'alice' })).toEqual(['s2', 's1']);
    expect(await ids({ api: 'watchr', sub: 'bob' })).toEqual(['s3']);
    expect(await ids({ api: 'session' })).toEqual([]);
  });

  test('purge deletes sessions past their end or idle, and expired tokens, and keeps live ones', async () => {
    const now = T0 + 200 * DAY_MS;
    await store.createSession(session('absolute-over', { absoluteExpiresAtMs: now - 1 }), token('a1', 'absolute-over', { expiresAtMs: now + DAY_MS }));
    await store.createSession(session('idle', { absoluteExpiresAtMs: now + DAY_MS }), token('i1', 'idle', { expiresAtMs: now }));
    await store.createSession(session('live', { absoluteExpiresAtMs: now + DAY_MS }), token('l1', 'live'));
    await store.consumeRefreshToken({ jti: 'l1', nowMs: now - DAY_MS, successor: token('l2', 'live', { parentJti: 'l1', expiresAtMs: now + DAY_MS }) });

    const purged = await store.purgeExpired(now);

    expect(purged).toEqual({ sessions: 2, refreshTokens: 3 });
    expect(await store.findSession('absolute-over')).toBeNull();
    expect(await store.findSession('idle')).toBeNull();
    expect(await store.findRefreshToken('a1')).toBeNull();
    expect(await store.findRefreshToken('l1')).toBeNull();
    expect(await store.findSession('live')).not.toBeNull();
    expect(await store.findRefreshToken('l2')).not.toBeNull();
  });

  test('a closed store rejects every call, and closing twice is harmless', async () => {
    await expect(store.ping()).resolves.toBeUndefined();

    await store.close();
    await store.close();

    await expect(store.findSession('s1')).rejects.toMatchObject({ name: 'StoreUnavailableError', internalDetail: 'the store is closed' });
    await expect(store.ping()).rejects.toMatchObject({ name: 'StoreUnavailableError', internalDetail: 'the store is closed' });
  });

  durableTest('closing and reopening the database loses nothing', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));
    await store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1000, successor: token('t2', 's1', { parentJti: 't1' }), organizationId: 'org-a' });
    await store.revokeSubject('bob', 'bob-stamp', T0);
    await store.close();

    store = await connect!();

    expect(await store.findSession('s1')).toMatchObject({ organizationId: 'org-a', revokedAtMs: null, organizations: ['org-a', 'org-b'] });
    expect(await store.findRefreshToken('t1')).toMatchObject({ usedAtMs: T0 + 1000, successorJti: 't2' });
    expect(await store.findRefreshToken('t2')).toMatchObject({ parentJti: 't1', claims: { token_type: 'refresh', jti: 't2', sid: 's1' } });
    expect(await store.findSubjectStamp('bob')).toBe('bob-stamp');
  });

  test('signing keys: recorded once per kid, the most recently used first, and the first use kept', async () => {
    expect(await store.listSigningKeys()).toEqual([]);
    await store.recordSigningKey('old', T0);
    await store.recordSigningKey('new', T0 + 1000);
    await store.recordSigningKey('old', T0 + 500);

    expect(await store.listSigningKeys()).toEqual([
      { kid: 'new', firstUsedAtMs: T0 + 1000, lastUsedAtMs: T0 + 1000 },
      { kid: 'old', firstUsedAtMs: T0, lastUsedAtMs: T0 + 500 },
    ]);
  });

  durableTest('a signing key recorded on one connection is seen on another', async () => {
    await store.recordSigningKey('k1', T0);
    const other = await connect!();
    try {
      expect((await other.listSigningKeys()).map((record) => record.kid)).toEqual(['k1']);
    } finally {
      await other.close();
    }
  });

  durableTest('of two connections consuming the same token, only one wins', async () => {
    await store.createSession(session('s1'), token('t1', 's1'));
    const other = await connect!();
    try {
      const results = await Promise.all([
        store.consumeRefreshToken({ jti: 't1', nowMs: T0, successor: token('from-first', 's1', { parentJti: 't1' }) }),
        other.consumeRefreshToken({ jti: 't1', nowMs: T0, successor: token('from-second', 's1', { parentJti: 't1' }) }),
      ]);

      expect(results.map((result) => result.outcome).sort()).toEqual(['already_used', 'consumed']);
      expect(await other.findRefreshToken('from-first')).not.toBeNull();
      expect(await store.findRefreshToken('from-second')).toBeNull();
    } finally {
      await other.close();
    }
  });
});

describe.each(backends)('store contract, rotation against a concurrent revocation: $name', (backend) => {
  test('a consume after the session was revoked writes nothing and says session_inactive', async () => {
    const { store, cleanup } = await backend.open();
    try {
      await store.createSession(session('s1'), token('t1', 's1'));
      await store.revokeSession('s1', T0 + 1, 'revoked');
      const result = await store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 2, successor: token('t2', 's1', { parentJti: 't1' }) });
      expect(result).toEqual({ outcome: 'session_inactive' });
      expect(await store.findRefreshToken('t2')).toBeNull();
      expect((await store.findRefreshToken('t1'))?.usedAtMs).toBeNull();
    } finally {
      await store.close();
      await cleanup();
    }
  });

  test("a consume after the subject's stamp changed writes nothing and says session_inactive", async () => {
    const { store, cleanup } = await backend.open();
    try {
      await store.createSession(session('s1', { stateHash: 'stamp-1' }), token('t1', 's1'));
      await store.ensureSubjectStamp('alice', 'stamp-2', T0);
      const result = await store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 2, successor: token('t2', 's1', { parentJti: 't1' }) });
      expect(result).toEqual({ outcome: 'session_inactive' });
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
