import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewRefreshToken, NewSession, RotateRefreshTokenInput, TokenStore } from '../../src/store/contract';
import { openPostgresStore } from '../../src/store/postgres';
import { openSqliteStore } from '../../src/store/sqlite';
import { useTestPostgres } from '../support/postgres';

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

/** One PostgreSQL server for the file; a schema of its own for each test. */
const postgres = useTestPostgres();

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
  {
    name: 'postgres',
    durable: true,
    async open() {
      const { url, drop } = await postgres.server.createSchema();
      return { store: await openPostgresStore({ url }), connect: () => openPostgresStore({ url }), cleanup: drop };
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

  durableTest('a signing kid recorded on one connection is seen on another', async () => {
    await store.recordSigningKid('k1', T0);
    const other = await connect!();
    try {
      expect((await other.knownSigningKids()).map((record) => record.kid)).toEqual(['k1']);
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
      // Either connection may win; only the winner's successor is stored, and both connections see it.
      const [winner, loser] = results[0].outcome === 'consumed' ? ['from-first', 'from-second'] : ['from-second', 'from-first'];
      expect(results.find((result) => result.outcome === 'already_used')).toMatchObject({ token: { successorJti: winner } });
      expect(await other.findRefreshToken(winner)).not.toBeNull();
      expect(await store.findRefreshToken(winner)).not.toBeNull();
      expect(await store.findRefreshToken(loser)).toBeNull();
    } finally {
      await other.close();
    }
  });

  describe('a whole rotation in one call', () => {
    const SESSION_END = T0 + 365 * DAY_MS;

    /** A rotation of `t1` in session `s1` whose expectations match what `arrange` stores. */
    function rotation(overrides: { expected?: Partial<RotateRefreshTokenInput['expected']>; successorExpiresAtMs?: number; nowMs?: number; jti?: string } = {}) {
      const successorJti = `succ-${Math.random().toString(36).slice(2)}`;
      const input: RotateRefreshTokenInput = {
        jti: overrides.jti ?? 't1',
        nowMs: overrides.nowMs ?? T0 + 1000,
        successor: token(successorJti, 's1', { parentJti: overrides.jti ?? 't1', expiresAtMs: overrides.successorExpiresAtMs ?? T0 + 180 * DAY_MS }),
        expected: {
          sessionId: 's1',
          api: 'watchr',
          sub: 'alice',
          stateHash: 'stamp-1',
          organizationId: null,
          requestedOrganizationId: null,
          uncappedExpiresAtMs: T0 + 180 * DAY_MS,
          ...overrides.expected,
        },
      };
      return input;
    }

    async function arrange(): Promise<void> {
      await store.ensureSubjectStamp('alice', 'stamp-1', T0);
      await store.createSession(session('s1', { absoluteExpiresAtMs: SESSION_END }), token('t1', 's1'));
    }

    test('when the stored state is what the successor was built from, it consumes, stores the successor and returns what it read', async () => {
      await arrange();
      const input = rotation({ expected: { requestedOrganizationId: 'org-b' } });
      input.organizationId = 'org-b';

      const result = await store.rotateRefreshToken(input);

      expect(result.consumed).toBe(true);
      expect(result.context?.session).toMatchObject({ id: 's1', sub: 'alice', organizationId: null, absoluteExpiresAtMs: SESSION_END });
      expect(result.context?.subjectStamp).toBe('stamp-1');
      expect(await store.findRefreshToken('t1')).toMatchObject({ usedAtMs: T0 + 1000, successorJti: input.successor.jti });
      expect(await store.findRefreshToken(input.successor.jti)).toMatchObject({ parentJti: 't1', usedAtMs: null });
      expect(await store.findSession('s1')).toMatchObject({ organizationId: 'org-b' });
    });

    test('a successor capped at the session end is accepted when the cap is exactly the end', async () => {
      await arrange();
      const result = await store.rotateRefreshToken(
        rotation({ expected: { uncappedExpiresAtMs: SESSION_END + DAY_MS }, successorExpiresAtMs: SESSION_END }),
      );
      expect(result.consumed).toBe(true);
    });

    const mismatches: [string, (input: RotateRefreshTokenInput) => RotateRefreshTokenInput | Promise<RotateRefreshTokenInput>][] = [
      ['the token belongs to another session', (input) => ({ ...input, expected: { ...input.expected, sessionId: 's2' } })],
      ['the session is of another api', (input) => ({ ...input, expected: { ...input.expected, api: 'galileo' } })],
      ['the session is of another subject', (input) => ({ ...input, expected: { ...input.expected, sub: 'bob' } })],
      [
        "the session's stamp is not the token's, though the subject's is",
        async (input) => {
          await store.revokeSubject('alice', 'stamp-2', T0 + 1);
          await store.createSession(session('s3', { stateHash: 'stamp-1' }), token('t3', 's3'));
          return {
            ...input,
            jti: 't3',
            successor: { ...input.successor, sessionId: 's3', parentJti: 't3' },
            expected: { ...input.expected, sessionId: 's3', stateHash: 'stamp-2' },
          };
        },
      ],
      [
        "the subject's stamp is not the session's",
        async (input) => {
          // A session minted under a stamp that a concurrent revocation had just replaced: not itself revoked.
          await store.revokeSubject('alice', 'stamp-2', T0 + 1);
          await store.createSession(session('s3', { stateHash: 'stamp-1' }), token('t3', 's3'));
          return { ...input, jti: 't3', successor: { ...input.successor, sessionId: 's3', parentJti: 't3' }, expected: { ...input.expected, sessionId: 's3' } };
        },
      ],
      ['the session was revoked', async (input) => (await store.revokeSession('s1', T0 + 1, 'revoked'), input)],
      ['the session is past its absolute end', (input) => ({ ...input, nowMs: SESSION_END })],
      ["the session's scope is not the one assumed", (input) => ({ ...input, expected: { ...input.expected, organizationId: 'org-a' } })],
      ['the organization asked for is not one of the session', (input) => ({ ...input, organizationId: 'org-z', expected: { ...input.expected, requestedOrganizationId: 'org-z' } })],
      [
        'the successor would outlive the session',
        (input) => ({ ...input, expected: { ...input.expected, uncappedExpiresAtMs: SESSION_END + DAY_MS }, successor: { ...input.successor, expiresAtMs: SESSION_END + DAY_MS } }),
      ],
      [
        'the successor is capped short of the session end',
        (input) => ({ ...input, expected: { ...input.expected, uncappedExpiresAtMs: SESSION_END + DAY_MS }, successor: { ...input.successor, expiresAtMs: SESSION_END - 1000 } }),
      ],
      [
        'the token was already used',
        async (input) => {
          await store.consumeRefreshToken({ jti: 't1', nowMs: T0 + 1, successor: token('earlier', 's1', { parentJti: 't1' }) });
          return input;
        },
      ],
    ];

    test.each(mismatches)('when %s, nothing is written and the context is returned to decide from', async (_name, mismatch) => {
      await arrange();
      const input = await mismatch(rotation());

      const result = await store.rotateRefreshToken(input);

      expect(result.consumed).toBe(false);
      expect(result.context?.token).toMatchObject({ jti: input.jti });
      expect(await store.findRefreshToken(input.successor.jti)).toBeNull();
      expect(await store.findSession(result.context!.token.sessionId)).toMatchObject({ organizationId: null });
    });

    test('an unknown token consumes nothing and has no context', async () => {
      await arrange();
      const input = rotation({ jti: 'ghost' });
      expect(await store.rotateRefreshToken(input)).toEqual({ consumed: false, context: null });
      expect(await store.findRefreshToken(input.successor.jti)).toBeNull();
    });

    test('of 20 concurrent rotations of one token exactly one consumes, and only its successor exists', async () => {
      await arrange();
      const inputs = Array.from({ length: 20 }, () => rotation());

      const results = await Promise.all(inputs.map((input) => store.rotateRefreshToken(input)));

      expect(results.filter((result) => result.consumed)).toHaveLength(1);
      const winner = inputs[results.findIndex((result) => result.consumed)].successor.jti;
      expect(await store.findRefreshToken('t1')).toMatchObject({ successorJti: winner });
      const stored = await Promise.all(inputs.map((input) => store.findRefreshToken(input.successor.jti)));
      expect(stored.filter((record) => record !== null).map((record) => record!.jti)).toEqual([winner]);
    });

    durableTest('of two connections rotating the same token, exactly one consumes', async () => {
      await arrange();
      const other = await connect!();
      try {
        const inputs = Array.from({ length: 10 }, () => rotation());
        const results = await Promise.all(inputs.map((input, i) => (i % 2 === 0 ? store : other).rotateRefreshToken(input)));

        expect(results.filter((result) => result.consumed)).toHaveLength(1);
        const winner = inputs[results.findIndex((result) => result.consumed)].successor.jti;
        expect(await other.findRefreshToken('t1')).toMatchObject({ successorJti: winner });
      } finally {
        await other.close();
      }
    });

    test('a successor that cannot be stored fails the call and consumes nothing', async () => {
      await arrange();
      await store.createSession(session('s2'), token('taken', 's2'));
      const input = rotation();
      input.successor = { ...input.successor, jti: 'taken' };

      await expect(store.rotateRefreshToken(input)).rejects.toMatchObject({ message: expect.any(String) });
      expect(await store.findRefreshToken('t1')).toMatchObject({ usedAtMs: null, successorJti: null });
    });
  });

  describe('signing kids and instances', () => {
    test('the kids serve signed with are remembered once each, in the order first recorded', async () => {
      expect(await store.knownSigningKids()).toEqual([]);

      await store.recordSigningKid('kid-b', T0);
      await store.recordSigningKid('kid-a', T0 + 10);
      await store.recordSigningKid('kid-b', T0 + 20);
      await store.recordSigningKid('kid-b', T0 + 5);

      expect(await store.knownSigningKids()).toEqual([
        { kid: 'kid-b', firstRecordedAtMs: T0, lastRecordedAtMs: T0 + 20 },
        { kid: 'kid-a', firstRecordedAtMs: T0 + 10, lastRecordedAtMs: T0 + 10 },
      ]);
    });

    test('instances are announced, renewed by heartbeats, listed by when last seen, and withdrawn', async () => {
      const a = { instanceId: 'a', description: 'host-1 pid 10', signingKid: 'k2', verifyingKids: ['k1', 'k2'] };
      const b = { instanceId: 'b', description: 'host-2 pid 20', signingKid: 'k1', verifyingKids: ['k1'] };
      await store.announceInstance(a, T0);
      await store.announceInstance(b, T0 + 1);
      await store.announceInstance({ ...a, verifyingKids: ['k2'] }, T0 + 100);

      expect(await store.listInstances(T0)).toEqual([
        { ...a, verifyingKids: ['k2'], startedAtMs: T0, lastSeenAtMs: T0 + 100 },
        { ...b, startedAtMs: T0 + 1, lastSeenAtMs: T0 + 1 },
      ]);
      expect((await store.listInstances(T0 + 2)).map((instance) => instance.instanceId)).toEqual(['a']);

      await store.withdrawInstance('a');
      await store.withdrawInstance('unknown');
      expect((await store.listInstances(T0)).map((instance) => instance.instanceId)).toEqual(['b']);
    });

    test('a purge forgets instances not seen for a day, and keeps signing kids', async () => {
      await store.recordSigningKid('k1', T0);
      await store.announceInstance({ instanceId: 'old', description: 'gone', signingKid: 'k1', verifyingKids: ['k1'] }, T0);
      await store.announceInstance({ instanceId: 'recent', description: 'here', signingKid: 'k1', verifyingKids: ['k1'] }, T0 + DAY_MS);

      await store.purgeExpired(T0 + DAY_MS + 1);

      expect((await store.listInstances(0)).map((instance) => instance.instanceId)).toEqual(['recent']);
      expect((await store.knownSigningKids()).map((record) => record.kid)).toEqual(['k1']);
    });
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
