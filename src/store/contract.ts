/**
 * The store contract: everything the token service persists, and nothing about
 * how. Every method is async and every type here is plain data, so a
 * PostgreSQL backend drops in beside the SQLite one without the token service
 * changing. One shared suite (`test/store/contract.test.ts`) runs against every
 * backend.
 *
 * Times are integer milliseconds since the epoch, always passed in by the
 * caller (the service's injected clock): a store never reads the wall clock.
 *
 * What is stored about a refresh token, and why no token string is: each
 * refresh token row keeps the token's claims (JSON) and the `kid` that signed
 * it. Inside the grace window the service re-signs those claims with that key,
 * which yields the identical token for HS256, RS256 and EdDSA (deterministic
 * signatures) and the same claims, `jti` included, under a fresh signature for
 * ES256. A leaked database therefore holds no usable credential: turning a row
 * back into a token needs the signing key, which never enters the store.
 */

/**
 * The database cannot serve right now (locked past its busy timeout, an I/O error, a full
 * disk, a closed store). Any store method may reject with it; callers answer 503, retrying
 * is safe because nothing was written.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly internalDetail: string) {
    super('The token store is unavailable');
  }
}

/** There is no refreshd store where one must already exist (the sessions CLI never creates one). */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
}

/** Why a session was revoked. */
export type SessionRevokeReason =
  /** An operator or admin call revoked this one session. */
  | 'revoked'
  /** A used refresh token was presented after the grace window (RFC 9700 §4.14.2). */
  | 'token_reused'
  /** The subject's sessions were all revoked (its security stamp was bumped). */
  | 'subject_revoked';

/** A token family: one api, one subject, one absolute lifetime. */
export interface SessionRecord {
  id: string;
  api: string;
  sub: string;
  /** Organizations the session was minted with; `organizationId` must be one of them. */
  organizations: string[];
  /** The current organization scope (chosen at mint, changed by a rotation that names one), or null. */
  organizationId: string | null;
  createdAtMs: number;
  /** No refresh token of this session is valid at or after this instant. */
  absoluteExpiresAtMs: number;
  revokedAtMs: number | null;
  revokeReason: SessionRevokeReason | null;
  /** The subject's security stamp when the session was minted. */
  stateHash: string;
}

export type NewSession = Omit<SessionRecord, 'revokedAtMs' | 'revokeReason'>;

/** JWT claims of a refresh token, as signed. Key order is preserved by JSON round trips, which keeps re-signing byte-identical. */
export type StoredClaims = Record<string, unknown>;

export interface RefreshTokenRecord {
  jti: string;
  sessionId: string;
  /** The token this one replaced; null for the session's first token. */
  parentJti: string | null;
  issuedAtMs: number;
  expiresAtMs: number;
  /** When the token was consumed by a rotation; null while it is the family's live token. */
  usedAtMs: number | null;
  /** The token issued by the rotation that consumed this one. */
  successorJti: string | null;
  /** The key that signed the token. */
  kid: string;
  /** The signed claims, to re-issue the identical token inside the grace window. */
  claims: StoredClaims;
}

export type NewRefreshToken = Omit<RefreshTokenRecord, 'usedAtMs' | 'successorJti'>;

export interface RefreshContext {
  token: RefreshTokenRecord;
  session: SessionRecord | null;
  subjectStamp: string | null;
}

export interface ConsumeRefreshTokenInput {
  jti: string;
  nowMs: number;
  /** Inserted, in the same transaction, only if this call wins. Its `parentJti` must be `jti`. */
  successor: NewRefreshToken;
  /** Written to the session's `organizationId` if this call wins; `undefined` leaves the scope as it is. */
  organizationId?: string | null;
}

export type ConsumeRefreshTokenResult =
  /** This call marked the token used and inserted the successor. */
  | { outcome: 'consumed' }
  /** The token had already been consumed (by an earlier or a concurrent call); `token` is its record as it now stands. */
  | { outcome: 'already_used'; token: RefreshTokenRecord }
  | { outcome: 'not_found' }
  /** The token is unused but its session was revoked, or its subject's stamp changed, before this write. */
  | { outcome: 'session_inactive' };

export interface SessionFilter {
  api?: string;
  sub?: string;
}

export interface PurgeResult {
  sessions: number;
  refreshTokens: number;
}

/** A key some server signed with on this store, as {@link TokenStore.recordSigningKey} remembers it. */
export interface SigningKeyRecord {
  kid: string;
  firstUsedAtMs: number;
  /** The last start of a server that signs with it. */
  lastUsedAtMs: number;
}

export interface TokenStore {
  /**
   * Inserts a session and its first refresh token in one transaction: either
   * both exist afterwards or neither does. Rejects if the session id or the jti
   * already exists.
   */
  createSession(session: NewSession, firstToken: NewRefreshToken): Promise<void>;

  /** The session, whatever its state (revoked and expired ones included); null if unknown or purged. */
  findSession(sessionId: string): Promise<SessionRecord | null>;

  /** The refresh token record, whatever its state (used and expired ones included); null if unknown or purged. */
  findRefreshToken(jti: string): Promise<RefreshTokenRecord | null>;

  /**
   * What a rotation must check, in one read: the refresh token, its session and the
   * session subject's current stamp (null when the subject has none). Null if the token is
   * unknown or purged; `session` null if the session is gone. Not atomic with a later
   * consume: `consumeRefreshToken` alone decides who wins.
   */
  findRefreshContext(jti: string): Promise<RefreshContext | null>;

  /**
   * Marks a refresh token used and inserts its successor, atomically. The
   * marking is one conditional write (`SET used_at = ? WHERE jti = ? AND
   * used_at IS NULL`): of any number of concurrent calls for the same jti,
   * across processes sharing the database, exactly one gets `consumed`, and
   * only that call's successor is ever stored. Losers get `already_used` with
   * the record showing the winner's `successorJti`. The write also requires the
   * session to be unrevoked and minted under the subject's current stamp, so a
   * revocation committed by another process after the caller's checks still
   * wins: the result is then `session_inactive` and nothing is written. Expiry
   * is not checked here: the caller validates before it consumes.
   */
  consumeRefreshToken(input: ConsumeRefreshTokenInput): Promise<ConsumeRefreshTokenResult>;

  /**
   * Revokes a session, which kills its whole token family (every token checks
   * its session). One indexed statement. Returns false if the session is
   * unknown or was already revoked (the first reason and time are kept).
   */
  revokeSession(sessionId: string, nowMs: number, reason: SessionRevokeReason): Promise<boolean>;

  /** The subject's current security stamp; null if the subject has none yet. */
  findSubjectStamp(sub: string): Promise<string | null>;

  /**
   * Returns the subject's stamp, storing `candidate` first if it has none.
   * Atomic: concurrent callers all get the same stamp.
   */
  ensureSubjectStamp(sub: string, candidate: string, nowMs: number): Promise<string>;

  /**
   * Replaces the subject's security stamp with `newStamp` and revokes every
   * live session of the subject (reason `subject_revoked`), in one transaction.
   * A session minted concurrently with the old stamp is caught at its next
   * refresh by the stamp comparison. Returns the number of sessions revoked.
   */
  revokeSubject(sub: string, newStamp: string, nowMs: number): Promise<number>;

  /** Sessions matching every given filter field, oldest first, in any state. */
  listSessions(filter?: SessionFilter): Promise<SessionRecord[]>;

  /**
   * Deletes what can no longer be used: sessions past their absolute end or
   * with no refresh token valid after `nowMs` (idle-expired, or revoked and
   * drained), with all their tokens; and refresh tokens expired at `nowMs`.
   * Subject stamps are kept. One transaction.
   */
  purgeExpired(nowMs: number): Promise<PurgeResult>;

  /**
   * Remembers that a server signs with `kid` on this store (called by `serve` at start).
   * Idempotent: a known kid only gets its `lastUsedAtMs` moved forward.
   */
  recordSigningKey(kid: string, nowMs: number): Promise<void>;

  /** Every kid recorded by {@link recordSigningKey}, the most recently used first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;

  /** Resolves when the backend answers a trivial query (readiness probes); rejects if closed or unreachable. */
  ping(): Promise<void>;

  /** Releases the connection. Idempotent; every other method rejects afterwards. */
  close(): Promise<void>;
}
