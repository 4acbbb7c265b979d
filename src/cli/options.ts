import { type Command, InvalidArgumentError, Option } from 'commander';
import { API_NAME, catalogueOf } from '../spec/catalogue';

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

/** An api name as written; whether the documents hold it is checked by {@link checkApiNames}. */
export function parseApiName(name: string): string {
  const trimmed = name.trim();
  if (!API_NAME.test(trimmed)) throw new InvalidArgumentError(`"${name}" is not an api name (lower-case letters, digits, - and _)`);
  return trimmed;
}

export function parseApiList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('names no api (one or more api names, comma-separated)');
  return [...new Set(names.map(parseApiName))];
}

/** The options that name apis, checked against the documents once every option is known. */
const namesApis = new WeakSet<Option>();

/** An option whose value is one api name (`single`), a comma-separated list of them, or what `parser` collects. */
export function apiNamesOption(option: Option, single = false, parser?: (value: string, previous: string[] | undefined) => string[]): Option {
  namesApis.add(option);
  if (parser) return option.argParser(parser);
  return single ? option.argParser(parseApiName) : option.argParser(parseApiList);
}

/** `--specs-dir`: the folder whose `<name>.yaml` documents are the apis. */
export function specsDirOption(): Option {
  return envOption('--specs-dir <dir>', "the api documents: every <name>.yaml in it is an api, its overlays in <dir>/overlays (default: refreshd's own specs/)", 'REFRESHD_SPECS_DIR');
}

/**
 * Checks every api name given to `command` against the documents of its `--specs-dir` (the
 * program's `preAction` hook, after parsing, so the flags' order does not matter). An unknown
 * name, or a documents folder that cannot be read, is the command's usage error.
 */
export function checkApiNames(command: Command): void {
  const options = command.options.filter((option) => namesApis.has(option) && command.getOptionValue(option.attributeName()) !== undefined);
  if (options.length === 0) return;
  let known: readonly string[];
  try {
    known = catalogueOf(command.getOptionValue('specsDir')).names;
  } catch (error) {
    return command.error(`error: ${(error as Error).message.replace(/^refreshd: /, '')}`, { code: 'refreshd.invalidArgument', exitCode: 1 });
  }
  for (const option of options) {
    const value = command.getOptionValue(option.attributeName()) as string | string[];
    for (const name of Array.isArray(value) ? value : [value]) {
      if (!known.includes(name)) {
        command.error(`error: option '${option.flags}' argument '${name}' is invalid. unknown api "${name}" (one of ${known.join(', ')})`, { code: 'commander.invalidArgument', exitCode: 1 });
      }
    }
  }
}
