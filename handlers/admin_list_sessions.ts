import type { HandlerServices } from '../src/app/handler-services';
import type { HandlerReply, HandlerRequest } from '../src/app/http-types';
import type { ApiName } from '../src/tokens/service';
import type { components } from '../generated/admin';

type SessionSummary = components['schemas']['SessionSummary'];

const iso = (ms: number) => new Date(ms).toISOString();

/** Lists sessions, optionally of one api and/or one subject. */
export default function admin_list_sessions({ tokens }: HandlerServices) {
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const sessions = await tokens.listSessions({
      api: request.parameters.api as ApiName | undefined,
      sub: request.parameters.sub as string | undefined,
    });
    const body: { sessions: SessionSummary[] } = {
      sessions: sessions.map((session) => ({
        session_id: session.id,
        api: session.api as ApiName,
        sub: session.sub,
        status: session.status,
        organizations: session.organizations,
        created_at: iso(session.createdAtMs),
        expires_at: iso(session.absoluteExpiresAtMs),
        revoked_at: session.revokedAtMs === null ? null : iso(session.revokedAtMs),
      })),
    };
    return { status: 200, body };
  };
}
