import { createHash, timingSafeEqual } from 'node:crypto';
import { TokenError } from '../tokens/errors';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Throws `bearer_invalid` unless `presented` is the admin token (constant-time comparison). */
export function requireAdmin(presented: string | undefined, adminToken: string | undefined): void {
  if (!adminToken || presented === undefined || !timingSafeEqual(sha256(presented), sha256(adminToken))) {
    throw new TokenError('bearer_invalid', 'admin api called without the admin token');
  }
}
