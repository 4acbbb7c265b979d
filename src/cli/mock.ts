import { Command, InvalidArgumentError } from 'commander';
import { apiNamesOption, booleanEnvOption, envOption, specsDirOption } from './options';
import { addListenOptions, loggerFor } from './serve';

/** A seed as `Prefer: seed=` takes it: a safe integer. */
function parseSeed(value: string): number {
  if (!/^[+-]?\d{1,16}$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

/** A document that cannot be mocked, said in one line (a meta-schema's findings joined); undefined for any other failure. */
function documentProblem(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error.name !== 'DocumentLoadError' && error.name !== 'DocumentFileError')) return undefined;
  return error.message.replace(/^refreshd: /, '').replace(/:?\n\s*/g, (separator) => (separator.startsWith(':') ? ': ' : '; '));
}

export function mockCommand(): Command {
  return addListenOptions(
    new Command('mock')
      .description('Serve every operation from its document alone (examples or schema-valid samples), like Prism')
      .argument('[documents...]', 'OpenAPI 3.0/3.1 documents (YAML or JSON) to mock instead of the apis of --specs-dir, each as the api named by its file name')
      .addOption(apiNamesOption(envOption('--apis <list>', 'comma-separated apis to serve (default: every document of --specs-dir; not with documents)', 'REFRESHD_APIS')))
      .addOption(specsDirOption())
      .addOption(booleanEnvOption('-d, --dynamic', 'generate bodies from the schemas instead of the examples (a request can still say Prefer: dynamic=false)', 'REFRESHD_MOCK_DYNAMIC'))
      .addOption(envOption('--seed <n>', 'seed of dynamic bodies: the same seed gives the same body (a request can still say Prefer: seed=<n>)', 'REFRESHD_MOCK_SEED').argParser(parseSeed)),
  ).action(async (documents: string[], options, command: Command) => {
    if (documents.length > 0 && command.getOptionValueSource('apis') === 'cli') {
      command.error('error: --apis names refreshd\'s apis; it cannot be combined with documents to mock');
    }
    // Loaded here, not at the top: the mock's sampler is no part of the other commands.
    const { startMockServer } = await import('../app/mock-server');
    try {
      await startMockServer({
        port: Number(options.port),
        host: options.host,
        specsDir: options.specsDir,
        apis: options.apis,
        documents,
        logger: loggerFor(options),
        defaults: { dynamic: options.dynamic === true ? true : undefined, seed: options.seed },
      });
    } catch (error) {
      const message = documentProblem(error);
      if (message === undefined) throw error;
      console.error(`refreshd mock: ${message}`);
      process.exitCode = 1;
    }
  });
}
