import { randomInt, randomUUID } from 'node:crypto';
import { catalogueOf } from '../spec/catalogue';
import { findResponseSpec } from '../app/response-validation';
import { loadDocument } from '../spec/documents';
import type { CompiledOperation, SecuritySchemeSpec } from '../spec/registry';
import {
  credentialSlots,
  forgeToken,
  forgedCredentialCases,
  requestIsValid,
  validRequest,
  withCredentials,
  type CasePhase,
  type CaseRequest,
  type CredentialSlots,
  type Credentials,
  type JsonPath,
  type RequestCase,
} from './cases';
import {
  CASE_CHECKS,
  CHECK_NAMES,
  failingChecks,
  judge,
  RESPONSE_CHECKS,
  skipped,
  type CheckName,
  type CheckResult,
  type CheckStatus,
  type Exchange,
  type ReceivedResponse,
} from './checks';
import { coverageCases, unsupportedMethodCases } from './coverage';
import { curlCommand, type PrintedRequest } from './curl';
import { DEFAULT_EXAMPLES, DEFAULT_GRACE_SECONDS } from './defaults';
import { knownApi, specFileApi, type CheckedApi } from './documents';
import { explore, invalidRequestArbitrary, phaseSeed, validRequestArbitrary } from './generative';
import { applyEdit } from './mutations';
import { takesBearer } from './security';
import { requestBody, requestHeaders, requestUrl } from './wire';

export type { PrintedRequest } from './curl';

export interface ContractClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** What the run is doing, for a progress display: one event per phase of each operation, and as requests go. */
export interface ProgressEvent {
  api: string;
  operationId: string;
  phase: CasePhase | 'done';
  /** Requests sent for the api so far. */
  requests: number;
  /** Failing exchanges seen for the api so far. */
  failures: number;
}

export interface ContractOptions {
  /** Where the apis are served, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Where refreshd's api documents are (default the project's `specs/`). */
  specsDir?: string;
  /** Which of its apis to check (default: all, or none when `specs` are given). */
  apis?: readonly string[];
  /** Further OpenAPI 3.0/3.1 documents (files) to check the server against. */
  specs?: readonly string[];
  /** refreshd's admin token: sessions are minted through `POST /admin/sessions`. */
  adminToken?: string;
  /** A refresh token per api, for servers that cannot mint (each is rotated, and finally replayed, by the run). */
  tokens?: Partial<Record<string, string>>;
  /** A Bearer credential per api whose operation declares bearer security (an access token or API key). */
  bearers?: Partial<Record<string, string>>;
  /** api → security scheme name → its credential (an API key, `user:password` for basic, a token). */
  credentials?: Partial<Record<string, Record<string, string>>>;
  /** An API key per api: the credential of its apiKey schemes, and of any scheme it checks against the server's API keys. */
  apiKeys?: Partial<Record<string, string>>;
  /** The target's reuse grace window, waited out once per run by `rotation`. Default 10. */
  graceSeconds?: number;
  /** false: do not wait out the grace window; `rotation` is then skipped when it is not 0. */
  wait?: boolean;
  /** Generated requests per operation, valid and invalid each (the generative phase). Default 100; 0 skips the phase. */
  examples?: number;
  /** Seed of the generative phase: the same seed sends the same requests. Default: a random one (reported). */
  seed?: number;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Time as the waits see it (tests inject a fake one; the default is the wall clock). */
  clock?: ContractClock;
  /** Progress lines (never a token). */
  log?: (line: string) => void;
  progress?: (event: ProgressEvent) => void;
}

export interface PrintedResponse {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  error?: string;
}

/** A failing case as reported: request and response with every token value replaced by a placeholder. */
export interface ReportedFailure {
  operationId: string;
  caseName: string;
  phase: CasePhase;
  message: string;
  request: PrintedRequest;
  response: PrintedResponse;
  /** The request as a `curl` command line (token values as placeholders). */
  curl: string;
  /** A generated failure shrunk to its smallest request: how many smaller failing requests it went through. */
  shrunk?: { steps: number; originalCase: string };
}

export interface ReportedCheck {
  check: CheckName;
  status: CheckStatus;
  cases: number;
  /** The time of the requests the check judged, over every operation of the api. */
  durationMs: number;
  reason?: string;
  note?: string;
  failures: ReportedFailure[];
}

/** What one operation was sent, and which of its declared responses came back. */
export interface OperationCoverage {
  operationId: string;
  method: string;
  path: string;
  /** Requests per phase; `shrinking` counts the smaller requests tried for generated failures. */
  requests: Record<CasePhase | 'shrinking', number>;
  /** Each declared response (status code, range or `default`) and whether an answer fell under it. */
  responses: Array<{ status: string; observed: boolean }>;
  /** Statuses received that the document does not declare. */
  undeclared: number[];
}

export interface ApiReport {
  api: string;
  /** A document given with --spec: the token-aware checks do not run. */
  spec?: boolean;
  operations: string[];
  requests: number;
  durationMs: number;
  checks: ReportedCheck[];
  coverage: OperationCoverage[];
}

export interface ContractReport {
  baseUrl: string;
  /** The generative phase's seed: `--seed` replays the same requests. */
  seed: number;
  /** Generated requests per operation and kind (valid, invalid). */
  examples: number;
  apis: ApiReport[];
  /** Problems outside any one check (e.g. minting failed although an admin token was given). */
  errors: string[];
  totals: Record<CheckStatus, number>;
  durationMs: number;
  /** No check failed and no error occurred. */
  ok: boolean;
}

/** Waited beyond the grace window, for clock granularity between us and the server. */
const GRACE_MARGIN_MS = 500;
const REDACTED = '<redacted>';
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const REFRESH_TOKEN_NAME = /^refresh[-_]?token$/i;
const ACCESS_TOKEN_NAME = /^access[-_]?token$/i;
const NO_CREDENTIALS = 'no credentials: pass --admin-token (a refreshd target) or --token <api>=<refresh token>';

/** How to give the credential of a scheme the run has none for. */
function credentialHint(api: string, scheme: SecuritySchemeSpec): string {
  const general = `--credential ${api}.${scheme.name}=<${scheme.type === 'http' && scheme.scheme === 'basic' ? 'user:password' : 'value'}>`;
  if (scheme.type === 'apiKey') return `--api-key ${api}=<key> or ${general}`;
  if (takesBearer(scheme)) return `--admin-token (a refreshd target), --bearer ${api}=<access token or API key> or ${general}`;
  return general;
}
const UNKNOWN_API =
  'a --spec document, not one of refreshd\'s apis: no credentials can be minted for it, so the token-aware checks (real tokens accepted, forged ones refused, rotation) do not run';

const wallClock: ContractClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

let mintPath: string | undefined;

/** The admin document's path for minting a session (its `admin_create_session` operation). */
function adminMintPath(): string {
  if (mintPath) return mintPath;
  const { document } = loadDocument('admin');
  for (const [path, item] of Object.entries<any>(document.paths ?? {})) {
    if (item?.post?.operationId === 'admin_create_session') mintPath = path;
  }
  if (!mintPath) throw new Error('the admin document has no admin_create_session operation');
  return mintPath;
}

function isSuccess(exchange: Exchange): boolean {
  const status = exchange.response?.status ?? 0;
  return status >= 200 && status < 300;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first string property named like `pattern`, searched depth-first. */
function findStringProperty(value: unknown, pattern: RegExp): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (pattern.test(key) && typeof child === 'string' && child) return child;
  }
  for (const child of Object.values(value)) {
    const found = findStringProperty(child, pattern);
    if (found) return found;
  }
  return undefined;
}

function cookieValue(setCookies: string[], name: (cookieName: string) => boolean): string | undefined {
  for (const line of setCookies) {
    const eq = line.indexOf('=');
    if (eq === -1 || !name(line.slice(0, eq).trim())) continue;
    const value = line.slice(eq + 1).split(';')[0].trim().replace(/^"(.*)"$/, '$1');
    if (value) return value;
  }
  return undefined;
}

/** The string at `path` of a JSON value. */
function stringAt(value: unknown, path: JsonPath | undefined): string | undefined {
  if (!path) return undefined;
  const found = path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
  return typeof found === 'string' && found ? found : undefined;
}

/**
 * The refresh token an accepted response hands back: where the api's declaration says (its
 * reply cookie or body property), else the request's cookie, a body property or a cookie named like it.
 */
function rotatedRefreshToken(response: ReceivedResponse, slots: CredentialSlots): string | undefined {
  const slot = slots.refreshToken;
  const cookie = slots.reply?.cookie ?? (slot?.in === 'cookie' ? slot.name : undefined);
  const body = parseJson(response.text);
  return (
    (cookie ? cookieValue(response.setCookies, (name) => name === cookie) : undefined) ??
    stringAt(body, slots.reply?.refreshToken) ??
    findStringProperty(body, REFRESH_TOKEN_NAME) ??
    cookieValue(response.setCookies, (name) => REFRESH_TOKEN_NAME.test(name))
  );
}

/** The subject claim of a JWT, read without verifying (to fill a body `sub` for a supplied token). */
function subjectOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims?.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

function transportErrorText(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}

/** Where the checks got to for one operation: the exchanges, plus what only the runner knows. */
interface OperationRun {
  api: CheckedApi;
  operation: CompiledOperation;
  /** The exchanges the checks judge (a generated failure only by its shrunk reproduction). */
  exchanges: Exchange[];
  requests: OperationCoverage['requests'];
  /** Every status the operation answered with (an unsupported method's only when it was the 405). */
  statuses: Set<number>;
  credentialReason?: string;
  positiveAccepted: boolean;
  rotation: CheckResult;
  /** The rotation's last step, replaying the replaced token, due once the grace window has passed. */
  pendingReplay?: { dueAt: number; replay: () => Promise<void> };
}

type Send = (requestCase: RequestCase, judged?: boolean) => Promise<Exchange>;

/**
 * A generated request's case, of the kind the document's validators give it: a draw that
 * turns out otherwise than it was drawn to be is judged for what it is, and says so.
 */
function generatedCase(operation: CompiledOperation, request: CaseRequest, name: string, drawnValid: boolean): RequestCase {
  const valid = requestIsValid(operation, request);
  const label = valid === drawnValid ? name : `${name} (${valid ? 'accepted' : 'refused'} by the document's validators after all)`;
  return { name: label, kind: valid ? 'valid' : 'negative', request, phase: 'generative' };
}

/** One contract run: the options, the secrets seen so far (for redaction), the chains of supplied tokens. */
class ContractRun {
  readonly errors: string[] = [];
  /** Every token value seen, with the label that stands for it in the output. */
  private readonly secrets = new Map<string, string>();
  private readonly labelCounts = new Map<string, number>();
  private readonly chains = new Map<string, Credentials>();
  private readonly fetchImpl: typeof fetch;
  private readonly clock: ContractClock;
  private readonly baseUrl: string;
  private readonly progress = new Map<string, { requests: number; failures: number }>();

  constructor(
    private readonly options: ContractOptions,
    readonly seed: number,
    readonly examples: number,
  ) {
    this.fetchImpl = options.fetch ?? fetch;
    this.clock = options.clock ?? wallClock;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (options.adminToken) this.secrets.set(options.adminToken, '<admin token>');
    for (const [api, token] of Object.entries(options.tokens ?? {})) if (token) this.secrets.set(token, `<${api} refresh token given>`);
    for (const [api, token] of Object.entries(options.bearers ?? {})) if (token) this.secrets.set(token, `<${api} bearer given>`);
    for (const [api, key] of Object.entries(options.apiKeys ?? {})) if (key) this.givenSecret(key, `<${api} API key given>`);
    for (const [api, schemes] of Object.entries(options.credentials ?? {})) {
      for (const [scheme, value] of Object.entries(schemes ?? {})) if (value) this.givenSecret(value, `<${api} ${scheme} credential given>`);
    }
  }

  /** A credential given on the command line, also as Basic carries it (base64), so neither form is ever printed. */
  private givenSecret(value: string, label: string): void {
    this.secrets.set(value, label);
    this.secrets.set(Buffer.from(value).toString('base64'), label);
  }

  private get graceSeconds(): number {
    return this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private reportProgress(api: string, operationId: string, phase: ProgressEvent['phase']): void {
    const counts = this.progress.get(api) ?? { requests: 0, failures: 0 };
    this.options.progress?.({ api, operationId, phase, ...counts });
  }

  /**
   * Registers a token value; the output shows `<refresh token 2>` in its place, so steps stay
   * tellable apart. `alsoBase64`: a credential that may travel as Basic, hidden in that form too.
   */
  private secret(value: string | undefined, kind: string, alsoBase64 = false): void {
    if (!value || this.secrets.has(value)) return;
    const count = (this.labelCounts.get(kind) ?? 0) + 1;
    this.labelCounts.set(kind, count);
    this.secrets.set(value, `<${kind} ${count}>`);
    if (alsoBase64) this.secrets.set(Buffer.from(value).toString('base64'), `<${kind} ${count}>`);
  }

  private remember(credentials: Credentials): Credentials {
    this.secret(credentials.refreshToken, 'refresh token');
    this.secret(credentials.accessToken, 'access token');
    return credentials;
  }

  /** The credential for each scheme the operation's requests fill, as given for the api (or the admin token, where the api checks a scheme against it). */
  private schemeCredentials(api: CheckedApi, slots: CredentialSlots): Record<string, string> {
    const schemes: Record<string, string> = {};
    for (const scheme of slots.security) {
      const checkedAgainst = api.declaration?.security[scheme.name];
      const value =
        this.options.credentials?.[api.name]?.[scheme.name] ??
        (scheme.type === 'apiKey' || checkedAgainst === 'api-keys' ? this.options.apiKeys?.[api.name] : undefined) ??
        (checkedAgainst === 'admin-token' ? this.options.adminToken : undefined);
      if (value) schemes[scheme.name] = value;
    }
    return schemes;
  }

  /** Every known token replaced by its label, and anything else shaped like a JWT by `<redacted>`. */
  redact(text: string): string {
    let redacted = text;
    for (const [secret, label] of [...this.secrets].sort(([a], [b]) => b.length - a.length)) {
      if (secret.length >= 4 && redacted.includes(secret)) redacted = redacted.split(secret).join(label);
    }
    return redacted.replace(JWT_LIKE, REDACTED);
  }

  async send(operation: CompiledOperation, requestCase: RequestCase): Promise<Exchange> {
    const { request } = requestCase;
    const startedAt = performance.now();
    const elapsed = () => performance.now() - startedAt;
    try {
      const response = await this.fetchImpl(requestUrl(this.baseUrl, request), {
        method: request.method,
        headers: requestHeaders(request),
        body: requestBody(request),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name.toLowerCase() !== 'set-cookie') headers[name.toLowerCase()] = value;
      });
      const setCookies =
        typeof response.headers.getSetCookie === 'function'
          ? response.headers.getSetCookie()
          : ([response.headers.get('set-cookie')].filter(Boolean) as string[]);
      const text = await response.text();
      return { operation, case: requestCase, response: { status: response.status, headers, setCookies, text }, durationMs: elapsed() };
    } catch (error) {
      return { operation, case: requestCase, transportError: transportErrorText(error), durationMs: elapsed() };
    }
  }

  /** Mints a session through refreshd's admin api; throws with the reason when it cannot. */
  private async mint(api: string): Promise<Credentials> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${adminMintPath()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.adminToken}`, 'content-type': 'application/json' },
        // A UUID4 subject suits every api (pathstack requires one).
        body: JSON.stringify({ api, sub: randomUUID() }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new Error(`could not mint a ${api} session: ${transportErrorText(error)}`);
    }
    const text = await response.text();
    const body = parseJson(text) as Record<string, unknown> | undefined;
    if (response.status !== 201 || typeof body?.refresh_token !== 'string') {
      throw new Error(`could not mint a ${api} session: POST ${adminMintPath()} answered ${response.status} ${this.redact(text).slice(0, 200)}`);
    }
    return this.remember({
      refreshToken: body.refresh_token,
      accessToken: typeof body.access_token === 'string' ? body.access_token : undefined,
      sub: typeof body.sub === 'string' ? body.sub : undefined,
    });
  }

  /** Real credentials for one operation: a fresh session, or the chain of a supplied token. */
  private async credentialsFor(checked: CheckedApi, operation: CompiledOperation, slots: CredentialSlots): Promise<{ credentials?: Credentials; reason?: string }> {
    const api = operation.api;
    let credentials: Credentials | undefined = this.chains.get(api);
    if (!credentials && this.options.tokens?.[api]) {
      const refreshToken = this.options.tokens[api] as string;
      credentials = { refreshToken, accessToken: this.options.bearers?.[api], sub: subjectOf(refreshToken) };
    } else if (!credentials && this.options.adminToken) {
      try {
        credentials = await this.mint(api);
      } catch (error) {
        this.errors.push(`${api}: ${(error as Error).message}`);
        return { reason: (error as Error).message };
      }
    }
    if (!credentials) return { reason: NO_CREDENTIALS };
    if (this.options.bearers?.[api] && !credentials.accessToken) credentials = { ...credentials, accessToken: this.options.bearers[api] };
    const schemes = this.schemeCredentials(checked, slots);
    credentials = { ...credentials, schemes: { ...credentials.schemes, ...schemes } };
    for (const scheme of slots.security) {
      if (schemes[scheme.name] || (takesBearer(scheme) && credentials.accessToken)) continue;
      return { reason: `no credential for the ${scheme.type} scheme ${scheme.name}: pass ${credentialHint(api, scheme)}` };
    }
    for (const value of Object.values(schemes)) this.secret(forgeToken(value), 'forged credential', true);
    return { credentials };
  }

  /** Follows an accepted response: the rotated refresh token and the new access token replace the old. */
  private advance(credentials: Credentials, exchange: Exchange, slots: CredentialSlots): Credentials {
    if (!exchange.response || !isSuccess(exchange)) return credentials;
    const refreshToken = rotatedRefreshToken(exchange.response, slots) ?? credentials.refreshToken;
    const body = parseJson(exchange.response.text);
    const accessToken = stringAt(body, slots.reply?.accessToken) ?? findStringProperty(body, ACCESS_TOKEN_NAME);
    const next = this.remember({ ...credentials, refreshToken, accessToken: slots.bearer && accessToken ? accessToken : credentials.accessToken });
    if (this.options.tokens?.[exchange.operation.api]) this.chains.set(exchange.operation.api, next);
    return next;
  }

  /**
   * Every phase for one operation: a first valid request, then with real credentials (where
   * the api is one of refreshd's and they can be had) the rotation scenario, then the
   * coverage phase and the generative phase, all with the credentials of the moment (each
   * accepted request rotates them). `unsupportedMethods` are the path's other methods.
   */
  async runOperation(api: CheckedApi, operation: CompiledOperation, unsupportedMethods: RequestCase[]): Promise<OperationRun> {
    const slots = credentialSlots(operation);
    const run: OperationRun = {
      api,
      operation,
      exchanges: [],
      requests: { coverage: 0, generative: 0, scenario: 0, shrinking: 0 },
      statuses: new Set(),
      positiveAccepted: false,
      rotation: skipped('rotation', 'not a refresh operation'),
    };
    const counts = this.progress.get(api.name) ?? { requests: 0, failures: 0 };
    this.progress.set(api.name, counts);
    const send: Send = async (requestCase, judged = true) => {
      const exchange = await this.send(operation, requestCase);
      run.requests[requestCase.phase ?? 'coverage'] += 1;
      counts.requests += 1;
      const status = exchange.response?.status;
      if (status !== undefined && (requestCase.kind !== 'unsupported-method' || status === 405)) run.statuses.add(status);
      if (judged) {
        run.exchanges.push(exchange);
        if (failingChecks(exchange).length > 0) counts.failures += 1;
      }
      return exchange;
    };
    const needsCredentials = Boolean(slots.refreshToken) || slots.security.length > 0;

    this.reportProgress(api.name, operation.operationId, 'coverage');
    const first = await send({
      name: needsCredentials ? 'valid request, made-up credentials' : 'valid request',
      kind: needsCredentials ? 'valid' : 'positive',
      phase: 'coverage',
      request: validRequest(operation),
    });
    if (first.transportError) {
      this.errors.push(`${api.name}: ${this.baseUrl} did not answer: ${first.transportError}`);
      run.credentialReason = 'the server did not answer';
      run.rotation = skipped('rotation', 'the server did not answer');
      return run;
    }

    let current: Credentials | undefined;
    if (!needsCredentials) run.positiveAccepted = isSuccess(first);
    else {
      const obtained = api.known ? await this.credentialsFor(api, operation, slots) : { reason: UNKNOWN_API };
      current = obtained.credentials;
      run.credentialReason = obtained.reason;
      if (!current && slots.refreshToken) run.rotation = skipped('rotation', obtained.reason as string);
    }
    if (current) current = await this.scenario(run, slots, current, send);
    const advance = (exchange: Exchange) => {
      if (current) current = this.advance(current, exchange, slots);
    };

    // The cases are rebuilt on the credentials of the moment; the same base gives the same list.
    for (let index = 0; ; index++) {
      const cases = coverageCases(operation, validRequest(operation, current), { credentialAware: Boolean(current) });
      if (index >= cases.length) break;
      advance(await send(cases[index]));
    }
    for (const requestCase of unsupportedMethods) await send(requestCase);

    if (this.examples > 0) {
      this.reportProgress(api.name, operation.operationId, 'generative');
      const context = { formats: api.formats };
      const execute = async (requestCase: RequestCase) => {
        const exchange = await send(requestCase, false);
        advance(exchange);
        if (failingChecks(exchange).length > 0) counts.failures += 1;
        return exchange;
      };
      const seed = (kind: string) => phaseSeed(this.seed, api.name, operation.operationId, kind);
      const valid = await explore(
        validRequestArbitrary(operation, context),
        { numRuns: this.examples, seed: seed('valid') },
        (shape) => execute(generatedCase(operation, withCredentials(operation, shape, current), 'generated valid request', true)),
        failingChecks,
      );
      const invalidArbitrary = invalidRequestArbitrary(operation, context);
      const invalid = invalidArbitrary
        ? await explore(
            invalidArbitrary,
            { numRuns: this.examples, seed: seed('invalid') },
            ({ shape, mutation }) =>
              execute(generatedCase(operation, applyEdit(withCredentials(operation, shape, current), mutation.edit), `generated invalid request, ${mutation.constraint}`, false)),
            failingChecks,
          )
        : undefined;
      for (const exploration of [valid, invalid]) {
        if (!exploration) continue;
        run.exchanges.push(...exploration.judged);
        run.requests.generative -= exploration.shrinkRequests;
        run.requests.shrinking += exploration.shrinkRequests;
      }
    }
    this.reportProgress(api.name, operation.operationId, 'done');
    return run;
  }

  /**
   * The scenario with real credentials: a valid request is accepted, forged credentials are
   * refused, the rotated refresh token works. Returns the credentials it leaves current.
   */
  private async scenario(run: OperationRun, slots: CredentialSlots, original: Credentials, send: Send): Promise<Credentials> {
    const { operation } = run;
    const positive = await send({ name: 'valid request, real credentials', kind: 'positive', phase: 'scenario', request: validRequest(operation, original) });
    const originalUsedAt = this.clock.now();
    run.positiveAccepted = isSuccess(positive);
    if (!run.positiveAccepted) {
      run.credentialReason = 'the valid request with real credentials was not accepted (see positive_data_acceptance)';
      if (slots.refreshToken) run.rotation = skipped('rotation', run.credentialReason);
      return original;
    }
    let current = this.advance(original, positive, slots);
    this.secret(forgeToken(current.refreshToken), 'forged refresh token');
    this.secret(current.accessToken && forgeToken(current.accessToken), 'forged bearer');
    for (const requestCase of forgedCredentialCases(operation, current)) current = this.advance(current, await send(requestCase), slots);
    if (slots.refreshToken) current = await this.rotation(run, slots, original, originalUsedAt, positive, current, send);
    return current;
  }

  /**
   * The rotated refresh token works, and the one it replaced fails once the grace window
   * has passed: that last step is left in `run.pendingReplay`, for {@link replayAfterGraceWindow}.
   */
  private async rotation(
    run: OperationRun,
    slots: CredentialSlots,
    original: Credentials,
    originalUsedAt: number,
    accepted: Exchange,
    current: Credentials,
    send: Send,
  ): Promise<Credentials> {
    const { operation } = run;
    const result: CheckResult = { check: 'rotation', status: 'pass', cases: 0, durationMs: 0, failures: [] };
    run.rotation = result;
    const failWith = (exchange: Exchange, message: string): void => {
      result.status = 'fail';
      result.failures.push({ caseName: exchange.case.name, message, exchange });
    };
    const judged = (exchange: Exchange): void => {
      result.cases += 1;
      result.durationMs += exchange.durationMs;
    };
    const rotated = rotatedRefreshToken(accepted.response as ReceivedResponse, slots);
    judged(accepted);
    if (!rotated) {
      failWith(accepted, 'the accepted refresh carries no new refresh token (no refresh token cookie or body property)');
      return current;
    }
    if (rotated === original.refreshToken) {
      failWith(accepted, 'the accepted refresh handed back the same refresh token: it was not rotated');
      return current;
    }

    const successor = await send({ name: 'rotation: the new refresh token works', kind: 'rotation', phase: 'scenario', request: validRequest(operation, current) });
    judged(successor);
    if (!isSuccess(successor)) {
      failWith(successor, `the rotated refresh token was refused (${successor.response?.status ?? successor.transportError})`);
      return current;
    }
    const latest = this.advance(current, successor, slots);

    if (this.graceSeconds > 0 && this.options.wait === false) {
      run.rotation = { ...result, status: 'skipped', reason: `replaying the old refresh token needs the ${this.graceSeconds} s grace window waited out (--no-wait)` };
      return latest;
    }
    run.pendingReplay = {
      dueAt: this.graceSeconds > 0 ? originalUsedAt + this.graceSeconds * 1000 + GRACE_MARGIN_MS : 0,
      replay: async () => {
        const replay = await send({
          name: 'rotation: the old refresh token after the grace window',
          kind: 'rotation',
          phase: 'scenario',
          request: validRequest(operation, { ...latest, refreshToken: original.refreshToken }),
        });
        judged(replay);
        const status = replay.response?.status;
        if (status === undefined) failWith(replay, `no response: ${replay.transportError}`);
        else if (status < 300) failWith(replay, `the replaced refresh token was accepted again (${status}) after the grace window`);
        else if (status < 400) failWith(replay, `the replaced refresh token was answered ${status}, not a 4xx`);
      },
    };
    return latest;
  }

  /**
   * The one wait of the run, shared by every refresh operation (a live server's clock cannot
   * be moved): until the grace window of the last token replaced has passed, then the replays.
   */
  async replayAfterGraceWindow(runs: OperationRun[]): Promise<void> {
    const pending = runs.filter((run) => run.pendingReplay);
    if (pending.length === 0) return;
    const remainingMs = Math.max(...pending.map((run) => run.pendingReplay!.dueAt)) - this.clock.now();
    if (remainingMs > 0) {
      const apis = [...new Set(pending.map((run) => run.api.name))].join(', ');
      this.log(`rotation: waiting ${(remainingMs / 1000).toFixed(1)} s for the ${this.graceSeconds} s reuse grace window to pass (${apis})`);
      await this.clock.sleep(remainingMs);
    }
    for (const run of pending) await run.pendingReplay!.replay();
  }

  /** Every check's result for one operation. */
  results(run: OperationRun, checksUnsupportedMethods: boolean): CheckResult[] {
    const results = new Map<CheckName, CheckResult>();
    for (const [check, verdict] of Object.entries(RESPONSE_CHECKS)) results.set(check as CheckName, judge(check as CheckName, run.exchanges, verdict));
    for (const [check, { kind, verdict }] of Object.entries(CASE_CHECKS)) {
      const ofKind = run.exchanges.filter((exchange) => exchange.case.kind === kind);
      results.set(check as CheckName, judge(check as CheckName, ofKind, verdict));
    }
    results.set('rotation', run.rotation);

    const slots = credentialSlots(run.operation);
    const reasons: Partial<Record<CheckName, string>> = {
      negative_data_rejection: 'not applicable: the document states no constraint a request can break',
      positive_data_acceptance: run.credentialReason ?? 'no valid request was judged (a 5xx is not_a_server_error\'s)',
      missing_required_header: 'not applicable: the operation declares no required header',
      unsupported_method: checksUnsupportedMethods ? 'not applicable: the path declares every method' : 'checked with the first operation of the path',
      ignored_auth: run.credentialReason ?? 'the document declares no credentials',
    };
    for (const check of CHECK_NAMES) {
      const result = results.get(check) as CheckResult;
      if (result.status !== 'pass' || result.cases > 0) continue;
      results.set(check, skipped(check, reasons[check] ?? 'no response to judge'));
    }
    const ignoredAuth = results.get('ignored_auth') as CheckResult;
    if (ignoredAuth.status === 'pass' && (slots.refreshToken || slots.security.length > 0) && !run.positiveAccepted) {
      ignoredAuth.note = `forged-credential cases not run: ${run.credentialReason}`;
    }
    return CHECK_NAMES.map((check) => results.get(check) as CheckResult);
  }

  printedRequest(request: CaseRequest): PrintedRequest {
    const headers = Object.fromEntries(Object.entries(requestHeaders(request)).map(([name, value]) => [name, this.redact(value)]));
    const body = requestBody(request);
    return { method: request.method, url: this.redact(requestUrl(this.baseUrl, request)), headers, ...(body === undefined ? {} : { body: this.redact(body) }) };
  }

  printedResponse(exchange: Exchange): PrintedResponse {
    if (!exchange.response) return { headers: {}, error: exchange.transportError };
    const noise = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(exchange.response.headers)) if (!noise.has(name)) headers[name] = this.redact(value);
    if (exchange.response.setCookies.length > 0) headers['set-cookie'] = exchange.response.setCookies.map((c) => this.redact(c)).join('\n');
    return { status: exchange.response.status, headers, body: this.redact(exchange.response.text) };
  }

  reportedFailure(failure: CheckResult['failures'][number]): ReportedFailure {
    const { exchange } = failure;
    const request = this.printedRequest(exchange.case.request);
    return {
      operationId: exchange.operation.operationId,
      caseName: failure.caseName,
      phase: exchange.case.phase ?? 'coverage',
      message: this.redact(failure.message),
      request,
      response: this.printedResponse(exchange),
      curl: curlCommand(request),
      ...(exchange.shrunk ? { shrunk: { steps: exchange.shrunk.steps, originalCase: exchange.shrunk.original.case.name } } : {}),
    };
  }
}

/** One check over every operation of an api: failed if any failed, passed if any passed, else skipped. */
function mergeResults(check: CheckName, results: CheckResult[]): CheckResult {
  const failed = results.filter((r) => r.status === 'fail');
  const passed = results.filter((r) => r.status === 'pass');
  const cases = results.reduce((sum, r) => sum + r.cases, 0);
  const durationMs = results.reduce((sum, r) => sum + r.durationMs, 0);
  const unique = (values: Array<string | undefined>) => [...new Set(values.filter(Boolean))].join('; ') || undefined;
  if (failed.length > 0) return { check, status: 'fail', cases, durationMs, failures: failed.flatMap((r) => r.failures) };
  if (passed.length > 0) return { check, status: 'pass', cases, durationMs, failures: [], note: unique(passed.map((r) => r.note)) };
  return { check, status: 'skipped', cases: 0, durationMs: 0, failures: [], reason: unique(results.map((r) => r.reason)) };
}

/** Which declared responses an operation's answers fell under, and the statuses it does not declare. */
function responseCoverage(run: OperationRun): Pick<OperationCoverage, 'responses' | 'undeclared'> {
  const observed = new Set<string>();
  const undeclared: number[] = [];
  for (const status of run.statuses) {
    const spec = findResponseSpec(run.operation, status);
    if (spec) observed.add(spec.status);
    else undeclared.push(status);
  }
  return {
    responses: [...run.operation.responses.keys()].map((status) => ({ status, observed: observed.has(status) })),
    undeclared: undeclared.sort((a, b) => a - b),
  };
}

/** A credential given for a security scheme the api does not declare: a usage error, found before anything is sent. */
export class CredentialOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialOptionError';
  }
}

/** Each `credentials` entry names a security scheme its api declares. */
function checkGivenCredentials(targets: CheckedApi[], credentials: ContractOptions['credentials']): void {
  for (const [api, schemes] of Object.entries(credentials ?? {})) {
    const target = targets.find((checked) => checked.known && checked.name === api);
    if (!target) continue;
    const declared = Object.keys(target.compiled.definition.components?.securitySchemes ?? {});
    for (const scheme of Object.keys(schemes ?? {})) {
      if (declared.includes(scheme)) continue;
      const known = declared.length > 0 ? `its schemes: ${declared.join(', ')}` : 'it declares none';
      throw new CredentialOptionError(`--credential ${api}.${scheme}: ${api} declares no security scheme "${scheme}" (${known})`);
    }
  }
}

/** The target could not be reached at all: no check can say anything about it. */
export class TargetUnreachableError extends Error {
  constructor(readonly baseUrl: string, readonly reason: string) {
    super(`cannot reach ${baseUrl}: ${reason}`);
    this.name = 'TargetUnreachableError';
  }
}

/** Any HTTP answer to `GET <baseUrl>` (even a 404) shows the target is there. */
async function ensureReachable(options: ContractOptions): Promise<void> {
  const fetchImpl = options.fetch ?? fetch;
  try {
    const response = await fetchImpl(options.baseUrl, { redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    await response.arrayBuffer();
  } catch (error) {
    // fetch's own message is "fetch failed"; the cause says why (connect ECONNREFUSED 127.0.0.1:8080).
    const cause = (error as Error & { cause?: { message?: string } }).cause?.message;
    throw new TargetUnreachableError(options.baseUrl, cause ?? (error as Error).message);
  }
}

/** A seed for a run that was given none. */
export const randomSeed = (): number => randomInt(2 ** 31);

/** refreshd's chosen apis, then the --spec documents (a name shared with another gets a suffix). */
async function checkedApis(options: ContractOptions): Promise<CheckedApi[]> {
  const specs = options.specs ?? [];
  const catalogue = catalogueOf(options.specsDir);
  const entries = options.apis ? catalogue.select(options.apis) : specs.length > 0 ? [] : catalogue.apis;
  const apis: CheckedApi[] = [];
  for (const entry of entries) apis.push(await knownApi(entry));
  for (const file of specs) {
    const api = await specFileApi(file);
    let name = api.name;
    for (let n = 2; apis.some((other) => other.name === name); n++) name = `${api.name} (${n})`;
    apis.push({ ...api, name });
  }
  return apis;
}

/**
 * Runs every check against every operation of the chosen apis (and --spec documents) at
 * `baseUrl`: the coverage phase, the generative phase and, with real credentials, the
 * rotation scenario. Never throws for what the server does; a check lacking credentials is
 * skipped (never counted as passed). Throws `DocumentLoadError` for a --spec document that
 * cannot be loaded, {@link CredentialOptionError} for a credential of a scheme the api does
 * not declare, and {@link TargetUnreachableError} when nothing answers at `baseUrl`.
 */
export async function runContract(options: ContractOptions): Promise<ContractReport> {
  const startedAt = Date.now();
  const targets = await checkedApis(options);
  checkGivenCredentials(targets, options.credentials);
  await ensureReachable(options);
  const run = new ContractRun(options, options.seed ?? randomSeed(), options.examples ?? DEFAULT_EXAMPLES);
  options.log?.(`seed ${run.seed} (--seed ${run.seed} sends the same generated requests again)`);
  const started: Array<{ api: CheckedApi; runs: Array<{ run: OperationRun; checksUnsupportedMethods: boolean }>; durationMs: number }> = [];
  for (const api of targets) {
    const apiStartedAt = Date.now();
    const runs: Array<{ run: OperationRun; checksUnsupportedMethods: boolean }> = [];
    const pathsSeen = new Set<string>();
    for (const operation of api.compiled.operations) {
      const first = !pathsSeen.has(operation.path);
      pathsSeen.add(operation.path);
      const declared = api.compiled.operations.filter((op) => op.path === operation.path).map((op) => op.method);
      const unsupported = first ? unsupportedMethodCases(operation.path, declared, validRequest(operation).pathParameters) : [];
      runs.push({ run: await run.runOperation(api, operation, unsupported), checksUnsupportedMethods: first });
    }
    started.push({ api, runs, durationMs: Date.now() - apiStartedAt });
  }
  await run.replayAfterGraceWindow(started.flatMap(({ runs }) => runs.map((r) => r.run)));

  const apis: ApiReport[] = [];
  for (const { api, runs, durationMs } of started) {
    const perOperation = runs.map(({ run: operationRun, checksUnsupportedMethods }) => run.results(operationRun, checksUnsupportedMethods));
    const checks = CHECK_NAMES.map((check, i) => {
      const merged = mergeResults(check, perOperation.map((results) => results[i]));
      const failures = merged.failures.map((failure) => run.reportedFailure(failure));
      return { check, status: merged.status, cases: merged.cases, durationMs: merged.durationMs, reason: merged.reason, note: merged.note, failures };
    });
    apis.push({
      api: api.name,
      ...(api.known ? {} : { spec: true }),
      operations: runs.map(({ run: r }) => r.operation.operationId),
      requests: runs.reduce((sum, { run: r }) => sum + Object.values(r.requests).reduce((a, b) => a + b, 0), 0),
      durationMs,
      checks,
      coverage: runs.map(({ run: r }) => ({
        operationId: r.operation.operationId,
        method: r.operation.method,
        path: r.operation.path,
        requests: r.requests,
        ...responseCoverage(r),
      })),
    });
  }
  const totals: Record<CheckStatus, number> = { pass: 0, fail: 0, skipped: 0 };
  for (const api of apis) for (const check of api.checks) totals[check.status] += 1;
  return {
    baseUrl: options.baseUrl,
    seed: run.seed,
    examples: run.examples,
    apis,
    errors: run.errors.map((error) => run.redact(error)),
    totals,
    durationMs: Date.now() - startedAt,
    ok: totals.fail === 0 && run.errors.length === 0,
  };
}
