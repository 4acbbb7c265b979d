import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Whether `presented` is the admin token (constant-time: digests of equal length are compared). */
export function isAdminToken(presented: string, adminToken: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(adminToken));
}
