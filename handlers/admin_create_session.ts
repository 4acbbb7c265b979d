import { TOKEN_RESPONSE_HEADERS, type HandlerServices } from '../src/handler-kit/services';
import { mintableSubject, mintedSessionView } from '../src/handler-kit/sessions';
import { RequestProblemError, type HandlerReply, type HandlerRequest } from '../src/handler-kit/http';
import type { components } from '../generated/admin';

type NewSession = components['schemas']['NewSession'];

/** Mints a session: what a login upstream of refreshd would do. The pipeline has checked the admin token. */
export default function admin_create_session({ tokens, catalogue }: HandlerServices) {
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
    // An api whose clients send the subject as a UUID4 (pathstack) gets sessions of UUID4 subjects only:
    // a session with another subject could never refresh.
    const subject = mintableSubject(catalogue.get(input.api).declaration.subject, input.sub);
    if (!subject.ok) throw new RequestProblemError([{ ...subject.problem, loc: ['body', 'sub'], input: input.sub }]);
    const minted = await tokens.mintSession({
      api: input.api,
      sub: subject.sub,
      organizations: input.organizations ?? [],
      organizationId: input.organization_id ?? null,
    });
    return { status: 201, body: mintedSessionView(minted), headers: TOKEN_RESPONSE_HEADERS };
  };
}
