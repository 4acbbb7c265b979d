import type { TokenErrorCode } from '../tokens/errors';
import { EDGE_FAILURES, type Dialect, type EdgeFailure, type ErrorContext, type ErrorReply, type ValidationProblem } from './dialect';

/**
 * The session api's envelope. Every failure carries a stable nonzero `code` per kind of
 * error (listed in the README; never renumber one), the correlation id in the body and in
 * `X-Correlation-Id`, and the internal detail only in debug mode.
 */
export const ENVELOPE_CODES = {
  bad_request: 40000,
  malformed_request: 40001,
  upgrade_refused: 40002,
  connect_refused: 40003,
  request_timeout: 40800,
  headers_too_large: 43100,
  token_missing: 40116,
  token_malformed: 40101,
  token_invalid_signature: 40102,
  token_expired: 40103,
  token_not_yet_valid: 40104,
  token_wrong_type: 40105,
  token_wrong_audience: 40106,
  token_wrong_issuer: 40107,
  token_unknown: 40108,
  token_reused: 40109,
  session_revoked: 40110,
  session_expired: 40111,
  subject_revoked: 40112,
  subject_mismatch: 40113,
  bearer_missing: 40114,
  bearer_invalid: 40115,
  organization_forbidden: 40301,
  not_found: 40400,
  method_not_allowed: 40500,
  payload_too_large: 41300,
  unsupported_media_type: 41500,
  validation_failed: 42200,
  internal_error: 50000,
  unavailable: 50300,
} as const satisfies Record<TokenErrorCode | EdgeFailure | string, number>;

type EnvelopeKind = keyof typeof ENVELOPE_CODES;

function envelope(status: number, kind: EnvelopeKind, msg: string, context: ErrorContext, headers: Record<string, string> = {}): ErrorReply {
  return {
    status,
    body: {
      data: null,
      code: ENVELOPE_CODES[kind],
      msg,
      error: context.debug ? context.internalDetail ?? null : null,
      correlation_id: context.correlationId,
    },
    headers: { ...headers, 'x-correlation-id': context.correlationId },
  };
}

/** "refresh_token: Field required", the location without FastAPI's leading "body". */
export function describeProblem(problem: ValidationProblem): string {
  const path = problem.loc.slice(problem.loc[0] === 'body' ? 1 : 0).join('.');
  return path ? `${path}: ${problem.msg}` : problem.msg;
}

export const envelopeDialect: Dialect = {
  name: 'envelope',
  echoesInput: false,
  validationFailed: (problems, context) =>
    envelope(422, 'validation_failed', problems.map(describeProblem).join('; '), {
      ...context,
      internalDetail: context.internalDetail ?? JSON.stringify(problems.map(({ type, loc, msg }) => ({ type, loc, msg }))),
    }),
  malformedJson: (problem, context) =>
    envelope(400, 'bad_request', `Request body is not valid JSON: ${String(problem.ctx?.error)} at position ${problem.loc[1]}`, context),
  undecodableBody: (context) => envelope(400, 'bad_request', 'Request body is not valid JSON', context),
  unsupportedMediaType: (context, accepted = ['application/json']) =>
    envelope(415, 'unsupported_media_type', `Request body must be ${accepted.join(' or ')}`, context),
  notAuthenticated: (context) => envelope(401, 'bearer_missing', 'Not authenticated', context),
  domainError: (error, context) =>
    envelope(error.status, error.code, error.publicMessage, { ...context, internalDetail: error.internalDetail }),
  routeNotFound: (context) => envelope(404, 'not_found', 'Not Found', context),
  methodNotAllowed: (allowed, context) =>
    envelope(405, 'method_not_allowed', 'Method Not Allowed', context, { allow: allowed.join(', ') }),
  payloadTooLarge: (context) => envelope(413, 'payload_too_large', 'Request body is too large', context),
  rejectedAtEdge: (failure, context) => envelope(EDGE_FAILURES[failure].status, failure, EDGE_FAILURES[failure].message, context),
  internalError: (context) => envelope(500, 'internal_error', 'Internal Server Error', context),
  unavailable: (context) => envelope(503, 'unavailable', 'Service temporarily unavailable', context),
};
