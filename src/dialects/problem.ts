import { STATUS_CODES } from 'node:http';
import { EDGE_FAILURES, type Dialect, type ErrorReply, type ValidationProblem } from './dialect';

/** Where Prism's problem types live: `type` is this URL with the error's name as fragment. */
export const PRISM_ERRORS_URL = 'https://stoplight.io/prism/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One entry of a 422's `validation` list, as Prism 5 writes it. */
export interface ProblemValidation {
  location: Array<string | number>;
  severity: 'Error';
  code: string;
  message: string;
}

/**
 * Prism's names for what the validator found, by the problem's Pydantic type (the words
 * refreshd's explainer uses): Prism reports the JSON Schema keyword that failed.
 */
const SCHEMA_KEYWORDS: Readonly<Record<string, string>> = {
  missing: 'required',
  extra_forbidden: 'additionalProperties',
  literal_error: 'enum',
  enum: 'enum',
  greater_than_equal: 'minimum',
  greater_than: 'exclusiveMinimum',
  less_than_equal: 'maximum',
  less_than: 'exclusiveMaximum',
  string_too_short: 'minLength',
  string_too_long: 'maxLength',
  string_pattern_mismatch: 'pattern',
  too_short: 'minItems',
  too_long: 'maxItems',
  bool_type: 'type',
  dict_type: 'type',
  float_type: 'type',
  int_type: 'type',
  int_from_float: 'type',
  int_parsing: 'type',
  list_type: 'type',
  string_type: 'type',
  model_attributes_type: 'type',
};

const PARAMETER_LOCATIONS = new Set(['path', 'query', 'header', 'cookie']);

/** "Request body property species: Input should be 'dog', 'cat' or 'bird'", Prism's wording around the explainer's message. */
function describe(problem: ValidationProblem): string {
  const [source, ...path] = problem.loc;
  const noun = PARAMETER_LOCATIONS.has(String(source)) ? 'parameter' : 'property';
  return path.length > 0 ? `Request ${source} ${noun} ${path.join('.')}: ${problem.msg}` : `Request ${source}: ${problem.msg}`;
}

export function problemValidation(problem: ValidationProblem): ProblemValidation {
  return { location: problem.loc, severity: 'Error', code: SCHEMA_KEYWORDS[problem.type] ?? problem.type, message: describe(problem) };
}

/**
 * An RFC 9457 problem. The dialect's answers are about the request (it broke the document,
 * or asked for a route the document lacks), not responses of the api: a document need not
 * declare them, so they are sent as they are (`outsideDocument`), as Prism sends its own.
 */
function problem(
  status: number,
  type: string,
  title: string,
  detail: string,
  extra: { members?: Record<string, unknown>; headers?: Record<string, string> } = {},
): ErrorReply {
  return {
    status,
    body: { type, title, status, detail, ...extra.members },
    headers: { ...extra.headers, 'content-type': PROBLEM_CONTENT_TYPE },
    outsideDocument: true,
  };
}

/** A problem Prism has a template for: its `type` is Prism's URL for it. */
const prismProblem = (status: number, name: string, title: string, detail: string, extra?: Parameters<typeof problem>[4]): ErrorReply =>
  problem(status, `${PRISM_ERRORS_URL}#${name}`, title, detail, extra);

/**
 * A problem Prism has no template for (it answers these with its HTTP library's plain JSON):
 * `about:blank`, whose title is the status's reason phrase (RFC 9457 §4.2.1).
 */
const plainProblem = (status: number, detail: string, headers?: Record<string, string>): ErrorReply =>
  problem(status, 'about:blank', STATUS_CODES[status] ?? 'Error', detail, { headers });

const UNPROCESSABLE_DETAIL = 'Your request is not valid and no HTTP validation response was found in the spec, so Prism is generating this error for you.';
const UNAUTHORIZED_DETAIL =
  'Your request does not fullfil the security requirements and no HTTP unauthorized response was found in the spec, so Prism is generating this error for you.';

/** Prism's `WWW-Authenticate` for the schemes whose challenge it words its own way (none for an apiKey). */
const PRISM_CHALLENGES: Readonly<Record<string, string>> = { Basic: 'Basic realm="*"', APIKey: '' };

/**
 * Prism's generic error format: `application/problem+json` bodies with Prism 5's types,
 * titles and details (`@stoplight/prism-http`'s mocker, router and validator errors), for a
 * document that names no dialect of its own (its requests are read by the strict profile unless
 * it names another: a body that is not JSON is a 415, a JSON `null` is a value).
 */
export const problemDialect: Dialect = {
  name: 'problem',
  echoesInput: false,
  validationFailed: (problems) =>
    prismProblem(422, 'UNPROCESSABLE_ENTITY', 'Invalid request', UNPROCESSABLE_DETAIL, { members: { validation: problems.map(problemValidation) } }),
  malformedJson: (parsed) => plainProblem(400, `The request body is not valid JSON: ${String(parsed.ctx?.error)} at position ${parsed.loc[1]}`),
  undecodableBody: () => plainProblem(400, 'The request body cannot be decoded'),
  unsupportedMediaType: (_context, accepted = ['application/json']) =>
    prismProblem(415, 'INVALID_CONTENT_TYPE', 'Invalid content type', `Supported content types: ${accepted.join(',')}`),
  notAuthenticated: (_context, challenge = 'Bearer') => {
    const prismChallenge = PRISM_CHALLENGES[challenge] ?? challenge;
    // Prism repeats its challenge in the body; for an apiKey scheme it has none to send.
    return prismProblem(
      401,
      'UNAUTHORIZED',
      'Invalid security scheme used',
      UNAUTHORIZED_DETAIL,
      prismChallenge === '' ? {} : { members: { headers: { 'WWW-Authenticate': prismChallenge } }, headers: { 'www-authenticate': prismChallenge } },
    );
  },
  domainError: (error) =>
    plainProblem(error.status, error.publicMessage, error.code === 'bearer_invalid' || error.code === 'bearer_missing' ? { 'www-authenticate': 'Bearer' } : undefined),
  routeNotFound: () => prismProblem(404, 'NO_PATH_MATCHED_ERROR', 'Route not resolved, no path matched', 'The route has not been found in the specification file'),
  methodNotAllowed: (allowed) =>
    prismProblem(405, 'NO_METHOD_MATCHED_ERROR', 'Route resolved, but no method matched', `The route has been matched, but it only defines ${allowed.join(', ')}`, {
      headers: { allow: allowed.join(', ') },
    }),
  payloadTooLarge: () => plainProblem(413, 'The request body is too large'),
  rejectedAtEdge: (failure) => plainProblem(EDGE_FAILURES[failure].status, EDGE_FAILURES[failure].message),
  internalError: () => plainProblem(500, 'The mock could not produce a response'),
  unavailable: () => plainProblem(503, 'Service Unavailable'),
};
