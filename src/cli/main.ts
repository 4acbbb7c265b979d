import { Command } from 'commander';
import { contractCommand } from './contract';
import { migrateCommand } from './migrate';
import { mockCommand } from './mock';
import { serveCommand } from './serve';
import { sessionsCommand } from './sessions';

/** `refreshd <command>`: serve, mock, sessions, contract, migrate. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('refreshd')
    .description('OpenAPI-first server, mock and contract checker for five token-refresh apis')
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(mockCommand())
    .addCommand(sessionsCommand())
    .addCommand(contractCommand())
    .addCommand(migrateCommand());
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    console.error(`refreshd: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
