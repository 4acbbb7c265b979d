import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ErrorReply } from '../dialects/dialect';
import { createDocsRouter } from '../docs/router';
import { catalogueOf, type Catalogue } from '../spec/catalogue';
import { servedDocument } from '../spec/documents';
import { compileApis, type ApiDescriptor, type CompiledApi } from '../spec/registry';
import { createServerMetrics, METRICS_CONTENT_TYPE, scrapeMetrics, type ServerMetrics } from './metrics';
import { notFoundReply, Pipeline, type Responder } from './pipeline';
import { checkRefreshDeclarations } from './handlers';
import type { ResponseViolation } from './response-validation';
import type { SecurityVerifiers } from './security';

export interface AppOptions {
  /** Where the api documents are (default the project's `specs/`): every `<name>.yaml` there is an api. */
  specsDir?: string;
  /** Which of them to serve (default: all). */
  apis?: readonly string[];
  /** Further spec-first apis served by the same pipeline (the admin api). */
  extraApis?: readonly ApiDescriptor[];
  /** Builds the responder of each operation: real handlers or the mock. */
  responders: (apis: CompiledApi[]) => Map<string, Responder> | Promise<Map<string, Responder>>;
  logger?: Logger;
  /** Largest request body accepted, in bytes (default 64 KiB); larger gets the dialect's 413. */
  maxBodyBytes?: number;
  /** Debug mode: the envelope's `error` carries internal details. */
  debug?: boolean;
  onResponseViolation?: (violation: ResponseViolation) => void;
  /** api → security scheme name → check of the credential it found, before validation. */
  securityVerifiers?: SecurityVerifiers;
  /** Extra routes (JWKS, admin API) mounted before the api pipeline. */
  extraRoutes?: (app: express.Express, apis: CompiledApi[]) => void;
  /**
   * Readiness probe beyond "documents loaded" (e.g. the store answers); a rejection is "not
   * ready". `detail` is added to the `/readyz` body.
   */
  ready?: () => Promise<boolean | { ready: boolean; detail?: Record<string, unknown> }>;
  /**
   * Profile overlays for the configuration (`insecure-cookies`): the served and validated
   * documents then describe what this server really sends.
   */
  profiles?: readonly string[];
  /** The answer to a path no api routes (default FastAPI's `{"detail": "Not Found"}`). */
  notFound?: () => ErrorReply;
  /** The counters `/metrics` shows; default a fresh set (the real server shares it with its token engine). */
  metrics?: ServerMetrics;
}

/** A node:http request listener. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface BuiltApp {
  /** Serve this: the api pipeline first, express (docs, health, metrics, admin extras) for the rest. */
  handler: RequestHandler;
  /** The express part alone (no api operations). */
  app: express.Express;
  apis: CompiledApi[];
  metrics: Registry;
  /** The apis the documents folder holds (served or not). */
  catalogue: Catalogue;
  /** The answer to a request node:http refuses before `handler` runs (see src/app/edge.ts). */
  answerAtEdge: Pipeline['answerAtEdge'];
  /** Largest request body read, in bytes: a request declaring more closes its connection after the answer. */
  maxBodyBytes: number;
}

/**
 * Builds the express app (does not listen): the documents at /openapi, the docs, health,
 * metrics, then every api operation through the spec-first {@link Pipeline}.
 */
export async function buildApp(options: AppOptions): Promise<BuiltApp> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const metrics = options.metrics ?? createServerMetrics();
  const catalogue = catalogueOf(options.specsDir);
  const served = catalogue.select(options.apis);
  const descriptors = [...served.map((entry) => ({ ...entry, profiles: options.profiles })), ...(options.extraApis ?? [])];
  const apis = await compileApis(descriptors);
  served.forEach((entry, index) => checkRefreshDeclarations(apis[index], entry.declaration.refresh, entry.declaredIn ?? apis[index].loaded.file));
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const pipeline = new Pipeline({
    apis,
    responders: await options.responders(apis),
    logger,
    maxBodyBytes,
    debug: options.debug ?? false,
    onResponseViolation: options.onResponseViolation,
    securityVerifiers: options.securityVerifiers,
    onStoreUnavailable: (api) => metrics.storeUnavailable.inc({ api }),
    onAnswered: (api, status, seconds) => {
      metrics.latency.observe({ api }, seconds);
      metrics.requests.inc({ api, status: String(status) });
    },
  });
  const documents = new Map(apis.map((api) => [api.name, JSON.stringify(servedDocument(api.loaded.document))]));

  /**
   * The front door. Api paths go straight to the pipeline on node:http, bypassing express
   * (its routing alone costs ~190 µs a request here); everything else is express's.
   */
  const handler: RequestHandler = (req, res) => {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    // Starlette routes on the percent-decoded path: `/auth%2Frefresh` is `/auth/refresh`.
    const rawPath = mark === -1 ? url : url.slice(0, mark);
    const match = pipeline.route(rawPath);
    if (match === undefined) {
      const redirect = pipeline.slashRedirect(rawPath);
      if (!redirect) return void app(req, res);
      req.resume();
      // Starlette rebuilds the absolute URL from the request's Host.
      res.writeHead(307, { location: `http://${req.headers.host ?? 'localhost'}${redirect}${mark === -1 ? '' : url.slice(mark)}`, 'content-length': '0' });
      res.end();
      return;
    }
    pipeline.handle(req, res, match).catch((error: Error) => {
      logger.error({ err: { name: error.name, stack: error.stack } }, 'pipeline failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"detail":"Internal Server Error"}');
      }
    });
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const answer = options.ready ? await options.ready().catch(() => false) : true;
    const { ready, detail } = typeof answer === 'boolean' ? { ready: answer, detail: {} } : answer;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...detail });
  });
  app.get('/metrics', async (_req, res) => {
    try {
      res.type(METRICS_CONTENT_TYPE).send(await scrapeMetrics(metrics.registry));
    } catch (error) {
      logger.warn({ err: { message: (error as Error).message } }, 'metrics scrape failed');
      res.status(503).json({ detail: 'Metrics unavailable' });
    }
  });
  app.get('/openapi/:file', (req, res, next) => {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\.json$/.exec(req.params.file);
    const document = match ? documents.get(match[1]) : undefined;
    if (!document) return next();
    res.type('application/json').send(document);
  });
  app.get('/openapi', (_req, res) => {
    res.json({ apis: apis.map((api) => ({ name: api.name, title: api.title, spec: `/openapi/${api.name}.json` })) });
  });
  app.use(
    createDocsRouter(
      apis.map((api) => ({
        name: api.name,
        title: String(api.loaded.document.info?.title ?? ''),
        version: api.loaded.document.info?.version === undefined ? undefined : String(api.loaded.document.info.version),
        specUrl: `/openapi/${api.name}.json`,
        operations: api.operations.map((op) => ({
          method: op.method,
          path: op.path,
          operationId: op.operationId,
          summary: op.summary,
          cookieParameters: op.parameters.filter((p) => p.in === 'cookie').map((p) => p.name),
        })),
      })),
    ),
  );
  options.extraRoutes?.(app, apis);

  app.use((_req, res) => {
    const reply = options.notFound?.() ?? notFoundReply();
    res.status(reply.status).set(reply.headers ?? {}).json(reply.body);
  });
  // Express's own failures (a malformed URL, a parser error in an extra route) are client errors.
  app.use((error: { status?: number; statusCode?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status ?? error.statusCode ?? 500;
    logger.warn({ status }, 'request failed outside the api pipeline');
    res.status(status >= 400 && status < 500 ? status : 500).json({ detail: status >= 400 && status < 500 ? 'Bad Request' : 'Internal Server Error' });
  });
  return { handler, app, apis, catalogue, metrics: metrics.registry, answerAtEdge: (failure, request) => pipeline.answerAtEdge(failure, request), maxBodyBytes };
}
