import { refreshTokenCookie, type HandlerServices } from '../src/app/handler-services';
import type { HandlerReply, HandlerRequest } from '../src/app/http-types';
import { TokenError } from '../src/tokens/errors';
import type { operations } from '../generated/watchr';

type Ok = operations['post_auth_refresh']['responses'][200]['content']['application/json'];

/** watchr: the refresh token comes in the `refresh_token` cookie and goes back rotated in it. */
export default function post_auth_refresh({ tokens, clock, secureCookies }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const presented = request.cookies.refresh_token;
    // The document marks the cookie optional, so its absence is not a 422: it is a bad credential.
    if (!presented) throw new TokenError('token_missing', 'no refresh_token cookie');
    const rotated = await tokens.rotateRefreshToken({ api: 'watchr', refreshToken: presented });
    const body: Ok = { access_token: rotated.accessToken, token_type: 'bearer' };
    return {
      status: 200,
      body,
      headers: {
        'set-cookie': refreshTokenCookie({
          token: rotated.refreshToken,
          path: '/auth/refresh',
          maxAgeSeconds: (rotated.refreshExpiresAtMs - clock.nowMs()) / 1000,
          secure: secureCookies,
        }),
      },
    };
  };
}
