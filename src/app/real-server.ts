import path from 'node:path';
import type { Logger } from 'pino';
import { catalogueOf, type ApiDeclaration, type Catalogue, type CredentialCheck } from '../spec/catalogue';
import type { CredentialVerifier, SecurityVerifiers } from './security';
import type { ApiDescriptor } from '../spec/registry';
import { SPECS_DIR } from '../paths';
import { StoreNotFoundError, type TokenStore } from '../store/contract';
import { describeStore, isSharedStore, openStore, storeConfig, type StoreConfig, type StoreSettings } from '../store/factory';
import { DATA_DIR_KEY_FILE, generateSigningKey, loadKeySet, loadOrCreateDataDirKey, readDataDirKey, KeySet, type KeyConfig } from '../tokens/keys';
import { systemClock, TokenService, type Clock, type TokenEvents } from '../tokens/service';
import { isAdminToken } from './admin-auth';
import { buildApp, type BuiltApp } from './app';
import { bindHandlers } from './handlers';
import { InstanceRegistry } from './instances';
import { createServerMetrics } from './metrics';
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
  /** Where the api documents are (default the project's `specs/`). */
  specsDir?: string;
  /** Which of its apis to serve (default all). */
  apis?: readonly string[];
  /** Where `<operationId>.ts|.js` handler files are (default the project's `handlers/`). */
  handlersDir?: string;
  secureCookies: boolean;
  debug?: boolean;
  maxBodyBytes?: number;
}

export interface RealRuntime extends TokenEngine {
  built: BuiltApp;
  /** This instance's record in the store (its keys, for instances sharing the store). */
  instance: InstanceRegistry;
  /** Withdraws the instance's record and closes the store. */
  close(): Promise<void>;
}

/** How long a verifier may cache `/.well-known/jwks.json`. */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * The admin api: refreshd's own document (the project's `specs/admin.yaml`, whatever folder the
 * apis come from), listing in its `ApiName` the apis of `catalogue`.
 */
export function adminApi(catalogue: Catalogue): ApiDescriptor {
  const admin = catalogueOf(SPECS_DIR).admin;
  if (!admin) throw new Error(`refreshd: ${SPECS_DIR} holds no admin document (x-refreshd.role: admin)`);
  return {
    ...admin,
    amend: (document) => {
      document.components.schemas.ApiName.enum = [...catalogue.names];
    },
  };
}

export interface TokenEngine {
  tokens: TokenService;
  store: TokenStore;
  keys: KeySet;
  /** Set when this start generated the data dir's signing key. */
  generatedKeyPath?: string;
  /** Where the store is (a path, or the database URL without its password). */
  storeDescription: string;
}

export interface OpenEngineOptions {
  clock?: Clock;
  /** A store already open (tests): used as it is. */
  store?: TokenStore;
  /** Keys to use instead of the configured ones (tests). */
  keySet?: KeySet;
  /** The token engine's event sink (the server's metrics). */
  events?: TokenEvents;
  /**
   * `serve` (default) creates the store (or brings its schema up to date) and the data dir's key
   * on first start. `existing` (the sessions CLI) never creates either: a store missing or not at
   * this refreshd's schema, or a missing key when no key file is given, is an error that says
   * what to do.
   */
  mode?: 'serve' | 'existing';
  /** With `existing`: false when the command signs nothing (list, revoke), so it needs no key. Default true. */
  signs?: boolean;
}

/**
 * Opens the store and keys named by `config` (the token engine without HTTP; the sessions CLI
 * uses it too). A store shared by several instances (PostgreSQL) needs keys they all share: a
 * key generated in one instance's data dir is refused.
 */
export async function openTokenEngine(config: ServeConfig, options: OpenEngineOptions = {}): Promise<TokenEngine> {
  const existing = options.mode === 'existing';
  const chosen = storeConfig(config);
  // Nothing is written before everything that can be checked without writing was: configured keys
  // load (or a start without them is refused), then the store opens, and only then is the data
  // dir's key generated, so no refused start leaves a store or a key behind.
  const configured = options.keySet ?? configuredKeys(config, chosen, existing, options.signs ?? true, options.store !== undefined);
  const store = options.store ?? (await openEngineStore(config, chosen, existing));
  let opened: { keys: KeySet; generatedKeyPath?: string };
  try {
    opened = configured ? { keys: configured } : dataDirKeys(config, existing);
  } catch (error) {
    if (!options.store) await store.close().catch(() => undefined);
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
  return {
    tokens,
    store,
    keys: opened.keys,
    generatedKeyPath: opened.generatedKeyPath,
    storeDescription: options.store ? 'the store given' : describeStore(chosen),
  };
}

/** `serve` applies the migrations; the sessions CLI requires the schema serve (or `refreshd migrate`) created. */
async function openEngineStore(config: ServeConfig, chosen: StoreConfig, existing: boolean): Promise<TokenStore> {
  // A command's short run needs no checkpointer thread.
  const forRun = existing && chosen.backend === 'sqlite' ? { ...chosen, backgroundCheckpoints: false } : chosen;
  try {
    return await openStore(forRun, { migrations: existing ? 'require' : 'apply' });
  } catch (error) {
    if (!(error instanceof StoreNotFoundError)) throw error;
    throw new Error(`${error.message}: check --data-dir (${config.dataDir}); \`refreshd serve --data-dir ${config.dataDir}\` creates the store on its first start`);
  }
}

/** The configured keys; undefined when the data dir's key is to be used. Reads, never writes. */
function configuredKeys(config: ServeConfig, chosen: StoreConfig, existing: boolean, signs: boolean, storeGiven: boolean): KeySet | undefined {
  if (config.keys.length > 0) return loadKeySet(config.keys);
  // The token service is built with a key set; a command that signs nothing gets one it never uses.
  if (existing && !signs) return new KeySet([generateSigningKey('HS256')]);
  if (config.production) throw new Error('refusing to start in production without configured signing keys (--key-file / REFRESHD_KEY_FILES)');
  if (!storeGiven && isSharedStore(chosen)) {
    throw new Error(
      'refusing to generate a signing key with --database-url: every instance sharing the database must sign and verify with the same keys (--key-file / REFRESHD_KEY_FILES)',
    );
  }
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
 * be the one the server signs with: the kid recorded last (every `serve` start records its kid
 * on the store, see {@link InstanceRegistry.start}).
 */
export async function assertServedSigningKey(engine: TokenEngine): Promise<void> {
  const kid = engine.keys.signing.kid;
  const known = await engine.store.knownSigningKids();
  // The latest start's key: an older one still verifies today, but is dropped at the next rotation step.
  // Records come in the order first recorded, so on a tie the kid first recorded later wins.
  const served = known.reduce<(typeof known)[number] | undefined>(
    (latest, record) => (latest === undefined || record.lastRecordedAtMs >= latest.lastRecordedAtMs ? record : latest),
    undefined,
  );
  if (served?.kid === kid) return;
  if (served === undefined) {
    throw new Error(`no server has signed with this store yet: start \`refreshd serve\` on it first (this command would sign with kid ${kid})`);
  }
  throw new Error(
    `this command would sign with kid ${kid}, but the server signs with kid ${served.kid}: pass the same --key-file as serve ` +
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

/**
 * What each api's security schemes check their credential against, as its `x-refreshd.security`
 * declares (the admin token, or `--api-keys`). A scheme it does not name only needs a credential
 * to be present; what it is worth is then the handler's to decide (almanac's bearer).
 */
function credentialChecks(apis: ReadonlyArray<ApiDescriptor & { declaration?: ApiDeclaration }>, checks: Record<CredentialCheck, CredentialVerifier>): SecurityVerifiers {
  return new Map(apis.map((api) => [api.name, new Map(Object.entries(api.declaration?.security ?? {}).map(([scheme, check]) => [scheme, checks[check]]))]));
}

/** The real server's app: handlers bound to the token engine, JWKS, and the admin api when configured. */
export async function buildRealApp(
  config: ServeConfig,
  options: { logger?: Logger; clock?: Clock; store?: TokenStore; keySet?: KeySet; onResponseViolation?: (v: ResponseViolation) => void } = {},
): Promise<RealRuntime> {
  const clock = options.clock ?? systemClock;
  const catalogue = catalogueOf(config.specsDir);
  // Checked before anything opens: a mistyped api name leaves nothing behind.
  const served = catalogue.select(config.apis).map((entry) => entry.name);
  const admin = config.adminToken ? adminApi(catalogue) : undefined;
  const metrics = createServerMetrics(served);
  const engine = await openTokenEngine(config, { clock, store: options.store, keySet: options.keySet, events: metrics.tokenEvents });
  // Records the signing kid (what the sessions CLI checks its key against) and this instance's keys.
  const instance = new InstanceRegistry(engine.store, engine.keys, clock, options.logger);
  try {
    await instance.start();
  } catch (error) {
    if (!options.store) await engine.store.close();
    throw error;
  }
  const built = await buildApp({
    metrics,
    // Without Secure the refresh cookie breaks the documents' promise; the profile says what is sent instead.
    profiles: config.secureCookies ? [] : ['insecure-cookies'],
    specsDir: config.specsDir,
    apis: served,
    extraApis: admin ? [admin] : [],
    logger: options.logger,
    debug: config.debug,
    maxBodyBytes: config.maxBodyBytes,
    onResponseViolation: options.onResponseViolation,
    securityVerifiers: credentialChecks([...catalogue.select(served), ...(admin ? [admin] : [])], {
      'admin-token': (credential) => config.adminToken !== undefined && isAdminToken(credential, config.adminToken),
      'api-keys': (credential) => engine.tokens.isApiKey(credential),
    }),
    responders: (apis) => bindHandlers(apis, { tokens: engine.tokens, catalogue, clock, secureCookies: config.secureCookies }, config.handlersDir),
    extraRoutes: (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        // Short enough that a verifier sees an appended key within minutes (README: rotating signing keys).
        res.set('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).json(engine.tokens.jwks());
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
