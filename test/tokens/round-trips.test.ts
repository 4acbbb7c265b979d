import type { TokenStore } from '../../src/store/contract';
import { openSqliteStore } from '../../src/store/sqlite';
import { generateSigningKey, KeySet } from '../../src/tokens/keys';
import { TokenService } from '../../src/tokens/service';
import { claimsOf, DAY_SECONDS, FakeClock, ISSUER } from './helpers';

/** The store behind a service, with the name of every call the service makes, in order. */
function countingStore(): { store: TokenStore; calls: string[] } {
  const inner = openSqliteStore(':memory:');
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe('store calls per refresh (each a round trip on PostgreSQL)', () => {
  let store: TokenStore;
  let calls: string[];
  let clock: FakeClock;

  function service(options: { refreshIdleTtlSeconds?: number; sessionAbsoluteTtlSeconds?: number } = {}) {
    return new TokenService({ store, clock, keys: new KeySet([generateSigningKey('HS256', 'hs-1')]), issuer: ISSUER, ...options });
  }

  beforeEach(() => {
    ({ store, calls } = countingStore());
    clock = new FakeClock();
  });

  afterEach(() => store.close());

  test('a rotation is one store call', async () => {
    const tokens = service();
    const minted = await tokens.mintSession({ api: 'session', sub: 'alice' });
    calls.length = 0;

    await tokens.rotateRefreshToken({ api: 'session', refreshToken: minted.refreshToken });

    expect(calls).toEqual(['rotateRefreshToken']);
  });

  test('a rotation that scopes the session to an organization is one store call', async () => {
    const tokens = service();
    const minted = await tokens.mintSession({ api: 'almanac', sub: 'alice', organizations: ['org-a', 'org-b'] });
    calls.length = 0;

    const rotated = await tokens.rotateRefreshToken({ api: 'almanac', refreshToken: minted.refreshToken, bearer: minted.accessToken, organizationId: 'org-b' });

    expect(calls).toEqual(['rotateRefreshToken']);
    expect(rotated.organizationId).toBe('org-b');
    expect(claimsOf(rotated.refreshToken).org).toBe('org-b');
  });

  test("the first successor capped by the session's end takes a second call; the ones after it, one", async () => {
    const tokens = service({ refreshIdleTtlSeconds: 7 * DAY_SECONDS, sessionAbsoluteTtlSeconds: 10 * DAY_SECONDS });
    const minted = await tokens.mintSession({ api: 'session', sub: 'alice' });
    const sessionEnd = claimsOf(minted.refreshToken).iat as number + 10 * DAY_SECONDS;
    clock.advanceSeconds(4 * DAY_SECONDS);
    calls.length = 0;

    const first = await tokens.rotateRefreshToken({ api: 'session', refreshToken: minted.refreshToken });

    expect(calls).toEqual(['rotateRefreshToken', 'consumeRefreshToken']);
    expect(claimsOf(first.refreshToken).exp).toBe(sessionEnd);
    clock.advanceSeconds(DAY_SECONDS);
    calls.length = 0;

    const second = await tokens.rotateRefreshToken({ api: 'session', refreshToken: first.refreshToken });

    expect(calls).toEqual(['rotateRefreshToken']);
    expect(claimsOf(second.refreshToken).exp).toBe(sessionEnd);
  });

  test('a grace replay reads the successor, and writes nothing', async () => {
    const tokens = service();
    const minted = await tokens.mintSession({ api: 'session', sub: 'alice' });
    const rotated = await tokens.rotateRefreshToken({ api: 'session', refreshToken: minted.refreshToken });
    calls.length = 0;

    const replayed = await tokens.rotateRefreshToken({ api: 'session', refreshToken: minted.refreshToken });

    expect(calls).toEqual(['rotateRefreshToken', 'findRefreshToken']);
    expect(replayed.refreshToken).toBe(rotated.refreshToken);
  });
});
