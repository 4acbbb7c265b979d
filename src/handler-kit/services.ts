import type { Catalogue } from '../spec/catalogue';
import type { TokenService } from '../tokens/service';

/** What a real-mode handler may use: the token service, the apis served and the transport settings. */
export interface HandlerServices {
  tokens: TokenService;
  /** The apis this server knows, with what each declares (`x-refreshd`). */
  catalogue: Catalogue;
  clock: { nowMs(): number };
  /** `Secure` on refresh cookies; off only for plain-http development. */
  secureCookies: boolean;
}

/** Headers of every answer that holds a token: no cache may keep it (RFC 6749 §5.1). */
export const TOKEN_RESPONSE_HEADERS: Readonly<Record<string, string>> = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** `Set-Cookie` for a rotated refresh token, scoped to the refresh path (RFC 6265bis). */
export function refreshTokenCookie(options: { name?: string; token: string; path: string; maxAgeSeconds: number; secure: boolean }): string {
  const attributes = [`${options.name ?? 'refresh_token'}=${options.token}`, 'HttpOnly'];
  if (options.secure) attributes.push('Secure');
  attributes.push('SameSite=Strict', `Path=${options.path}`, `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  return attributes.join('; ');
}

/** `Set-Cookie` carrying a rotation's refresh token in cookie `name` for `path`, for as long as it lives. */
export function rotatedTokenCookie(services: Pick<HandlerServices, 'clock' | 'secureCookies'>, options: { name?: string; path: string }, rotated: { refreshToken: string; refreshExpiresAtMs: number }): string {
  return refreshTokenCookie({
    name: options.name,
    token: rotated.refreshToken,
    path: options.path,
    maxAgeSeconds: (rotated.refreshExpiresAtMs - services.clock.nowMs()) / 1000,
    secure: services.secureCookies,
  });
}

/** ISO 8601 with offset and microseconds, as the session document's example: `2025-04-26T15:58:28.456762+00:00`. */
export function isoWithMicroseconds(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const micros = Math.round((epochMs - whole) * 1000);
  const iso = new Date(whole).toISOString(); // 2025-04-26T15:58:28.456Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}+00:00`;
}
