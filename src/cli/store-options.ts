import type { Command } from 'commander';
import type { StoreSettings } from '../store/factory';
import { envOption, integerParser } from './options';

/** Ten minutes: a longer wait is a typo (the client gave up long before). */
const parseTimeoutMs = integerParser({ min: 1, max: 600_000, unit: 'ms' });
const parsePoolSize = integerParser({ min: 1, max: 1000, unit: 'connections' });

/** PostgreSQL's options, for every command that opens the store (serve, sessions, migrate). */
export function addDatabaseOptions(command: Command): Command {
  return command
    .addOption(envOption('--database-url <url>', 'PostgreSQL store shared by every instance (postgres://user:password@host:port/db); without it, SQLite under --data-dir', 'DATABASE_URL'))
    .addOption(envOption('--database-connect-timeout <ms>', 'PostgreSQL: longest wait for a connection before answering 503', 'REFRESHD_DATABASE_CONNECT_TIMEOUT_MS', '2000').argParser(parseTimeoutMs))
    .addOption(envOption('--database-statement-timeout <ms>', 'PostgreSQL: longest statement before answering 503', 'REFRESHD_DATABASE_STATEMENT_TIMEOUT_MS', '2000').argParser(parseTimeoutMs))
    .addOption(envOption('--database-pool-size <n>', 'PostgreSQL: connections per process', 'REFRESHD_DATABASE_POOL_SIZE', '10').argParser(parsePoolSize));
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
