import type { Logger } from 'pino';
import type { ApiName } from '../spec/documents';
import { buildMockResponders, dereferenceDocument, formatPreferenceApplied, isMockFailure, parsePrefer, type Prefer } from '../mock';
import { buildApp, type BuiltApp } from './app';
import type { HandlerReply } from './http-types';
import { listen } from './listen';
import type { Responder } from './pipeline';
import type { ResponseViolation } from './response-validation';

export interface MockAppOptions {
  apis?: readonly ApiName[];
  logger?: Logger;
  onResponseViolation?: (violation: ResponseViolation) => void;
}

const WARNING_HEADER = 'x-refreshd-mock-warning';

/**
 * One responder per operation, answering from the document alone (Prism's negotiation).
 * A preference that cannot be honoured (malformed, an undeclared code, an unknown example)
 * is ignored, as RFC 7240 allows: the default answer goes out with a warning header and no
 * `Preference-Applied`, so every mock response stays one the document declares.
 */
function mockResponders(apis: BuiltApp['apis']): Map<string, Responder> {
  const responders = new Map<string, Responder>();
  for (const api of apis) {
    const mocks = buildMockResponders(dereferenceDocument(api.loaded.document));
    const problems = mocks.problems();
    if (problems.length > 0) throw new Error(`refreshd mock: ${api.name}: cannot sample ${JSON.stringify(problems[0])}`);
    for (const operation of api.operations) {
      const mocker = mocks.byOperationId(operation.operationId);
      if (!mocker) throw new Error(`refreshd mock: ${api.name}: no mock for ${operation.operationId}`);
      responders.set(operation.operationId, (request): HandlerReply => {
        const parsed = parsePrefer(request.headers.prefer);
        const warnings: string[] = [];
        let prefer: Prefer = {};
        if (parsed.ok) prefer = parsed.prefer;
        else warnings.push(`Prefer ignored: ${parsed.error.message}`);
        let result = mocker.respond(prefer);
        if (isMockFailure(result)) {
          warnings.push(`Prefer ignored: ${result.message}`);
          prefer = {};
          result = mocker.respond(prefer);
          if (isMockFailure(result)) throw new Error(`mock for ${operation.operationId} failed: ${result.message}`);
        }
        const headers: Record<string, string> = { ...result.headers };
        const applied = formatPreferenceApplied({ ...prefer, seed: prefer.dynamic ? result.seed : undefined });
        if (applied) headers['preference-applied'] = applied;
        if (warnings.length > 0) headers[WARNING_HEADER] = warnings.join('; ').replace(/[^\x20-\x7e]/g, '?');
        return { status: result.status, body: result.body, headers };
      });
    }
  }
  return responders;
}

/** The mock's app: same documents, validation and dialects as `serve`, no store and no keys. */
export function buildMockApp(options: MockAppOptions = {}): Promise<BuiltApp> {
  return buildApp({
    apis: options.apis,
    logger: options.logger,
    onResponseViolation: options.onResponseViolation,
    responders: mockResponders,
  });
}

export async function startMockServer(options: { port: number; host: string; apis?: readonly ApiName[]; logger: Logger }): Promise<void> {
  const { logger } = options;
  const built = await buildMockApp({ apis: options.apis, logger });
  const server = await listen(built, { port: options.port, host: options.host, logger, handleSignals: true });
  logger.info(
    {
      url: server.url,
      routes: built.apis.flatMap((api) => api.operations.map((op) => `${api.name} ${op.method} ${server.url}${op.path}`)),
      docs: `${server.url}/docs`,
      prefer: 'code=<status>, example=<name>, dynamic=true, seed=<n>',
    },
    `refreshd mock listening on ${server.url}`,
  );
}
