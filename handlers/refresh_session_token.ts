import { isoWithMicroseconds, TOKEN_RESPONSE_HEADERS, type HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';
import type { operations } from '../generated/session';

type Ok = operations['refresh_session_token']['responses'][200]['content']['application/json'];

/** session: `{refresh_token}` in, the success envelope out, expiries as ISO with microseconds. */
export default function refresh_session_token({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    // The document does not mark the body required: no body is a missing credential (token_missing), not a 422.
    const presented = (request.body as { refresh_token?: string } | undefined)?.refresh_token;
    const rotated = await tokens.rotateRefreshToken({ api: request.api, refreshToken: presented ?? '' });
    const body: Ok = {
      data: {
        access_token: rotated.accessToken,
        access_expires: isoWithMicroseconds(rotated.accessExpiresAtMs),
        refresh_token: rotated.refreshToken,
        refresh_expires: isoWithMicroseconds(rotated.refreshExpiresAtMs),
      },
      code: 0,
      msg: '',
    };
    return { status: 200, body, headers: TOKEN_RESPONSE_HEADERS };
  };
}
