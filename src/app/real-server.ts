import path from 'node:path';
import type { Logger } from 'pino';
import { API_NAMES } from '../api-names';
import { fastapiDialect } from '../dialects/fastapi';
import type { ApiName } from '../spec/documents';
import { openSqliteStore } from '../store/sqlite';
import { StoreNotFoundError, type TokenStore } from '../store/contract';
import { DATA_DIR_KEY_FILE, generateSigningKey, loadKeySet, loadOrCreateDataDirKey, readDataDirKey, KeySet, type KeyConfig } from '../tokens/keys';
import { systemClock, TokenService, type Clock, type TokenEvents } from '../tokens/service';
import { createServerMetrics } from './metrics';
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

export interface RealRuntime extends TokenEngine {
  built: BuiltApp;
}

/** How long a verifier may cache `/.well-known/jwks.json`. */
export const JWKS_MAX_AGE_SECONDS = 300;

export const ADMIN_API = { name: 'admin', dialect: fastapiDialect, formats: 'pydantic' as const };

export interface TokenEngine {
  tokens: TokenService;
  store: TokenStore;
  keys: KeySet;
  /** Set when this start generated the data dir's signing key. */
  generatedKeyPath?: string;
}

export interface OpenEngineOptions {
  clock?: Clock;
  /** A store to use instead of the data dir's (tests). */
  store?: TokenStore;
  /** Keys to use instead of the configured ones (tests). */
  keySet?: KeySet;
  /** The token engine's event sink (the server's metrics). */
  events?: TokenEvents;
  /**
   * `serve` (default) creates the data dir's store and key on first start. `existing` (the
   * sessions CLI) never creates either: a data dir without refreshd's store, or without a key
   * when no key file is given, is an error that says what to do.
   */
  mode?: 'serve' | 'existing';
  /** With `existing`: false when the command signs nothing (list, revoke), so it needs no key. Default true. */
  signs?: boolean;
}

const DATA_DIR_STORE_FILE = 'refreshd.sqlite';

/** Opens the store and keys named by `config` (the token engine without HTTP; the sessions CLI uses it too). */
export function openTokenEngine(config: ServeConfig, options: OpenEngineOptions = {}): TokenEngine {
  const existing = options.mode === 'existing';
  // Nothing is written before everything that can be checked without writing was: configured keys
  // load (or a start without them is refused), then the store opens, and only then is the data
  // dir's key generated, so no refused start leaves a store or a key behind.
  const configured = options.keySet ?? configuredKeys(config, existing, options.signs ?? true);
  const store = options.store ?? openDataDirStore(config, existing);
  let opened: { keys: KeySet; generatedKeyPath?: string };
  try {
    opened = configured ? { keys: configured } : dataDirKeys(config, existing);
  } catch (error) {
    if (!options.store) void store.close();
    throw error;
  }
  const tokens = new TokenService({
    store,
    keys: opened.keys,
    clock: options.clock ?? systemClock,
    issuer: config.issuer,
    accessTtlSeconds: config.accessTtlSeconds,
    refreshIdleTtlSeconds: config.refreshIdleTtlSeconds,
    sessionAbsoluteTtlSeconds: config.sessionAbsoluteTtlSeconds,
    graceWindowSeconds: config.graceWindowSeconds,
    apiKeys: config.apiKeys,
    events: options.events,
  });
  return { tokens, store, keys: opened.keys, generatedKeyPath: opened.generatedKeyPath };
}

function openDataDirStore(config: ServeConfig, existing: boolean): TokenStore {
  try {
    return openSqliteStore(path.join(config.dataDir, DATA_DIR_STORE_FILE), {
      synchronous: config.sqliteSync ?? 'NORMAL',
      backgroundCheckpoints: !existing,
      mustExist: existing,
    });
  } catch (error) {
    if (!(error instanceof StoreNotFoundError)) throw error;
    throw new Error(`${error.message}: check --data-dir (${config.dataDir}); \`refreshd serve --data-dir ${config.dataDir}\` creates the store on its first start`);
  }
}

/** The configured keys; undefined when the data dir's key is to be used. Reads, never writes. */
function configuredKeys(config: ServeConfig, existing: boolean, signs: boolean): KeySet | undefined {
  if (config.keys.length > 0) return loadKeySet(config.keys);
  // The token service is built with a key set; a command that signs nothing gets one it never uses.
  if (existing && !signs) return new KeySet([generateSigningKey('HS256')]);
  if (config.production) throw new Error('refusing to start in production without configured signing keys (--key-file / REFRESHD_KEY_FILES)');
  return undefined;
}

/** The data dir's key: generated on serve's first start, never by the sessions CLI. */
function dataDirKeys(config: ServeConfig, existing: boolean): { keys: KeySet; generatedKeyPath?: string } {
  if (existing) {
    const found = readDataDirKey(config.dataDir);
    if (!found) {
      throw new Error(
        `no signing key: ${path.join(config.dataDir, DATA_DIR_KEY_FILE)} does not exist, so the server signs with a configured key: pass the same --key-file as serve`,
      );
    }
    return { keys: new KeySet([found.key]) };
  }
  const dataDirKey = loadOrCreateDataDirKey(config.dataDir);
  return { keys: new KeySet([dataDirKey.key]), generatedKeyPath: dataDirKey.created ? dataDirKey.path : undefined };
}

/**
 * The sessions CLI's guard: tokens it mints must verify on the server, so its signing key must
 * be the one the server signs with (`serve` records its kid on the store at every start).
 */
export async function assertServedSigningKey(engine: TokenEngine): Promise<void> {
  const kid = engine.keys.signing.kid;
  const served = await engine.store.listSigningKeys();
  // The latest start's key: an older one still verifies today, but is dropped at the next rotation step.
  if (served[0]?.kid === kid) return;
  if (served.length === 0) {
    throw new Error(`no server has signed with this store yet: start \`refreshd serve\` on it first (this command would sign with kid ${kid})`);
  }
  throw new Error(
    `this command would sign with kid ${kid}, but the server signs with kid ${served[0].kid}: pass the same --key-file as serve ` +
      `(a token signed with ${kid} would be refused)`,
  );
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
  const metrics = createServerMetrics(config.apis ?? API_NAMES);
  const engine = openTokenEngine(config, { clock, store: options.store, keySet: options.keySet, events: metrics.tokenEvents });
  await engine.store.recordSigningKey(engine.keys.signing.kid, clock.nowMs());
  const built = await buildApp({
    metrics,
    // Without Secure the refresh cookie breaks the documents' promise; the profile says what is sent instead.
    profiles: config.secureCookies ? [] : ['insecure-cookies'],
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
        // Short enough that a verifier sees an appended key within minutes (README: rotating signing keys).
        res.set('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).json(engine.tokens.jwks());
      });
    },
    ready: async () => {
      await engine.store.ping();
      return true;
    },
  });
  return { built, ...engine };
}
