import Ajv, { type ValidateFunction } from 'ajv';
import { findResponseSpec } from '../app/response-validation';
import { isObject } from '../schema/keywords';
import { addDocumentFormats } from '../spec/formats';
import { withoutExtensions, type CompiledOperation, type ResponseSpec } from '../spec/registry';
import { isJsonMediaType, type CaseKind, type RequestCase } from './cases';
import type { Shrunk } from './generative';

/**
 * The named checks, modelled on Schemathesis's. Names are stable: CI configurations and
 * JUnit reports refer to them. Each fault is one check's to find: a 5xx is only
 * not_a_server_error's, a body only response_schema_conformance's, a header only
 * response_headers_conformance's; the checks of a kind of request judge only what that kind
 * is for (accepted or not, which status).
 */
export const CHECK_NAMES = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'response_headers_conformance',
  'negative_data_rejection',
  'positive_data_acceptance',
  'missing_required_header',
  'unsupported_method',
  'ignored_auth',
  'rotation',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** A response as received; `error` instead of a status when none arrived. */
export interface ReceivedResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (Set-Cookie kept apart). */
  headers: Record<string, string>;
  setCookies: string[];
  text: string;
}

export interface Exchange {
  operation: CompiledOperation;
  case: RequestCase;
  response?: ReceivedResponse;
  /** Why no response arrived (connection refused, timeout). */
  transportError?: string;
  /** Wall time from sending the request to the end of the response body (or the failure). */
  durationMs: number;
  /** Set on a generated failure's smallest reproduction. */
  shrunk?: Shrunk;
}

/** A check's verdict on one exchange: it does not apply, it passes, or it fails with a reason. */
export type Verdict = { applies: false } | { applies: true; failure?: string };

const NOT_APPLICABLE: Verdict = { applies: false };
const PASS: Verdict = { applies: true };
const fail = (failure: string): Verdict => ({ applies: true, failure });

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** The declared media type a response's content type falls under (exact, then `type/*`, then `*\/*`). */
function declaredMediaType(spec: ResponseSpec, mediaType: string): string | undefined {
  if (spec.bodies.has(mediaType)) return mediaType;
  const wildcard = `${mediaType.split('/')[0]}/*`;
  if (spec.bodies.has(wildcard)) return wildcard;
  return spec.bodies.has('*/*') ? '*/*' : undefined;
}

const declaredStatuses = (operation: CompiledOperation) => [...operation.responses.keys()].join(', ');

/**
 * Whether the operation's responses describe the answer: always, except for a method the
 * path does not declare, whose answer the operation describes only when it is the 405.
 */
function describedByOperation(exchange: Exchange): boolean {
  return exchange.case.kind !== 'unsupported-method' || exchange.response?.status === 405;
}

/** The declared response for the exchange's status, when it got one. */
function declaredResponse(exchange: Exchange): ResponseSpec | undefined {
  return exchange.response && describedByOperation(exchange) ? findResponseSpec(exchange.operation, exchange.response.status) : undefined;
}

/** The dereferenced response object of the document for a declared response. */
function responseObject(exchange: Exchange, spec: ResponseSpec): Record<string, any> | undefined {
  const response = exchange.operation.operation.responses?.[spec.status];
  return isObject(response) ? response : undefined;
}

/**
 * Where a body satisfies its schema only because none of the properties the schema declares
 * is there (`{"detail": [...]}` against a schema of optional `error`): the JSON path of the
 * first such object, searched through declared properties and array items.
 */
export function vacuousMatch(schema: unknown, value: unknown, path = '/'): string | undefined {
  if (!isObject(schema)) return undefined;
  if (Array.isArray(schema.allOf)) {
    for (const branch of schema.allOf) {
      const found = vacuousMatch(branch, value, path);
      if (found) return found;
    }
  }
  if (isObject(value) && isObject(schema.properties)) {
    const declared = Object.keys(schema.properties);
    if (declared.length > 0 && !declared.some((name) => name in value)) return path;
    for (const name of declared) {
      if (!(name in value)) continue;
      const found = vacuousMatch(schema.properties[name], value[name], `${path === '/' ? '' : path}/${name}`);
      if (found) return found;
    }
  }
  if (Array.isArray(value) && isObject(schema.items)) {
    for (let i = 0; i < value.length; i++) {
      const found = vacuousMatch(schema.items, value[i], `${path === '/' ? '' : path}/${i}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether the body conforms to the schema the document declares for its status and media type. */
export function bodyConformance(exchange: Exchange): Verdict {
  const response = exchange.response;
  const spec = declaredResponse(exchange);
  if (!response || !spec) return NOT_APPLICABLE;
  if (response.text === '') {
    return spec.bodies.size === 0 ? PASS : fail(`the document declares a body for ${response.status} and the response has none`);
  }
  const mediaType = mediaTypeOf(response.headers['content-type']);
  const declared = declaredMediaType(spec, mediaType);
  if (!declared || !isJsonMediaType(mediaType)) return NOT_APPLICABLE;
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return fail(`the body is not valid JSON although the content type is ${mediaType}`);
  }
  const validate = spec.bodies.get(declared);
  if (validate && !validate(body)) {
    const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
    return fail(`the body does not match the ${response.status} schema: ${errors.join('; ')}`);
  }
  const schema = responseObject(exchange, spec)?.content?.[declared]?.schema;
  const vacuous = vacuousMatch(schema, body);
  if (vacuous) {
    const at = vacuous === '/' ? 'the body' : `the object at ${vacuous}`;
    return fail(`the body matches the ${response.status} schema only vacuously: ${at} has none of the properties the schema declares there`);
  }
  return PASS;
}

/**
 * Header validators, compiled once per schema object: coercing (a header is text), with JSON
 * Schema's format meanings whatever the document's body semantics (a header is not Pydantic's).
 */
const headerValidators = new WeakMap<object, ValidateFunction>();
let headerAjv: Ajv | undefined;

function headerValidator(schema: Record<string, any>): ValidateFunction {
  let validate = headerValidators.get(schema);
  if (!validate) {
    headerAjv ??= addDocumentFormats(new Ajv({ strict: false, allErrors: true, coerceTypes: true }), 'json-schema');
    validate = headerAjv.compile(withoutExtensions(schema) as object);
    headerValidators.set(schema, validate);
  }
  return validate;
}

/** Each value a response carries for `name`: every Set-Cookie line apart, other headers as one value. */
function headerValues(response: ReceivedResponse, name: string): string[] {
  const lower = name.toLowerCase();
  if (lower === 'set-cookie') return response.setCookies;
  return response.headers[lower] === undefined ? [] : [response.headers[lower]];
}

/**
 * The Authorization scheme a 401 must challenge: where the case's fault is the credential of
 * an http bearer or basic scheme. An apiKey has no challenge of its own in HTTP.
 */
function challengedScheme(exchange: Exchange): { name: string; rfc: string } | undefined {
  const scheme = exchange.case.securityFault;
  if (scheme?.type !== 'http') return undefined;
  if (scheme.scheme === 'bearer') return { name: 'Bearer', rfc: 'RFC 6750 §3' };
  return scheme.scheme === 'basic' ? { name: 'Basic', rfc: 'RFC 7617 §2' } : undefined;
}

/**
 * The headers the document declares for the response (required ones present, every present
 * one valid against its schema, each Set-Cookie line on its own), and what HTTP itself asks:
 * `Allow` on a 405 naming the declared methods (RFC 9110 §15.5.6), a `WWW-Authenticate`
 * challenge on a 401 that refuses a missing, other or forged credential of an http bearer
 * or basic scheme (RFC 6750 §3, RFC 7617 §2).
 */
export function headersConformance(exchange: Exchange): Verdict {
  const response = exchange.response;
  const spec = declaredResponse(exchange);
  if (!response || !spec) return NOT_APPLICABLE;
  const problems: string[] = [];
  for (const [name, header] of Object.entries<any>(responseObject(exchange, spec)?.headers ?? {})) {
    // OpenAPI: a response header named Content-Type is ignored.
    if (name.toLowerCase() === 'content-type' || !isObject(header)) continue;
    const values = headerValues(response, name);
    if (values.length === 0) {
      if (header.required === true) problems.push(`the required header ${name} is missing`);
      continue;
    }
    if (!isObject(header.schema)) continue;
    const validate = headerValidator(header.schema);
    for (const value of values) {
      if (validate(value)) continue;
      const reasons = (validate.errors ?? []).slice(0, 4).map((e) => e.message);
      problems.push(`${name} does not match its schema (${[...new Set(reasons)].join('; ')})`);
    }
  }
  if (response.status === 405) {
    const allow = response.headers.allow;
    if (allow === undefined) problems.push('a 405 without Allow (RFC 9110 §15.5.6)');
    else if (exchange.case.allowedMethods) {
      const listed = allow.split(',').map((m) => m.trim().toUpperCase());
      const missing = exchange.case.allowedMethods.filter((m) => !listed.includes(m));
      if (missing.length > 0) problems.push(`Allow: ${allow} does not list ${missing.join(', ')}, which the path declares`);
    }
  }
  const challenged = challengedScheme(exchange);
  if (response.status === 401 && challenged) {
    const challenge = response.headers['www-authenticate'];
    if (!challenge) problems.push(`a 401 refusing the ${challenged.name} credential without WWW-Authenticate (${challenged.rfc})`);
    else if (!new RegExp(`(^|,)\\s*${challenged.name}(\\s|,|$)`, 'i').test(challenge)) problems.push(`WWW-Authenticate: ${challenge} does not challenge ${challenged.name}`);
  }
  return problems.length > 0 ? fail(problems.join('; ')) : PASS;
}

function isStatusDeclared(exchange: Exchange): boolean {
  return Boolean(declaredResponse(exchange));
}

/** The checks that judge every response, whatever request it answers. */
export const RESPONSE_CHECKS = {
  not_a_server_error: (exchange: Exchange): Verdict => {
    if (exchange.transportError) return fail(`no response: ${exchange.transportError}`);
    const status = exchange.response!.status;
    return status >= 500 ? fail(`server error ${status}`) : PASS;
  },
  status_code_conformance: (exchange: Exchange): Verdict => {
    if (!exchange.response || !describedByOperation(exchange)) return NOT_APPLICABLE;
    return isStatusDeclared(exchange)
      ? PASS
      : fail(`status ${exchange.response.status} is not declared for ${exchange.operation.operationId} (declared: ${declaredStatuses(exchange.operation)})`);
  },
  content_type_conformance: (exchange: Exchange): Verdict => {
    const response = exchange.response;
    const spec = declaredResponse(exchange);
    if (!response || !spec || response.text === '') return NOT_APPLICABLE;
    const mediaType = mediaTypeOf(response.headers['content-type']);
    if (spec.bodies.size === 0) return fail(`a ${mediaType || 'untyped'} body was sent, but the document declares no body for ${response.status}`);
    if (!mediaType) return fail('the body has no Content-Type');
    return declaredMediaType(spec, mediaType)
      ? PASS
      : fail(`content type ${mediaType} is not declared for ${response.status} (declared: ${[...spec.bodies.keys()].join(', ')})`);
  },
  response_schema_conformance: bodyConformance,
  response_headers_conformance: headersConformance,
} satisfies Partial<Record<CheckName, (exchange: Exchange) => Verdict>>;

/** The status of an answer a kind-specific check can judge: none for no answer or a 5xx (not_a_server_error's). */
function judgeableStatus(exchange: Exchange): number | undefined {
  const status = exchange.response?.status;
  return status === undefined || status >= 500 ? undefined : status;
}

const rejected = (status: number) => status >= 400 && status < 500;

/** The checks that judge the answer to one kind of request. */
export const CASE_CHECKS = {
  /** Invalid input is not accepted: a 4xx (its dialect and status are the response checks' to judge). */
  negative_data_rejection: {
    kind: 'negative',
    verdict: (exchange: Exchange): Verdict => {
      const status = judgeableStatus(exchange);
      if (status === undefined) return NOT_APPLICABLE;
      return rejected(status) ? PASS : fail(`invalid input was answered ${status}, not rejected with a 4xx`);
    },
  },
  /** A valid request with real credentials is accepted (2xx). */
  positive_data_acceptance: {
    kind: 'positive',
    verdict: (exchange: Exchange): Verdict => {
      const status = judgeableStatus(exchange);
      if (status === undefined) return NOT_APPLICABLE;
      return status >= 200 && status < 300 ? PASS : fail(`a valid request was answered ${status}`);
    },
  },
  /** A required header left out is rejected (a 4xx). */
  missing_required_header: {
    kind: 'missing-header',
    verdict: (exchange: Exchange): Verdict => {
      const status = judgeableStatus(exchange);
      if (status === undefined) return NOT_APPLICABLE;
      return rejected(status) ? PASS : fail(`a request without a required header was answered ${status}, not rejected with a 4xx`);
    },
  },
  /** A method the path does not declare gets 405. */
  unsupported_method: {
    kind: 'unsupported-method',
    verdict: (exchange: Exchange): Verdict => {
      const status = judgeableStatus(exchange);
      if (status === undefined) return NOT_APPLICABLE;
      return status === 405 ? PASS : fail(`${exchange.case.request.method} was answered ${status}, not 405 (the path declares ${exchange.case.allowedMethods?.join(', ')})`);
    },
  },
  /** Missing, other or forged credentials (of any security scheme, or the refresh token) give 401. */
  ignored_auth: {
    kind: 'auth',
    verdict: (exchange: Exchange): Verdict => {
      const status = judgeableStatus(exchange);
      if (status === undefined) return NOT_APPLICABLE;
      if (status === 401) return PASS;
      return status < 400 ? fail(`the request was accepted (${status}) without valid credentials`) : fail(`answered ${status} instead of 401`);
    },
  },
} satisfies Partial<Record<CheckName, { kind: CaseKind; verdict: (exchange: Exchange) => Verdict }>>;

/** The checks (response checks and those of its kind) that `exchange` fails. */
export function failingChecks(exchange: Exchange): CheckName[] {
  const failing: CheckName[] = [];
  for (const [check, verdict] of Object.entries(RESPONSE_CHECKS)) {
    const result = verdict(exchange);
    if (result.applies && result.failure) failing.push(check as CheckName);
  }
  for (const [check, { kind, verdict }] of Object.entries(CASE_CHECKS)) {
    if (exchange.case.kind !== kind) continue;
    const result = verdict(exchange);
    if (result.applies && result.failure) failing.push(check as CheckName);
  }
  return failing;
}

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface CaseFailure {
  caseName: string;
  message: string;
  exchange: Exchange;
}

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** Exchanges the check judged. */
  cases: number;
  /** The time of the requests the check judged (checks judge some requests in common). */
  durationMs: number;
  failures: CaseFailure[];
  /** Why the check was skipped. */
  reason?: string;
  /** What a passing check could not cover (e.g. forged credentials without real ones). */
  note?: string;
}

/** Runs one check over every exchange it applies to; shrunk reproductions are listed first. */
export function judge(check: CheckName, exchanges: Exchange[], verdict: (exchange: Exchange) => Verdict): CheckResult {
  let cases = 0;
  let durationMs = 0;
  const failures: CaseFailure[] = [];
  for (const exchange of exchanges) {
    const result = verdict(exchange);
    if (!result.applies) continue;
    cases += 1;
    durationMs += exchange.durationMs;
    if (result.failure) failures.push({ caseName: exchange.case.name, message: result.failure, exchange });
  }
  failures.sort((a, b) => Number(Boolean(b.exchange.shrunk)) - Number(Boolean(a.exchange.shrunk)));
  return { check, status: failures.length > 0 ? 'fail' : 'pass', cases, durationMs, failures };
}

export function skipped(check: CheckName, reason: string): CheckResult {
  return { check, status: 'skipped', cases: 0, durationMs: 0, failures: [], reason };
}
