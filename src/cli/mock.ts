import { Command } from 'commander';
import { envOption, parseApiList } from './options';
import { addListenOptions, loggerFor } from './serve';

export function mockCommand(): Command {
  return addListenOptions(
    new Command('mock')
      .description('Serve every operation from its document alone (examples or schema-valid samples), like Prism')
      .addOption(envOption('--apis <list>', 'comma-separated apis to serve (default: all five)', 'REFRESHD_APIS').argParser(parseApiList)),
  ).action(async (options) => {
    // Loaded here, not at the top: the mock's sampler is no part of the other commands.
    const { startMockServer } = await import('../app/mock-server');
    await startMockServer({ port: Number(options.port), host: options.host, apis: options.apis, logger: loggerFor(options) });
  });
}
