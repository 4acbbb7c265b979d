import type { Logger } from 'pino';
import type { Dialect, ErrorReply } from '../dialects/dialect';
import { PRISM_ERRORS_URL, problemDialect } from '../dialects/problem';
import { buildMockResponders, dereferenceDocument, formatPreferenceApplied, isMockFailure, parsePrefer, type OperationMocker, type Prefer } from '../mock';
import { describeDocumentFiles, DocumentFileError } from '../spec/document-files';
import type { CompiledApi, CompiledOperation } from '../spec/registry';
import { buildApp, type BuiltApp } from './app';
import type { HandlerReply, HandlerRequest } from '../handler-kit/http';
import { constantBody } from '../handler-kit/constant-body';
import { listen } from './listen';
import type { Responder } from './pipeline';
import type { ResponseViolation } from './response-validation';

export interface MockAppOptions {
  /** Where the api documents are (default the project's `specs/`). */
  specsDir?: string;
  apis?: readonly string[];
  /**
   * OpenAPI 3.0/3.1 documents (YAML or JSON) to mock instead of refreshd's apis, each served
   * as the api named by its file's base name.
   */
  documents?: readonly string[];
  logger?: Logger;
  onResponseViolation?: (violation: ResponseViolation) => void;
  /** What every request prefers unless its own `Prefer` says otherwise (`--dynamic`, `--seed`). */
  defaults?: Pick<Prefer, 'dynamic' | 'seed'>;
}

/**
 * The mock's answer to a preference it cannot honour, as Prism gives it: an RFC 9457 problem,
 * 404 for an undeclared code or an unknown example, 400 for a malformed `Prefer`. It is the
 * mock's own answer about its controls, not an api response, so no document declares it.
 */
function preferenceProblem(status: number, detail: string, dialect: Dialect): HandlerReply {
  const title = status === 404 ? 'The server cannot find the requested content' : 'The preference cannot be honoured';
  // In Prism's own format the 404 carries Prism's type for it.
  const type = status === 404 && dialect === problemDialect ? `${PRISM_ERRORS_URL}#NOT_FOUND` : 'about:blank';
  return {
    status,
    body: { type, title, status, detail },
    headers: { 'content-type': 'application/problem+json' },
    outsideDocument: true,
  };
}

/** How many distinct `Prefer` headers an operation keeps a ready answer for (clients send a handful). */
const MAX_CONSTANT_REPLIES = 64;

/**
 * One responder per operation, answering from the document alone (Prism's negotiation).
 * A preference the mock cannot honour is refused, never ignored: a client test that asked
 * for a 401 must not pass on a 200 by accident.
 */
function mockResponders(apis: BuiltApp['apis'], defaults: MockAppOptions['defaults'] = {}): Map<string, Responder> {
  const responders = new Map<string, Responder>();
  for (const api of apis) {
    const mocks = buildMockResponders(dereferenceDocument(api.loaded.document));
    const problems = mocks.problems();
    if (problems.length > 0) throw new Error(`refreshd mock: ${api.name}: cannot sample ${JSON.stringify(problems[0])}`);
    for (const operation of api.operations) {
      const mocker = mocks.byOperationId(operation.operationId);
      if (!mocker) throw new Error(`refreshd mock: ${api.name}: no mock for ${operation.operationId}`);
      if (api.dialect === problemDialect) operation.dialect = declaredResponsesFirst(operation, mocker);
      const answer = (request: HandlerRequest): { reply: HandlerReply; constant: boolean } => {
        const where = `${operation.method} ${operation.path}`;
        const parsed = parsePrefer(request.headers.prefer);
        if (!parsed.ok) return { reply: preferenceProblem(400, `${where}: ${parsed.error.message}`, api.dialect), constant: true };
        const asked = parsed.prefer;
        const prefer = { ...defaults, ...asked };
        const result = mocker.respond(prefer);
        if (isMockFailure(result)) {
          const status = result.httpStatus < 500 ? result.httpStatus : 400;
          return { reply: preferenceProblem(status, `${where}: ${result.message}`, api.dialect), constant: true };
        }
        const headers: Record<string, string> = { ...result.headers };
        // The five apis answer JSON only, which the pipeline labels; another document's media type is said.
        if (result.contentType !== '' && result.contentType !== 'application/json') headers['content-type'] = result.contentType;
        const applied = formatPreferenceApplied({ ...asked, seed: result.seed });
        if (applied) headers['preference-applied'] = applied;
        // A dynamic body is drawn anew for each request; anything else follows from the Prefer header alone.
        return { reply: { status: result.status, body: result.body, headers }, constant: prefer.dynamic !== true };
      };
      // Static answers by Prefer header: made, frozen, checked and serialized once (src/handler-kit/constant-body.ts).
      const constants = new Map<string, HandlerReply>();
      responders.set(operation.operationId, (request): HandlerReply => {
        const key = request.headers.prefer ?? '';
        const known = constants.get(key);
        if (known) return known;
        const { reply, constant } = answer(request);
        if (!constant || constants.size >= MAX_CONSTANT_REPLIES) return reply;
        const frozen = Object.freeze({ ...reply, body: constantBody(reply.body), headers: Object.freeze(reply.headers) });
        constants.set(key, frozen);
        return frozen;
      });
    }
  }
  return responders;
}

/**
 * Prism's answer to a request that breaks the document: the response the operation declares
 * for it when there is one (422, then 400, for invalid input; 401 for missing credentials;
 * 415, 422, then 400 for a body of another media type), mocked like any other; the problem
 * dialect's own answer otherwise.
 */
function declaredResponsesFirst(operation: CompiledOperation, mocker: OperationMocker): Dialect {
  const declared = (codes: number[], fallback: () => ErrorReply): ErrorReply => {
    for (const code of codes) {
      if (!operation.responses.has(String(code))) continue;
      const result = mocker.respond({ code });
      if (isMockFailure(result)) break;
      const headers = { ...result.headers, ...(result.contentType === '' ? {} : { 'content-type': result.contentType }) };
      return { status: result.status, body: result.body, headers };
    }
    return fallback();
  };
  return {
    ...problemDialect,
    validationFailed: (problems, context) => declared([422, 400], () => problemDialect.validationFailed(problems, context)),
    notAuthenticated: (context, challenge) => declared([401], () => problemDialect.notAuthenticated(context, challenge)),
    unsupportedMediaType: (context, accepted) => declared([415, 422, 400], () => problemDialect.unsupportedMediaType(context, accepted)),
  };
}

/** What refreshd cannot serve from the documents given: an operationId two of them declare (responders are bound by it). */
function checkServable(apis: readonly CompiledApi[]): void {
  const owners = new Map<string, CompiledApi>();
  for (const api of apis) {
    for (const operation of api.operations) {
      const owner = owners.get(operation.operationId);
      if (owner) throw new DocumentFileError(`operationId "${operation.operationId}" is declared by both ${owner.loaded.file} and ${api.loaded.file} (rename one in an overlay)`);
      owners.set(operation.operationId, api);
    }
  }
}

/**
 * The mock's app: same documents, validation and dialects as `serve`, no store and no keys;
 * or, with `documents`, those documents, answering in the problem dialect unless one names its own.
 */
export async function buildMockApp(options: MockAppOptions = {}): Promise<BuiltApp> {
  const files = options.documents && options.documents.length > 0 ? describeDocumentFiles(options.documents) : undefined;
  const dialects = new Set(files?.map((file) => file.dialect));
  return buildApp({
    specsDir: options.specsDir,
    apis: files ? [] : options.apis,
    extraApis: files,
    logger: options.logger,
    onResponseViolation: options.onResponseViolation,
    // A path none of the documents has is answered in their dialect when they share one, else in Prism's.
    notFound: files ? () => (dialects.size === 1 ? [...dialects][0] : problemDialect).routeNotFound({ correlationId: '', debug: false }) : undefined,
    responders: (apis) => {
      if (files) checkServable(apis);
      return mockResponders(apis, options.defaults);
    },
  });
}

export async function startMockServer(options: {
  port: number;
  host: string;
  specsDir?: string;
  apis?: readonly string[];
  documents?: readonly string[];
  logger: Logger;
  defaults?: MockAppOptions['defaults'];
}): Promise<void> {
  const { logger } = options;
  const built = await buildMockApp({ specsDir: options.specsDir, apis: options.apis, documents: options.documents, logger, defaults: options.defaults });
  const server = await listen(built, { port: options.port, host: options.host, logger, handleSignals: true });
  const { dynamic, seed } = options.defaults ?? {};
  logger.info(
    {
      url: server.url,
      routes: built.apis.flatMap((api) => api.operations.map((op) => `${api.name} ${op.method} ${server.url}${op.path}`)),
      docs: `${server.url}/docs`,
      bodies: `${dynamic ? 'dynamic' : 'static (examples)'}${seed !== undefined ? `, seed ${seed}` : ''}`,
      prefer: 'code=<status>, example=<name>, dynamic=true|false, seed=<n>',
    },
    `refreshd mock listening on ${server.url}`,
  );
}
