import { EDGE_FAILURES, type Dialect, type ErrorReply, type ValidationProblem } from './dialect';

/**
 * FastAPI + Pydantic v2, as watchr, galileo and almanac send it. Bodies and headers match
 * what `fastapi.exception_handlers` and Starlette produce; key order within each error
 * (`type, loc, msg, input, ctx`) is Pydantic's.
 */
export function fastapiProblem(problem: ValidationProblem): Record<string, unknown> {
  const item: Record<string, unknown> = { type: problem.type, loc: problem.loc, msg: problem.msg, input: problem.input };
  if (problem.ctx !== undefined) item.ctx = problem.ctx;
  return item;
}

const detail = (status: number, message: string, headers?: Record<string, string>): ErrorReply => ({
  status,
  body: { detail: message },
  headers,
});

export const fastapiDialect: Dialect = {
  name: 'fastapi',
  echoesInput: true,
  validationFailed: (problems) => ({ status: 422, body: { detail: problems.map(fastapiProblem) } }),
  malformedJson: (problem) => ({ status: 422, body: { detail: [fastapiProblem(problem)] } }),
  undecodableBody: () => detail(400, 'There was an error parsing the body'),
  // FastAPI never answers 415: a non-JSON body is validated as raw bytes instead.
  unsupportedMediaType: () => detail(415, 'Unsupported Media Type'),
  notAuthenticated: (_context, challenge = 'Bearer') => detail(401, 'Not authenticated', { 'www-authenticate': challenge }),
  domainError: (error) =>
    detail(
      error.status,
      error.publicMessage,
      error.code === 'bearer_invalid' || error.code === 'bearer_missing' ? { 'www-authenticate': 'Bearer' } : undefined,
    ),
  routeNotFound: () => detail(404, 'Not Found'),
  methodNotAllowed: (allowed) => detail(405, 'Method Not Allowed', { allow: allowed.join(', ') }),
  payloadTooLarge: () => detail(413, 'Request Entity Too Large'),
  rejectedAtEdge: (failure) => detail(EDGE_FAILURES[failure].status, EDGE_FAILURES[failure].message),
  internalError: () => detail(500, 'Internal Server Error'),
  unavailable: () => detail(503, 'Service Unavailable'),
};
