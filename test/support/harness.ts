import type { Response } from 'supertest';
import request from 'supertest';
import type { BuiltApp } from '../../src/app/app';
import { buildRealApp, type ServeConfig } from '../../src/app/real-server';
import { findResponseSpec, validateReply, type ResponseViolation } from '../../src/app/response-validation';
import { openSqliteStore } from '../../src/store/sqlite';
import { generateSigningKey, KeySet, type SigningKey } from '../../src/tokens/keys';
import type { TokenService } from '../../src/tokens/service';
import type { TokenStore } from '../../src/store/contract';

/** A clock the test moves by hand: time is injected, never slept through. */
export class FakeClock {
  constructor(public now = Date.UTC(2026, 0, 1, 12, 0, 0)) {}
  nowMs = () => this.now;
  advanceSeconds(seconds: number): void {
    this.now += seconds * 1000;
  }
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface RealHarness {
  built: BuiltApp;
  tokens: TokenService;
  store: TokenStore;
  clock: FakeClock;
  /** The server's signing key (tests forge tokens with it). */
  key: SigningKey;
  violations: ResponseViolation[];
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** The real app on an in-memory SQLite store, a fresh HS256 key and a fake clock. */
export async function startReal(overrides: Partial<ServeConfig> = {}): Promise<RealHarness> {
  const clock = new FakeClock();
  const store = openSqliteStore(':memory:');
  const violations: ResponseViolation[] = [];
  const key = generateSigningKey('HS256');
  const runtime = await buildRealApp(
    {
      dataDir: '/nonexistent',
      keys: [],
      production: false,
      issuer: 'refreshd-test',
      secureCookies: true,
      adminToken: ADMIN_TOKEN,
      graceWindowSeconds: 10,
      ...overrides,
    },
    { clock, store, keySet: new KeySet([key]), onResponseViolation: (v) => violations.push(v) },
  );
  return {
    built: runtime.built,
    tokens: runtime.tokens,
    store,
    clock,
    key,
    violations,
    http: request(runtime.built.handler),
    close: () => store.close(),
  };
}

/**
 * Checks a response against the served document, independently of the pipeline's own
 * check: the status is declared for the operation, the content type is declared, the body
 * matches the schema, the headers the document requires arrived and every declared one is valid.
 */
export function expectConforms(built: BuiltApp, method: string, path: string, res: Response): void {
  const operation = built.apis.flatMap((api) => api.operations).find((op) => op.path === path && op.method === method.toUpperCase());
  if (!operation) throw new Error(`no operation ${method} ${path} in the served documents`);
  const spec = findResponseSpec(operation, res.status);
  expect({ status: res.status, declared: Boolean(spec) }).toEqual({ status: res.status, declared: true });
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0];
  if (res.text) expect(spec ? [...spec.bodies.keys()] : []).toContain(contentType);
  const violation = validateReply(operation, { status: res.status, body: res.text ? res.body : undefined, headers: res.headers });
  expect(violation).toBeUndefined();
}

/**
 * One real harness for the tests of the enclosing file: started before them, and after
 * them checked for response violations and closed.
 */
export function useRealHarness(overrides: Partial<ServeConfig> = {}): RealHarness {
  const harness = {} as RealHarness;
  beforeAll(async () => {
    Object.assign(harness, await startReal(overrides));
  });
  afterAll(async () => {
    expect(harness.violations).toEqual([]);
    await harness.close();
  });
  return harness;
}
