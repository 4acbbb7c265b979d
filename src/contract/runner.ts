import { randomUUID } from 'node:crypto';
import { API_DESCRIPTORS, API_NAMES, type ApiName } from '../apis';
import { loadDocument } from '../spec/documents';
import { compileApi, type CompiledApi, type CompiledOperation } from '../spec/registry';
import { DEFAULT_GRACE_SECONDS } from './defaults';
import {
  credentialSlots,
  forgeToken,
  forgedCredentialCases,
  missingBearerCases,
  negativeCases,
  validRequest,
  type CaseRequest,
  type CredentialSlots,
  type Credentials,
  type RequestCase,
} from './cases';
import {
  CASE_CHECKS,
  CHECK_NAMES,
  judge,
  RESPONSE_CHECKS,
  skipped,
  type CheckName,
  type CheckResult,
  type CheckStatus,
  type Exchange,
  type ReceivedResponse,
} from './checks';

export interface ContractClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface ContractOptions {
  /** Where the apis are served, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Which apis to check (default: all five). */
  apis?: readonly ApiName[];
  /** refreshd's admin token: sessions are minted through `POST /admin/sessions`. */
  adminToken?: string;
  /** A refresh token per api, for servers that cannot mint (each is rotated, and finally replayed, by the run). */
  tokens?: Partial<Record<string, string>>;
  /** A Bearer credential per api whose operation declares bearer security (an access token or API key). */
  bearers?: Partial<Record<string, string>>;
  /** The target's reuse grace window, waited out once per run by `rotation`. Default 10. */
  graceSeconds?: number;
  /** false: do not wait out the grace window; `rotation` is then skipped when it is not 0. */
  wait?: boolean;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Time as the waits see it (tests inject a fake one; the default is the wall clock). */
  clock?: ContractClock;
  /** Progress lines (never a token). */
  log?: (line: string) => void;
}

export interface PrintedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface PrintedResponse {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  error?: string;
}

/** A failing case as reported: request and response with every token value redacted. */
export interface ReportedFailure {
  operationId: string;
  caseName: string;
  message: string;
  request: PrintedRequest;
  response: PrintedResponse;
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

export interface ApiReport {
  api: string;
  operations: string[];
  requests: number;
  durationMs: number;
  checks: ReportedCheck[];
}

export interface ContractReport {
  baseUrl: string;
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

const wallClock: ContractClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

const compiled = new Map<string, Promise<CompiledApi>>();

/** The api's document + overlay, compiled once per process. */
function compiledApi(name: ApiName): Promise<CompiledApi> {
  let api = compiled.get(name);
  if (!api) {
    api = compileApi(API_DESCRIPTORS[name]);
    compiled.set(name, api);
  }
  return api;
}

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

/** The refresh token an accepted response hands back: its cookie, else a body property named like it. */
function rotatedRefreshToken(response: ReceivedResponse, slots: CredentialSlots): string | undefined {
  const slot = slots.refreshToken;
  return (
    (slot?.in === 'cookie' ? cookieValue(response.setCookies, (name) => name === slot.name) : undefined) ??
    findStringProperty(parseJson(response.text), REFRESH_TOKEN_NAME) ??
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

/** Where a check got to for one operation: the exchanges, plus what only the runner knows. */
interface OperationRun {
  operation: CompiledOperation;
  exchanges: Exchange[];
  credentialReason?: string;
  positiveAccepted: boolean;
  rotation: CheckResult;
  /** The rotation's last step, replaying the replaced token, due once the grace window has passed. */
  pendingReplay?: { dueAt: number; replay: () => Promise<void> };
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

  constructor(private readonly options: ContractOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.clock = options.clock ?? wallClock;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (options.adminToken) this.secrets.set(options.adminToken, '<admin token>');
    for (const [api, token] of Object.entries(options.tokens ?? {})) if (token) this.secrets.set(token, `<${api} refresh token given>`);
    for (const [api, token] of Object.entries(options.bearers ?? {})) if (token) this.secrets.set(token, `<${api} bearer given>`);
  }

  private get graceSeconds(): number {
    return this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Registers a token value; the output shows `<refresh token 2>` in its place, so steps stay tellable apart. */
  private secret(value: string | undefined, kind: string): void {
    if (!value || this.secrets.has(value)) return;
    const count = (this.labelCounts.get(kind) ?? 0) + 1;
    this.labelCounts.set(kind, count);
    this.secrets.set(value, `<${kind} ${count}>`);
  }

  private remember(credentials: Credentials): Credentials {
    this.secret(credentials.refreshToken, 'refresh token');
    this.secret(credentials.accessToken, 'access token');
    return credentials;
  }

  /** Every known token replaced by its label, and anything else shaped like a JWT by `<redacted>`. */
  redact(text: string): string {
    let redacted = text;
    for (const [secret, label] of [...this.secrets].sort(([a], [b]) => b.length - a.length)) {
      if (secret.length >= 4) redacted = redacted.split(secret).join(label);
    }
    return redacted.replace(JWT_LIKE, REDACTED);
  }

  private url(request: CaseRequest): string {
    const query = new URLSearchParams(request.query).toString();
    return `${this.baseUrl}${request.path}${query ? `?${query}` : ''}`;
  }

  private wireHeaders(request: CaseRequest): Record<string, string> {
    const headers = { ...request.headers };
    const cookies = Object.entries(request.cookies);
    if (cookies.length > 0) headers.cookie = cookies.map(([name, value]) => `${name}=${value}`).join('; ');
    if (request.body.kind === 'json') headers['content-type'] = 'application/json';
    if (request.body.kind === 'raw') headers['content-type'] = request.body.contentType;
    return headers;
  }

  private wireBody(request: CaseRequest): string | undefined {
    if (request.body.kind === 'json') return JSON.stringify(request.body.value);
    if (request.body.kind === 'raw') return request.body.text;
    return undefined;
  }

  async send(operation: CompiledOperation, requestCase: RequestCase): Promise<Exchange> {
    const { request } = requestCase;
    const startedAt = performance.now();
    const elapsed = () => performance.now() - startedAt;
    try {
      const response = await this.fetchImpl(this.url(request), {
        method: request.method,
        headers: this.wireHeaders(request),
        body: this.wireBody(request),
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
  private async credentialsFor(operation: CompiledOperation, slots: CredentialSlots): Promise<{ credentials?: Credentials; reason?: string }> {
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
    if (slots.bearer && !credentials.accessToken) {
      return { reason: 'no Bearer credential: pass --admin-token (a refreshd target) or --bearer <api>=<access token or API key>' };
    }
    return { credentials };
  }

  /** Follows an accepted response: the rotated refresh token and the new access token replace the old. */
  private advance(credentials: Credentials, exchange: Exchange, slots: CredentialSlots): Credentials {
    if (!exchange.response || !isSuccess(exchange)) return credentials;
    const refreshToken = rotatedRefreshToken(exchange.response, slots) ?? credentials.refreshToken;
    const accessToken = findStringProperty(parseJson(exchange.response.text), ACCESS_TOKEN_NAME);
    const next = this.remember({ ...credentials, refreshToken, accessToken: slots.bearer && accessToken ? accessToken : credentials.accessToken });
    if (this.options.tokens?.[exchange.operation.api]) this.chains.set(exchange.operation.api, next);
    return next;
  }

  async runOperation(operation: CompiledOperation): Promise<OperationRun> {
    const slots = credentialSlots(operation);
    const exchanges: Exchange[] = [];
    const send = async (requestCase: RequestCase) => {
      const exchange = await this.send(operation, requestCase);
      exchanges.push(exchange);
      return exchange;
    };
    const needsCredentials = Boolean(slots.refreshToken) || slots.bearer;
    const run: OperationRun = { operation, exchanges, positiveAccepted: false, rotation: skipped('rotation', 'not a refresh operation') };

    const placeholder = validRequest(operation);
    const first = await send({
      name: needsCredentials ? 'valid request, made-up credentials' : 'valid request',
      kind: needsCredentials ? 'placeholder' : 'positive',
      request: placeholder,
    });
    if (first.transportError) {
      this.errors.push(`${operation.api}: ${this.baseUrl} did not answer: ${first.transportError}`);
      run.credentialReason = 'the server did not answer';
      run.rotation = skipped('rotation', 'the server did not answer');
      return run;
    }
    for (const requestCase of [...negativeCases(operation, placeholder), ...missingBearerCases(operation, placeholder)]) await send(requestCase);
    if (!needsCredentials) {
      run.positiveAccepted = isSuccess(first);
      return run;
    }

    const { credentials, reason } = await this.credentialsFor(operation, slots);
    if (!credentials) {
      run.credentialReason = reason;
      if (slots.refreshToken) run.rotation = skipped('rotation', reason as string);
      return run;
    }
    const original = credentials;
    const positive = await send({ name: 'valid request, real credentials', kind: 'positive', request: validRequest(operation, original) });
    const originalUsedAt = this.clock.now();
    run.positiveAccepted = isSuccess(positive);
    if (!run.positiveAccepted) {
      run.credentialReason = 'the valid request with real credentials was not accepted (see positive_data_acceptance)';
      if (slots.refreshToken) run.rotation = skipped('rotation', run.credentialReason);
      return run;
    }
    let current = this.advance(original, positive, slots);
    this.secret(forgeToken(current.refreshToken), 'forged refresh token');
    this.secret(current.accessToken && forgeToken(current.accessToken), 'forged bearer');
    for (const requestCase of forgedCredentialCases(operation, current)) current = this.advance(current, await send(requestCase), slots);
    if (slots.refreshToken) await this.rotation(run, slots, original, originalUsedAt, positive, current, send);
    return run;
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
    send: (requestCase: RequestCase) => Promise<Exchange>,
  ): Promise<void> {
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
    if (!rotated) return failWith(accepted, 'the accepted refresh carries no new refresh token (no refresh token cookie or body property)');
    if (rotated === original.refreshToken) return failWith(accepted, 'the accepted refresh handed back the same refresh token: it was not rotated');

    const successor = await send({ name: 'rotation: the new refresh token works', kind: 'rotation', request: validRequest(operation, current) });
    judged(successor);
    if (!isSuccess(successor)) {
      return failWith(successor, `the rotated refresh token was refused (${successor.response?.status ?? successor.transportError})`);
    }
    const latest = this.advance(current, successor, slots);

    if (this.graceSeconds > 0 && this.options.wait === false) {
      run.rotation = { ...result, status: 'skipped', reason: `replaying the old refresh token needs the ${this.graceSeconds} s grace window waited out (--no-wait)` };
      return;
    }
    run.pendingReplay = {
      dueAt: this.graceSeconds > 0 ? originalUsedAt + this.graceSeconds * 1000 + GRACE_MARGIN_MS : 0,
      replay: async () => {
        const replay = await send({
          name: 'rotation: the old refresh token after the grace window',
          kind: 'rotation',
          request: validRequest(operation, { ...latest, refreshToken: original.refreshToken }),
        });
        judged(replay);
        const status = replay.response?.status;
        if (status === undefined) failWith(replay, `no response: ${replay.transportError}`);
        else if (status < 300) failWith(replay, `the replaced refresh token was accepted again (${status}) after the grace window`);
        else if (status >= 500 || status < 400) failWith(replay, `the replaced refresh token was answered ${status}, not a 4xx`);
      },
    };
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
      const apis = [...new Set(pending.map((run) => run.operation.api))].join(', ');
      this.log(`rotation: waiting ${(remainingMs / 1000).toFixed(1)} s for the ${this.graceSeconds} s reuse grace window to pass (${apis})`);
      await this.clock.sleep(remainingMs);
    }
    for (const run of pending) await run.pendingReplay!.replay();
  }

  /** Every check's result for one operation. */
  results(run: OperationRun): CheckResult[] {
    const results = new Map<CheckName, CheckResult>();
    for (const [check, verdict] of Object.entries(RESPONSE_CHECKS)) results.set(check as CheckName, judge(check as CheckName, run.exchanges, verdict));
    for (const [check, { kind, verdict }] of Object.entries(CASE_CHECKS)) {
      const ofKind = run.exchanges.filter((exchange) => exchange.case.kind === kind);
      results.set(check as CheckName, judge(check as CheckName, ofKind, verdict));
    }
    results.set('rotation', run.rotation);

    const slots = credentialSlots(run.operation);
    for (const check of CHECK_NAMES) {
      const result = results.get(check) as CheckResult;
      if (result.status !== 'pass' || result.cases > 0) continue;
      if (check === 'negative_data_rejection') results.set(check, skipped(check, 'not applicable: the document states no constraint a request can break'));
      else if (check === 'positive_data_acceptance') results.set(check, skipped(check, run.credentialReason ?? 'no valid request was sent'));
      else if (check === 'ignored_auth') {
        results.set(check, skipped(check, run.credentialReason ?? 'the document declares no credentials'));
      } else results.set(check, skipped(check, 'no response to judge'));
    }
    const ignoredAuth = results.get('ignored_auth') as CheckResult;
    if (ignoredAuth.status === 'pass' && (slots.refreshToken || slots.bearer) && !run.positiveAccepted) {
      ignoredAuth.note = `forged-credential cases not run: ${run.credentialReason}`;
    }
    return CHECK_NAMES.map((check) => results.get(check) as CheckResult);
  }

  printedRequest(request: CaseRequest): PrintedRequest {
    const headers = Object.fromEntries(Object.entries(this.wireHeaders(request)).map(([name, value]) => [name, this.redact(value)]));
    const body = this.wireBody(request);
    return { method: request.method, url: this.redact(this.url(request)), headers, ...(body === undefined ? {} : { body: this.redact(body) }) };
  }

  printedResponse(exchange: Exchange): PrintedResponse {
    if (!exchange.response) return { headers: {}, error: exchange.transportError };
    const noise = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(exchange.response.headers)) if (!noise.has(name)) headers[name] = this.redact(value);
    if (exchange.response.setCookies.length > 0) headers['set-cookie'] = exchange.response.setCookies.map((c) => this.redact(c)).join('\n');
    return { status: exchange.response.status, headers, body: this.redact(exchange.response.text) };
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

/**
 * Runs every check against every operation of the chosen apis at `baseUrl`, with cases
 * derived from the documents + overlays. Never throws for what the server does; a check
 * lacking credentials is skipped (never counted as passed). Throws
 * {@link TargetUnreachableError} when nothing answers at `baseUrl`.
 */
export async function runContract(options: ContractOptions): Promise<ContractReport> {
  const startedAt = Date.now();
  await ensureReachable(options);
  const run = new ContractRun(options);
  const started: Array<{ name: ApiName; runs: OperationRun[]; durationMs: number }> = [];
  for (const name of options.apis ?? API_NAMES) {
    const api = await compiledApi(name);
    const apiStartedAt = Date.now();
    const runs: OperationRun[] = [];
    for (const operation of api.operations) runs.push(await run.runOperation(operation));
    started.push({ name, runs, durationMs: Date.now() - apiStartedAt });
  }
  await run.replayAfterGraceWindow(started.flatMap(({ runs }) => runs));

  const apis: ApiReport[] = [];
  for (const { name, runs, durationMs } of started) {
    const perOperation = runs.map((operationRun) => run.results(operationRun));
    const checks = CHECK_NAMES.map((check, i) => {
      const merged = mergeResults(check, perOperation.map((results) => results[i]));
      const failures = merged.failures.map(
        (failure): ReportedFailure => ({
          operationId: failure.exchange.operation.operationId,
          caseName: failure.caseName,
          message: run.redact(failure.message),
          request: run.printedRequest(failure.exchange.case.request),
          response: run.printedResponse(failure.exchange),
        }),
      );
      return { check, status: merged.status, cases: merged.cases, durationMs: merged.durationMs, reason: merged.reason, note: merged.note, failures };
    });
    apis.push({
      api: name,
      operations: runs.map(({ operation }) => operation.operationId),
      requests: runs.reduce((sum, { exchanges }) => sum + exchanges.length, 0),
      durationMs,
      checks,
    });
  }
  const totals: Record<CheckStatus, number> = { pass: 0, fail: 0, skipped: 0 };
  for (const api of apis) for (const check of api.checks) totals[check.status] += 1;
  return {
    baseUrl: options.baseUrl,
    apis,
    errors: run.errors.map((error) => run.redact(error)),
    totals,
    durationMs: Date.now() - startedAt,
    ok: totals.fail === 0 && run.errors.length === 0,
  };
}
