import type { ValidationProblem } from '../dialects/dialect';

/** What a handler (or the mock responder) receives: the request after validation. */
export interface HandlerRequest {
  api: string;
  operationId: string;
  /** The body as validated (a JSON value, or a form's object); undefined when the operation has none or none was sent. */
  body: unknown;
  /** Declared parameters (path ones too) by name, read by their style and typed by their schema, defaults applied. */
  parameters: Record<string, unknown>;
  /** First value of each request header, lower-case names. */
  headers: Record<string, string>;
  /** Cookies as Starlette parses them (last occurrence wins). */
  cookies: Record<string, string>;
  /** The Bearer credential when the operation declares bearer security. */
  bearer?: string;
  /** The credential each security scheme of the met alternative found, by scheme name (basic: `user:password`). */
  credentials: Record<string, string>;
  correlationId: string;
}

/** What a handler returns: the status, body and headers the document declares for it. */
export interface HandlerReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /**
   * The mock's answer about its own controls (a `Prefer` it cannot honour): not an api
   * response, so it is sent as it is instead of being checked against the document.
   */
  outsideDocument?: boolean;
}

/**
 * Thrown by a handler for a request that passed the document's schemas but breaks a rule
 * stated only in prose (pathstack's supported versions): rendered as the dialect's 422.
 */
export class RequestProblemError extends Error {
  constructor(readonly problems: ValidationProblem[]) {
    super(problems.map((p) => p.msg).join('; '));
    this.name = 'RequestProblemError';
  }
}
