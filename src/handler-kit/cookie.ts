import { rotatedTokenCookie, TOKEN_RESPONSE_HEADERS, type HandlerServices } from './services';
import type { HandlerReply } from './http';

/**
 * A refresh token carried in a cookie both ways (watchr, galileo): rotate the presented one
 * and send its successor back in `Set-Cookie` under the same name, scoped to the refresh path.
 */
export async function rotateCookieToken(
  services: HandlerServices,
  options: { api: string; path: string; presented: string | undefined; cookie?: string },
): Promise<HandlerReply & { accessToken: string }> {
  // An absent cookie is the token service's `token_missing`, counted like every other refusal.
  const rotated = await services.tokens.rotateRefreshToken({ api: options.api, refreshToken: options.presented ?? '' });
  return {
    status: 200,
    accessToken: rotated.accessToken,
    headers: { ...TOKEN_RESPONSE_HEADERS, 'set-cookie': rotatedTokenCookie(services, { name: options.cookie, path: options.path }, rotated) },
  };
}
