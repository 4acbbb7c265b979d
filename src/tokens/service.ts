/**
 * The token engine behind all five refresh endpoints: mint, rotate, verify,
 * revoke. It holds the lifecycle rules (rotation, reuse detection, grace
 * window, revocation, absolute lifetime); persistence and atomicity are the
 * store's, rendering errors is the dialects'.
 *
 * Lifecycle in short:
 * - A session is one token family of one api and one subject. Its absolute end
 *   is fixed at mint (`sessionAbsoluteTtlSeconds`); no token of it, access or
 *   refresh, is valid past that end.
 * - Each refresh token lives `refreshIdleTtlSeconds` (capped by the absolute
 *   end). Every rotation consumes it with one conditional write and issues a
 *   successor with a new `jti`.
 * - A consumed token presented again within `graceWindowSeconds` of its use
 *   gets the family's current refresh token again (the same `jti`, the same
 *   claims) with a fresh access token: a lost response or two tabs racing
 *   never branch the family. Presented later, it revokes the whole session
 *   (RFC 9700 §4.14.2).
 * - Every refresh token carries the subject's security stamp (`state_hash`);
 *   `revokeSubject` replaces the stamp, and every session minted under the old
 *   one fails its next refresh, on every api.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { timeOrderedUuid } from './ids';
import {
  StoreUnavailableError,
  type NewRefreshToken,
  type RefreshContext,
  type RefreshTokenRecord,
  type SessionRecord,
  type TokenStore,
} from '../store/contract';
import { isTokenError, TokenError, type TokenErrorCode } from './errors';
import { signJwt, verifyJws, type JwtClaims } from './jwt';
import type { JwkSet, KeySet } from './keys';

/**
 * The name of an api: the audience (`aud`) of its tokens. Any name the server's documents
 * declare (src/spec/catalogue.ts); the token engine keeps no list of its own.
 */
export type ApiName = string;

export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** Seed 004's access token lifetime: 1 hour. */
export const DEFAULT_ACCESS_TTL_SECONDS = 3600;
/** Seed 004's refresh token lifetime: 180 days. */
export const DEFAULT_REFRESH_IDLE_TTL_SECONDS = 180 * 24 * 3600;
/** One year: an active client signs in again at least yearly; an idle one after 180 days. */
export const DEFAULT_SESSION_ABSOLUTE_TTL_SECONDS = 365 * 24 * 3600;
export const DEFAULT_GRACE_WINDOW_SECONDS = 10;

export interface TokenServiceOptions {
  store: TokenStore;
  keys: KeySet;
  /** Every time the service uses comes from here (tests inject a fake clock). */
  clock: Clock;
  /** The `iss` claim of every token, checked on every token presented. */
  issuer: string;
  /** Access token lifetime. Default 3600 (1 h). */
  accessTtlSeconds?: number;
  /** Lifetime of each refresh token, renewed by every rotation. Default 180 days. */
  refreshIdleTtlSeconds?: number;
  /** Lifetime of a session from its mint; rotation never extends it. Default 365 days. */
  sessionAbsoluteTtlSeconds?: number;
  /** How long after its use a refresh token still yields the same successor. Default 10; 0 turns every replay into reuse. */
  graceWindowSeconds?: number;
  /** Static Bearer API keys accepted by almanac beside access tokens. Default none. */
  apiKeys?: readonly string[];
  /** Told of every refresh outcome and revocation (the server's metrics). Default: nobody. */
  events?: TokenEvents;
}

/**
 * What the token service reports as it works, for counting; nothing here can change an outcome.
 * A refused refresh reports its {@link TokenErrorCode}: `token_reused` means reuse was detected
 * and the family revoked.
 */
export interface TokenEvents {
  refreshed(api: ApiName, outcome: 'rotated' | 'grace_replay'): void;
  rejected(api: ApiName, code: TokenErrorCode): void;
  storeUnavailable(api: ApiName): void;
  /** `sessions` were revoked: by an operator (`session`), by revoke-subject (`subject`), or on reuse (`reuse`). */
  revoked(kind: 'session' | 'subject' | 'reuse', sessions: number): void;
}

const NO_EVENTS: TokenEvents = { refreshed: () => {}, rejected: () => {}, storeUnavailable: () => {}, revoked: () => {} };

export interface AccessTokenClaims {
  token_type: 'access';
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  iss: string;
  aud: ApiName;
  /** The organization the token is scoped to; absent when unscoped. */
  org?: string;
}

export interface RefreshTokenClaims extends Omit<AccessTokenClaims, 'token_type'> {
  token_type: 'refresh';
  /** The subject's security stamp when the family was minted. */
  state_hash: string;
}

export interface MintSessionInput {
  api: ApiName;
  sub: string;
  /** Organizations the session may be scoped to. Default none. */
  organizations?: readonly string[];
  /** Initial scope; must be one of `organizations`. Default null (unscoped). */
  organizationId?: string | null;
}

export interface MintSessionResult {
  sessionId: string;
  sub: string;
  api: ApiName;
  accessToken: string;
  refreshToken: string;
  accessExpiresAtMs: number;
  refreshExpiresAtMs: number;
  organizationId: string | null;
}

export interface RotateRefreshTokenInput {
  api: ApiName;
  refreshToken: string;
  /** pathstack: the `sub` sent beside the token; must equal the token's subject. */
  expectedSub?: string;
  /** almanac: the Bearer credential without its `Bearer ` prefix; checked whenever given. */
  bearer?: string;
  /** almanac: refuse the call when `bearer` is absent or empty. Default false. */
  requireBearer?: boolean;
  /** almanac: scope the new tokens to this organization. Omitted or null keeps the session's current scope. */
  organizationId?: string | null;
}

export interface RotateRefreshTokenResult {
  sessionId: string;
  sub: string;
  accessToken: string;
  refreshToken: string;
  accessExpiresAtMs: number;
  refreshExpiresAtMs: number;
  /** The access token's lifetime as issued (`exp - iat`); shorter than configured near the session's absolute end. */
  accessTtlSeconds: number;
  organizationId: string | null;
}

export interface VerifyAccessTokenOptions {
  /** Accept an expired token (almanac's Bearer check: the client refreshes because it expired). */
  ignoreExpiry?: boolean;
}

export type SessionStatus = 'active' | 'revoked' | 'expired';

export interface SessionSummary extends SessionRecord {
  /** `expired` means past the absolute end; a session whose last refresh token idled out still shows `active` until purged. */
  status: SessionStatus;
}

const MAX_SUCCESSOR_HOPS = 64;

/** What a token's claims are made from: a stored session, or what a presented token says of its session. */
type ClaimsSource = Pick<SessionRecord, 'id' | 'api' | 'sub' | 'stateHash' | 'absoluteExpiresAtMs'>;

function secondsOf(ms: number): number {
  return Math.floor(ms / 1000);
}

function newSecurityStamp(): string {
  // Seed 004's state_hash is the base64 of 32 bytes.
  return randomBytes(32).toString('base64');
}

/** What the store keeps of a refresh token: its claims and the kid that signs it, never the token. */
function storedRefreshToken(claims: RefreshTokenClaims, parentJti: string | null, issuedAtMs: number, kid: string): NewRefreshToken {
  return { jti: claims.jti, sessionId: claims.sid, parentJti, issuedAtMs, expiresAtMs: claims.exp * 1000, kid, claims: { ...claims } };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function assertPositiveSeconds(name: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer number of seconds`);
  }
}

export class TokenService {
  private readonly store: TokenStore;
  private readonly keys: KeySet;
  private readonly clock: Clock;
  private readonly issuer: string;
  private readonly accessTtlSeconds: number;
  private readonly refreshIdleTtlSeconds: number;
  private readonly sessionAbsoluteTtlSeconds: number;
  private readonly graceWindowMs: number;
  private readonly apiKeyDigests: readonly Buffer[];
  private readonly events: TokenEvents;

  constructor(options: TokenServiceOptions) {
    this.events = options.events ?? NO_EVENTS;
    this.store = options.store;
    this.keys = options.keys;
    this.clock = options.clock;
    this.issuer = options.issuer;
    this.accessTtlSeconds = options.accessTtlSeconds ?? DEFAULT_ACCESS_TTL_SECONDS;
    this.refreshIdleTtlSeconds = options.refreshIdleTtlSeconds ?? DEFAULT_REFRESH_IDLE_TTL_SECONDS;
    this.sessionAbsoluteTtlSeconds = options.sessionAbsoluteTtlSeconds ?? DEFAULT_SESSION_ABSOLUTE_TTL_SECONDS;
    const graceWindowSeconds = options.graceWindowSeconds ?? DEFAULT_GRACE_WINDOW_SECONDS;
    assertPositiveSeconds('accessTtlSeconds', this.accessTtlSeconds);
    assertPositiveSeconds('refreshIdleTtlSeconds', this.refreshIdleTtlSeconds);
    assertPositiveSeconds('sessionAbsoluteTtlSeconds', this.sessionAbsoluteTtlSeconds);
    assertPositiveSeconds('graceWindowSeconds', graceWindowSeconds, true);
    if (!this.issuer) throw new Error('issuer must be a non-empty string');
    this.graceWindowMs = graceWindowSeconds * 1000;
    const apiKeys = options.apiKeys ?? [];
    if (apiKeys.some((key) => typeof key !== 'string' || key.length === 0)) throw new Error('API keys must be non-empty strings');
    this.apiKeyDigests = apiKeys.map(digest);
  }

  /**
   * Starts a session (token family) for `sub` on `api`: stores the session and
   * its first refresh token in one transaction and returns both tokens.
   * Throws `organization_forbidden` if `organizationId` is not one of
   * `organizations`, and a plain Error for an empty api name or subject.
   */
  async mintSession(input: MintSessionInput): Promise<MintSessionResult> {
    if (typeof input.api !== 'string' || input.api.length === 0) throw new Error('api must be a non-empty string');
    if (typeof input.sub !== 'string' || input.sub.length === 0) throw new Error('sub must be a non-empty string');
    const organizations = [...new Set(input.organizations ?? [])];
    if (organizations.some((organization) => typeof organization !== 'string' || organization.length === 0)) {
      throw new Error('organizations must be non-empty strings');
    }
    const organizationId = input.organizationId ?? null;
    if (organizationId !== null && !organizations.includes(organizationId)) {
      throw new TokenError('organization_forbidden', 'organizationId at mint is not one of the organizations given');
    }

    const nowMs = this.clock.nowMs();
    const nowSeconds = secondsOf(nowMs);
    const stateHash = await this.store.ensureSubjectStamp(input.sub, newSecurityStamp(), nowMs);
    const sessionId = randomUUID();
    // Whole seconds, so the session's end and its tokens' `exp` agree exactly.
    const absoluteExpiresAtMs = (nowSeconds + this.sessionAbsoluteTtlSeconds) * 1000;
    const session: SessionRecord = {
      id: sessionId,
      api: input.api,
      sub: input.sub,
      organizations,
      organizationId,
      createdAtMs: nowMs,
      absoluteExpiresAtMs,
      revokedAtMs: null,
      revokeReason: null,
      stateHash,
    };
    const refresh = this.refreshClaims(session, organizationId, nowSeconds);
    await this.store.createSession(session, storedRefreshToken(refresh, null, nowMs, this.keys.signing.kid));
    const access = this.accessClaims(session, organizationId, nowSeconds);
    return {
      sessionId,
      sub: input.sub,
      api: input.api,
      accessToken: signJwt({ ...access }, this.keys.signing),
      refreshToken: signJwt({ ...refresh }, this.keys.signing),
      accessExpiresAtMs: access.exp * 1000,
      refreshExpiresAtMs: refresh.exp * 1000,
      organizationId,
    };
  }

  /**
   * Exchanges a refresh token for a new access token and a new refresh token.
   *
   * Everything is checked before the consuming write, so a refused call
   * (wrong subject, bad Bearer, forbidden organization, …) never burns the
   * token. Then the token is consumed atomically; a caller that loses the race
   * or replays a used token within the grace window gets the family's current
   * refresh token again. Throws `TokenError` with:
   * `token_missing` (empty), `token_malformed`, `token_invalid_signature`, `token_wrong_issuer`,
   * `token_wrong_type` (an access token), `token_wrong_audience` (another api's
   * token), `token_not_yet_valid`, `token_expired`, `subject_mismatch`,
   * `token_unknown`, `session_revoked`, `session_expired`, `subject_revoked`,
   * `bearer_missing`, `bearer_invalid`, `organization_forbidden`, and
   * `token_reused` (replay after the grace window; the session is revoked).
   */
  async rotateRefreshToken(input: RotateRefreshTokenInput): Promise<RotateRefreshTokenResult> {
    try {
      const result = await this.rotate(input);
      this.events.refreshed(input.api, result.replayed ? 'grace_replay' : 'rotated');
      return result.rotation;
    } catch (error) {
      if (isTokenError(error)) this.events.rejected(input.api, error.code);
      else if (error instanceof StoreUnavailableError) this.events.storeUnavailable(input.api);
      throw error;
    }
  }

  private async rotate(input: RotateRefreshTokenInput): Promise<{ rotation: RotateRefreshTokenResult; replayed: boolean }> {
    const nowMs = this.clock.nowMs();
    const nowSeconds = secondsOf(nowMs);
    const presented = this.verifyClaims(input.api, input.refreshToken, 'refresh', nowSeconds, false) as RefreshTokenClaims;
    if (input.expectedSub !== undefined && input.expectedSub !== presented.sub) {
      throw new TokenError('subject_mismatch', `sub sent does not match the token's subject (session ${presented.sid})`);
    }
    const requestedOrganization = input.organizationId ?? null;

    // A Bearer that fails is reported in the order below (after what the store says of the token),
    // so only an acceptable one lets the rotation be tried from the claims.
    const fromClaims = this.bearerAccepted(input, presented.sid, nowSeconds)
      ? await this.rotateFromClaims(input.api, presented, requestedOrganization, nowMs)
      : undefined;
    if (fromClaims?.result) return { rotation: fromClaims.result, replayed: false };

    const context = fromClaims ? fromClaims.context : await this.store.findRefreshContext(presented.jti);
    const record = context?.token;
    if (!record || record.sessionId !== presented.sid) {
      throw new TokenError('token_unknown', `no stored refresh token ${presented.jti} in session ${presented.sid}`);
    }
    const session = context.session;
    if (!session) throw new TokenError('token_unknown', `no stored session ${record.sessionId}`);
    this.assertSessionUsable(session, nowMs);
    if (session.api !== input.api || session.sub !== presented.sub) {
      throw new TokenError('token_unknown', `token claims disagree with stored session ${session.id}`);
    }
    const stamp = context.subjectStamp;
    if (stamp === null || stamp !== session.stateHash || stamp !== presented.state_hash) {
      throw new TokenError('subject_revoked', `security stamp of the subject changed since session ${session.id} was minted`);
    }
    this.checkBearer(input, session.id, nowSeconds);
    if (requestedOrganization !== null && !session.organizations.includes(requestedOrganization)) {
      throw new TokenError('organization_forbidden', `organization not among the ${session.organizations.length} of session ${session.id}`);
    }

    if (record.usedAtMs !== null) return { rotation: await this.replay(record, session, requestedOrganization, nowMs), replayed: true };

    const organizationId = requestedOrganization ?? session.organizationId;
    const successor = this.refreshClaims(session, organizationId, nowSeconds);
    if (successor.exp <= nowSeconds) throw new TokenError('session_expired', `session ${session.id} is at its absolute end`);
    const signingKey = this.keys.signing;
    const outcome = await this.store.consumeRefreshToken({
      jti: record.jti,
      nowMs,
      successor: storedRefreshToken(successor, record.jti, nowMs, signingKey.kid),
      organizationId: organizationId === session.organizationId ? undefined : organizationId,
    });
    switch (outcome.outcome) {
      case 'consumed':
        return { rotation: this.rotationResult(session, signJwt({ ...successor }, signingKey), successor.exp, organizationId, nowSeconds), replayed: false };
      case 'already_used':
        // A concurrent rotation of the same token won the conditional write.
        return { rotation: await this.replay(outcome.token, session, requestedOrganization, nowMs), replayed: true };
      case 'not_found':
        throw new TokenError('token_unknown', `refresh token ${record.jti} was purged during rotation`);
      case 'session_inactive':
        throw new TokenError('session_revoked', `session ${session.id} was revoked (or its subject's stamp changed) during rotation`);
    }
  }

  /**
   * The common rotation in one store call (one round trip): the successor is built from what the
   * presented token says of its session (subject, stamp, scope, and its end when the token was
   * capped by it), and the store consumes only if the stored state agrees, checking in the same
   * atomic call everything `rotateRefreshToken` checks against the store. When it does not agree
   * (a used token, a revoked session, a first successor capped by the session's end, …) nothing
   * is written, and the caller decides from the context the call read, as from
   * `findRefreshContext`.
   */
  private async rotateFromClaims(
    api: ApiName,
    presented: RefreshTokenClaims,
    requestedOrganization: string | null,
    nowMs: number,
  ): Promise<{ result?: RotateRefreshTokenResult; context: RefreshContext | null }> {
    const nowSeconds = secondsOf(nowMs);
    const currentScope = typeof presented.org === 'string' ? presented.org : null;
    const organizationId = requestedOrganization ?? currentScope;
    const uncappedExp = nowSeconds + this.refreshIdleTtlSeconds;
    // A token capped by its session's end carries that end as its `exp`; an uncapped one only says the end is later.
    const cappedByEnd = presented.exp < presented.iat + this.refreshIdleTtlSeconds;
    const assumed: ClaimsSource = {
      id: presented.sid,
      api,
      sub: presented.sub,
      stateHash: presented.state_hash,
      absoluteExpiresAtMs: (cappedByEnd ? presented.exp : uncappedExp) * 1000,
    };
    const successor = this.refreshClaims(assumed, organizationId, nowSeconds);
    const signingKey = this.keys.signing;
    const { consumed, context } = await this.store.rotateRefreshToken({
      jti: presented.jti,
      nowMs,
      successor: storedRefreshToken(successor, presented.jti, nowMs, signingKey.kid),
      organizationId: organizationId === currentScope ? undefined : organizationId,
      expected: {
        sessionId: presented.sid,
        api,
        sub: presented.sub,
        stateHash: presented.state_hash,
        organizationId: currentScope,
        requestedOrganizationId: requestedOrganization,
        uncappedExpiresAtMs: uncappedExp * 1000,
      },
    });
    if (!consumed) return { context };
    if (!context?.session) throw new Error(`store consumed refresh token ${presented.jti} without reading its session`);
    return { result: this.rotationResult(context.session, signJwt({ ...successor }, signingKey), successor.exp, organizationId, nowSeconds), context };
  }

  /**
   * Verifies an access token of `api` (signature, issuer, audience, type,
   * `nbf`, and `exp` unless `ignoreExpiry`) and returns its claims. Stateless:
   * it does not consult the store, so a revoked session's access tokens stay
   * valid until they expire (at most `accessTtlSeconds`).
   */
  verifyAccessToken(api: ApiName, token: string, options: VerifyAccessTokenOptions = {}): AccessTokenClaims {
    return this.verifyClaims(api, token, 'access', secondsOf(this.clock.nowMs()), options.ignoreExpiry ?? false) as AccessTokenClaims;
  }

  /** Revokes one session and with it every token of its family. False if unknown or already revoked. */
  async revokeSession(sessionId: string): Promise<boolean> {
    const revoked = await this.store.revokeSession(sessionId, this.clock.nowMs(), 'revoked');
    if (revoked) this.events.revoked('session', 1);
    return revoked;
  }

  /**
   * "Log out everywhere": replaces the subject's security stamp and revokes all
   * its sessions on every api. Sessions minted afterwards work. Returns how
   * many live sessions were revoked.
   */
  async revokeSubject(sub: string): Promise<{ sessionsRevoked: number }> {
    const sessionsRevoked = await this.store.revokeSubject(sub, newSecurityStamp(), this.clock.nowMs());
    this.events.revoked('subject', sessionsRevoked);
    return { sessionsRevoked };
  }

  /** Sessions of any state, oldest first, optionally filtered by api and subject. */
  async listSessions(filter: { api?: ApiName; sub?: string } = {}): Promise<SessionSummary[]> {
    const nowMs = this.clock.nowMs();
    const sessions = await this.store.listSessions(filter);
    return sessions.map((session) => this.summary(session, nowMs));
  }

  /** One session in any state; null if unknown or purged. */
  async findSession(sessionId: string): Promise<SessionSummary | null> {
    const session = await this.store.findSession(sessionId);
    return session && this.summary(session, this.clock.nowMs());
  }

  private summary(session: SessionRecord, nowMs: number): SessionSummary {
    return { ...session, status: session.revokedAtMs !== null ? 'revoked' : nowMs >= session.absoluteExpiresAtMs ? 'expired' : 'active' };
  }

  /** Deletes sessions and refresh tokens that can no longer be used. */
  async purgeExpired(): Promise<{ sessions: number; refreshTokens: number }> {
    return this.store.purgeExpired(this.clock.nowMs());
  }

  /** The public keys for `/.well-known/jwks.json` (empty with HS256 only). */
  jwks(): JwkSet {
    return this.keys.jwks();
  }

  /** Claims both token types carry; each type's own rules add to them (RFC 8725: the types never validate as each other). */
  private commonClaims(session: ClaimsSource, nowSeconds: number, ttlSeconds: number) {
    return {
      sub: session.sub,
      sid: session.id,
      jti: timeOrderedUuid(),
      iat: nowSeconds,
      nbf: nowSeconds,
      // Rotation never extends a session past its absolute end.
      exp: Math.min(nowSeconds + ttlSeconds, secondsOf(session.absoluteExpiresAtMs)),
      iss: this.issuer,
      aud: session.api as ApiName,
    };
  }

  private accessClaims(session: ClaimsSource, organizationId: string | null, nowSeconds: number): AccessTokenClaims {
    return {
      token_type: 'access',
      ...this.commonClaims(session, nowSeconds, this.accessTtlSeconds),
      ...(organizationId !== null ? { org: organizationId } : {}),
    };
  }

  private refreshClaims(session: ClaimsSource, organizationId: string | null, nowSeconds: number): RefreshTokenClaims {
    return {
      token_type: 'refresh',
      ...this.commonClaims(session, nowSeconds, this.refreshIdleTtlSeconds),
      state_hash: session.stateHash,
      ...(organizationId !== null ? { org: organizationId } : {}),
    };
  }

  private rotationResult(
    session: SessionRecord,
    refreshToken: string,
    refreshExpSeconds: number,
    organizationId: string | null,
    nowSeconds: number,
  ): RotateRefreshTokenResult {
    const access = this.accessClaims(session, organizationId, nowSeconds);
    return {
      sessionId: session.id,
      sub: session.sub,
      accessToken: signJwt({ ...access }, this.keys.signing),
      refreshToken,
      accessExpiresAtMs: access.exp * 1000,
      refreshExpiresAtMs: refreshExpSeconds * 1000,
      accessTtlSeconds: access.exp - access.iat,
      organizationId,
    };
  }

  /**
   * A consumed token presented again. Within the grace window: the family's
   * current refresh token (followed through successors, so a family that moved
   * on twice still does not branch), re-signed from its stored claims, and a
   * fresh access token. After it: the session is revoked.
   */
  private async replay(
    used: RefreshTokenRecord,
    session: SessionRecord,
    requestedOrganization: string | null,
    nowMs: number,
  ): Promise<RotateRefreshTokenResult> {
    if (used.usedAtMs === null || nowMs - used.usedAtMs >= this.graceWindowMs) {
      if (await this.store.revokeSession(session.id, nowMs, 'token_reused')) this.events.revoked('reuse', 1);
      throw new TokenError('token_reused', `refresh token ${used.jti} replayed after the grace window; session ${session.id} revoked`);
    }
    let current = used;
    for (let hops = 0; current.usedAtMs !== null; hops += 1) {
      const successorJti = current.successorJti;
      const successor = successorJti === null || hops >= MAX_SUCCESSOR_HOPS ? null : await this.store.findRefreshToken(successorJti);
      if (!successor || successor.sessionId !== session.id) {
        throw new TokenError('token_unknown', `successor of refresh token ${current.jti} not found`);
      }
      current = successor;
    }
    const claims = current.claims as JwtClaims & Partial<RefreshTokenClaims>;
    const organizationId = typeof claims.org === 'string' ? claims.org : null;
    if (requestedOrganization !== null && requestedOrganization !== organizationId) {
      throw new TokenError(
        'organization_forbidden',
        `a concurrent refresh of session ${session.id} already scoped its current token to another organization`,
      );
    }
    const exp = typeof claims.exp === 'number' ? claims.exp : secondsOf(current.expiresAtMs);
    if (exp * 1000 <= nowMs) throw new TokenError('session_expired', `current refresh token of session ${session.id} has expired`);
    // The key that signed it, so HS256/RS256/EdDSA reproduce the identical token; after a key rotation, the current key.
    const originalKey = this.keys.find(current.kid);
    const key = originalKey?.signingKey ? originalKey : this.keys.signing;
    return this.rotationResult(session, signJwt(current.claims, key), exp, organizationId, secondsOf(nowMs));
  }

  private assertSessionUsable(session: SessionRecord, nowMs: number): void {
    if (session.revokedAtMs !== null) {
      const code = session.revokeReason === 'subject_revoked' ? 'subject_revoked' : 'session_revoked';
      throw new TokenError(code, `session ${session.id} revoked (${session.revokeReason ?? 'no reason'})`);
    }
    if (nowMs >= session.absoluteExpiresAtMs) {
      throw new TokenError('session_expired', `session ${session.id} passed its absolute end`);
    }
  }

  /** Whether {@link checkBearer} accepts the call's Bearer for this session. */
  private bearerAccepted(input: RotateRefreshTokenInput, sessionId: string, nowSeconds: number): boolean {
    try {
      this.checkBearer(input, sessionId, nowSeconds);
      return true;
    } catch (error) {
      if (error instanceof TokenError) return false;
      throw error;
    }
  }

  private checkBearer(input: RotateRefreshTokenInput, sessionId: string, nowSeconds: number): void {
    const bearer = input.bearer;
    if (bearer === undefined || bearer === '') {
      if (input.requireBearer) throw new TokenError('bearer_missing', 'no Bearer credential');
      return;
    }
    if (this.isApiKey(bearer)) return;
    let claims: AccessTokenClaims;
    try {
      claims = this.verifyClaims(input.api, bearer, 'access', nowSeconds, true) as AccessTokenClaims;
    } catch (error) {
      const reason = error instanceof TokenError ? error.code : 'unexpected error';
      throw new TokenError('bearer_invalid', `Bearer is neither an API key nor a valid access token (${reason})`);
    }
    if (claims.sid !== sessionId) {
      throw new TokenError('bearer_invalid', `Bearer access token belongs to session ${claims.sid}, not ${sessionId}`);
    }
  }

  /** Whether `candidate` is one of the configured API keys. Constant time: compares fixed-length digests, and always against every key. */
  isApiKey(candidate: string): boolean {
    const candidateDigest = digest(candidate);
    let matched = false;
    for (const keyDigest of this.apiKeyDigests) {
      matched = timingSafeEqual(candidateDigest, keyDigest) || matched;
    }
    return matched;
  }

  /**
   * Signature plus every claim rule, in one place for every algorithm. The
   * token type is checked as strictly as the audience (RFC 8725 §3.11): an
   * access token is never a refresh token and the reverse.
   */
  private verifyClaims(
    api: ApiName,
    token: unknown,
    expectedType: 'access' | 'refresh',
    nowSeconds: number,
    ignoreExpiry: boolean,
  ): AccessTokenClaims | RefreshTokenClaims {
    if (token === undefined || token === null || token === '') throw new TokenError('token_missing', `no ${expectedType} token`);
    if (typeof token !== 'string') throw new TokenError('token_malformed', 'token is not a string');
    const { claims } = verifyJws(token, this.keys, nowSeconds);
    const { token_type, sub, sid, jti, iat, nbf, exp, iss, aud, org, state_hash } = claims;
    for (const [name, value] of Object.entries({ token_type, sub, sid, jti, iss, aud })) {
      if (typeof value !== 'string' || value.length === 0) throw new TokenError('token_malformed', `claim ${name} missing or not a string`);
    }
    for (const [name, value] of Object.entries({ iat, nbf, exp })) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TokenError('token_malformed', `claim ${name} missing or not a number`);
    }
    if (org !== undefined && typeof org !== 'string') throw new TokenError('token_malformed', 'claim org is not a string');
    if (iss !== this.issuer) throw new TokenError('token_wrong_issuer', 'iss is not this server');
    if (token_type !== expectedType) {
      throw new TokenError('token_wrong_type', `expected a ${expectedType} token, got token_type ${JSON.stringify(String(token_type).slice(0, 16))}`);
    }
    if (aud !== api) throw new TokenError('token_wrong_audience', `token for ${JSON.stringify(String(aud).slice(0, 32))} presented to ${api}`);
    if (expectedType === 'refresh' && (typeof state_hash !== 'string' || state_hash.length === 0)) {
      throw new TokenError('token_malformed', 'refresh token has no state_hash');
    }
    // Same comparisons as jsonwebtoken: not before `nbf`, expired from `exp` on.
    if ((nbf as number) > nowSeconds) throw new TokenError('token_not_yet_valid', `nbf is ${(nbf as number) - nowSeconds} s ahead`);
    if (!ignoreExpiry && nowSeconds >= (exp as number)) {
      throw new TokenError('token_expired', `expired ${nowSeconds - (exp as number)} s ago (session ${String(sid)})`);
    }
    return claims as unknown as AccessTokenClaims | RefreshTokenClaims;
  }
}
