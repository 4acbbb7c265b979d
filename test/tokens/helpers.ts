import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { TokenStore } from '../../src/store/contract';
import { openSqliteStore } from '../../src/store/sqlite';
import { TokenError, type TokenErrorCode } from '../../src/tokens/errors';
import { generateSigningKey, KeySet, type SigningKey } from '../../src/tokens/keys';
import { TokenService, type TokenServiceOptions } from '../../src/tokens/service';

export const T0_MS = 1_750_000_000_000;
export const DAY_SECONDS = 24 * 3600;
export const ISSUER = 'https://refreshd.test';

export class FakeClock {
  constructor(public ms: number = T0_MS) {}

  nowMs(): number {
    return this.ms;
  }

  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface Harness {
  service: TokenService;
  store: TokenStore;
  clock: FakeClock;
  keys: KeySet;
}

export function createHarness(options: Partial<TokenServiceOptions> = {}): Harness {
  const store = options.store ?? openSqliteStore(':memory:');
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock();
  const keys = options.keys ?? new KeySet([generateSigningKey('HS256', 'hs-1')]);
  const service = new TokenService({ issuer: ISSUER, ...options, store, clock, keys });
  return { service, store, clock, keys };
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const claimsOf = (token: string) => decodePart(token, 1);
export const headerOf = (token: string) => decodePart(token, 0);

export function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Awaits a rejection with the given code, and checks that none of `secrets`
 * (tokens, keys) appears anywhere in the error a handler or a log could see.
 */
export async function expectTokenError(
  action: Promise<unknown> | (() => unknown),
  code: TokenErrorCode,
  secrets: readonly string[] = [],
): Promise<TokenError> {
  let caught: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokenError);
  const error = caught as TokenError;
  expect(error.code).toBe(code);
  const visible = [error.message, error.publicMessage, error.internalDetail, JSON.stringify(error), String(error.stack)].join('\n');
  for (const secret of secrets) {
    expect(visible.includes(secret)).toBe(false);
    // Also no recognisable piece of it (a signature or payload segment).
    for (const segment of secret.split('.').filter((part) => part.length >= 16)) {
      expect(visible.includes(segment)).toBe(false);
    }
  }
  return error;
}

/**
 * A compact JWS with exactly `header` (whatever it holds) over `claims`, signed with `key` as
 * refreshd would sign: what a holder of the key could mint with header parameters of its choosing.
 */
export function signWithHeader(header: Record<string, unknown>, claims: Record<string, unknown>, key: SigningKey): string {
  const signingInput = `${encodePart(header)}.${encodePart(claims)}`;
  const signingKey = key.signingKey as KeyObject;
  let signature: Buffer;
  switch (key.alg) {
    case 'HS256':
      signature = createHmac('sha256', signingKey).update(signingInput).digest();
      break;
    case 'EdDSA':
      signature = cryptoSign(null, Buffer.from(signingInput), signingKey);
      break;
    case 'RS256':
      signature = cryptoSign('sha256', Buffer.from(signingInput), signingKey);
      break;
    case 'ES256':
      signature = cryptoSign('sha256', Buffer.from(signingInput), { key: signingKey, dsaEncoding: 'ieee-p1363' });
      break;
  }
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The header refreshd itself writes for `key`. */
export const ownHeader = (key: SigningKey): Record<string, unknown> => ({ alg: key.alg, typ: 'JWT', kid: key.kid });

/**
 * Headers a token signed with the server's own key must still be refused for (RFC 7515
 * §4.1.11, RFC 8725 §3.10–3.11), each beside the parameters refreshd itself writes.
 */
export const REFUSED_HEADERS: ReadonlyArray<{ name: string; header(key: SigningKey): Record<string, unknown> }> = [
  { name: 'crit naming an unknown extension', header: (key) => ({ ...ownHeader(key), crit: ['x-unknown'], 'x-unknown': true }) },
  { name: 'crit naming a registered header', header: (key) => ({ ...ownHeader(key), crit: ['alg'] }) },
  { name: 'crit empty', header: (key) => ({ ...ownHeader(key), crit: [] }) },
  { name: 'crit not an array', header: (key) => ({ ...ownHeader(key), crit: 'x-unknown' }) },
  { name: 'jku', header: (key) => ({ ...ownHeader(key), jku: 'https://attacker.example/jwks.json' }) },
  { name: 'x5u', header: (key) => ({ ...ownHeader(key), x5u: 'https://attacker.example/cert.pem' }) },
  { name: 'embedded jwk', header: (key) => ({ ...ownHeader(key), jwk: { kty: 'oct', k: 'AAAA' } }) },
  { name: 'x5c', header: (key) => ({ ...ownHeader(key), x5c: ['MIIB'] }) },
  { name: 'typ absent', header: (key) => ({ alg: key.alg, kid: key.kid }) },
  { name: 'typ at+jwt', header: (key) => ({ ...ownHeader(key), typ: 'at+jwt' }) },
  { name: 'typ lower-case jwt', header: (key) => ({ ...ownHeader(key), typ: 'jwt' }) },
  { name: 'typ not a string', header: (key) => ({ ...ownHeader(key), typ: 1 }) },
];
