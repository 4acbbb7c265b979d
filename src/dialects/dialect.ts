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
   * FastAPI semantics for a body whose Content-Type is not JSON (or is absent: FastAPI's
   * `strict_content_type`): FastAPI validates the raw bytes against the model (so the client
   * gets a 422); the envelope dialect answers 415.
   */
  readonly nonJsonBody: 'validate-raw' | 'unsupported-media-type';
  /** FastAPI reads a JSON `null` body as no body (`missing` at loc ["body"] where one is required). */
  readonly nullBodyIsMissing: boolean;
  /** Starlette's `redirect_slashes`: `/path/` answers 307 to `/path` (and back) when only the other exists. */
  readonly redirectsSlashes: boolean;
  /** Whether validation errors echo the offending `input` (then it must be written as Python would). */
  readonly echoesInput: boolean;
  validationFailed(problems: ValidationProblem[], context: ErrorContext): ErrorReply;
  /** The body is not valid JSON; `problem` is FastAPI's `json_invalid` error for it. */
  malformedJson(problem: ValidationProblem, context: ErrorContext): ErrorReply;
  /** The body bytes cannot be decoded as text (FastAPI: 400 "There was an error parsing the body"). */
  undecodableBody(context: ErrorContext): ErrorReply;
  unsupportedMediaType(context: ErrorContext): ErrorReply;
  /** A declared bearer security requirement is not met (missing or non-Bearer Authorization). */
  notAuthenticated(context: ErrorContext): ErrorReply;
  domainError(error: TokenError, context: ErrorContext): ErrorReply;
  routeNotFound(context: ErrorContext): ErrorReply;
  methodNotAllowed(allowedMethods: string[], context: ErrorContext): ErrorReply;
  payloadTooLarge(context: ErrorContext): ErrorReply;
  /** A request refused by node:http's rules before any handler ran; the connection closes after it. */
  rejectedAtEdge(failure: EdgeFailure, context: ErrorContext): ErrorReply;
  internalError(context: ErrorContext): ErrorReply;
  unavailable(context: ErrorContext): ErrorReply;
}
