import type { Command } from 'commander';
import type { StoreSettings } from '../store/factory';
import { envOption, parsePositiveInt } from './options';

/** PostgreSQL's options, for every command that opens the store (serve, sessions, migrate). */
export function addDatabaseOptions(command: Command): Command {
  return command
    .addOption(envOption('--database-url <url>', 'PostgreSQL store shared by every instance (postgres://user:password@host:port/db); without it, SQLite under --data-dir', 'DATABASE_URL'))
    .addOption(envOption('--database-connect-timeout <ms>', 'PostgreSQL: longest wait for a connection before answering 503', 'REFRESHD_DATABASE_CONNECT_TIMEOUT_MS', '2000').argParser(parsePositiveInt))
    .addOption(envOption('--database-statement-timeout <ms>', 'PostgreSQL: longest statement before answering 503', 'REFRESHD_DATABASE_STATEMENT_TIMEOUT_MS', '2000').argParser(parsePositiveInt))
    .addOption(envOption('--database-pool-size <n>', 'PostgreSQL: connections per process', 'REFRESHD_DATABASE_POOL_SIZE', '10').argParser(parsePositiveInt));
}

/** What those options set, for the store factory. */
export function databaseSettings(options: Record<string, any>): Omit<StoreSettings, 'dataDir' | 'sqliteSync'> {
  return {
    databaseUrl: options.databaseUrl || undefined,
    databaseConnectTimeoutMs: Number(options.databaseConnectTimeout),
    databaseStatementTimeoutMs: Number(options.databaseStatementTimeout),
    databasePoolSize: Number(options.databasePoolSize),
  };
}
