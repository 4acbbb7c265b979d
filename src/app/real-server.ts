import type { Logger } from 'pino';
import { fastapiDialect } from '../dialects/fastapi';
import type { ApiName } from '../spec/documents';
import type { TokenStore } from '../store/contract';
import { describeStore, isSharedStore, openStore, storeConfig, type OpenStoreOptions, type StoreSettings } from '../store/factory';
import { loadKeySet, loadOrCreateDataDirKey, KeySet, type KeyConfig } from '../tokens/keys';
import { systemClock, TokenService, type Clock } from '../tokens/service';
import { isAdminToken } from './admin-auth';
import { buildApp, type BuiltApp } from './app';
import { bindHandlers } from './handlers';
import { InstanceRegistry } from './instances';
import type { ResponseViolation } from './response-validation';

/**
 * Every setting of `refreshd serve`, with its default. The store's (`dataDir`, `databaseUrl`, and
 * each backend's own) are read by the store factory, which picks the backend.
 */
export interface ServeConfig extends StoreSettings {
  /** Where the generated key lives, and the SQLite file without `databaseUrl`. Default `./data`. */
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
  /** Where the store is (a path, or the database URL without its password). */
  storeDescription: string;
  /** This instance's record in the store (its keys, for instances sharing the store). */
  instance: InstanceRegistry;
  /** Withdraws the instance's record and closes the store. */
  close(): Promise<void>;
}

export const ADMIN_API = { name: 'admin', dialect: fastapiDialect, formats: 'pydantic' as const };

export interface TokenEngine {
  tokens: TokenService;
  store: TokenStore;
  keys: KeySet;
  /** Set when this start generated the data dir's signing key. */
  generatedKeyPath?: string;
  storeDescription: string;
}

export interface OpenTokenEngineOptions extends OpenStoreOptions {
  clock?: Clock;
  /** A store already open (tests): used as it is. */
  store?: TokenStore;
  keySet?: KeySet;
}

/**
 * Opens the store and keys named by `config` (the token engine without HTTP; the sessions CLI
 * uses it too). A store shared by several instances (PostgreSQL) needs keys they all share: a
 * key generated in one instance's data dir is refused.
 */
export async function openTokenEngine(config: ServeConfig, options: OpenTokenEngineOptions = {}): Promise<TokenEngine> {
  const clock = options.clock ?? systemClock;
  const chosen = storeConfig(config);
  let keys: KeySet;
  let generatedKeyPath: string | undefined;
  if (options.keySet) keys = options.keySet;
  else if (config.keys.length > 0) keys = loadKeySet(config.keys);
  else if (config.production) throw new Error('refusing to start in production without configured signing keys (--key-file / REFRESHD_KEY_FILES)');
  else if (!options.store && isSharedStore(chosen)) {
    throw new Error(
      'refusing to generate a signing key with --database-url: every instance sharing the database must sign and verify with the same keys (--key-file / REFRESHD_KEY_FILES)',
    );
  } else {
    const dataDirKey = loadOrCreateDataDirKey(config.dataDir);
    keys = new KeySet([dataDirKey.key]);
    if (dataDirKey.created) generatedKeyPath = dataDirKey.path;
  }
  const openedStore = options.store ?? (await openStore(chosen, { migrations: options.migrations }));
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
  return { tokens, store: openedStore, keys, generatedKeyPath, storeDescription: options.store ? 'the store given' : describeStore(chosen) };
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
  const engine = await openTokenEngine(config, { clock, store: options.store, keySet: options.keySet });
  const instance = new InstanceRegistry(engine.store, engine.keys, clock, options.logger);
  try {
    await instance.start();
  } catch (error) {
    if (!options.store) await engine.store.close();
    throw error;
  }
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
    // Answering at all proves the store reachable; disagreeing keys are reported, not a reason to leave the load balancer.
    ready: async () => {
      const keyProblems = await instance.keyProblems();
      return { ready: true, detail: keyProblems.length > 0 ? { key_problems: keyProblems } : {} };
    },
  });
  return {
    built,
    ...engine,
    instance,
    close: async () => {
      await instance.stop();
      await engine.store.close();
    },
  };
}
