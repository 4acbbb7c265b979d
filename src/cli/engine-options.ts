import type { Command } from 'commander';
import type { ServeConfig } from '../app/real-server';
import type { KeyConfig } from '../tokens/keys';
import { envOption, parseApiList, parseNonNegativeInt, parsePositiveInt } from './options';
import { addDatabaseOptions, databaseSettings } from './store-options';

/** Options shared by `serve` and `sessions`: where the store and keys are, and token lifetimes. */
export function addEngineOptions(command: Command): Command {
  return addDatabaseOptions(command)
    .addOption(envOption('--data-dir <dir>', 'SQLite store and generated key', 'REFRESHD_DATA_DIR', './data'))
    .addOption(envOption('--key-file <files>', 'comma-separated signing key files (PEM or JWK); newest last signs, all verify', 'REFRESHD_KEY_FILES'))
    .addOption(envOption('--issuer <iss>', 'the iss claim', 'REFRESHD_ISSUER', 'refreshd'))
    .addOption(envOption('--access-ttl <seconds>', 'access token lifetime', 'REFRESHD_ACCESS_TTL', '3600').argParser(parsePositiveInt))
    .addOption(envOption('--refresh-ttl <seconds>', 'refresh token idle lifetime', 'REFRESHD_REFRESH_TTL', String(180 * 24 * 3600)).argParser(parsePositiveInt))
    .addOption(envOption('--session-ttl <seconds>', 'absolute session lifetime', 'REFRESHD_SESSION_TTL', String(365 * 24 * 3600)).argParser(parsePositiveInt))
    .addOption(envOption('--grace-seconds <seconds>', 'reuse grace window (0 allowed)', 'REFRESHD_GRACE_SECONDS', '10').argParser(parseNonNegativeInt))
    .addOption(envOption('--sqlite-sync <mode>', 'NORMAL: survives a process crash; FULL: also an OS crash (an fsync per rotation)', 'REFRESHD_SQLITE_SYNC', 'NORMAL').choices(['NORMAL', 'FULL']))
    .addOption(envOption('--api-keys <keys>', 'comma-separated almanac Bearer API keys', 'REFRESHD_API_KEYS'));
}

export function engineConfig(options: Record<string, any>): Omit<ServeConfig, 'secureCookies'> {
  const keyFiles: string[] = options.keyFile ? String(options.keyFile).split(',').map((f: string) => f.trim()).filter(Boolean) : [];
  const keys: KeyConfig[] = keyFiles.map((file) => ({ path: file }));
  return {
    dataDir: options.dataDir,
    sqliteSync: options.sqliteSync,
    ...databaseSettings(options),
    keys,
    production: process.env.NODE_ENV === 'production',
    issuer: options.issuer,
    accessTtlSeconds: Number(options.accessTtl),
    refreshIdleTtlSeconds: Number(options.refreshTtl),
    sessionAbsoluteTtlSeconds: Number(options.sessionTtl),
    graceWindowSeconds: Number(options.graceSeconds),
    apiKeys: options.apiKeys ? String(options.apiKeys).split(',').map((k: string) => k.trim()).filter(Boolean) : [],
    adminToken: options.adminToken,
    apis: options.apis ? parseApiList(String(options.apis)) : undefined,
  };
}
