import { rotateCookieToken } from '../src/handler-kit/cookie';
import type { HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';
import type { operations } from '../generated/watchr';

type Ok = operations['post_auth_refresh']['responses'][200]['content']['application/json'];

/**
 * watchr: the refresh token comes in the `refresh_token` cookie and goes back rotated in it.
 * The document marks the cookie optional, so its absence is a bad credential (401), not a 422.
 */
export default function post_auth_refresh(services: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { accessToken, ...reply } = await rotateCookieToken(services, { api: request.api, path: '/auth/refresh', presented: request.cookies.refresh_token });
    const body: Ok = { access_token: accessToken, token_type: 'bearer' };
    return { ...reply, body };
  };
}
