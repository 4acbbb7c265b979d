/**
 * The one error type of the token engine. Dialect modules turn it into each
 * api's error body; nothing in `src/tokens` knows which body that will be.
 *
 * `publicMessage` is safe to send to a client. `internalDetail` is for logs and
 * debug mode only; it may name ids (session id, jti, kid, subject) but never a
 * token string or key material.
 */

/** Stable machine codes: a union, so a `switch (err.code)` narrows. */
export type TokenErrorCode =
  /** No token where one is required (an absent cookie, an empty field). */
  | 'token_missing'
  /** Not three base64url JSON parts, or a required claim missing or mistyped. */
  | 'token_malformed'
  /** Signature does not verify, unknown `kid`, or an algorithm other than the key's pinned one (incl. `none`). */
  | 'token_invalid_signature'
  | 'token_expired'
  | 'token_not_yet_valid'
  /** An access token where a refresh token is expected, or the reverse (RFC 8725 §3.11). */
  | 'token_wrong_type'
  /** `aud` is another api. */
  | 'token_wrong_audience'
  /** `iss` is not this server's issuer. */
  | 'token_wrong_issuer'
  /** Well signed, but the store has no record of it (purged, or a different database). */
  | 'token_unknown'
  /** A used refresh token presented after the grace window: the whole session is now revoked. */
  | 'token_reused'
  | 'session_revoked'
  | 'session_expired'
  /** The subject's security stamp changed (revoke-subject, "log out everywhere"). */
  | 'subject_revoked'
  /** pathstack: the `sub` sent beside the token is not the token's subject. */
  | 'subject_mismatch'
  /** almanac: no Bearer credential where one is required. */
  | 'bearer_missing'
  /** almanac: the Bearer credential is neither an API key nor an access token of the same session. */
  | 'bearer_invalid'
  /** The requested organization is not one the session was minted with. */
  | 'organization_forbidden';

export type TokenErrorStatus = 401 | 403;

const PUBLIC_MESSAGES: Record<TokenErrorCode, string> = {
  token_missing: 'Token is missing',
  token_malformed: 'Token is malformed',
  token_invalid_signature: 'Token signature is invalid',
  token_expired: 'Token has expired',
  token_not_yet_valid: 'Token is not yet valid',
  token_wrong_type: 'Token is not of the expected type',
  token_wrong_audience: 'Token was not issued for this API',
  token_wrong_issuer: 'Token was not issued by this server',
  token_unknown: 'Token is not recognised',
  token_reused: 'Refresh token was already used; the session has been revoked',
  session_revoked: 'Session has been revoked',
  session_expired: 'Session has expired',
  subject_revoked: 'All sessions of this subject have been revoked',
  subject_mismatch: 'Token subject does not match',
  bearer_missing: 'Not authenticated',
  bearer_invalid: 'Invalid bearer credential',
  organization_forbidden: 'Organization is not available to this session',
};

const STATUSES: Partial<Record<TokenErrorCode, TokenErrorStatus>> = {
  organization_forbidden: 403,
};

export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code: TokenErrorCode;
  /** 401 for a bad credential, 403 for a good credential asking for something it may not have. */
  readonly status: TokenErrorStatus;
  /** Safe to send to any client. */
  readonly publicMessage: string;
  /** For logs and debug mode only. Never contains a token or key value. */
  readonly internalDetail: string;

  constructor(code: TokenErrorCode, internalDetail?: string) {
    const publicMessage = PUBLIC_MESSAGES[code];
    // `message` is the public one so that an error printed or sent by accident leaks nothing.
    super(publicMessage);
    this.code = code;
    this.status = STATUSES[code] ?? 401;
    this.publicMessage = publicMessage;
    this.internalDetail = internalDetail ?? publicMessage;
  }

  toJSON(): { code: TokenErrorCode; status: TokenErrorStatus; publicMessage: string; internalDetail: string } {
    return { code: this.code, status: this.status, publicMessage: this.publicMessage, internalDetail: this.internalDetail };
  }
}

export function isTokenError(value: unknown): value is TokenError {
  return value instanceof TokenError;
}
