import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorObject } from 'ajv';
import type { Logger } from 'pino';
import type { Dialect, EdgeFailure, ErrorContext, ErrorReply, ValidationProblem } from '../dialects/dialect';
import { fastapiDialect } from '../dialects/fastapi';
import { explainValue } from '../dialects/pydantic/explain';
import { decodeJsonBytes, parsePythonJson } from '../dialects/pydantic/pyjson';
import { pythonInputAt, pythonKeyPositions, readPythonTree, stringifyWithRaw } from '../dialects/pydantic/python-values';
import type { CompiledApi, CompiledOperation } from '../spec/registry';
import { isTokenError, TokenError } from '../tokens/errors';
import { StoreUnavailableError } from '../store/contract';
import { RequestProblemError, type HandlerReply, type HandlerRequest } from '../handler-kit/http';
import { unsupportedVersionProblem } from './api-versions';
import { closesConnectionAfterAnswer } from './edge';
import { bearerCredential, firstHeaderValues, isJsonContentType, parseCookies, readBody } from './request-input';
import { validateReply, type ResponseViolation } from './response-validation';

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
  /** api → check of a fixed bearer credential (the admin token), run right after its presence is checked. */
  bearerVerifiers?: ReadonlyMap<string, (credential: string) => boolean>;
  /** Called when the store could not serve a request of `api` (answered with the dialect's 503). */
  onStoreUnavailable?: (api: string) => void;
}

type Route = Map<string, CompiledOperation>;

/**
 * Deeper JSON is refused like CPython's RecursionError (FastAPI: 400 "There was an error
 * parsing the body"). CPython's own limit depends on version and stack; 1000 is what 3.11
 * and 3.12 reach inside a server, and what every recursive step here handles with room.
 */
const MAX_JSON_NESTING = 1000;

/** The body as FastAPI sees it after reading: nothing, a JSON value, or raw text. */
type BodyState = { kind: 'absent' } | { kind: 'json'; value: unknown; text: string } | { kind: 'raw'; text: string };

/**
 * The request path: route → read and decode the body → security → validate parameters and
 * body against the document → responder → validate the reply against the document → send.
 * Every table it consults is built once, here, at start-up.
 */
export class Pipeline {
  private readonly routes = new Map<string, Route>();
  private readonly responders: Map<string, Responder>;

  constructor(private readonly options: PipelineOptions) {
    this.responders = options.responders;
    for (const api of options.apis) {
      for (const operation of api.operations) {
        if (operation.path.includes('{')) throw new Error(`${api.name}: templated paths are not supported (${operation.path})`);
        const route = this.routes.get(operation.path) ?? new Map<string, CompiledOperation>();
        route.set(operation.method, operation);
        this.routes.set(operation.path, route);
        if (!this.responders.has(operation.operationId)) {
          throw new Error(`${api.name}: operationId ${operation.operationId} resolves to no handler`);
        }
      }
    }
  }

  /** Whether `path` belongs to one of the served apis (so the pipeline must answer it). */
  ownsPath(path: string): boolean {
    return this.routes.has(path);
  }

  /**
   * Where Starlette would redirect a path that is not routed: the same path with its
   * trailing slash toggled, when that one is routed to an api that redirects slashes.
   */
  slashRedirect(path: string): string | undefined {
    if (path === '/') return undefined;
    const alternate = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
    const route = this.routes.get(alternate);
    const operation = route?.values().next().value as CompiledOperation | undefined;
    return operation?.dialect.redirectsSlashes ? alternate : undefined;
  }

  /**
   * The answer to a request node:http refused before any handler ran (see src/app/edge.ts):
   * in the dialect of its path when `target` names an api path, checked against the document
   * like every reply; in FastAPI's plain JSON otherwise. Logged like every answer.
   */
  answerAtEdge(failure: EdgeFailure, request: { method?: string; target?: string }): ErrorReply {
    const path = pathOfTarget(request.target);
    const route = path === undefined ? undefined : this.routes.get(path);
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

  /** Handles a request whose path {@link ownsPath}. Never rejects. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const startedAt = process.hrtime.bigint();
    const route = this.routes.get(path) as Route;
    const operation = route.get(req.method ?? '');
    const anyOperation = operation ?? (route.values().next().value as CompiledOperation);
    const context: ErrorContext = { correlationId: randomUUID(), debug: this.options.debug };
    let reply: ErrorReply | HandlerReply;
    try {
      if (!operation) {
        req.resume();
        reply = this.checked(anyOperation, anyOperation.dialect.methodNotAllowed([...route.keys()], context), context);
      } else {
        reply = this.checked(operation, await this.answer(req, operation, context), context);
      }
      if (closesConnectionAfterAnswer(req)) res.setHeader('connection', 'close');
      this.send(res, reply, anyOperation, context);
    } catch (error) {
      // Whatever failed (a bug, an exhausted stack), the client still gets the api's own 500.
      context.internalDetail = `pipeline failed: ${(error as Error)?.name}: ${(error as Error)?.message}`;
      reply = anyOperation.dialect.internalError(context);
      this.send(res, reply, anyOperation, context);
    }
    this.options.logger.info(
      {
        api: anyOperation.api,
        operationId: operation?.operationId,
        method: req.method,
        path,
        status: reply.status,
        correlationId: context.correlationId,
        durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
        ...(context.internalDetail ? { detail: context.internalDetail } : {}),
      },
      'request',
    );
  }

  private async answer(req: IncomingMessage, operation: CompiledOperation, context: ErrorContext): Promise<ErrorReply | HandlerReply> {
    const { dialect } = operation;
    const headers = firstHeaderValues(req);
    let body: BodyState = { kind: 'absent' };
    if (operation.body) {
      const read = await readBody(req, this.options.maxBodyBytes);
      if (read.kind === 'too_large') return dialect.payloadTooLarge(context);
      if (read.kind === 'aborted') return dialect.undecodableBody(context);
      if (read.bytes.length > 0) {
        const decoded = this.decodeBody(read.bytes, headers['content-type'], dialect, context);
        if ('status' in decoded) return decoded;
        body = decoded;
      }
    } else {
      req.resume();
    }

    let bearer: string | undefined;
    if (operation.requiresBearer) {
      bearer = bearerCredential(headers.authorization);
      if (bearer === undefined) return dialect.notAuthenticated(context);
      // A fixed credential (the admin token) is the security scheme's to check, before the body
      // is looked at, as a FastAPI security dependency would; almanac's depends on the session.
      const verify = this.options.bearerVerifiers?.get(operation.api);
      if (verify && !verify(bearer)) return dialect.domainError(new TokenError('bearer_invalid', `${operation.api}: wrong bearer credential`), context);
    }

    const cookies = parseCookies(req);
    const query = parseQuery(req.url ?? '');
    const { parameters, problems } = this.validate(operation, { header: headers, cookie: cookies, query, path: {} }, body);
    if (problems.length > 0) return dialect.validationFailed(problems, context);
    const unsupportedVersion = unsupportedVersionProblem(operation, parameters);
    if (unsupportedVersion) return dialect.validationFailed([unsupportedVersion], context);

    const responder = this.responders.get(operation.operationId) as Responder;
    const request: HandlerRequest = {
      api: operation.api,
      operationId: operation.operationId,
      body: body.kind === 'json' ? body.value : undefined,
      parameters,
      headers,
      cookies,
      bearer,
      correlationId: context.correlationId,
    };
    try {
      return await responder(request);
    } catch (error) {
      return this.renderFailure(error, operation.api, dialect, context);
    }
  }

  private decodeBody(bytes: Buffer, contentType: string | undefined, dialect: Dialect, context: ErrorContext): BodyState | ErrorReply {
    if (!isJsonContentType(contentType)) {
      if (dialect.nonJsonBody === 'unsupported-media-type') return dialect.unsupportedMediaType(context);
      // FastAPI validates the raw bytes against the model; its error echoes them decoded.
      const text = decodeJsonBytes(bytes);
      return text.ok ? { kind: 'raw', text: text.text } : dialect.undecodableBody(context);
    }
    const text = decodeJsonBytes(bytes);
    if (!text.ok) return dialect.undecodableBody(context);
    const parsed = parsePythonJson(text.text, { input: 'bytes', maxNestingDepth: MAX_JSON_NESTING });
    // FastAPI answers 400 for anything json.loads raises that is not a JSONDecodeError (RecursionError, ValueError).
    if (!parsed.ok && parsed.kind !== 'JSONDecodeError') return dialect.undecodableBody(context);
    if (!parsed.ok) {
      return dialect.malformedJson(
        { type: 'json_invalid', loc: ['body', parsed.pos], msg: 'JSON decode error', input: {}, ctx: { error: parsed.msg } },
        context,
      );
    }
    // FastAPI validates a JSON `null` as no body at all: `missing` where one is required.
    if (parsed.value === null && dialect.nullBodyIsMissing) return { kind: 'absent' };
    return { kind: 'json', value: parsed.value, text: text.text };
  }

  /**
   * Ajv (openapi-backend's validators, compiled from the document) decides; the dialect's
   * explainer words the failure in FastAPI's order: path, query, header, cookie, body.
   */
  private validate(
    operation: CompiledOperation,
    sources: Record<'path' | 'query' | 'header' | 'cookie', Record<string, string>>,
    body: BodyState,
  ): { parameters: Record<string, unknown>; problems: ValidationProblem[] } {
    const declared: Record<string, Record<string, unknown>> = { path: {}, query: {}, header: {}, cookie: {} };
    const parameters: Record<string, unknown> = {};
    for (const parameter of operation.parameters) {
      const value = sources[parameter.in][parameter.key];
      if (value !== undefined) declared[parameter.in][parameter.key] = value;
      parameters[parameter.name] = value ?? parameter.default;
    }
    // `declared` is built fresh for each request, so Ajv's type coercion may change it in place.
    const parametersValid = operation.parametersValidator(declared) as boolean;
    const parameterErrors = parametersValid ? [] : operation.parametersValidator.errors ?? [];

    let bodyValid = true;
    let bodyErrors: ErrorObject[] = [];
    if (operation.body) {
      const bodyValue = body.kind === 'json' ? body.value : body.kind === 'raw' ? body.text : undefined;
      if (body.kind === 'absent') bodyValid = !operation.body.required;
      else if (operation.bodyValidator) {
        bodyValid = operation.bodyValidator({ requestBody: bodyValue }) as boolean;
        bodyErrors = bodyValid ? [] : operation.bodyValidator.errors ?? [];
      }
    }
    if (parametersValid && bodyValid) return { parameters, problems: [] };

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
        const explained = explainValue(parameter.schema, value, loc);
        problems.push(...(explained.length > 0 ? explained : [genericProblem(ajvErrors[0], loc, value)]));
      }
    }
    if (!bodyValid) {
      if (body.kind === 'absent') problems.push({ type: 'missing', loc: ['body'], msg: 'Field required', input: null });
      else {
        const value = body.kind === 'json' ? body.value : body.text;
        const explained = explainValue(operation.body?.schema, value, ['body'], true);
        problems.push(...(explained.length > 0 ? explained : [genericProblem(bodyErrors[0], ['body'], value)]));
      }
    }
    if (problems.length === 0 && parameterErrors[0]) problems.push(genericProblem(parameterErrors[0], ['header'], null));
    if (operation.dialect.echoesInput && body.kind === 'json') alignWithPython(problems, body.text);
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
    const payload = reply.status >= 400 ? stringifyWithRaw(reply.body) : JSON.stringify(reply.body);
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(payload));
    res.end(payload);
  }
}

/**
 * FastAPI writes each echoed `input` with Python's json: floats keep their `.0`, integers
 * every digit, objects their key order; and Pydantic reports extra keys in arrival order,
 * which JavaScript objects do not keep for integer-like keys. A `missing` error echoes the
 * object that lacks the field.
 */
function alignWithPython(problems: ValidationProblem[], text: string): void {
  if (!problems.some((problem) => problem.loc[0] === 'body')) return;
  const tree = readPythonTree(text);
  if (!tree) return;
  for (let start = 0; start < problems.length; start++) {
    if (problems[start].type !== 'extra_forbidden') continue;
    const parent = JSON.stringify(problems[start].loc.slice(0, -1));
    let end = start;
    while (end + 1 < problems.length && problems[end + 1].type === 'extra_forbidden' && JSON.stringify(problems[end + 1].loc.slice(0, -1)) === parent) end++;
    const keys = pythonKeyPositions(tree, problems[start].loc.slice(1, -1));
    if (keys) placeInArrivalOrder(problems, start, end + 1, keys);
    start = end;
  }
  for (const problem of problems) {
    if (problem.loc[0] !== 'body') continue;
    const path = problem.loc.slice(1);
    const raw = pythonInputAt(tree, problem.type === 'missing' ? path.slice(0, -1) : path);
    if (raw) problem.input = raw;
  }
}

/**
 * Reorders `problems[start..end)`, extra keys of one object, into the order the keys arrived
 * in: each goes to the slot of its key's position, so the work is linear in the run and the
 * object (a sort by `indexOf` was quadratic: 8,000 extra keys took half a second).
 */
function placeInArrivalOrder(problems: ValidationProblem[], start: number, end: number, keys: { positions: ReadonlyMap<string, number>; size: number }): void {
  const slots: Array<ValidationProblem | undefined> = new Array(keys.size);
  const unplaced: ValidationProblem[] = [];
  for (let index = start; index < end; index++) {
    const position = keys.positions.get(String(problems[index].loc.at(-1)));
    if (position === undefined || slots[position] !== undefined) unplaced.push(problems[index]);
    else slots[position] = problems[index];
  }
  let next = start;
  for (const problem of slots) if (problem !== undefined) problems[next++] = problem;
  for (const problem of unplaced) problems[next++] = problem;
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

/** Starlette's `query_params.get`: the last value of a repeated name wins. */
function parseQuery(url: string): Record<string, string> {
  const mark = url.indexOf('?');
  const query: Record<string, string> = Object.create(null);
  if (mark === -1) return query;
  for (const [name, value] of new URLSearchParams(url.slice(mark + 1))) query[name] = value;
  return query;
}

/** A problem for a constraint the explainer does not model, worded from Ajv's error. */
function genericProblem(error: ErrorObject | undefined, loc: Array<string | number>, input: unknown): ValidationProblem {
  return { type: 'value_error', loc, msg: `Value error, ${error?.message ?? 'invalid value'}`, input };
}

/** Unknown paths answer in FastAPI's words: Starlette's `{"detail": "Not Found"}`. */
export const notFoundReply = (): ErrorReply => fastapiDialect.routeNotFound({ correlationId: '', debug: false });
