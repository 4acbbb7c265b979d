import { TOKEN_RESPONSE_HEADERS, type HandlerServices } from '../src/handler-kit/services';
import { canonicalUuid } from '../src/handler-kit/sessions';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';
import type { components, operations } from '../generated/pathstack';

type Ok = operations['refresh_refresh_post']['responses'][200]['content']['application/json'];
type Body = components['schemas']['RefreshToken'];

/**
 * pathstack: `{sub, refresh_token}` in, `{data: {...}}` out, with the rotated refresh token.
 * An unsupported `x-api-version` never gets here: the pipeline refuses it (the overlay lists
 * the supported versions), so the mock refuses it too.
 */
export default function refresh_refresh_post({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { sub, refresh_token } = request.body as Body;
    const rotated = await tokens.rotateRefreshToken({
      api: request.api,
      refreshToken: refresh_token,
      expectedSub: canonicalUuid(sub),
    });
    const body: Ok = {
      data: {
        token_type: 'bearer',
        expires_in: rotated.accessTtlSeconds,
        access_token: rotated.accessToken,
        refresh_token: rotated.refreshToken,
      },
    };
    return { status: 200, body, headers: TOKEN_RESPONSE_HEADERS };
  };
}
