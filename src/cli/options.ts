import { InvalidArgumentError, Option } from 'commander';
import { API_NAMES, isApiName, type ApiName } from '../api-names';

/** A flag that also reads `REFRESHD_<NAME>` from the environment. */
export function envOption(flags: string, description: string, env: string, defaultValue?: string): Option {
  const option = new Option(flags, description).env(env);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return port;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function parseApiList(value: string): ApiName[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) if (!isApiName(name)) throw new InvalidArgumentError(`unknown api "${name}" (one of ${API_NAMES.join(', ')})`);
  return names as ApiName[];
}
