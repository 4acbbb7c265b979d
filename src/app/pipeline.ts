import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorObject } from 'ajv';
import type { Logger } from 'pino';
import type { Dialect, EdgeFailure, ErrorContext, ErrorReply, ValidationProblem } from '../dialects/dialect';
import { fastapiDialect } from '../dialects/fastapi';
import { stringifyWithRaw } from '../dialects/pydantic/python-values';
import type { BodyRefusal, DecodedBody } from '../request-profiles/profile';
import type { CompiledApi, CompiledOperation, ParameterSpec, SecuritySchemeSpec } from '../spec/registry';
import { isTokenError, TokenError } from '../tokens/errors';
import { StoreUnavailableError } from '../store/contract';
import { constantPayload } from '../handler-kit/constant-body';
import { RequestProblemError, type HandlerReply, type HandlerRequest } from '../handler-kit/http';
import { unsupportedVersionProblem } from './api-versions';
import { closesConnectionAfterAnswer } from './edge';
import { readQueryParameter, readSingleText } from './parameter-styles';
import { decodedPath, firstHeaderValues, parseCookies, readBody } from './request-input';
import { validateReply, type ResponseViolation } from './response-validation';
import { Router, type RouteMatch } from './router';
import { challengeOf, meetSecurity, type CredentialVerifier, type SecurityVerifiers } from './security';

/** Answers one validated request: a real handler, or the mock responder. */
export type Responder = (request: HandlerRequest) => Promise<HandlerReply> | HandlerReply;

export interface PipelineOptions {
  apis: CompiledApi[];
  /** operationId → responder, for every operation of every api. */
  responders: Map<string, Responder>;
  logger: Logger;
  maxBodyBytes: number;
  debug: boolean;
  /** Called for every response that fails validation against the served document. */
  onResponseViolation?: (violation: ResponseViolation) => void;
  /** api → security scheme → check of the credential it found (a fixed token), run right after its presence is checked. */
  securityVerifiers?: SecurityVerifiers;
  /** Called when the store could not serve a request of `api` (answered with the dialect's 503). */
  onStoreUnavailable?: (api: string) => void;
  /** Called for every request answered, once its answer is handed to the socket. */
  onAnswered?: (api: string, status: number, seconds: number) => void;
}

const ABSENT: DecodedBody = { kind: 'absent' };
/** The query of a request without one (never written to). */
const NO_QUERY = new URLSearchParams();

/**
 * The request path: route → read and decode the body → security → validate parameters and
 * body against the document → responder → validate the reply against the document → send.
 * Every table it consults is built once, here, at start-up.
 */
export class Pipeline {
  private readonly router: Router;
  private readonly responders: Map<string, Responder>;
  /** api → scheme → verifier: the injected ones, and the bearer verifiers on each bearer scheme. */
  private readonly verifiers = new Map<string, Map<string, CredentialVerifier>>();

  constructor(private readonly options: PipelineOptions) {
    this.responders = options.responders;
    const operations = options.apis.flatMap((api) => api.operations);
    for (const operation of operations) {
      if (!this.responders.has(operation.operationId)) {
        throw new Error(`${operation.api}: operationId ${operation.operationId} resolves to no handler`);
      }
    }
    this.router = new Router(operations);
    for (const [api, schemes] of options.securityVerifiers ?? []) this.verifiers.set(api, new Map(schemes));
  }

  /** Where a raw request path (query removed) leads; undefined when it is not an api path (so not the pipeline's to answer). */
  route(rawPath: string): RouteMatch | undefined {
    return this.router.match(rawPath);
  }

  /**
   * Where Starlette would redirect a path that is not routed: the same path (decoded) with its
   * trailing slash toggled, when that one is routed to an api whose request profile redirects slashes.
   */
  slashRedirect(rawPath: string): string | undefined {
    const toggled = (path: string) => (path.endsWith('/') ? path.slice(0, -1) : `${path}/`);
    const path = decodedPath(rawPath);
    if (path === '/') return undefined;
    const alternate = toggled(path);
    const match = this.router.matchExact(alternate) ?? this.router.matchTemplate(toggled(rawPath));
    const operation = match?.route.values().next().value as CompiledOperation | undefined;
    return operation?.requestProfile.redirectsSlashes ? alternate : undefined;
  }

  /**
   * The answer to a request node:http refused before any handler ran (see src/app/edge.ts):
   * in the dialect of its path when `target` names an api path, checked against the document
   * like every reply; in FastAPI's plain JSON otherwise. Logged like every answer.
   */
  answerAtEdge(failure: EdgeFailure, request: { method?: string; target?: string }): ErrorReply {
    const path = pathOfTarget(request.target);
    const route = path === undefined ? undefined : this.router.match(path)?.route;
    const context: ErrorContext = { correlationId: randomUUID(), debug: this.options.debug };
    let operation: CompiledOperation | undefined;
    let reply: ErrorReply;
    if (route) {
      operation = route.get(request.method ?? '') ?? (route.values().next().value as CompiledOperation);
      reply = this.checked(operation, operation.dialect.rejectedAtEdge(failure, context), context) as ErrorReply;
    } else {
      reply = fastapiDialect.rejectedAtEdge(failure, context);
    }
    this.options.logger.info(
      { api: operation?.api, method: request.method, path, status: reply.status, rejectedAtEdge: failure, correlationId: context.correlationId, ...(context.internalDetail ? { detail: context.internalDetail } : {}) },
      'request',
    );
    return reply;
  }

  /** Handles a request whose path has a {@link route}. Never rejects. */
  async handle(req: IncomingMessage, res: ServerResponse, match: RouteMatch): Promise<void> {
    const startedAt = process.hrtime.bigint();
    const { route, path } = match;
    const operation = route.get(req.method ?? '');
    const anyOperation = operation ?? (route.values().next().value as CompiledOperation);
    const context: ErrorContext = { correlationId: randomUUID(), debug: this.options.debug };
    let reply: ErrorReply | HandlerReply;
    try {
      if (!operation) {
        req.resume();
        reply = this.checked(anyOperation, anyOperation.dialect.methodNotAllowed([...route.keys()], context), context);
      } else {
        reply = this.checked(operation, await this.answer(req, operation, match.pathParameters, context), context);
      }
      if (closesConnectionAfterAnswer(req)) res.setHeader('connection', 'close');
      this.send(res, reply, anyOperation, context);
    } catch (error) {
      // Whatever failed (a bug, an exhausted stack), the client still gets the api's own 500.
      context.internalDetail = `pipeline failed: ${(error as Error)?.name}: ${(error as Error)?.message}`;
      reply = anyOperation.dialect.internalError(context);
      this.send(res, reply, anyOperation, context);
    }
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    this.options.onAnswered?.(anyOperation.api, reply.status, seconds);
    this.options.logger.info(
      {
        api: anyOperation.api,
        operationId: operation?.operationId,
        method: req.method,
        path,
        status: reply.status,
        correlationId: context.correlationId,
        durationMs: seconds * 1e3,
        ...(context.internalDetail ? { detail: context.internalDetail } : {}),
      },
      'request',
    );
  }

  private async answer(req: IncomingMessage, operation: CompiledOperation, pathParameters: Readonly<Record<string, string>>, context: ErrorContext): Promise<ErrorReply | HandlerReply> {
    const { dialect } = operation;
    const headers = firstHeaderValues(req);
    let body = ABSENT;
    if (operation.body) {
      const read = await readBody(req, this.options.maxBodyBytes);
      if (read.kind === 'too_large') return dialect.payloadTooLarge(context);
      if (read.kind === 'aborted') return dialect.undecodableBody(context);
      if (read.bytes.length > 0) {
        const decoded = operation.requestProfile.decodeBody(read.bytes, headers['content-type'], operation.body);
        if ('refused' in decoded) return this.refuseBody(decoded, operation, context);
        body = decoded;
      }
    } else {
      req.resume();
    }

    const cookies = parseCookies(req);
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    const query = mark === -1 ? NO_QUERY : new URLSearchParams(url.slice(mark + 1));
    let credentials: Record<string, string> = {};
    let bearer: string | undefined;
    if (operation.security.length > 0) {
      // A fixed credential (the admin token) is the security scheme's to check, before the body
      // is looked at, as a FastAPI security dependency would; almanac's depends on the session.
      const outcome = meetSecurity(operation.security, { headers, query, cookies }, this.verifiers.get(operation.api));
      if ('missing' in outcome) return dialect.notAuthenticated(context, challengeOf(outcome.missing));
      if ('rejected' in outcome) return this.rejectCredential(operation, outcome.rejected, context);
      ({ credentials, bearer } = outcome);
    }

    const { parameters, problems } = this.validate(operation, { path: pathParameters, header: headers, cookie: cookies }, query, body);
    if (problems.length > 0) return dialect.validationFailed(problems, context);
    const unsupportedVersion = unsupportedVersionProblem(operation, parameters);
    if (unsupportedVersion) return dialect.validationFailed([unsupportedVersion], context);

    const responder = this.responders.get(operation.operationId) as Responder;
    const request: HandlerRequest = {
      api: operation.api,
      operationId: operation.operationId,
      body: body.kind === 'json' || body.kind === 'form' ? body.value : undefined,
      parameters,
      headers,
      cookies,
      bearer,
      credentials,
      correlationId: context.correlationId,
    };
    try {
      return await responder(request);
    } catch (error) {
      return this.renderFailure(error, operation.api, dialect, context);
    }
  }

  private refuseBody(refusal: BodyRefusal, operation: CompiledOperation, context: ErrorContext): ErrorReply {
    const { dialect } = operation;
    if (refusal.refused === 'malformed-json') return dialect.malformedJson(refusal.problem, context);
    if (refusal.refused === 'undecodable') return dialect.undecodableBody(context);
    return dialect.unsupportedMediaType(context, operation.body?.mediaTypes);
  }

  /** The dialect's answer to a refused bearer credential, its challenge naming the scheme that refused. */
  private rejectCredential(operation: CompiledOperation, scheme: SecuritySchemeSpec, context: ErrorContext): ErrorReply {
    const reply = operation.dialect.domainError(new TokenError('bearer_invalid', `${operation.api}: wrong ${scheme.name} credential`), context);
    if (reply.headers?.['www-authenticate'] === undefined) return reply;
    return { ...reply, headers: { ...reply.headers, 'www-authenticate': challengeOf(scheme) } };
  }

  /**
   * Ajv (openapi-backend's validators, compiled from the document) decides; the request
   * profile's explainer words the failure in FastAPI's order: path, query, header, cookie, body.
   * Parameters are read by their style and coerced to their schema's type first.
   */
  private validate(
    operation: CompiledOperation,
    sources: Record<'path' | 'header' | 'cookie', Readonly<Record<string, string>>>,
    query: URLSearchParams,
    body: DecodedBody,
  ): { parameters: Record<string, unknown>; problems: ValidationProblem[] } {
    const declared: Record<string, Record<string, unknown>> = { path: {}, query: {}, header: {}, cookie: {} };
    const parameters: Record<string, unknown> = {};
    for (const parameter of operation.parameters) {
      const value = readParameter(parameter, sources, query);
      if (value !== undefined) declared[parameter.in][parameter.key] = value;
      parameters[parameter.name] = value ?? parameter.default;
    }
    // `declared` is built fresh for each request, so Ajv's type coercion may change it in place.
    const parametersValid = operation.parametersValidator(declared) as boolean;
    const parameterErrors = parametersValid ? [] : operation.parametersValidator.errors ?? [];

    let bodyValid = true;
    let bodyErrors: ErrorObject[] = [];
    if (operation.body) {
      if (body.kind === 'absent') bodyValid = !operation.body.required;
      else if (body.media.validate) {
        bodyValid = body.media.validate({ requestBody: body.kind === 'raw' ? body.text : body.value }) as boolean;
        bodyErrors = bodyValid ? [] : body.media.validate.errors ?? [];
      }
    }
    if (parametersValid && bodyValid) return { parameters, problems: [] };

    const { requestProfile: profile } = operation;
    const problems: ValidationProblem[] = [];
    if (!parametersValid) {
      for (const parameter of operation.parameters) {
        const value = declared[parameter.in][parameter.key];
        const loc = [parameter.in, parameter.name];
        if (value === undefined) {
          if (parameter.required) problems.push({ type: 'missing', loc, msg: 'Field required', input: null });
          continue;
        }
        const pointer = `/${parameter.in}/${parameter.key}`;
        const ajvErrors = parameterErrors.filter((e) => e.instancePath === pointer || e.instancePath.startsWith(`${pointer}/`));
        if (ajvErrors.length === 0) continue;
        const explained = profile.explain(parameter.schema, value, loc);
        problems.push(...(explained.length > 0 ? explained : [genericProblem(ajvErrors[0], loc, value)]));
      }
    }
    if (!bodyValid) {
      if (body.kind === 'absent') problems.push({ type: 'missing', loc: ['body'], msg: 'Field required', input: null });
      else {
        const value = body.kind === 'raw' ? body.text : body.value;
        const explained = profile.explain(body.media.schema, value, ['body'], true);
        problems.push(...(explained.length > 0 ? explained : [genericProblem(bodyErrors[0], ['body'], value)]));
      }
    }
    if (problems.length === 0 && parameterErrors[0]) problems.push(genericProblem(parameterErrors[0], ['header'], null));
    if (operation.dialect.echoesInput) profile.alignProblems(problems, body);
    return { parameters, problems };
  }

  private renderFailure(error: unknown, api: string, dialect: Dialect, context: ErrorContext): ErrorReply {
    if (isTokenError(error)) {
      context.internalDetail = `${error.code}: ${error.internalDetail}`;
      return dialect.domainError(error, context);
    }
    if (error instanceof RequestProblemError) return dialect.validationFailed(error.problems, context);
    if (error instanceof StoreUnavailableError) {
      this.options.onStoreUnavailable?.(api);
      context.internalDetail = error.internalDetail;
      return dialect.unavailable(context);
    }
    context.internalDetail = `unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}`;
    this.options.logger.error({ correlationId: context.correlationId, err: { name: (error as Error)?.name, stack: (error as Error)?.stack } }, 'handler failed');
    return dialect.internalError(context);
  }

  /** A reply that breaks the document is never sent: the client gets the dialect's 500. */
  private checked(operation: CompiledOperation, answer: ErrorReply | HandlerReply, context: ErrorContext): ErrorReply | HandlerReply {
    if ('outsideDocument' in answer && answer.outsideDocument) return answer;
    // The envelope's every answer carries its correlation id (the session overlay requires it), a handler's 200 too.
    const reply =
      operation.dialect.name === 'envelope' && answer.headers?.['x-correlation-id'] === undefined
        ? { ...answer, headers: { ...answer.headers, 'x-correlation-id': context.correlationId } }
        : answer;
    const violation = validateReply(operation, reply);
    if (!violation) return reply;
    this.options.onResponseViolation?.(violation);
    this.options.logger.error({ correlationId: context.correlationId, violation: { ...violation, body: undefined } }, 'response violates the document');
    context.internalDetail = `response ${violation.status} violates the document: ${violation.reason}`;
    return operation.dialect.internalError(context);
  }

  private send(res: ServerResponse, reply: ErrorReply | HandlerReply, operation: CompiledOperation, context: ErrorContext): void {
    if (res.headersSent) return;
    res.statusCode = reply.status;
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (reply.body === undefined) {
      res.end();
      return;
    }
    // Only error bodies can carry a Python-rendered echo; the 200 path stays on plain JSON.stringify.
    const payload = constantPayload(reply.body) ?? (reply.status >= 400 ? stringifyWithRaw(reply.body) : JSON.stringify(reply.body));
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(payload));
    res.end(payload);
  }
}

/** The path of a request-target (origin or absolute form, query dropped); undefined for `*` or an authority. */
function pathOfTarget(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  const rest = absolute ? target.slice(absolute[0].length) || '/' : target;
  if (!rest.startsWith('/')) return undefined;
  const end = rest.search(/[?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/**
 * A parameter's value from the request, read by its style and typed by its schema; undefined
 * when the request does not carry it. A string parameter is its text as it came.
 */
function readParameter(
  parameter: ParameterSpec,
  sources: Record<'path' | 'header' | 'cookie', Readonly<Record<string, string>>>,
  query: URLSearchParams,
): unknown {
  if (parameter.in === 'query') return readQueryParameter(parameter, query);
  const text = sources[parameter.in][parameter.key];
  return text === undefined || !parameter.deserializes ? text : readSingleText(parameter, text);
}

/** A problem for a constraint the explainer does not model, worded from Ajv's error. */
function genericProblem(error: ErrorObject | undefined, loc: Array<string | number>, input: unknown): ValidationProblem {
  return { type: 'value_error', loc, msg: `Value error, ${error?.message ?? 'invalid value'}`, input };
}

/** Unknown paths answer in FastAPI's words: Starlette's `{"detail": "Not Found"}`. */
export const notFoundReply = (): ErrorReply => fastapiDialect.routeNotFound({ correlationId: '', debug: false });
