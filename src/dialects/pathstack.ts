import { EDGE_FAILURES, type Dialect, type ErrorReply } from './dialect';

/**
 * pathstack's own shapes: `{"error": {"code", "message", ...}}`. Its 422 carries only the
 * first of the errors FastAPI would list (with FastAPI's `type`, `loc`, `msg`); its 401 always
 * says "Invalid Refresh Token", whatever the reason, as the document's example does.
 */
const error = (code: number, message: string, headers?: Record<string, string>): ErrorReply => ({
  status: code,
  body: { error: { code, message } },
  headers,
});

export const pathstackDialect: Dialect = {
  name: 'pathstack',
  echoesInput: false,
  validationFailed: (problems) => {
    const first = problems[0];
    return {
      status: 422,
      body: { error: { code: 422, message: first.msg, loc: first.loc, msg: first.msg, type: first.type } },
    };
  },
  malformedJson: (problem, context) => pathstackDialect.validationFailed([problem], context),
  undecodableBody: () => error(400, 'There was an error parsing the body'),
  unsupportedMediaType: () => error(415, 'Unsupported Media Type'),
  notAuthenticated: () => error(401, 'Invalid Refresh Token'),
  domainError: (domainError) => error(domainError.status, domainError.status === 401 ? 'Invalid Refresh Token' : domainError.publicMessage),
  routeNotFound: () => error(404, 'Not Found'),
  methodNotAllowed: (allowed) => error(405, 'Method Not Allowed', { allow: allowed.join(', ') }),
  payloadTooLarge: () => error(413, 'Request Entity Too Large'),
  rejectedAtEdge: (failure) => error(EDGE_FAILURES[failure].status, EDGE_FAILURES[failure].message),
  internalError: () => error(500, 'Internal Server Error'),
  unavailable: () => error(503, 'Service Unavailable'),
};
