import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import type { BuiltApp } from '../app/app';
import { createLogger, defaultLogFormat, LOG_FORMATS, LOG_LEVELS, type LogFormat } from '../app/logger';
import type { ServeConfig } from '../app/real-server';
import { addEngineOptions, engineConfig } from './engine-options';
import { apiNamesOption, booleanEnvOption, envOption, integerParser, parsePort } from './options';

const GENERATED_KEY_WARNING = 'no signing key configured: generated an HS256 key in the data dir (configure --key-file for production)';

/** The admin token guards minting: anything shorter than 32 characters can be guessed or is a placeholder. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
export const MIN_BODY_BYTES = 1024;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_WORKERS = 64;

/** Options every long-running command shares: where to listen and how to log. */
export function addListenOptions(command: Command): Command {
  return command
    .addOption(envOption('-p, --port <n>', 'port to listen on', 'REFRESHD_PORT', '8080').argParser(parsePort))
    .addOption(envOption('--host <host>', 'address to bind', 'REFRESHD_HOST', '127.0.0.1'))
    .addOption(envOption('--log-level <level>', 'log level', 'REFRESHD_LOG_LEVEL', 'info').choices(LOG_LEVELS))
    .addOption(
      new Option('--log-format <format>', 'json: one JSON object a line; pretty: for people (default: pretty on a terminal, else json)')
        .env('REFRESHD_LOG_FORMAT')
        .choices(LOG_FORMATS),
    );
}

export function loggerFor(options: { logLevel: string; logFormat?: LogFormat }) {
  return createLogger(options.logLevel, options.logFormat ?? defaultLogFormat());
}

function checkAdminToken(token: string | undefined): void {
  // The value is never echoed: it is a secret, even when it is a bad one.
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new Error(
      `--admin-token / REFRESHD_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it guards minting sessions; ` +
        `e.g. \`openssl rand -base64 32\`)${token === '' ? '; it is set but empty: unset it to serve without the admin api' : ''}`,
    );
  }
}

/** The `sessions create` line that mints with this server's store, keys and issuer. */
function mintHint(options: Record<string, any>, config: ServeConfig, built: BuiltApp): string {
  // The database URL may carry a password: the hint names the variable, never the value.
  const flags = [config.databaseUrl ? '--database-url "$DATABASE_URL"' : `--data-dir ${config.dataDir}`];
  if (options.keyFile !== undefined) flags.push(`--key-file ${options.keyFile}`);
  if (config.issuer !== 'refreshd') flags.push(`--issuer ${config.issuer}`);
  if (options.specsDir !== undefined) flags.push(`--specs-dir ${options.specsDir}`);
  // The first api served whose refresh needs nothing but the token (almanac's needs an access token too).
  const served = built.apis.filter((api) => built.catalogue.names.includes(api.name)).map((api) => built.catalogue.get(api.name));
  const api = served.find((entry) => Object.values(entry.declaration.refresh).every((refresh) => refresh.bearer === undefined)) ?? served[0];
  // A subject the api accepts: an api whose clients send it as a UUID4 gets one.
  const sub = api.declaration.subject === 'uuid4' ? randomUUID() : 'alice';
  return `refreshd sessions create --api ${api.name} --sub ${sub} ${flags.join(' ')}`;
}

export function serveCommand(): Command {
  const command = addListenOptions(
    new Command('serve')
      .description('The real server: JWTs, rotation with reuse detection, revocation; SQLite store, or PostgreSQL shared by many instances')
      .addOption(apiNamesOption(envOption('--apis <list>', 'comma-separated apis to serve (default: every document of --specs-dir)', 'REFRESHD_APIS')))
      .addOption(envOption('--admin-token <token>', `serve the admin api, protected by this bearer token (at least ${MIN_ADMIN_TOKEN_LENGTH} characters)`, 'REFRESHD_ADMIN_TOKEN'))
      .addOption(booleanEnvOption('--insecure-cookies', 'omit Secure on refresh cookies (plain-http development only)', 'REFRESHD_INSECURE_COOKIES'))
      .addOption(
        envOption('--max-body-bytes <n>', `largest request body accepted, ${MIN_BODY_BYTES} to ${MAX_BODY_BYTES}`, 'REFRESHD_MAX_BODY_BYTES', '65536').argParser(
          integerParser({ min: MIN_BODY_BYTES, max: MAX_BODY_BYTES, unit: 'bytes' }),
        ),
      )
      .addOption(booleanEnvOption('--debug', 'send internal error details (session envelope `error`)', 'REFRESHD_DEBUG'))
      .addOption(
        envOption('--workers <n>', `processes sharing the port and the store (node:cluster), 1 to ${MAX_WORKERS}`, 'REFRESHD_WORKERS', '1').argParser(
          integerParser({ min: 1, max: MAX_WORKERS }),
        ),
      ),
  );
  return addEngineOptions(command).action(async (options) => {
    checkAdminToken(options.adminToken);
    // Loaded here, not at the top: every command line defines serve, only serve runs the server.
    const { announceReady, announcesStartup, isClusterWorker, runClusterPrimary, startServing } = await import('../app/cluster');
    const { assertCanListen, deferredApp, listen } = await import('../app/listen');
    const { buildRealApp, openTokenEngine, schedulePurge } = await import('../app/real-server');
    const config: ServeConfig = {
      ...engineConfig(options),
      apis: options.apis,
      adminToken: options.adminToken,
      secureCookies: !options.insecureCookies,
      debug: Boolean(options.debug),
      maxBodyBytes: Number(options.maxBodyBytes),
    };
    const port = Number(options.port);
    const logger = loggerFor(options);
    const workers = Number(options.workers);
    if (workers > 1 && !isClusterWorker()) {
      // Nothing is written to the data dir for a server that cannot bind its port.
      await assertCanListen(port, options.host);
      await runClusterPrimary({
        workers,
        logger,
        // Key generation and migrations happen once, here, before any worker opens the store.
        prepare: async () => {
          const engine = await openTokenEngine(config);
          await engine.store.close();
          if (engine.generatedKeyPath) logger.warn({ path: engine.generatedKeyPath }, GENERATED_KEY_WARNING);
        },
      });
      return;
    }
    await startServing(async () => {
      // The port first: a port in use fails before the store or a key is created.
      const gate = deferredApp(config.maxBodyBytes as number);
      let stop: () => Promise<void> = async () => {};
      const server = await listen(gate, { port, host: options.host, logger, handleSignals: true, onClosed: () => stop() });
      let runtime;
      try {
        runtime = await buildRealApp(config, { logger });
      } catch (error) {
        await server.close();
        throw error;
      }
      const { built, tokens, generatedKeyPath } = runtime;
      const stopPurging = schedulePurge(tokens, logger);
      stop = () => {
        stopPurging();
        return runtime.close();
      };
      gate.open(built);
      announceReady();
      if (generatedKeyPath && !isClusterWorker()) logger.warn({ path: generatedKeyPath }, GENERATED_KEY_WARNING);
      if (!announcesStartup()) return;
      logger.info(
        {
          url: server.url,
          dataDir: config.dataDir,
          store: runtime.storeDescription,
          workers,
          signingKid: runtime.keys.signing.kid,
          routes: built.apis.flatMap((api) => api.operations.map((op) => `${api.name} ${op.method} ${server.url}${op.path}`)),
          docs: `${server.url}/docs`,
          hint: `mint a session: ${mintHint(options, config, built)}`,
        },
        `refreshd serve listening on ${server.url}`,
      );
    });
  });
}
