import type { HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';

/** Revokes one session: its whole token family stops refreshing at once. */
export default function admin_revoke_session({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const { session_id } = request.body as { session_id: string };
    return { status: 200, body: { revoked: await tokens.revokeSession(session_id) } };
  };
}
