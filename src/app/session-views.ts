import type { components } from '../../generated/admin';
import { validateUuid } from '../dialects/pydantic/uuid';
import type { ApiName, MintSessionResult, SessionSummary } from '../tokens/service';

type MintedSession = components['schemas']['MintedSession'];
type SessionSummaryView = components['schemas']['SessionSummary'];

/**
 * Pydantic parses pathstack's `sub` into a UUID whatever its spelling (braces, `urn:uuid:`,
 * no hyphens, upper case); sessions are minted with the canonical spelling and compared in it.
 */
export function canonicalUuid(value: string): string {
  const hex = value.toLowerCase().replace(/^urn:uuid:|[{}-]/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The subject a pathstack session is minted with, or the Pydantic problem with it. */
export function pathstackSubject(sub: string): { ok: true; sub: string } | { ok: false; problem: NonNullable<ReturnType<typeof validateUuid>> } {
  const problem = validateUuid(sub, 4);
  return problem ? { ok: false, problem } : { ok: true, sub: canonicalUuid(sub) };
}

/** A minted session as the admin api and `refreshd sessions create` print it (the admin document's MintedSession). */
export function mintedSessionView(minted: MintSessionResult): MintedSession {
  return {
    session_id: minted.sessionId,
    api: minted.api,
    sub: minted.sub,
    access_token: minted.accessToken,
    refresh_token: minted.refreshToken,
    access_expires_at: new Date(minted.accessExpiresAtMs).toISOString(),
    refresh_expires_at: new Date(minted.refreshExpiresAtMs).toISOString(),
    organization_id: minted.organizationId,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A session as the admin api's list and `refreshd sessions list` print it (the admin document's SessionSummary). */
export function sessionSummaryView(session: SessionSummary): SessionSummaryView {
  return {
    session_id: session.id,
    api: session.api as ApiName,
    sub: session.sub,
    status: session.status,
    organizations: session.organizations,
    created_at: iso(session.createdAtMs),
    expires_at: iso(session.absoluteExpiresAtMs),
    revoked_at: session.revokedAtMs === null ? null : iso(session.revokedAtMs),
  };
}
