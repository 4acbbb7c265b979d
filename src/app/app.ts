import type { IncomingMessage, ServerResponse } from 'node:http';
import type express from 'express';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ErrorReply } from '../dialects/dialect';
import type { createDocsRouter } from '../docs/router';
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
  /** Serve this: the api pipeline and the probes first, express (docs, admin extras, 404s) for the rest. */
  handler: RequestHandler;
  /** The express part alone (no api operations), built when first read. */
  readonly app: express.Express;
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
 * Builds the app (does not listen): every api operation through the spec-first {@link Pipeline},
 * health, readiness, metrics and the documents at /openapi on node:http, and express, built on
 * the first request that needs it, for the docs, the extra routes and every other path.
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

  const probes: Probes = {
    health: (): Answer => jsonAnswer(200, { status: 'ok' }),
    readiness: async (): Promise<Answer> => {
      const answer = options.ready ? await options.ready().catch(() => false) : true;
      const { ready, detail } = typeof answer === 'boolean' ? { ready: answer, detail: {} } : answer;
      return jsonAnswer(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...detail });
    },
    metrics: async (): Promise<Answer> => {
      try {
        return { status: 200, contentType: METRICS_CONTENT_TYPE, body: await scrapeMetrics(metrics.registry) };
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message } }, 'metrics scrape failed');
        return jsonAnswer(503, { detail: 'Metrics unavailable' });
      }
    },
    documentIndex: (): Answer => jsonAnswer(200, { apis: apis.map((api) => ({ name: api.name, title: api.title, spec: `/openapi/${api.name}.json` })) }),
    document: (text: string): Answer => ({ status: 200, contentType: JSON_CONTENT_TYPE, body: text }),
  };

  /**
   * What the front door answers without express, by exact raw path: the probes and the served
   * documents. Any other spelling of these paths (`/HEALTHZ`, `/healthz/`, `/openapi/%73ession.json`),
   * any other method, and any conditional request (express may answer it 304) is express's, as before.
   */
  const frontDoorAnswers = new Map<string, () => Answer | Promise<Answer>>([
    ['/healthz', probes.health],
    ['/readyz', probes.readiness],
    ['/metrics', probes.metrics],
    ['/openapi', probes.documentIndex],
    ...[...documents].filter(([name]) => DOCUMENT_NAME.test(name)).map(([name, text]): [string, () => Answer] => [`/openapi/${name}.json`, () => probes.document(text)]),
  ]);

  let expressApp: express.Express | undefined;
  /** Express and the docs are loaded by the first request that needs them (issue 15's cold start). */
  const app = (): express.Express => (expressApp ??= buildExpressApp({ options, logger, apis, documents, probes }));

  /**
   * The front door. Api paths go straight to the pipeline on node:http, bypassing express
   * (its routing alone costs ~190 µs a request here); so do the probes; everything else is express's.
   */
  const handler: RequestHandler = (req, res) => {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    // Starlette routes on the percent-decoded path: `/auth%2Frefresh` is `/auth/refresh`.
    const rawPath = mark === -1 ? url : url.slice(0, mark);
    const match = pipeline.route(rawPath);
    if (match === undefined) {
      const answer = frontDoorAnswers.get(rawPath);
      if (answer !== undefined && answersAtFrontDoor(req)) return void answerAtFrontDoor(req, res, answer, logger);
      const redirect = pipeline.slashRedirect(rawPath);
      if (!redirect) return void app()(req, res);
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

  return {
    handler,
    get app() {
      return app();
    },
    apis,
    catalogue,
    metrics: metrics.registry,
    answerAtEdge: (failure, request) => pipeline.answerAtEdge(failure, request),
    maxBodyBytes,
  };
}

/** An answer of the front door or of express, as text. */
interface Answer {
  status: number;
  /** As sent: express's `res.type(…).send(text)` leaves these unchanged. */
  contentType: string;
  body: string;
}

/** The Content-Type express's `res.json` sends. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** The names `/openapi/<name>.json` serves (express's route below reads the same pattern). */
const DOCUMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const jsonAnswer = (status: number, value: unknown): Answer => ({ status, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(value) });

/** GET or HEAD, unconditional: what express answers with the route's answer as it is (no 304, no automatic OPTIONS). */
function answersAtFrontDoor(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && req.headers['if-none-match'] === undefined && req.headers['if-modified-since'] === undefined;
}

/** Sends `answer` byte for byte as express's `res.status(…).type(…).send(…)` does (headers in its order and spelling). */
function answerAtFrontDoor(req: IncomingMessage, res: ServerResponse, answer: () => Answer | Promise<Answer>, logger: Logger): void {
  const send = ({ status, contentType, body }: Answer) => {
    res.statusCode = status;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    if (req.method === 'HEAD') res.end();
    else res.end(body, 'utf8');
  };
  req.resume();
  Promise.resolve()
    .then(answer)
    .then(send, () => {
      // What express's error handler below sends for a route that throws.
      logger.warn({ status: 500 }, 'request failed outside the api pipeline');
      if (!res.headersSent) send(jsonAnswer(500, { detail: 'Internal Server Error' }));
    });
}

/** The answers the front door and express share. */
interface Probes {
  health: () => Answer;
  readiness: () => Promise<Answer>;
  metrics: () => Promise<Answer>;
  documentIndex: () => Answer;
  document: (text: string) => Answer;
}

interface ExpressParts {
  options: AppOptions;
  logger: Logger;
  apis: CompiledApi[];
  documents: Map<string, string>;
  probes: Probes;
}

/**
 * The express part: the probes and documents again (for what the front door leaves to it), the
 * docs, the extra routes, the 404 and express's own failures.
 */
function buildExpressApp({ options, logger, apis, documents, probes }: ExpressParts): express.Express {
  // Loaded here, not at the top: a start-up, and a server that only refreshes, never needs them.
  const express: typeof import('express') = require('express');
  const docsRouter: typeof createDocsRouter = require('../docs/router').createDocsRouter;
  const send = (res: express.Response, { status, contentType, body }: Answer) => void res.status(status).type(contentType).send(body);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => send(res, probes.health()));
  app.get('/readyz', async (_req, res) => send(res, await probes.readiness()));
  app.get('/metrics', async (_req, res) => send(res, await probes.metrics()));
  app.get('/openapi/:file', (req, res, next) => {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\.json$/.exec(req.params.file);
    const document = match ? documents.get(match[1]) : undefined;
    if (!document) return next();
    send(res, probes.document(document));
  });
  app.get('/openapi', (_req, res) => send(res, probes.documentIndex()));
  app.use(
    docsRouter(
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
  return app;
}
