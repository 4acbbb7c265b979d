import type { HandlerServices } from '../src/app/handler-services';
import type { HandlerReply, HandlerRequest } from '../src/app/http-types';
import { sessionSummaryView } from '../src/app/session-views';
import type { ApiName } from '../src/tokens/service';

/** Lists sessions, optionally of one api and/or one subject. */
export default function admin_list_sessions({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const sessions = await tokens.listSessions({
      api: request.parameters.api as ApiName | undefined,
      sub: request.parameters.sub as string | undefined,
    });
    return { status: 200, body: { sessions: sessions.map(sessionSummaryView) } };
  };
}
