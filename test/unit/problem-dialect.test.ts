import type { ValidationProblem } from '../../src/dialects/dialect';
import { problemDialect } from '../../src/dialects/problem';
import { TokenError } from '../../src/tokens/errors';

/**
 * The problem dialect answers as Prism 5.14 does (types, titles and details from
 * `@stoplight/prism-http`), as RFC 9457 `application/problem+json`, and marks its answers as
 * the mock's own about the request, so a document need not declare them.
 */
const context = { correlationId: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b', debug: false };
const PRISM = 'https://stoplight.io/prism/errors#';

describe('problem dialect', () => {
  it("lists every validation problem under `validation`, with Prism's keyword as code", () => {
    const problems: ValidationProblem[] = [
      { type: 'missing', loc: ['query', 'limit'], msg: 'Field required', input: null },
      { type: 'literal_error', loc: ['body', 'species'], msg: "Input should be 'dog', 'cat' or 'bird'", input: 'fish' },
      { type: 'extra_forbidden', loc: ['body', 'extra'], msg: 'Extra inputs are not permitted', input: 1 },
      { type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: 'x' },
    ];
    expect(problemDialect.validationFailed(problems, context)).toEqual({
      status: 422,
      headers: { 'content-type': 'application/problem+json' },
      outsideDocument: true,
      body: {
        type: `${PRISM}UNPROCESSABLE_ENTITY`,
        title: 'Invalid request',
        status: 422,
        detail: 'Your request is not valid and no HTTP validation response was found in the spec, so Prism is generating this error for you.',
        validation: [
          { location: ['query', 'limit'], severity: 'Error', code: 'required', message: 'Request query parameter limit: Field required' },
          { location: ['body', 'species'], severity: 'Error', code: 'enum', message: "Request body property species: Input should be 'dog', 'cat' or 'bird'" },
          { location: ['body', 'extra'], severity: 'Error', code: 'additionalProperties', message: 'Request body property extra: Extra inputs are not permitted' },
          { location: ['body'], severity: 'Error', code: 'type', message: 'Request body: Input should be a valid dictionary or object to extract fields from' },
        ],
      },
    });
  });

  it("answers missing credentials with Prism's 401, its challenge in the header and (as Prism does) in the body", () => {
    const reply = problemDialect.notAuthenticated(context);
    expect(reply.status).toBe(401);
    expect(reply.headers).toEqual({ 'www-authenticate': 'Bearer', 'content-type': 'application/problem+json' });
    expect(reply.body).toMatchObject({ type: `${PRISM}UNAUTHORIZED`, title: 'Invalid security scheme used', status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
  });

  it("words the challenge of a Basic scheme as Prism does, and sends none for an apiKey", () => {
    const basic = problemDialect.notAuthenticated(context, 'Basic');
    expect(basic.headers?.['www-authenticate']).toBe('Basic realm="*"');
    expect(basic.body).toMatchObject({ headers: { 'WWW-Authenticate': 'Basic realm="*"' } });
    const apiKey = problemDialect.notAuthenticated(context, 'APIKey');
    expect(apiKey.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(apiKey.body).not.toHaveProperty('headers');
    expect(apiKey.body).toMatchObject({ type: `${PRISM}UNAUTHORIZED`, status: 401 });
  });

  it('names the media types the operation accepts in a 415, as Prism does', () => {
    expect(problemDialect.unsupportedMediaType(context, ['application/json', 'application/x-www-form-urlencoded']).body).toMatchObject({
      detail: 'Supported content types: application/json,application/x-www-form-urlencoded',
    });
  });

  it("routes, methods and media types are Prism's NO_PATH_MATCHED_ERROR, NO_METHOD_MATCHED_ERROR (with Allow) and INVALID_CONTENT_TYPE", () => {
    expect(problemDialect.routeNotFound(context)).toMatchObject({ status: 404, body: { type: `${PRISM}NO_PATH_MATCHED_ERROR`, title: 'Route not resolved, no path matched', status: 404 } });
    expect(problemDialect.methodNotAllowed(['GET', 'POST'], context)).toMatchObject({
      status: 405,
      headers: { allow: 'GET, POST' },
      body: { type: `${PRISM}NO_METHOD_MATCHED_ERROR`, title: 'Route resolved, but no method matched', status: 405 },
    });
    expect(problemDialect.unsupportedMediaType(context)).toMatchObject({ status: 415, body: { type: `${PRISM}INVALID_CONTENT_TYPE`, title: 'Invalid content type', status: 415 } });
  });

  it('answers what Prism has no template for as about:blank problems titled by their status', () => {
    const replies = [
      problemDialect.malformedJson({ type: 'json_invalid', loc: ['body', 1], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }, context),
      problemDialect.undecodableBody(context),
      problemDialect.payloadTooLarge(context),
      problemDialect.rejectedAtEdge('request_timeout', context),
      problemDialect.internalError(context),
      problemDialect.unavailable(context),
    ];
    expect(replies.map((reply) => [reply.status, (reply.body as { type: string }).type, (reply.body as { title: string }).title])).toEqual([
      [400, 'about:blank', 'Bad Request'],
      [400, 'about:blank', 'Bad Request'],
      [413, 'about:blank', 'Payload Too Large'],
      [408, 'about:blank', 'Request Timeout'],
      [500, 'about:blank', 'Internal Server Error'],
      [503, 'about:blank', 'Service Unavailable'],
    ]);
    for (const reply of replies) {
      expect(reply).toMatchObject({ headers: { 'content-type': 'application/problem+json' }, outsideDocument: true });
      expect((reply.body as { status: number }).status).toBe(reply.status);
    }
    expect((replies[0].body as { detail: string }).detail).toBe('The request body is not valid JSON: Expecting value at position 1');
  });

  it('renders a domain error with its status and public message only', () => {
    const reply = problemDialect.domainError(new TokenError('bearer_invalid', 'key k1 unknown'), context);
    expect(reply).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Invalid bearer credential' } });
    expect(JSON.stringify(reply)).not.toContain('k1');
  });
});
