import type { components } from '../../generated/admin';
import { validateUuid } from '../dialects/pydantic/uuid';
import type { ApiDeclaration } from '../spec/catalogue';
import type { MintSessionResult, SessionSummary } from '../tokens/service';

type SubjectRule = ApiDeclaration['subject'];

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

/**
 * The subject a session of an api is minted with, by the api's `x-refreshd.subject` rule:
 * any text as it is, or (`uuid4`, pathstack) a UUID4 in canonical spelling; else the
 * Pydantic problem with it.
 */
export function mintableSubject(rule: SubjectRule, sub: string): { ok: true; sub: string } | { ok: false; problem: NonNullable<ReturnType<typeof validateUuid>> } {
  if (rule === 'any') return { ok: true, sub };
  const problem = validateUuid(sub, 4);
  return problem ? { ok: false, problem } : { ok: true, sub: canonicalUuid(sub) };
}

/** How a presented subject is compared with the token's: in the spelling sessions are minted with. */
export const comparableSubject = (rule: SubjectRule, sub: string): string => (rule === 'uuid4' ? canonicalUuid(sub) : sub);

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
    api: session.api,
    sub: session.sub,
    status: session.status,
    organizations: session.organizations,
    created_at: iso(session.createdAtMs),
    expires_at: iso(session.absoluteExpiresAtMs),
    revoked_at: session.revokedAtMs === null ? null : iso(session.revokedAtMs),
  };
}
