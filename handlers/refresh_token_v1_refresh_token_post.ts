import { refreshTokenCookie, type HandlerServices } from '../src/app/handler-services';
import type { HandlerReply, HandlerRequest } from '../src/app/http-types';
import type { operations } from '../generated/galileo';

type Ok = operations['refresh_token_v1_refresh_token_post']['responses'][200]['content']['application/json'];

/** galileo: the required `refresh_token` cookie in, the rotated one back in `Set-Cookie`. */
export default function refresh_token_v1_refresh_token_post({ tokens, clock, secureCookies }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const rotated = await tokens.rotateRefreshToken({ api: 'galileo', refreshToken: request.cookies.refresh_token });
    const body: Ok = { access_token: rotated.accessToken, token_type: 'bearer' };
    return {
      status: 200,
      body,
      headers: {
        'set-cookie': refreshTokenCookie({
          token: rotated.refreshToken,
          path: '/v1/refresh_token',
          maxAgeSeconds: (rotated.refreshExpiresAtMs - clock.nowMs()) / 1000,
          secure: secureCookies,
        }),
      },
    };
  };
}
