/**
 * The one place a backend is chosen: PostgreSQL when a database URL is configured, else the
 * SQLite file under the data dir. Each backend's settings live in its own config; nothing above
 * the store needs to know which one it got.
 */
import path from 'node:path';
import type { TokenStore } from './contract';
import { describeDatabaseUrl } from './database-url';
import type { PostgresStoreOptions } from './postgres';
import { migrateSqliteFile, openSqliteStore, type SqliteStoreOptions } from './sqlite';

export interface SqliteStoreConfig extends SqliteStoreOptions {
  backend: 'sqlite';
  filePath: string;
}

export interface PostgresStoreConfig extends Omit<PostgresStoreOptions, 'migrations'> {
  backend: 'postgres';
}

export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig;

/** What a command line configures about the store; each setting is used only by its backend. */
export interface StoreSettings {
  /** The SQLite file lives here (`refreshd.sqlite`) when no database URL is given. */
  dataDir: string;
  /** `postgres://…`: selects PostgreSQL. */
  databaseUrl?: string;
  /** SQLite only: `synchronous` in WAL mode. Default NORMAL. */
  sqliteSync?: 'NORMAL' | 'FULL';
  /** PostgreSQL only: connect (and pool wait) timeout, ms. Default 2000. */
  databaseConnectTimeoutMs?: number;
  /** PostgreSQL only: per-statement timeout, ms. Default 2000. */
  databaseStatementTimeoutMs?: number;
  /** PostgreSQL only: connections per process. Default 10. */
  databasePoolSize?: number;
}

export const SQLITE_FILE_NAME = 'refreshd.sqlite';

export function storeConfig(settings: StoreSettings): StoreConfig {
  if (settings.databaseUrl) {
    return {
      backend: 'postgres',
      url: settings.databaseUrl,
      connectTimeoutMs: settings.databaseConnectTimeoutMs,
      statementTimeoutMs: settings.databaseStatementTimeoutMs,
      poolSize: settings.databasePoolSize,
    };
  }
  return {
    backend: 'sqlite',
    filePath: path.join(settings.dataDir, SQLITE_FILE_NAME),
    synchronous: settings.sqliteSync ?? 'NORMAL',
    // The checkpointer thread keeps WAL fsyncs off the event loop of a server.
    backgroundCheckpoints: true,
  };
}

/** Whether instances on several machines can share this store (and so must share their keys). */
export function isSharedStore(config: StoreConfig): boolean {
  return config.backend === 'postgres';
}

/** Where the store is, for logs and banners: a path, or the database URL without its password. */
export function describeStore(config: StoreConfig): string {
  return config.backend === 'postgres' ? describeDatabaseUrl(config.url) : config.filePath;
}

export interface OpenStoreOptions {
  /**
   * `apply` (default): create the store if needed and bring its schema up to date. `require`:
   * change nothing, and refuse a store that is missing or not at this refreshd's schema.
   */
  migrations?: 'apply' | 'require';
}

/** Opens the configured store, migrated (or checked) as `options` say. */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<TokenStore> {
  const migrations = options.migrations ?? 'apply';
  // The PostgreSQL driver is loaded only by a process configured for it.
  if (config.backend === 'postgres') return (await import('./postgres')).openPostgresStore({ ...config, migrations });
  const { backend: _backend, filePath, ...sqliteOptions } = config;
  return openSqliteStore(filePath, { ...sqliteOptions, migrations });
}

/** Creates the configured store if needed and applies the migrations it lacks; says from which schema version to which. */
export async function migrateStore(config: StoreConfig): Promise<{ from: number; to: number }> {
  return config.backend === 'postgres' ? (await import('./postgres')).migratePostgresUrl(config) : migrateSqliteFile(config.filePath);
}
