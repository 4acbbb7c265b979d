import type { ApiName } from '../spec/documents';
import { refreshTokenCookie, TOKEN_RESPONSE_HEADERS, type HandlerServices } from './handler-services';
import type { HandlerReply } from './http-types';

/**
 * watchr and galileo carry the refresh token in the `refresh_token` cookie both ways: rotate
 * the presented one and send its successor back in `Set-Cookie`, scoped to the refresh path.
 */
export async function rotateCookieToken(
  { tokens, clock, secureCookies }: HandlerServices,
  options: { api: ApiName; path: string; presented: string | undefined },
): Promise<HandlerReply & { accessToken: string }> {
  // An absent cookie is the token service's `token_missing`, counted like every other refusal.
  const rotated = await tokens.rotateRefreshToken({ api: options.api, refreshToken: options.presented ?? '' });
  return {
    status: 200,
    accessToken: rotated.accessToken,
    headers: {
      ...TOKEN_RESPONSE_HEADERS,
      'set-cookie': refreshTokenCookie({
        token: rotated.refreshToken,
        path: options.path,
        maxAgeSeconds: (rotated.refreshExpiresAtMs - clock.nowMs()) / 1000,
        secure: secureCookies,
      }),
    },
  };
}
