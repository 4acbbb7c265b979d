import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_EXAMPLES, DEFAULT_GRACE_SECONDS } from '../contract/defaults';
import type { ProgressEvent } from '../contract/runner';
import { catalogueOf } from '../spec/catalogue';
import { apiNamesOption, envOption, integerParser, parseApiList, specsDirOption } from './options';

function collectApis(value: string, previous: string[] | undefined): string[] {
  return [...new Set([...(previous ?? []), ...parseApiList(value)])];
}

/** `<api>=<token>` pairs; the token itself is never echoed in an error. */
function parsePairs(values: string[], flag: string, known: readonly string[]): Record<string, string> {
  const isApiName = (name: string) => known.includes(name);
  const pairs: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const api = eq === -1 ? '' : value.slice(0, eq).trim();
    const token = eq === -1 ? '' : value.slice(eq + 1).trim();
    if (!token || !isApiName(api)) throw new InvalidArgumentError(`${flag} takes <api>=<token> with api one of ${known.join(', ')}`);
    pairs[api] = token;
  }
  return pairs;
}

/**
 * `<api>.<scheme>=<credential>` pairs: api → security scheme name → credential (the scheme is
 * checked against the api's document when the run loads it). The value is never echoed.
 */
function parseSchemeCredentials(values: string[], known: readonly string[]): Record<string, Record<string, string>> {
  const credentials: Record<string, Record<string, string>> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const target = eq === -1 ? '' : value.slice(0, eq).trim();
    const dot = target.indexOf('.');
    const api = dot === -1 ? '' : target.slice(0, dot);
    const scheme = dot === -1 ? '' : target.slice(dot + 1);
    const credential = eq === -1 ? '' : value.slice(eq + 1).trim();
    if (!credential || !scheme || !known.includes(api)) {
      throw new InvalidArgumentError(`--credential takes <api>.<security scheme>=<credential> with api one of ${known.join(', ')}`);
    }
    (credentials[api] ??= {})[scheme] = credential;
  }
  return credentials;
}

const parseGraceSeconds = integerParser({ min: 0, max: 86_400, unit: 'seconds' });
const parseTimeoutMs = integerParser({ min: 1, max: 600_000, unit: 'ms' });
const parseExamples = integerParser({ min: 0, max: 100_000 });

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
const fromEnv = (name: string) => (process.env[name] ?? '').split(',').map((v) => v.trim()).filter(Boolean);

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL, e.g. http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http(s) URL');
  return value;
}

/** A seed as fast-check takes it: an integer in 0 … 2³¹−1. */
function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seed) || seed >= 2 ** 31) throw new InvalidArgumentError('must be an integer from 0 to 2147483647');
  return seed;
}

const REPORT_FORMATS = ['table', 'json'] as const;

function parseReportFormat(value: string): (typeof REPORT_FORMATS)[number] {
  if (!(REPORT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${REPORT_FORMATS.join(', ')}`);
  return value as (typeof REPORT_FORMATS)[number];
}

/**
 * Progress on stderr: on a terminal one line per api, rewritten in place as requests go and
 * left standing when the api is done; elsewhere (a CI log, a pipe) only the log lines.
 */
export class Progress {
  private api: string | undefined;
  private line = '';

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(event: ProgressEvent): void {
    if (!this.stream.isTTY) return;
    if (this.api !== undefined && this.api !== event.api) this.finish();
    this.api = event.api;
    const failing = event.failures > 0 ? `, ${event.failures} failing` : '';
    const where = event.phase === 'done' ? `${event.operationId} done` : `${event.operationId} · ${event.phase} phase`;
    this.line = `${event.api}: ${where} · ${event.requests} requests${failing}`;
    this.stream.write(`\r\u001b[K${this.line}`);
  }

  log(text: string): void {
    if (!this.stream.isTTY) return void console.error(text);
    this.stream.write(`\r\u001b[K${text}\n${this.line}`);
  }

  /** Leaves the current api's line standing. */
  finish(): void {
    if (this.stream.isTTY && this.line) this.stream.write(`\r\u001b[K${this.line}\n`);
    this.line = '';
  }
}

/** Exit status of a usage or connection error (a failed check exits 1). */
const USAGE_ERROR = 2;

/** The admin token as given; an empty one (an unset `$T` in a script) would turn minting off silently. */
function parseAdminToken(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('is empty (an unset shell variable?): without it no session can be minted and the checks that need real tokens would be skipped');
  return value;
}

export function contractCommand(): Command {
  const command = new Command('contract');
  return command
    .description('Run the checks derived from the documents + overlays against a server (refreshd serve or mock, or another implementation)')
    .argument('<base-url>', 'where the apis are served, e.g. http://127.0.0.1:8080', parseBaseUrl)
    .addOption(
      apiNamesOption(envOption('--apis <list>', 'apis to check, comma-separated or repeated (default: every document of --specs-dir; none when --spec is given)', 'REFRESHD_APIS'), false, collectApis),
    )
    .addOption(specsDirOption())
    .addOption(
      new Option('--spec <file>', 'also check the server against this OpenAPI 3.0/3.1 document (YAML or JSON), repeatable; the token-aware checks run only for refreshd\'s apis').argParser(
        collect,
      ),
    )
    .addOption(
      envOption('--examples <n>', 'generated requests per operation, valid and invalid each (0: no generative phase)', 'REFRESHD_CONTRACT_EXAMPLES', String(DEFAULT_EXAMPLES)).argParser(
        parseExamples,
      ),
    )
    .addOption(envOption('--seed <n>', 'seed of the generated requests: the same seed sends the same requests (default: random, printed)', 'REFRESHD_CONTRACT_SEED').argParser(parseSeed))
    .addOption(envOption('--report <format>', `what stdout gets: ${REPORT_FORMATS.join(' or ')}`, 'REFRESHD_CONTRACT_REPORT', 'table').argParser(parseReportFormat))
    .addOption(envOption('--admin-token <token>', "refreshd's admin token: the checks mint their own sessions", 'REFRESHD_ADMIN_TOKEN').argParser(parseAdminToken))
    .addOption(
      new Option(
        '--token <api=refresh-token>',
        'a refresh token for a server that cannot mint, repeatable (it is rotated and finally replayed, which revokes its session) [env: REFRESHD_CONTRACT_TOKENS, comma-separated]',
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '--bearer <api=credential>',
        'the Bearer credential (access token or API key) to go with --token where the api declares bearer security, repeatable [env: REFRESHD_CONTRACT_BEARERS]',
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '--api-key <api=key>',
        "the credential of the api's apiKey security schemes (one of the target's API keys), repeatable [env: REFRESHD_CONTRACT_API_KEYS, comma-separated]",
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '--credential <api.scheme=credential>',
        'the credential of one security scheme of an api, by its name in the document: an API key, user:password for http basic, a token; repeatable [env: REFRESHD_CONTRACT_CREDENTIALS, comma-separated]',
      ).argParser(collect),
    )
    .addOption(envOption('--junit <file>', 'also write a JUnit XML report to <file> (missing directories are created)', 'REFRESHD_CONTRACT_JUNIT'))
    .addOption(
      envOption('--grace-seconds <n>', "the target's reuse grace window; the rotation check waits it out once", 'REFRESHD_GRACE_SECONDS', String(DEFAULT_GRACE_SECONDS)).argParser(
        parseGraceSeconds,
      ),
    )
    .option('--no-wait', 'do not wait out the grace window: the rotation check is skipped unless it is 0')
    .addOption(envOption('--timeout <ms>', 'per-request timeout', 'REFRESHD_CONTRACT_TIMEOUT_MS', '10000').argParser(parseTimeoutMs))
    // Usage errors exit 2, as a connection error does; exit 1 is kept for a failed check.
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR))
    .action(async (baseUrl: string, options) => {
      let tokens: Record<string, string>;
      let bearers: Record<string, string>;
      let apiKeys: Record<string, string>;
      let credentials: Record<string, Record<string, string>>;
      try {
        const known = catalogueOf(options.specsDir).names;
        tokens = parsePairs([...fromEnv('REFRESHD_CONTRACT_TOKENS'), ...(options.token ?? [])], '--token', known);
        bearers = parsePairs([...fromEnv('REFRESHD_CONTRACT_BEARERS'), ...(options.bearer ?? [])], '--bearer', known);
        apiKeys = parsePairs([...fromEnv('REFRESHD_CONTRACT_API_KEYS'), ...(options.apiKey ?? [])], '--api-key', known);
        credentials = parseSchemeCredentials([...fromEnv('REFRESHD_CONTRACT_CREDENTIALS'), ...(options.credential ?? [])], known);
      } catch (error) {
        return command.error(`error: ${(error as Error).message}`, { exitCode: USAGE_ERROR, code: 'refreshd.invalidArgument' });
      }
      // With --spec alone no api of refreshd's is checked, and no token could be used.
      const checksRefreshdApis = Boolean(options.apis) || !options.spec;
      if (checksRefreshdApis && !options.adminToken && Object.keys(tokens).length === 0) {
        console.error('warning: no --admin-token and no --token: the checks that need real tokens (positive_data_acceptance, rotation) will be skipped');
      }
      // Loaded here, not at the top: every command line defines this command, only `contract` runs it.
      const { runContract, CredentialOptionError, TargetUnreachableError } = await import('../contract/runner');
      const { consoleStyle, formatConsoleReport, toJson, toJUnitXml } = await import('../contract/report');
      const { DocumentLoadError } = await import('../spec/documents');
      let report: Awaited<ReturnType<typeof runContract>>;
      const progress = new Progress(process.stderr);
      try {
        report = await runContract({
          baseUrl,
          specsDir: options.specsDir,
          apis: options.apis,
          specs: options.spec,
          adminToken: options.adminToken,
          tokens,
          bearers,
          apiKeys,
          credentials,
          graceSeconds: Number(options.graceSeconds),
          wait: options.wait !== false,
          examples: Number(options.examples),
          seed: options.seed,
          timeoutMs: Number(options.timeout),
          log: (line) => progress.log(line),
          progress: (event) => progress.update(event),
        });
      } catch (error) {
        if (!(error instanceof TargetUnreachableError) && !(error instanceof DocumentLoadError) && !(error instanceof CredentialOptionError)) throw error;
        // A --spec that cannot be loaded, or a credential of no declared scheme, is a usage error, worded as commander words them.
        if (error instanceof DocumentLoadError) console.error(`error: --spec: ${error.message.replace(/^refreshd: /, '')}`);
        else console.error(error instanceof CredentialOptionError ? `error: ${error.message}` : `refreshd contract: ${error.message}`);
        process.exitCode = USAGE_ERROR;
        return;
      } finally {
        progress.finish();
      }
      console.log(options.report === 'json' ? toJson(report).trimEnd() : formatConsoleReport(report, consoleStyle(process.stdout)));
      if (options.junit) {
        mkdirSync(path.dirname(path.resolve(options.junit)), { recursive: true });
        writeFileSync(options.junit, toJUnitXml(report));
        console.log(`JUnit report written to ${options.junit}`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
