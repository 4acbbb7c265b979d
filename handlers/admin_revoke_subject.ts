import type { HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';

/** "Log out everywhere": every session of the subject, on every api, fails its next refresh. */
export default function admin_revoke_subject({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { sub } = request.body as { sub: string };
    const { sessionsRevoked } = await tokens.revokeSubject(sub);
    return { status: 200, body: { sessions_revoked: sessionsRevoked } };
  };
}
