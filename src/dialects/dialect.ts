import type { TokenError } from '../tokens/errors';

/** One request-validation failure, in Pydantic v2's shape (FastAPI's `detail` items). */
export interface ValidationProblem {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** What a dialect hands back: everything the pipeline needs to send (and validate). */
export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /**
   * An answer about the request rather than a response of the api (the problem dialect's,
   * for documents that declare no error responses): sent without response validation.
   */
  outsideDocument?: boolean;
}

/**
 * What node:http meets before any handler runs, answered at the edge (src/app/edge.ts) in
 * the dialect of the request's path when it can be read, in plain FastAPI JSON otherwise.
 */
export type EdgeFailure =
  /** A request line or header node:http cannot parse, or an HTTP/1.1 request without Host. */
  | 'malformed_request'
  /** `Connection: upgrade` (WebSocket, h2c): refreshd speaks HTTP/1.1 only. */
  | 'upgrade_refused'
  /** `CONNECT`: refreshd is not a proxy. */
  | 'connect_refused'
  /** The header block or the whole request did not arrive in time. */
  | 'request_timeout'
  /** The header block is over the limit (16 KiB). */
  | 'headers_too_large';

/** Status and public message of each {@link EdgeFailure}, the same in every dialect. */
export const EDGE_FAILURES: Readonly<Record<EdgeFailure, { status: 400 | 408 | 431; message: string }>> = {
  malformed_request: { status: 400, message: 'Malformed HTTP request' },
  upgrade_refused: { status: 400, message: 'Protocol upgrade is not supported' },
  connect_refused: { status: 400, message: 'CONNECT is not supported' },
  request_timeout: { status: 408, message: 'Request Timeout' },
  headers_too_large: { status: 431, message: 'Request Header Fields Too Large' },
};

export interface ErrorContext {
  correlationId: string;
  /** Debug mode: internal details may be sent (envelope `error`). */
  debug: boolean;
  /** Logged always, sent only in debug mode and only by dialects with a place for it. */
  internalDetail?: string;
}

/**
 * An api's error format. Dialects build every error body refreshd sends; nothing else does.
 * Each method answers one kind of failure, in the order the pipeline meets them.
 */
export interface Dialect {
  readonly name: 'fastapi' | 'pathstack' | 'envelope' | 'problem';
  /**
   * Whether validation errors echo the offending `input` (then the request profile aligns it
   * with what the api's own server would write). How a request is read is the request
   * profile's (src/request-profiles), not the dialect's.
   */
  readonly echoesInput: boolean;
  validationFailed(problems: ValidationProblem[], context: ErrorContext): ErrorReply;
  /** The body is not valid JSON; `problem` is FastAPI's `json_invalid` error for it. */
  malformedJson(problem: ValidationProblem, context: ErrorContext): ErrorReply;
  /** The body bytes cannot be decoded as text (FastAPI: 400 "There was an error parsing the body"). */
  undecodableBody(context: ErrorContext): ErrorReply;
  /** The body's Content-Type is none of the operation's; `accepted`: the ones it declares. */
  unsupportedMediaType(context: ErrorContext, accepted?: readonly string[]): ErrorReply;
  /**
   * A declared security requirement is not met (a credential is missing, e.g. no or a
   * non-Bearer Authorization); `challenge`: the `WWW-Authenticate` of the scheme that is
   * missing (`Bearer`, `Basic`, `APIKey`), for dialects that send one.
   */
  notAuthenticated(context: ErrorContext, challenge?: string): ErrorReply;
  domainError(error: TokenError, context: ErrorContext): ErrorReply;
  routeNotFound(context: ErrorContext): ErrorReply;
  methodNotAllowed(allowedMethods: string[], context: ErrorContext): ErrorReply;
  payloadTooLarge(context: ErrorContext): ErrorReply;
  /** A request refused by node:http's rules before any handler ran; the connection closes after it. */
  rejectedAtEdge(failure: EdgeFailure, context: ErrorContext): ErrorReply;
  internalError(context: ErrorContext): ErrorReply;
  unavailable(context: ErrorContext): ErrorReply;
}
