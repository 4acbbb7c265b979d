import type { HandlerServices } from '../src/handler-kit/services';
import type { HandlerReply, HandlerRequest } from '../src/handler-kit/http';
import { sessionSummaryView } from '../src/handler-kit/sessions';

/** Lists sessions, optionally of one api and/or one subject. */
export default function admin_list_sessions({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const sessions = await tokens.listSessions({
      api: request.parameters.api as string | undefined,
      sub: request.parameters.sub as string | undefined,
    });
    return { status: 200, body: { sessions: sessions.map(sessionSummaryView) } };
  };
}
