import { Command } from 'commander';
import { announcesStartup, isClusterWorker, runClusterPrimary, startServing } from '../app/cluster';
import { createLogger } from '../app/logger';
import { listen } from '../app/listen';
import { buildRealApp, openTokenEngine, schedulePurge } from '../app/real-server';
import { addEngineOptions, engineConfig } from './engine-options';
import { envOption, parseApiList, parseNonNegativeInt, parsePort, parsePositiveInt } from './options';

const GENERATED_KEY_WARNING = 'no signing key configured: generated an HS256 key in the data dir (configure --key-file for production)';

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('The real server: JWTs, rotation with reuse detection, revocation; SQLite store, or PostgreSQL shared by many instances')
    .addOption(envOption('-p, --port <n>', 'port to listen on', 'REFRESHD_PORT', '8080').argParser(parsePort))
    .addOption(envOption('--host <host>', 'address to bind', 'REFRESHD_HOST', '127.0.0.1'))
    .addOption(envOption('--apis <list>', 'comma-separated apis to serve (default: all five)', 'REFRESHD_APIS').argParser(parseApiList))
    .addOption(envOption('--admin-token <token>', 'serve the admin api, protected by this bearer token', 'REFRESHD_ADMIN_TOKEN'))
    .addOption(envOption('--insecure-cookies', 'omit Secure on refresh cookies (plain-http development only)', 'REFRESHD_INSECURE_COOKIES'))
    .addOption(envOption('--max-body-bytes <n>', 'largest request body accepted', 'REFRESHD_MAX_BODY_BYTES', '65536').argParser(parseNonNegativeInt))
    .addOption(envOption('--debug', 'send internal error details (session envelope `error`)', 'REFRESHD_DEBUG'))
    .addOption(envOption('--log-level <level>', 'pino log level', 'REFRESHD_LOG_LEVEL', 'info'))
    .addOption(envOption('--workers <n>', 'processes sharing the port and the store (node:cluster)', 'REFRESHD_WORKERS', '1').argParser(parsePositiveInt));
  return addEngineOptions(command).action(async (options) => {
    const logger = createLogger(options.logLevel);
    const config = {
      ...engineConfig(options),
      apis: options.apis,
      secureCookies: !options.insecureCookies,
      debug: Boolean(options.debug),
      maxBodyBytes: Number(options.maxBodyBytes),
    };
    const workers = Number(options.workers);
    if (workers > 1 && !isClusterWorker()) {
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
      const runtime = await buildRealApp(config, { logger });
      if (runtime.generatedKeyPath) logger.warn({ path: runtime.generatedKeyPath }, GENERATED_KEY_WARNING);
      const stopPurging = schedulePurge(runtime.tokens, logger);
      const server = await listen(runtime.built.handler, {
        port: Number(options.port),
        host: options.host,
        logger,
        handleSignals: true,
        onClosed: () => {
          stopPurging();
          return runtime.close();
        },
      });
      if (!announcesStartup()) return;
      const lines = [
        `refreshd serve listening on ${server.url} (store: ${runtime.storeDescription})${workers > 1 ? ` with ${workers} workers` : ''}`,
        ...runtime.built.apis.flatMap((api) => api.operations.map((op) => `  ${api.name.padEnd(10)} ${op.method} ${server.url}${op.path}`)),
        `  docs       ${server.url}/docs`,
        `mint a session: npx refreshd sessions create --api watchr --sub alice --data-dir ${config.dataDir}`,
        // Also in the banner, not only in the (asynchronous) log: whoever reads the banner sees it, in order.
        ...(runtime.generatedKeyPath ? [`warning: ${GENERATED_KEY_WARNING}: ${runtime.generatedKeyPath}`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  });
}
