import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { buildMockApp } from '../../src/app/mock-server';
import { Pipeline, type Responder } from '../../src/app/pipeline';
import type { ServeConfig } from '../../src/app/real-server';
import type { ResponseViolation } from '../../src/app/response-validation';
import type { ContractClock } from '../../src/contract/runner';
import { fastapiDialect } from '../../src/dialects/fastapi';
import { buildMockResponders, dereferenceDocument, isMockFailure } from '../../src/mock';
import { compileApi } from '../../src/spec/registry';
import { ADMIN_TOKEN, startReal, type RealHarness } from '../support/harness';

export { ADMIN_TOKEN };

/**
 * The generative phase's seed in tests: fixed in CI (where `CI` is set), random on a developer's
 * machine, so local runs keep exploring; REFRESHD_CONTRACT_SEED replays a seed a failure printed.
 */
export const TEST_SEED: number = process.env.REFRESHD_CONTRACT_SEED
  ? Number(process.env.REFRESHD_CONTRACT_SEED)
  : process.env.CI
    ? 20260714
    : Math.floor(Math.random() * 2 ** 31);

/** A document refreshd does not know (see its description), checked with --spec. */
export const SIXTH_SPEC = path.join(__dirname, 'fixtures', 'sixth.yaml');

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves `listener` on an ephemeral port of 127.0.0.1. */
export async function listenOn(listener: RequestListener): Promise<Listening> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RealTarget extends Listening {
  harness: RealHarness;
  /** The harness's fake clock as the contract run sees it: waiting moves it instead of sleeping. */
  clock: ContractClock;
}

/** refreshd serve: the real app on in-memory SQLite with a fake clock, admin api on, listening. */
export async function startRealTarget(overrides: Partial<ServeConfig> = {}): Promise<RealTarget> {
  const harness = await startReal(overrides);
  const listening = await listenOn(harness.built.handler);
  return {
    ...listening,
    harness,
    clock: {
      now: () => harness.clock.nowMs(),
      sleep: async (ms) => harness.clock.advanceSeconds(ms / 1000),
    },
    close: async () => {
      await listening.close();
      await harness.close();
    },
  };
}

/** refreshd mock (`buildMockApp`, what `refreshd mock` serves) of `specsDir` (default the project's), listening; response violations collected. */
export async function startMockTarget(specsDir?: string): Promise<Listening & { violations: unknown[] }> {
  const violations: unknown[] = [];
  const built = await buildMockApp({ specsDir, onResponseViolation: (violation) => violations.push(violation) });
  const listening = await listenOn(built.handler);
  return { ...listening, violations };
}

/**
 * A correct server for the sixth document: refreshd's own pipeline (routing, FastAPI's request
 * validation and errors, bearer presence) over the document, answering valid requests with
 * the mock's sample. Response violations collected.
 */
export async function startSixthTarget(): Promise<Listening & { violations: ResponseViolation[] }> {
  const violations: ResponseViolation[] = [];
  const dir = path.dirname(SIXTH_SPEC);
  const api = await compileApi({ name: 'sixth', dialect: fastapiDialect, formats: 'json-schema' }, dir, path.join(dir, 'overlays'));
  const mocks = buildMockResponders(dereferenceDocument(api.loaded.document));
  const responders = new Map<string, Responder>(
    api.operations.map((operation) => [
      operation.operationId,
      () => {
        const result = mocks.byOperationId(operation.operationId)!.respond({});
        if (isMockFailure(result)) throw new Error(result.message);
        return { status: result.status, body: result.body, headers: result.headers };
      },
    ]),
  );
  const pipeline = new Pipeline({
    apis: [api],
    responders,
    logger: pino({ level: 'silent' }),
    maxBodyBytes: 64 * 1024,
    debug: false,
    onResponseViolation: (violation) => violations.push(violation),
  });
  const listening = await listenOn((req, res) => {
    const url = req.url ?? '/';
    const match = pipeline.route(url.split('?')[0]);
    if (match) return void pipeline.handle(req, res, match);
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"detail":"Not Found"}');
  });
  return { ...listening, violations };
}
