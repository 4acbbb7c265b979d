import path from 'node:path';
import type { Logger } from 'pino';
import { fastapiDialect } from '../dialects/fastapi';
import type { ApiName } from '../spec/documents';
import { openSqliteStore } from '../store/sqlite';
import type { TokenStore } from '../store/contract';
import { loadKeySet, loadOrCreateDataDirKey, KeySet, type KeyConfig } from '../tokens/keys';
import { systemClock, TokenService, type Clock } from '../tokens/service';
import { isAdminToken } from './admin-auth';
import { buildApp, type BuiltApp } from './app';
import { bindHandlers } from './handlers';
import type { ResponseViolation } from './response-validation';

/** Every setting of `refreshd serve`, with its default. */
export interface ServeConfig {
  /** Where the SQLite file and the generated key live. Default `./data`. */
  dataDir: string;
  /**
   * SQLite `synchronous` in WAL mode. NORMAL (default): a commit survives a crash of the
   * process, never half-applies, and may be lost only on an OS crash or power loss (the last
   * rotations roll back; their clients sign in again). FULL: an fsync per rotation as well.
   */
  sqliteSync?: 'NORMAL' | 'FULL';
  /** Signing keys; empty means the data dir's generated HS256 key (refused in production). */
  keys: KeyConfig[];
  /** `NODE_ENV=production`: refuse to start without configured keys. */
  production: boolean;
  issuer: string;
  accessTtlSeconds?: number;
  refreshIdleTtlSeconds?: number;
  sessionAbsoluteTtlSeconds?: number;
  graceWindowSeconds?: number;
  /** Bearer API keys almanac accepts beside access tokens. */
  apiKeys?: string[];
  /** Serves the admin api when set. */
  adminToken?: string;
  apis?: readonly ApiName[];
  secureCookies: boolean;
  debug?: boolean;
  maxBodyBytes?: number;
}

export interface RealRuntime {
  built: BuiltApp;
  tokens: TokenService;
  store: TokenStore;
  keys: KeySet;
  /** True when this start generated the data dir's signing key. */
  generatedKeyPath?: string;
}

export const ADMIN_API = { name: 'admin', dialect: fastapiDialect, formats: 'pydantic' as const };

/** Opens the store and keys named by `config` (the token engine without HTTP; the sessions CLI uses it too). */
export function openTokenEngine(
  config: ServeConfig,
  clock: Clock = systemClock,
  store?: TokenStore,
  keySet?: KeySet,
): { tokens: TokenService; store: TokenStore; keys: KeySet; generatedKeyPath?: string } {
  let keys: KeySet;
  let generatedKeyPath: string | undefined;
  if (keySet) keys = keySet;
  else if (config.keys.length > 0) keys = loadKeySet(config.keys);
  else if (config.production) throw new Error('refusing to start in production without configured signing keys (--key-file / REFRESHD_KEY_FILES)');
  else {
    const dataDirKey = loadOrCreateDataDirKey(config.dataDir);
    keys = new KeySet([dataDirKey.key]);
    if (dataDirKey.created) generatedKeyPath = dataDirKey.path;
  }
  const openedStore =
    store ??
    openSqliteStore(path.join(config.dataDir, 'refreshd.sqlite'), { synchronous: config.sqliteSync ?? 'NORMAL', backgroundCheckpoints: true });
  const tokens = new TokenService({
    store: openedStore,
    keys,
    clock,
    issuer: config.issuer,
    accessTtlSeconds: config.accessTtlSeconds,
    refreshIdleTtlSeconds: config.refreshIdleTtlSeconds,
    sessionAbsoluteTtlSeconds: config.sessionAbsoluteTtlSeconds,
    graceWindowSeconds: config.graceWindowSeconds,
    apiKeys: config.apiKeys,
  });
  return { tokens, store: openedStore, keys, generatedKeyPath };
}

/**
 * Deletes expired sessions and refresh tokens every `intervalMs` (default 10 min), off the
 * request path of any single request. Returns the function that stops it.
 */
export function schedulePurge(tokens: TokenService, logger: Logger, intervalMs = 10 * 60 * 1000): () => void {
  const timer = setInterval(() => {
    tokens
      .purgeExpired()
      .then((purged) => logger.info(purged, 'purged expired sessions and refresh tokens'))
      .catch((error: Error) => logger.error({ err: { name: error.name, message: error.message } }, 'purge failed'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The real server's app: handlers bound to the token engine, JWKS, and the admin api when configured. */
export async function buildRealApp(
  config: ServeConfig,
  options: { logger?: Logger; clock?: Clock; store?: TokenStore; keySet?: KeySet; onResponseViolation?: (v: ResponseViolation) => void } = {},
): Promise<RealRuntime> {
  const clock = options.clock ?? systemClock;
  const engine = openTokenEngine(config, clock, options.store, options.keySet);
  const built = await buildApp({
    apis: config.apis,
    extraApis: config.adminToken ? [ADMIN_API] : [],
    logger: options.logger,
    debug: config.debug,
    maxBodyBytes: config.maxBodyBytes,
    onResponseViolation: options.onResponseViolation,
    bearerVerifiers: config.adminToken
      ? new Map([[ADMIN_API.name, (credential: string) => isAdminToken(credential, config.adminToken as string)]])
      : undefined,
    responders: (apis) =>
      bindHandlers(apis, { tokens: engine.tokens, clock, secureCookies: config.secureCookies }),
    extraRoutes: (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.json(engine.tokens.jwks());
      });
    },
    ready: async () => {
      await engine.store.ping();
      return true;
    },
  });
  return { built, ...engine };
}
