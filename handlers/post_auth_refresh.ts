import { rotateCookieToken } from '../src/app/cookie-transport';
import type { HandlerServices } from '../src/app/handler-services';
import type { HandlerReply, HandlerRequest } from '../src/app/http-types';
import type { operations } from '../generated/watchr';

type Ok = operations['post_auth_refresh']['responses'][200]['content']['application/json'];

/**
 * watchr: the refresh token comes in the `refresh_token` cookie and goes back rotated in it.
 * The document marks the cookie optional, so its absence is a bad credential (401), not a 422.
 */
export default function post_auth_refresh(services: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { accessToken, ...reply } = await rotateCookieToken(services, { api: 'watchr', path: '/auth/refresh', presented: request.cookies.refresh_token });
    const body: Ok = { access_token: accessToken, token_type: 'bearer' };
    return { ...reply, body };
  };
}
