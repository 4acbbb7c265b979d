import { TOKEN_RESPONSE_HEADERS, type HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';
import type { components, operations } from '../generated/almanac';

type Ok = operations['refresh_token_v1_auth_token_refresh_post']['responses'][200]['content']['application/json'];
type Body = components['schemas']['HostedLoginRefresh'];

/**
 * almanac: the Bearer credential (an access token of the same session, expired or not, or
 * an API key) plus `{refresh_token, organization_id?}`; the new tokens are scoped to the org.
 */
export default function refresh_token_v1_auth_token_refresh_post({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { refresh_token, organization_id } = request.body as Body;
    const rotated = await tokens.rotateRefreshToken({
      api: request.api,
      refreshToken: refresh_token,
      requireBearer: true,
      bearer: request.bearer,
      organizationId: organization_id ?? undefined,
    });
    const body: Ok = {
      access_token: rotated.accessToken,
      refresh_token: rotated.refreshToken,
      organization_id: rotated.organizationId,
    };
    return { status: 200, body, headers: TOKEN_RESPONSE_HEADERS };
  };
}
