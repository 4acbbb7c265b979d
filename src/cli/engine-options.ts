import type { Command } from 'commander';
import type { ServeConfig } from '../app/real-server';
import type { KeyConfig } from '../tokens/keys';
import { envOption, integerParser, specsDirOption } from './options';
import { addDatabaseOptions, databaseSettings } from './store-options';

const DAY_SECONDS = 24 * 3600;
/** No lifetime beyond ten years: a larger number is a typo, and would overflow a JWT's `exp` sooner or later. */
export const MAX_LIFETIME_SECONDS = 3650 * DAY_SECONDS;

const parseLifetime = integerParser({ min: 1, max: MAX_LIFETIME_SECONDS, unit: 'seconds' });
const parseGraceSeconds = integerParser({ min: 0, max: MAX_LIFETIME_SECONDS, unit: 'seconds' });

/** Options shared by `serve` and `sessions`: where the store and keys are, and token lifetimes. */
export function addEngineOptions(command: Command): Command {
  return addDatabaseOptions(command)
    .addOption(envOption('--data-dir <dir>', 'SQLite store and generated key', 'REFRESHD_DATA_DIR', './data'))
    .addOption(envOption('--key-file <files>', 'comma-separated signing key files (PEM or JWK), oldest first: the last signs, all verify', 'REFRESHD_KEY_FILES'))
    .addOption(envOption('--issuer <iss>', 'the iss claim', 'REFRESHD_ISSUER', 'refreshd'))
    .addOption(envOption('--access-ttl <seconds>', 'access token lifetime, at most the refresh lifetime', 'REFRESHD_ACCESS_TTL', '3600').argParser(parseLifetime))
    .addOption(envOption('--refresh-ttl <seconds>', 'refresh token idle lifetime (at most ten years)', 'REFRESHD_REFRESH_TTL', String(180 * DAY_SECONDS)).argParser(parseLifetime))
    .addOption(envOption('--session-ttl <seconds>', 'absolute session lifetime (at most ten years)', 'REFRESHD_SESSION_TTL', String(365 * DAY_SECONDS)).argParser(parseLifetime))
    .addOption(envOption('--grace-seconds <seconds>', 'reuse grace window: 0 allowed, shorter than the refresh lifetime', 'REFRESHD_GRACE_SECONDS', '10').argParser(parseGraceSeconds))
    .addOption(envOption('--sqlite-sync <mode>', 'NORMAL: survives a process crash; FULL: also an OS crash (an fsync per rotation)', 'REFRESHD_SQLITE_SYNC', 'NORMAL').choices(['NORMAL', 'FULL']))
    .addOption(envOption('--api-keys <keys>', "comma-separated API keys: accepted as almanac's Bearer credential and by apiKey schemes an overlay declares `api-keys`", 'REFRESHD_API_KEYS'))
    .addOption(specsDirOption());
}

/** A comma-separated flag value as a list without blanks. */
export const commaList = (value: unknown): string[] =>
  value === undefined ? [] : String(value).split(',').map((item) => item.trim()).filter(Boolean);

/**
 * The engine settings of a parsed command line, after the checks no single flag can make on
 * its own (each refusal names both flags and the bound).
 */
export function engineConfig(options: Record<string, any>): Omit<ServeConfig, 'secureCookies'> {
  const keys: KeyConfig[] = commaList(options.keyFile).map((file) => ({ path: file }));
  const accessTtlSeconds = Number(options.accessTtl);
  const refreshIdleTtlSeconds = Number(options.refreshTtl);
  const graceWindowSeconds = Number(options.graceSeconds);
  if (accessTtlSeconds > refreshIdleTtlSeconds) {
    throw new Error(`--access-ttl (${accessTtlSeconds} s) must not be longer than --refresh-ttl (${refreshIdleTtlSeconds} s)`);
  }
  if (graceWindowSeconds >= refreshIdleTtlSeconds) {
    throw new Error(`--grace-seconds (${graceWindowSeconds} s) must be shorter than --refresh-ttl (${refreshIdleTtlSeconds} s): a longer window never detects reuse`);
  }
  if (options.keyFile !== undefined && keys.length === 0) throw new Error('--key-file names no file');
  return {
    specsDir: options.specsDir,
    dataDir: options.dataDir,
    sqliteSync: options.sqliteSync,
    ...databaseSettings(options),
    keys,
    production: process.env.NODE_ENV === 'production',
    issuer: options.issuer,
    accessTtlSeconds,
    refreshIdleTtlSeconds,
    sessionAbsoluteTtlSeconds: Number(options.sessionTtl),
    graceWindowSeconds,
    apiKeys: commaList(options.apiKeys),
  };
}
