import { Command } from 'commander';
import { REFRESHD_VERSION } from '../version';
import { contractCommand } from './contract';
import { keysCommand } from './keys';
import { migrateCommand } from './migrate';
import { mockCommand } from './mock';
import { checkApiNames, readBooleanEnv } from './options';
import { serveCommand } from './serve';
import { sessionsCommand } from './sessions';

/** The whole command line: serve, mock, sessions, keys, contract, migrate. */
export function buildProgram(): Command {
  return new Command('refreshd')
    .description('OpenAPI-first server, mock and contract checker for token-refresh apis, driven by their documents')
    .version(REFRESHD_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError()
    // Boolean flags read their variables here: commander's own `.env()` would turn them on for "false".
    .hook('preAction', (_program, actionCommand) => {
      readBooleanEnv(actionCommand);
      checkApiNames(actionCommand);
    })
    .addCommand(serveCommand())
    .addCommand(mockCommand())
    .addCommand(sessionsCommand())
    .addCommand(keysCommand())
    .addCommand(contractCommand())
    .addCommand(migrateCommand());
}

/** `refreshd <command>`. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    console.error(`refreshd: ${(error as Error).message.replace(/^refreshd: /, '')}`);
    process.exitCode = 1;
  }
}
