/**
 * Rows as both backends store them (snake_case columns, millisecond integers) and their records.
 * The backends differ only in how the two structured columns come back: SQLite keeps them as
 * JSON text, PostgreSQL as an array and a `json` value its driver parses. `O` and `C` are those.
 */
import type { RefreshContext, RefreshTokenRecord, SessionRecord, SessionRevokeReason, StoredClaims } from './contract';

export interface SessionRow<O> {
  id: string;
  api: string;
  sub: string;
  organizations: O;
  organization_id: string | null;
  created_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  state_hash: string;
}

export interface RefreshTokenRow<C> {
  jti: string;
  session_id: string;
  parent_jti: string | null;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
  successor_jti: string | null;
  kid: string;
  claims: C;
}

/** A refresh token row with its session's columns (`s_*`, null when the session is gone) and the subject's stamp. */
export interface RefreshContextRow<O, C> extends RefreshTokenRow<C> {
  s_id: string | null;
  s_api: string | null;
  s_sub: string | null;
  s_organizations: O | null;
  s_organization_id: string | null;
  s_created_at: number | null;
  s_absolute_expires_at: number | null;
  s_revoked_at: number | null;
  s_revoke_reason: string | null;
  s_state_hash: string | null;
  subject_stamp: string | null;
}

/** The select list and joins of a refresh context read; the caller adds `WHERE t.jti = <its placeholder>`. */
export const REFRESH_CONTEXT_SELECT = `
  SELECT t.jti, t.session_id, t.parent_jti, t.issued_at, t.expires_at, t.used_at, t.successor_jti, t.kid, t.claims,
         s.id AS s_id, s.api AS s_api, s.sub AS s_sub, s.organizations AS s_organizations,
         s.organization_id AS s_organization_id, s.created_at AS s_created_at,
         s.absolute_expires_at AS s_absolute_expires_at, s.revoked_at AS s_revoked_at,
         s.revoke_reason AS s_revoke_reason, s.state_hash AS s_state_hash, st.state_hash AS subject_stamp
  FROM refresh_tokens t
  LEFT JOIN sessions s ON s.id = t.session_id
  LEFT JOIN subject_stamps st ON st.sub = s.sub`;

export interface ColumnDecoders<O, C> {
  organizations: (value: O) => string[];
  claims: (value: C) => StoredClaims;
}

/** Row-to-record functions for a backend whose structured columns decode as `decode` says. */
export function rowMappers<O, C>(decode: ColumnDecoders<O, C>) {
  const toSession = (row: SessionRow<O>): SessionRecord => ({
    id: row.id,
    api: row.api,
    sub: row.sub,
    organizations: decode.organizations(row.organizations),
    organizationId: row.organization_id,
    createdAtMs: row.created_at,
    absoluteExpiresAtMs: row.absolute_expires_at,
    revokedAtMs: row.revoked_at,
    revokeReason: row.revoke_reason as SessionRevokeReason | null,
    stateHash: row.state_hash,
  });

  const toRefreshToken = (row: RefreshTokenRow<C>): RefreshTokenRecord => ({
    jti: row.jti,
    sessionId: row.session_id,
    parentJti: row.parent_jti,
    issuedAtMs: row.issued_at,
    expiresAtMs: row.expires_at,
    usedAtMs: row.used_at,
    successorJti: row.successor_jti,
    kid: row.kid,
    claims: decode.claims(row.claims),
  });

  const toRefreshContext = (row: RefreshContextRow<O, C>): RefreshContext => {
    const session =
      row.s_id === null
        ? null
        : toSession({
            id: row.s_id,
            api: row.s_api as string,
            sub: row.s_sub as string,
            organizations: row.s_organizations as O,
            organization_id: row.s_organization_id,
            created_at: row.s_created_at as number,
            absolute_expires_at: row.s_absolute_expires_at as number,
            revoked_at: row.s_revoked_at,
            revoke_reason: row.s_revoke_reason,
            state_hash: row.s_state_hash as string,
          });
    return { token: toRefreshToken(row), session, subjectStamp: row.subject_stamp };
  };

  return { toSession, toRefreshToken, toRefreshContext };
}
