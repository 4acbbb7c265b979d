import { Command } from 'commander';
import { envOption, parseApiList, parsePort } from './options';

export function mockCommand(): Command {
  return new Command('mock')
    .description('Serve every operation from its document alone (examples or schema-valid samples), like Prism')
    .addOption(envOption('-p, --port <n>', 'port to listen on', 'REFRESHD_PORT', '8080').argParser(parsePort))
    .addOption(envOption('--host <host>', 'address to bind', 'REFRESHD_HOST', '127.0.0.1'))
    .addOption(envOption('--apis <list>', 'comma-separated apis to serve (default: all five)', 'REFRESHD_APIS').argParser(parseApiList))
    .addOption(envOption('--log-level <level>', 'pino log level', 'REFRESHD_LOG_LEVEL', 'info'))
    .action(async (options) => {
      // Loaded here, not at the top: the mock's sampler is no part of the other commands.
      const { startMockServer } = await import('../app/mock-server');
      await startMockServer({
        port: Number(options.port),
        host: options.host,
        apis: options.apis,
        logLevel: options.logLevel,
      });
    });
}
