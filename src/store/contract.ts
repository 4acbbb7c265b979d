/**
 * The store contract: everything the token service persists, and nothing about
 * how. Every method is async and every type here is plain data, so a
 * PostgreSQL backend drops in beside the SQLite one without the token service
 * changing. One shared suite (`test/store/contract.test.ts`) runs against every
 * backend: SQLite (`sqlite.ts`, the embedded default) and PostgreSQL (`postgres.ts`, shared by
 * any number of instances).
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

/**
 * What a rotation's successor was built from, before the store was read: the presented token's
 * claims. {@link TokenStore.rotateRefreshToken} consumes only while the stored state agrees.
 */
export interface RotationExpectations {
  /** The session the presented token names (its `sid`); the token must belong to it. */
  sessionId: string;
  api: string;
  sub: string;
  /** The presented token's security stamp: the session's and its subject's current stamp must both be this. */
  stateHash: string;
  /** The session's current organization scope, as the successor assumed it (null: unscoped). */
  organizationId: string | null;
  /** An organization the caller scopes the successor to (null: none asked): must be one of the session's. */
  requestedOrganizationId: string | null;
  /**
   * The successor's expiry before the session's absolute end caps it: `successor.expiresAtMs`
   * must be the earlier of this and that end (truncated to the second, as `exp` is).
   */
  uncappedExpiresAtMs: number;
}

export interface RotateRefreshTokenInput extends ConsumeRefreshTokenInput {
  expected: RotationExpectations;
}

export interface RotateRefreshTokenResult {
  /** True if this call consumed the token and stored the successor. */
  consumed: boolean;
  /**
   * The token (as it stood before this call's write), its session and the subject's stamp, read
   * by the same call; null if the token is unknown or purged. When nothing was consumed the caller
   * decides from it as from {@link TokenStore.findRefreshContext}, without reading again.
   */
  context: RefreshContext | null;
}

/**
 * Whether a rotation's expectations hold for the stored state it read: the rule
 * {@link TokenStore.rotateRefreshToken} applies, written once for every backend that decides in
 * code (a backend that decides in SQL states the same conditions there; the shared suite holds both
 * to it).
 */
export function rotationExpectationsHold(context: RefreshContext, input: RotateRefreshTokenInput): boolean {
  const { token, session, subjectStamp } = context;
  const expected = input.expected;
  if (session === null || token.usedAtMs !== null || token.sessionId !== expected.sessionId) return false;
  if (session.revokedAtMs !== null || input.nowMs >= session.absoluteExpiresAtMs) return false;
  if (session.api !== expected.api || session.sub !== expected.sub) return false;
  if (session.stateHash !== expected.stateHash || subjectStamp !== expected.stateHash) return false;
  if (session.organizationId !== expected.organizationId) return false;
  if (expected.requestedOrganizationId !== null && !session.organizations.includes(expected.requestedOrganizationId)) return false;
  const sessionEndMs = session.absoluteExpiresAtMs - (session.absoluteExpiresAtMs % 1000);
  return input.successor.expiresAtMs === Math.min(expected.uncappedExpiresAtMs, sessionEndMs);
}

/** What one running instance of `serve` signs and verifies with. */
export interface InstanceKeys {
  /** Unique to one start of one process. */
  instanceId: string;
  /** Where it runs, for people reading a report: host name and pid. */
  description: string;
  /** The kid of the key it signs new tokens with. */
  signingKid: string;
  /** Every kid it verifies, its signing kid included. */
  verifyingKids: string[];
}

export interface InstanceRecord extends InstanceKeys {
  /** When the instance first announced itself. */
  startedAtMs: number;
  /** Its latest announcement (a heartbeat). */
  lastSeenAtMs: number;
}

/** A kid some `serve` signed tokens with, and when that was first and last recorded. */
export interface SigningKidRecord {
  kid: string;
  firstRecordedAtMs: number;
  lastRecordedAtMs: number;
}

export interface SessionFilter {
  api?: string;
  sub?: string;
}

export interface PurgeResult {
  sessions: number;
  refreshTokens: number;
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
   * A whole rotation in one call (on PostgreSQL, the rotations of one event-loop turn share one statement and one round trip): reads the
   * token's context and, only if {@link rotationExpectationsHold} for it, consumes the token and
   * stores the successor exactly as {@link consumeRefreshToken} does (the same single-winner
   * conditional write, and the same session and stamp conditions at the moment of writing).
   * Otherwise writes nothing. Atomic. Rejects, writing nothing, if the successor cannot be stored.
   */
  rotateRefreshToken(input: RotateRefreshTokenInput): Promise<RotateRefreshTokenResult>;

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
   * drained), with all their tokens; refresh tokens expired at `nowMs`; and the records of
   * instances last seen a day or more before `nowMs`. Subject stamps and signing kids are kept.
   * One transaction. A backend shared by several instances purges on one of them at a time: a
   * call made while another instance is purging deletes nothing and reports zeros.
   */
  purgeExpired(nowMs: number): Promise<PurgeResult>;

  /**
   * Remembers that `serve` signs tokens with `kid` (for good: what it signed may be presented for
   * as long as it lives). Idempotent: a known kid only has its last-recorded time moved on.
   */
  recordSigningKid(kid: string, nowMs: number): Promise<void>;

  /** Every kid {@link recordSigningKid} was given, in the order first recorded; empty for a new store. */
  knownSigningKids(): Promise<SigningKidRecord[]>;

  /**
   * Records a running instance's keys, or renews its record (a heartbeat): an insert the first
   * time, then `lastSeenAtMs = nowMs` and the keys as given.
   */
  announceInstance(instance: InstanceKeys, nowMs: number): Promise<void>;

  /** Instances last seen at or after `seenSinceMs`, in the order they started. */
  listInstances(seenSinceMs: number): Promise<InstanceRecord[]>;

  /** Forgets an instance (it stopped). Unknown ids are ignored. */
  withdrawInstance(instanceId: string): Promise<void>;

  /** Resolves when the backend answers a trivial query (readiness probes); rejects if closed or unreachable. */
  ping(): Promise<void>;

  /** Releases the connection. Idempotent; every other method rejects afterwards. */
  close(): Promise<void>;
}
