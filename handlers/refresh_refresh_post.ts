import { TOKEN_RESPONSE_HEADERS, type HandlerServices } from '../src/app/handler-services';
import { canonicalUuid } from '../src/app/session-views';
import { RequestProblemError, type HandlerReply, type HandlerRequest } from '../src/app/http-types';
import type { components, operations } from '../generated/pathstack';

type Ok = operations['refresh_refresh_post']['responses'][200]['content']['application/json'];
type Body = components['schemas']['RefreshToken'];

/** The api versions this server implements; `x-api-version` absent means the first. */
export const SUPPORTED_API_VERSIONS = ['2024-03-27'] as const;

/** The calendar date a header value Pydantic accepted as a date stands for (YYYY-MM-DD or a timestamp). */
function versionDate(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  const seconds = Number(value);
  return Number.isFinite(seconds) ? new Date(seconds * (Math.abs(seconds) > 2e10 ? 1 : 1000)).toISOString().slice(0, 10) : value;
}


/** pathstack: `{sub, refresh_token}` in, `{data: {...}}` out, with the rotated refresh token. */
export default function refresh_refresh_post({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const header = request.parameters['x-api-version'] as string;
    if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(versionDate(header))) {
      const message = `Unsupported API version ${header}; supported versions: ${SUPPORTED_API_VERSIONS.join(', ')}`;
      throw new RequestProblemError([
        { type: 'value_error', loc: ['header', 'x-api-version'], msg: `Value error, ${message}`, input: header, ctx: { error: message } },
      ]);
    }
    const { sub, refresh_token } = request.body as Body;
    const rotated = await tokens.rotateRefreshToken({
      api: 'pathstack',
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
