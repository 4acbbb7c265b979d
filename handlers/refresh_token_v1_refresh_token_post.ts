import { rotateCookieToken } from '../src/handler-kit/cookie';
import type { HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';
import type { operations } from '../generated/galileo';

type Ok = operations['refresh_token_v1_refresh_token_post']['responses'][200]['content']['application/json'];

/** galileo: the required `refresh_token` cookie in, the rotated one back in `Set-Cookie`. */
export default function refresh_token_v1_refresh_token_post(services: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { accessToken, ...reply } = await rotateCookieToken(services, { api: request.api, path: '/v1/refresh_token', presented: request.cookies.refresh_token });
    const body: Ok = { access_token: accessToken, token_type: 'bearer' };
    return { ...reply, body };
  };
}
