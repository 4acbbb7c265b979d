/**
 * Token ids (`jti`) as RFC 9562 UUIDv7: a 48-bit Unix time in ms, then 74 random bits. Ids issued
 * close together sort together, so a new refresh token's row lands at the right edge of the
 * stores' jti index (B-trees in SQLite and PostgreSQL) instead of on a random page: a group of
 * rotations committed together writes that edge page once instead of one random page each, and
 * recently issued tokens (the ones refreshed next) stay on pages already in the cache. A jti is not
 * a secret (the token is signed; the time is its `iat` already): it only has to be unique, which
 * 74 random bits per millisecond are.
 */
import { randomFillSync } from 'node:crypto';

const POOL_IDS = 256;
/** Random bytes for {@link POOL_IDS} ids at a time: one getrandom call instead of one per id. */
const pool = Buffer.alloc(POOL_IDS * 10);
let next = POOL_IDS;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export function timeOrderedUuid(nowMs: number = Date.now()): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const r = next++ * 10;
  const time = nowMs.toString(16).padStart(12, '0').slice(-12);
  const version = HEX[0x70 | (pool[r] & 0x0f)] + HEX[pool[r + 1]];
  const variant = HEX[0x80 | (pool[r + 2] & 0x3f)] + HEX[pool[r + 3]];
  let tail = '';
  for (let i = r + 4; i < r + 10; i++) tail += HEX[pool[i]];
  return `${time.slice(0, 8)}-${time.slice(8)}-${version}-${variant}-${tail}`;
}
