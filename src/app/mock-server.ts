import type { Logger } from 'pino';
import { buildMockResponders, dereferenceDocument, formatPreferenceApplied, isMockFailure, parsePrefer, type Prefer } from '../mock';
import { buildApp, type BuiltApp } from './app';
import type { HandlerReply } from '../handler-kit/http';
import { listen } from './listen';
import type { Responder } from './pipeline';
import type { ResponseViolation } from './response-validation';

export interface MockAppOptions {
  /** Where the api documents are (default the project's `specs/`). */
  specsDir?: string;
  apis?: readonly string[];
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
function preferenceProblem(status: number, detail: string): HandlerReply {
  const title = status === 404 ? 'The server cannot find the requested content' : 'The preference cannot be honoured';
  return {
    status,
    body: { type: 'about:blank', title, status, detail },
    headers: { 'content-type': 'application/problem+json' },
    outsideDocument: true,
  };
}

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
      responders.set(operation.operationId, (request): HandlerReply => {
        const where = `${operation.method} ${operation.path}`;
        const parsed = parsePrefer(request.headers.prefer);
        if (!parsed.ok) return preferenceProblem(400, `${where}: ${parsed.error.message}`);
        const asked = parsed.prefer;
        const result = mocker.respond({ ...defaults, ...asked });
        if (isMockFailure(result)) {
          const status = result.httpStatus < 500 ? result.httpStatus : 400;
          return preferenceProblem(status, `${where}: ${result.message}`);
        }
        const headers: Record<string, string> = { ...result.headers };
        const applied = formatPreferenceApplied({ ...asked, seed: result.seed });
        if (applied) headers['preference-applied'] = applied;
        return { status: result.status, body: result.body, headers };
      });
    }
  }
  return responders;
}

/** The mock's app: same documents, validation and dialects as `serve`, no store and no keys. */
export function buildMockApp(options: MockAppOptions = {}): Promise<BuiltApp> {
  return buildApp({
    specsDir: options.specsDir,
    apis: options.apis,
    logger: options.logger,
    onResponseViolation: options.onResponseViolation,
    responders: (apis) => mockResponders(apis, options.defaults),
  });
}

export async function startMockServer(options: {
  port: number;
  host: string;
  specsDir?: string;
  apis?: readonly string[];
  logger: Logger;
  defaults?: MockAppOptions['defaults'];
}): Promise<void> {
  const { logger } = options;
  const built = await buildMockApp({ specsDir: options.specsDir, apis: options.apis, logger, defaults: options.defaults });
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
