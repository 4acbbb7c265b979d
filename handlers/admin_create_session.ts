import { TOKEN_RESPONSE_HEADERS, type HandlerServices } from '../src/app/handler-services';
import { mintedSessionView, pathstackSubject } from '../src/app/session-views';
import { RequestProblemError, type HandlerReply, type HandlerRequest } from '../src/app/http-types';
import type { components } from '../generated/admin';

type NewSession = components['schemas']['NewSession'];

/** Mints a session: what a login upstream of refreshd would do. The pipeline has checked the admin token. */
export default function admin_create_session({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const input = request.body as NewSession;
    // A subject or organization is text every store can hold: PostgreSQL's cannot hold U+0000.
    const withNul = [
      { loc: ['body', 'sub'], value: input.sub },
      ...(input.organizations ?? []).map((value, index) => ({ loc: ['body', 'organizations', index], value })),
      { loc: ['body', 'organization_id'], value: input.organization_id },
    ].filter(({ value }) => typeof value === 'string' && value.includes('\u0000'));
    if (withNul.length > 0) {
      throw new RequestProblemError(
        withNul.map(({ loc, value }) => ({ type: 'value_error', loc, msg: 'Value error, must not contain the NUL character (U+0000)', input: value, ctx: { error: {} } })),
      );
    }
    let sub = input.sub;
    if (input.api === 'pathstack') {
      // pathstack clients send `sub` as a UUID4 beside the token; a session with another subject could never refresh.
      const subject = pathstackSubject(sub);
      if (!subject.ok) throw new RequestProblemError([{ ...subject.problem, loc: ['body', 'sub'], input: sub }]);
      sub = subject.sub;
    }
    const minted = await tokens.mintSession({
      api: input.api,
      sub,
      organizations: input.organizations ?? [],
      organizationId: input.organization_id ?? null,
    });
    return { status: 201, body: mintedSessionView(minted), headers: TOKEN_RESPONSE_HEADERS };
  };
}
