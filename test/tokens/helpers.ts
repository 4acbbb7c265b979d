import type { TokenStore } from '../../src/store/contract';
import { openSqliteStore } from '../../src/store/sqlite';
import { TokenError, type TokenErrorCode } from '../../src/tokens/errors';
import { generateSigningKey, KeySet } from '../../src/tokens/keys';
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
