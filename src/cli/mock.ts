import { Command, InvalidArgumentError } from 'commander';
import { apiNamesOption, booleanEnvOption, envOption, specsDirOption } from './options';
import { addListenOptions, loggerFor } from './serve';

/** A seed as `Prefer: seed=` takes it: a safe integer. */
function parseSeed(value: string): number {
  if (!/^[+-]?\d{1,16}$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

export function mockCommand(): Command {
  return addListenOptions(
    new Command('mock')
      .description('Serve every operation from its document alone (examples or schema-valid samples), like Prism')
      .addOption(apiNamesOption(envOption('--apis <list>', 'comma-separated apis to serve (default: every document of --specs-dir)', 'REFRESHD_APIS')))
      .addOption(specsDirOption())
      .addOption(booleanEnvOption('-d, --dynamic', 'generate bodies from the schemas instead of the examples (a request can still say Prefer: dynamic=false)', 'REFRESHD_MOCK_DYNAMIC'))
      .addOption(envOption('--seed <n>', 'seed of dynamic bodies: the same seed gives the same body (a request can still say Prefer: seed=<n>)', 'REFRESHD_MOCK_SEED').argParser(parseSeed)),
  ).action(async (options) => {
    // Loaded here, not at the top: the mock's sampler is no part of the other commands.
    const { startMockServer } = await import('../app/mock-server');
    await startMockServer({
      port: Number(options.port),
      host: options.host,
      specsDir: options.specsDir,
      apis: options.apis,
      logger: loggerFor(options),
      defaults: { dynamic: options.dynamic === true ? true : undefined, seed: options.seed },
    });
  });
}
