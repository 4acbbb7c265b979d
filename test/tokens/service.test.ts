import { createHmac, generateKeyPairSync } from 'node:crypto';
import type { TokenStore } from '../../src/store/contract';
import { openSqliteStore } from '../../src/store/sqlite';
import { TokenError } from '../../src/tokens/errors';
import { generateSigningKey, hs256Key, KeySet, keyFromPem, type SigningAlgorithm } from '../../src/tokens/keys';
import { signJwt } from '../../src/tokens/jwt';
import { PUBLISHED_APIS } from '../support/apis';
import {
  claimsOf,
  createHarness,
  DAY_SECONDS,
  encodePart,
  expectTokenError,
  FakeClock,
  type Harness,
  headerOf,
  ISSUER,
  T0_MS,
} from './helpers';

let harness: Harness;

afterEach(async () => {
  await harness?.store.close();
});

describe('minting and rotating', () => {
  beforeEach(() => {
    harness = createHarness();
  });

  test('a minted session yields an access token and a refresh token with the documented claims', async () => {
    const minted = await harness.service.mintSession({ api: 'session', sub: 'lpua' });

    const access = claimsOf(minted.accessToken);
    const refresh = claimsOf(minted.refreshToken);
    const nowSeconds = T0_MS / 1000;
    expect(access).toEqual({
      token_type: 'access', sub: 'lpua', sid: minted.sessionId, jti: expect.any(String),
      iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + 3600, iss: ISSUER, aud: 'session',
    });
    expect(refresh).toEqual({
      token_type: 'refresh', sub: 'lpua', sid: minted.sessionId, jti: expect.any(String),
      iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + 180 * DAY_SECONDS, iss: ISSUER, aud: 'session',
      state_hash: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
    });
    expect(headerOf(minted.refreshToken)).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'hs-1' });
    expect(minted).toMatchObject({
      sub: 'lpua', api: 'session', organizationId: null,
      accessExpiresAtMs: T0_MS + 3600_000, refreshExpiresAtMs: T0_MS + 180 * DAY_SECONDS * 1000,
    });
  });

  test('rotating returns a new refresh token with a new jti, and the access token verifies', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness.clock.advanceSeconds(60);

    const rotated = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(rotated.sessionId).toBe(minted.sessionId);
    expect(claimsOf(rotated.refreshToken).jti).not.toBe(claimsOf(minted.refreshToken).jti);
    // Time-ordered ids (UUIDv7, src/tokens/ids.ts): new rows land at the edge of the stores' jti index.
    for (const token of [minted.refreshToken, minted.accessToken, rotated.refreshToken, rotated.accessToken]) {
      expect(claimsOf(token).jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(rotated.accessTtlSeconds).toBe(3600);
    expect(rotated.refreshExpiresAtMs).toBe(T0_MS + (60 + 180 * DAY_SECONDS) * 1000);
    expect(harness.service.verifyAccessToken('watchr', rotated.accessToken)).toMatchObject({ sub: 'alice', sid: minted.sessionId });
    expect(await harness.store.findRefreshToken(claimsOf(minted.refreshToken).jti as string)).toMatchObject({
      usedAtMs: T0_MS + 60_000,
      successorJti: claimsOf(rotated.refreshToken).jti,
    });
  });

  test('the rotated refresh token rotates in turn: a family is a chain', async () => {
    const minted = await harness.service.mintSession({ api: 'galileo', sub: 'alice' });
    let refreshToken = minted.refreshToken;

    for (let i = 0; i < 5; i += 1) {
      harness.clock.advanceSeconds(3600);
      refreshToken = (await harness.service.rotateRefreshToken({ api: 'galileo', refreshToken })).refreshToken;
    }

    expect(claimsOf(refreshToken).sid).toBe(minted.sessionId);
  });

  test('every api can mint and rotate', async () => {
    for (const api of PUBLISHED_APIS) {
      const minted = await harness.service.mintSession({ api, sub: 'alice' });
      const rotated = await harness.service.rotateRefreshToken({ api, refreshToken: minted.refreshToken });
      expect(claimsOf(rotated.accessToken).aud).toBe(api);
    }
  });
});

describe('grace window and reuse detection', () => {
  beforeEach(() => {
    harness = createHarness({ graceWindowSeconds: 10 });
  });

  test('a used refresh token replayed inside the grace window gets the same successor and a fresh access token', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const first = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });
    harness.clock.advanceSeconds(9);

    const replayed = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(replayed.refreshToken).toBe(first.refreshToken);
    expect(claimsOf(replayed.accessToken).jti).not.toBe(claimsOf(first.accessToken).jti);
    expect(replayed.refreshExpiresAtMs).toBe(first.refreshExpiresAtMs);
    await expect(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: first.refreshToken })).resolves.toBeDefined();
  });

  test('20 concurrent rotations of one token all get the same single successor', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });

    const results = await Promise.all(
      Array.from({ length: 20 }, () => harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken })),
    );

    const successorJtis = new Set(results.map((result) => claimsOf(result.refreshToken).jti));
    expect(successorJtis.size).toBe(1);
    expect(new Set(results.map((result) => result.refreshToken)).size).toBe(1);
    const parent = await harness.store.findRefreshToken(claimsOf(minted.refreshToken).jti as string);
    expect(parent?.successorJti).toBe([...successorJtis][0]);
    const [session] = await harness.service.listSessions({ api: 'watchr' });
    expect(session.status).toBe('active');
  });

  test('a replay inside the window after the family moved on twice gets the current token, not a branch', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const second = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });
    harness.clock.advanceSeconds(2);
    const third = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: second.refreshToken });
    harness.clock.advanceSeconds(2);

    const replayed = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(replayed.refreshToken).toBe(third.refreshToken);
  });

  test('a used refresh token replayed after the grace window revokes the whole session, successor included', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const rotated = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });
    harness.clock.advanceSeconds(10);

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_reused', [
      minted.refreshToken,
    ]);

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: rotated.refreshToken }), 'session_revoked');
    expect(await harness.store.findSession(minted.sessionId)).toMatchObject({ revokeReason: 'token_reused', revokedAtMs: T0_MS + 10_000 });
  });

  test('with a zero grace window any replay is reuse', async () => {
    await harness.store.close();
    harness = createHarness({ graceWindowSeconds: 0 });
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_reused');
  });
});

describe('refusing bad tokens', () => {
  beforeEach(() => {
    harness = createHarness();
  });

  test('an expired refresh token is refused', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness.clock.advanceSeconds(180 * DAY_SECONDS);

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_expired', [
      minted.refreshToken,
    ]);
  });

  test('a refresh token is refused before its nbf', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness.clock.advanceSeconds(-5);

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_not_yet_valid');
  });

  test('an expired access token is refused unless expiry is ignored', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness.clock.advanceSeconds(3600);

    await expectTokenError(() => harness.service.verifyAccessToken('watchr', minted.accessToken), 'token_expired', [minted.accessToken]);
    expect(harness.service.verifyAccessToken('watchr', minted.accessToken, { ignoreExpiry: true }).sid).toBe(minted.sessionId);
  });

  test('a token with a tampered signature or payload is refused and does not burn the real one', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const [header, payload, signature] = minted.refreshToken.split('.');
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === 'A' ? 'B' : 'A';
    const badSignature = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
    const badPayload = `${header}.${encodePart({ ...claimsOf(minted.refreshToken), sub: 'mallory' })}.${signature}`;

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: badSignature }), 'token_invalid_signature', [badSignature]);
    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: badPayload }), 'token_invalid_signature', [badPayload]);

    await expect(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken })).resolves.toBeDefined();
  });

  test('an unsigned token (alg none) is refused, with or without a signature part', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const [, payload, signature] = minted.refreshToken.split('.');
    const noneHeader = encodePart({ alg: 'none', typ: 'JWT', kid: 'hs-1' });

    for (const forged of [`${noneHeader}.${payload}.`, `${noneHeader}.${payload}.${signature}`, `${encodePart({ alg: 'none' })}.${payload}.`]) {
      await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: forged }), 'token_invalid_signature');
    }
  });

  test('an RS256 public key used as an HMAC secret (algorithm confusion) is refused', async () => {
    await harness.store.close();
    const rsa = generateSigningKey('RS256', 'rsa-1');
    harness = createHarness({ keys: new KeySet([rsa]) });
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const publicPem = rsa.verificationKey.export({ format: 'pem', type: 'spki' }).toString();
    const signingInput = `${encodePart({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' })}.${minted.refreshToken.split('.')[1]}`;
    const forged = `${signingInput}.${createHmac('sha256', publicPem).update(signingInput).digest('base64url')}`;

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: forged }), 'token_invalid_signature');
  });

  test('garbage is malformed, not a crash', async () => {
    for (const garbage of ['abc', 'a.b', 'a.b.c.d', '!!.??.**', `${encodePart([1])}.${encodePart({})}.x`, 'x'.repeat(10_000)]) {
      await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: garbage }), 'token_malformed');
    }
    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: 42 as unknown as string }),
      'token_malformed',
    );
  });

  test('an empty or absent refresh token is missing', async () => {
    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: '' }), 'token_missing');
    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: undefined as unknown as string }),
      'token_missing',
    );
  });

  test('a well-signed token missing a required claim is malformed', async () => {
    const token = signJwt({ token_type: 'refresh', sub: 'alice', iss: ISSUER, aud: 'watchr', iat: 1, nbf: 1, exp: 2e9 }, harness.keys.signing);

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: token }), 'token_malformed', [token]);
  });

  test('an access token is never accepted as a refresh token, nor the reverse', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.accessToken }), 'token_wrong_type');
    await expectTokenError(() => harness.service.verifyAccessToken('watchr', minted.refreshToken), 'token_wrong_type');
  });

  test("another api's token is refused: a galileo token does not refresh on watchr", async () => {
    const minted = await harness.service.mintSession({ api: 'galileo', sub: 'alice' });

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_wrong_audience');
    await expectTokenError(() => harness.service.verifyAccessToken('watchr', minted.accessToken), 'token_wrong_audience');
    await expect(harness.service.rotateRefreshToken({ api: 'galileo', refreshToken: minted.refreshToken })).resolves.toBeDefined();
  });

  test('a token from another issuer with the same key is refused', async () => {
    const other = createHarness({ keys: harness.keys, issuer: 'https://elsewhere.test' });
    const minted = await other.service.mintSession({ api: 'watchr', sub: 'alice' });
    await other.store.close();

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_wrong_issuer');
  });

  test('a well-signed token the store does not know is refused', async () => {
    const other = createHarness({ keys: harness.keys, clock: harness.clock });
    const minted = await other.service.mintSession({ api: 'watchr', sub: 'alice' });
    await other.store.close();

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_unknown');
  });
});

describe('revocation', () => {
  beforeEach(() => {
    harness = createHarness();
  });

  test('a revoked session refuses its refresh token', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });

    expect(await harness.service.revokeSession(minted.sessionId)).toBe(true);

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'session_revoked');
    expect(await harness.service.revokeSession(minted.sessionId)).toBe(false);
    expect(await harness.service.listSessions()).toMatchObject([{ id: minted.sessionId, status: 'revoked', revokeReason: 'revoked' }]);
  });

  test('revoking a subject fails every session of it on every api at the next refresh, and new sessions work', async () => {
    const watchr = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const session = await harness.service.mintSession({ api: 'session', sub: 'alice' });
    const bob = await harness.service.mintSession({ api: 'watchr', sub: 'bob' });

    expect(await harness.service.revokeSubject('alice')).toEqual({ sessionsRevoked: 2 });

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: watchr.refreshToken }), 'subject_revoked');
    await expectTokenError(harness.service.rotateRefreshToken({ api: 'session', refreshToken: session.refreshToken }), 'subject_revoked');
    await expect(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: bob.refreshToken })).resolves.toBeDefined();
    const fresh = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    expect(claimsOf(fresh.refreshToken).state_hash).not.toBe(claimsOf(watchr.refreshToken).state_hash);
    await expect(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: fresh.refreshToken })).resolves.toBeDefined();
  });

  test('a session minted while its subject is being revoked fails its first refresh', async () => {
    await harness.store.close();
    const store = openSqliteStore(':memory:');
    // The revoke lands between reading the stamp and inserting the session, so the session row escapes it.
    const racingStore = new Proxy(store, {
      get(target, property) {
        if (property === 'createSession') {
          return async (...args: Parameters<TokenStore['createSession']>) => {
            await target.revokeSubject('alice', 'stamp-after-revoke', T0_MS);
            return target.createSession(...args);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    harness = { ...createHarness({ store: racingStore }), store };
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    expect((await store.findSession(minted.sessionId))?.revokedAtMs).toBeNull();

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'subject_revoked');
  });

  test('sessions are listed with their state, filtered by api and subject', async () => {
    const a = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness.clock.advanceSeconds(1);
    await harness.service.mintSession({ api: 'almanac', sub: 'alice' });
    await harness.service.mintSession({ api: 'watchr', sub: 'bob' });
    await harness.service.revokeSession(a.sessionId);

    const watchr = await harness.service.listSessions({ api: 'watchr' });
    const alice = await harness.service.listSessions({ sub: 'alice' });

    expect(watchr.map((s) => [s.sub, s.status])).toEqual([['alice', 'revoked'], ['bob', 'active']]);
    expect(alice.map((s) => s.api)).toEqual(['watchr', 'almanac']);
    harness.clock.advanceSeconds(366 * DAY_SECONDS);
    expect((await harness.service.listSessions({ sub: 'bob' }))[0].status).toBe('expired');
  });

  test('purge removes what can no longer be used', async () => {
    await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness.clock.advanceSeconds(181 * DAY_SECONDS);
    const live = await harness.service.mintSession({ api: 'watchr', sub: 'bob' });

    expect(await harness.service.purgeExpired()).toEqual({ sessions: 1, refreshTokens: 1 });
    expect((await harness.service.listSessions()).map((s) => s.id)).toEqual([live.sessionId]);
  });
});

describe('pathstack: the sub sent beside the token', () => {
  beforeEach(() => {
    harness = createHarness();
  });

  test('a wrong sub is refused and does not burn the token', async () => {
    const minted = await harness.service.mintSession({ api: 'pathstack', sub: 'alice' });

    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'pathstack', refreshToken: minted.refreshToken, expectedSub: 'mallory' }),
      'subject_mismatch',
      [minted.refreshToken],
    );
    harness.clock.advanceSeconds(60);

    const rotated = await harness.service.rotateRefreshToken({ api: 'pathstack', refreshToken: minted.refreshToken, expectedSub: 'alice' });
    expect(rotated.sub).toBe('alice');
  });
});

describe('almanac: Bearer credential and organizations', () => {
  beforeEach(() => {
    harness = createHarness({ apiKeys: ['almanac-api-key-1', 'almanac-api-key-2'] });
  });

  test('a missing Bearer is refused when required, without burning the token', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice' });

    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true }),
      'bearer_missing',
    );
    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true, bearer: '' }),
      'bearer_missing',
    );

    harness.clock.advanceSeconds(60);
    await expect(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true, bearer: minted.accessToken }),
    ).resolves.toBeDefined();
  });

  test("the session's own access token is accepted even after it expired", async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice' });
    harness.clock.advanceSeconds(2 * 3600);

    const rotated = await harness.service.rotateRefreshToken({
      api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true, bearer: minted.accessToken,
    });

    expect(rotated.sessionId).toBe(minted.sessionId);
  });

  test('a configured API key is accepted', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice' });

    await expect(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true, bearer: 'almanac-api-key-2' }),
    ).resolves.toBeDefined();
  });

  test('an unknown API key, another session\'s access token, a refresh token or another api\'s token is refused', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice' });
    const otherSession = await harness.service.mintSession({ api: 'almanac', sub: 'alice' });
    const otherApi = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });

    for (const bearer of ['almanac-api-key-3', otherSession.accessToken, minted.refreshToken, otherApi.accessToken, 'garbage']) {
      await expectTokenError(
        harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true, bearer }),
        'bearer_invalid',
        [bearer, minted.refreshToken],
      );
    }
    await expect(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, requireBearer: true, bearer: minted.accessToken }),
    ).resolves.toBeDefined();
  });

  test('an organization of the session scopes the new tokens, and the scope is kept when omitted', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice', organizations: ['org-a', 'org-b'] });
    expect(minted.organizationId).toBeNull();

    const scoped = await harness.service.rotateRefreshToken({
      api: 'almanac', refreshToken: minted.refreshToken, bearer: minted.accessToken, organizationId: 'org-b',
    });
    expect(scoped.organizationId).toBe('org-b');
    expect(claimsOf(scoped.accessToken).org).toBe('org-b');
    expect(claimsOf(scoped.refreshToken).org).toBe('org-b');

    const kept = await harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: scoped.refreshToken, bearer: scoped.accessToken });
    expect(kept.organizationId).toBe('org-b');
    expect(claimsOf(kept.accessToken).org).toBe('org-b');
    expect((await harness.store.findSession(minted.sessionId))?.organizationId).toBe('org-b');
  });

  test('an organization the session was not minted with is forbidden (403) and does not burn the token', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice', organizations: ['org-a'], organizationId: 'org-a' });
    expect(minted.organizationId).toBe('org-a');

    const error = await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, bearer: minted.accessToken, organizationId: 'org-z' }),
      'organization_forbidden',
    );
    expect(error.status).toBe(403);

    const rotated = await harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, bearer: minted.accessToken });
    expect(rotated.organizationId).toBe('org-a');
  });

  test('a session without organizations stays unscoped', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice' });

    const rotated = await harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, organizationId: null });

    expect(rotated.organizationId).toBeNull();
    expect(claimsOf(rotated.accessToken)).not.toHaveProperty('org');
  });

  test('minting with an organization outside the list is forbidden', async () => {
    await expectTokenError(
      harness.service.mintSession({ api: 'almanac', sub: 'alice', organizations: ['org-a'], organizationId: 'org-b' }),
      'organization_forbidden',
    );
  });

  test('a grace replay asking for another organization than the concurrent winner chose is refused', async () => {
    const minted = await harness.service.mintSession({ api: 'almanac', sub: 'alice', organizations: ['org-a', 'org-b'] });
    await harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, organizationId: 'org-a' });

    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, organizationId: 'org-b' }),
      'organization_forbidden',
    );
    const same = await harness.service.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, organizationId: 'org-a' });
    expect(same.organizationId).toBe('org-a');
  });
});

describe('absolute session lifetime', () => {
  beforeEach(() => {
    harness = createHarness({ refreshIdleTtlSeconds: 60 * DAY_SECONDS, sessionAbsoluteTtlSeconds: 100 * DAY_SECONDS });
  });

  test('rotation never extends a refresh token past the session end, and the family dies there', async () => {
    const minted = await harness.service.mintSession({ api: 'session', sub: 'alice' });
    const end = T0_MS + 100 * DAY_SECONDS * 1000;
    expect(minted.refreshExpiresAtMs).toBe(T0_MS + 60 * DAY_SECONDS * 1000);

    harness.clock.advanceSeconds(50 * DAY_SECONDS);
    const second = await harness.service.rotateRefreshToken({ api: 'session', refreshToken: minted.refreshToken });
    expect(second.refreshExpiresAtMs).toBe(end);
    expect(claimsOf(second.refreshToken).exp).toBe(end / 1000);

    harness.clock.ms = end - 1800_000;
    const last = await harness.service.rotateRefreshToken({ api: 'session', refreshToken: second.refreshToken });
    expect(last.refreshExpiresAtMs).toBe(end);
    expect(last.accessExpiresAtMs).toBe(end);
    expect(last.accessTtlSeconds).toBe(1800);

    harness.clock.ms = end;
    await expectTokenError(harness.service.rotateRefreshToken({ api: 'session', refreshToken: last.refreshToken }), 'token_expired');
  });
});

describe.each<SigningAlgorithm>(['RS256', 'ES256', 'EdDSA'])('%s keys', (alg) => {
  beforeEach(() => {
    harness = createHarness({ keys: new KeySet([generateSigningKey(alg, `${alg}-1`)]) });
  });

  test('tokens are signed with the pinned algorithm and kid, and rotate', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });

    expect(headerOf(minted.refreshToken)).toEqual({ alg, typ: 'JWT', kid: `${alg}-1` });
    const rotated = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });
    expect(harness.service.verifyAccessToken('watchr', rotated.accessToken).sid).toBe(minted.sessionId);
  });

  test('a grace replay gets the same successor jti and claims', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const first = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    const replayed = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(claimsOf(replayed.refreshToken)).toEqual(claimsOf(first.refreshToken));
    // ECDSA signatures are randomized; RSA PKCS#1 v1.5 and Ed25519 are deterministic, so the token is identical.
    if (alg !== 'ES256') expect(replayed.refreshToken).toBe(first.refreshToken);
    await expect(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: replayed.refreshToken })).resolves.toBeDefined();
  });

  test('a tampered signature is refused', async () => {
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });
    const [header, , signature] = minted.refreshToken.split('.');
    const forgedPayload = encodePart({ ...claimsOf(minted.refreshToken), exp: 4_000_000_000 });

    await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: `${header}.${forgedPayload}.${signature}` }),
      'token_invalid_signature',
    );
  });

  test('the JWKS publishes the public key with kid and alg, and no private part', () => {
    const { keys } = harness.service.jwks();

    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: `${alg}-1`, alg, use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('key rotation', () => {
  test('after a new key is appended, tokens of the old kid still verify and new ones use the new kid', async () => {
    const oldKey = generateSigningKey('HS256', 'old');
    const clock = new FakeClock();
    const store = openSqliteStore(':memory:');
    const before = createHarness({ store, clock, keys: new KeySet([oldKey]) });
    const minted = await before.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness = createHarness({ store, clock, keys: new KeySet([oldKey, generateSigningKey('ES256', 'new')]) });

    const rotated = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(headerOf(rotated.refreshToken).kid).toBe('new');
    expect(harness.service.verifyAccessToken('watchr', minted.accessToken).sid).toBe(minted.sessionId);
    expect(harness.service.jwks().keys.map((key) => key.kid)).toEqual(['new']);
  });

  test('a grace replay re-signs the successor with the key that signed it', async () => {
    const first = generateSigningKey('HS256', 'first');
    const clock = new FakeClock();
    const store = openSqliteStore(':memory:');
    const before = createHarness({ store, clock, keys: new KeySet([first]) });
    const minted = await before.service.mintSession({ api: 'watchr', sub: 'alice' });
    const rotated = await before.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });
    harness = createHarness({ store, clock, keys: new KeySet([first, generateSigningKey('HS256', 'second')]) });

    const replayed = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(replayed.refreshToken).toBe(rotated.refreshToken);
  });

  test('a token whose kid was retired is refused', async () => {
    const clock = new FakeClock();
    const store = openSqliteStore(':memory:');
    const before = createHarness({ store, clock, keys: new KeySet([generateSigningKey('HS256', 'retired')]) });
    const minted = await before.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness = createHarness({ store, clock, keys: new KeySet([generateSigningKey('HS256', 'current')]) });

    await expectTokenError(harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken }), 'token_invalid_signature');
  });

  test('a verify-only public key accepts its tokens but never signs', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = keyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }), { kid: 'ed' });
    const verifier = keyFromPem(publicKey.export({ format: 'pem', type: 'spki' }), { kid: 'ed' });
    const clock = new FakeClock();
    const store = openSqliteStore(':memory:');
    const before = createHarness({ store, clock, keys: new KeySet([signer]) });
    const minted = await before.service.mintSession({ api: 'watchr', sub: 'alice' });
    harness = createHarness({ store, clock, keys: new KeySet([verifier, hs256Key(Buffer.alloc(32, 7), 'hs')]) });

    const rotated = await harness.service.rotateRefreshToken({ api: 'watchr', refreshToken: minted.refreshToken });

    expect(headerOf(rotated.refreshToken).kid).toBe('hs');
    expect(harness.service.jwks().keys.map((key) => key.kid)).toEqual(['ed']);
  });
});

describe('errors', () => {
  test('carry a code, a status, a public message and an internal detail, and serialise without a token', async () => {
    harness = createHarness();
    const minted = await harness.service.mintSession({ api: 'watchr', sub: 'alice' });

    const error = await expectTokenError(
      harness.service.rotateRefreshToken({ api: 'galileo', refreshToken: minted.refreshToken }),
      'token_wrong_audience',
      [minted.refreshToken],
    );

    expect(error).toBeInstanceOf(TokenError);
    expect(error.status).toBe(401);
    expect(error.message).toBe(error.publicMessage);
    expect(error.internalDetail).toContain('watchr');
  });
});

describe('scheduled purge', () => {
  it('purges expired rows on its interval and stops when asked', async () => {
    jest.useFakeTimers();
    try {
      const { schedulePurge } = await import('../../src/app/real-server');
      const purged: unknown[] = [];
      const tokens = { purgeExpired: jest.fn(async () => ({ sessions: 1, refreshTokens: 2 })) };
      const logger = { info: (value: unknown) => purged.push(value), error: jest.fn() };
      const stop = schedulePurge(tokens as never, logger as never, 1000);
      jest.advanceTimersByTime(3500);
      await Promise.resolve();
      expect(tokens.purgeExpired).toHaveBeenCalledTimes(3);
      stop();
      jest.advanceTimersByTime(5000);
      expect(tokens.purgeExpired).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
