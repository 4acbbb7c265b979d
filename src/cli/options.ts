import { type Command, InvalidArgumentError, Option } from 'commander';
import { API_NAMES, isApiName, type ApiName } from '../api-names';

/** A flag that also reads `REFRESHD_<NAME>` from the environment. */
export function envOption(flags: string, description: string, env: string, defaultValue?: string): Option {
  const option = new Option(flags, description).env(env);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/** Where each boolean flag reads its variable from: commander's own `.env()` turns a flag on for any value, `false` included. */
const booleanEnvOf = new WeakMap<Option, string>();

/**
 * An on/off flag whose variable takes `1/true/yes/on` or `0/false/no/off` (any case), read by
 * {@link readBooleanEnv} before the command's action (the program's `preAction` hook).
 */
export function booleanEnvOption(flags: string, description: string, env: string): Option {
  const option = new Option(flags, `${description} (env: ${env}=true|false)`);
  booleanEnvOf.set(option, env);
  return option;
}

/** The variable a flag made by {@link booleanEnvOption} reads; undefined for any other option. */
export function booleanEnvVariable(option: Option): string | undefined {
  return booleanEnvOf.get(option);
}

/** The variable's value as a boolean; anything else names the variable and the accepted words. */
export function parseBooleanEnv(env: string, value: string): boolean {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new InvalidArgumentError(`${env} must be one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')} (any case)`);
}

/** Sets every boolean flag of `command` that was not given on the command line from its variable. */
export function readBooleanEnv(command: Command): void {
  for (const option of command.options) {
    const env = booleanEnvOf.get(option);
    const raw = env === undefined ? undefined : process.env[env];
    if (env === undefined || raw === undefined || raw === '') continue;
    const key = option.attributeName();
    if (command.getOptionValueSource(key) === 'cli') continue;
    command.setOptionValueWithSource(key, parseBooleanEnv(env, raw), 'env');
  }
}

export interface IntegerBounds {
  min: number;
  max: number;
  /** Says what the bound is for, e.g. "at least 1 KiB". */
  unit?: string;
}

/**
 * A parser for an integer written in decimal digits only (no sign, exponent, hex or fraction:
 * `1e3` and `0x10` are typos, not numbers), within `[min, max]`; a refusal names the bound.
 */
export function integerParser(bounds: IntegerBounds): (value: string) => number {
  return (value: string) => {
    const text = value.trim();
    if (!/^[0-9]+$/.test(text)) throw new InvalidArgumentError(`must be a whole number in decimal digits (${describeBounds(bounds)})`);
    const n = Number(text);
    if (n < bounds.min) throw new InvalidArgumentError(`must be at least ${bounds.min}${bounds.unit ? ` ${bounds.unit}` : ''}`);
    if (n > bounds.max) throw new InvalidArgumentError(`must be at most ${bounds.max}${bounds.unit ? ` ${bounds.unit}` : ''}`);
    return n;
  };
}

function describeBounds(bounds: IntegerBounds): string {
  return `${bounds.min} to ${bounds.max}${bounds.unit ? ` ${bounds.unit}` : ''}`;
}

export const parsePort = integerParser({ min: 0, max: 65535 });

export function parseApiName(name: string): ApiName {
  if (!isApiName(name)) throw new InvalidArgumentError(`unknown api "${name}" (one of ${API_NAMES.join(', ')})`);
  return name;
}

export function parseApiList(value: string): ApiName[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`names no api (one or more of ${API_NAMES.join(', ')}, comma-separated)`);
  return [...new Set(names.map(parseApiName))];
}
