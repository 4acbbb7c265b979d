import { findResponseSpec } from '../app/response-validation';
import type { CompiledOperation, ResponseSpec } from '../spec/registry';
import { isJsonMediaType, type CaseKind, type RequestCase } from './cases';

/**
 * The named checks, modelled on Schemathesis's. Names are stable: CI configurations and
 * JUnit reports refer to them.
 */
export const CHECK_NAMES = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'positive_data_acceptance',
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

/** The declared response for the exchange's status, when it got one. */
function declaredResponse(exchange: Exchange): ResponseSpec | undefined {
  return exchange.response ? findResponseSpec(exchange.operation, exchange.response.status) : undefined;
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
  if (!validate || validate(body)) return PASS;
  const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
  return fail(`the body does not match the ${response.status} schema: ${errors.join('; ')}`);
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
    if (!exchange.response) return NOT_APPLICABLE;
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
} satisfies Partial<Record<CheckName, (exchange: Exchange) => Verdict>>;

/** The checks that judge the answer to one kind of request. */
export const CASE_CHECKS = {
  /** Invalid input is rejected with a declared 4xx whose body is in the api's dialect (its schema). */
  negative_data_rejection: {
    kind: 'negative',
    verdict: (exchange: Exchange): Verdict => {
      const response = exchange.response;
      if (!response) return fail(`no response: ${exchange.transportError}`);
      if (response.status < 400 || response.status >= 500) return fail(`invalid input answered ${response.status}, not a 4xx`);
      if (!isStatusDeclared(exchange)) return fail(`rejected with ${response.status}, which the document does not declare`);
      const body = bodyConformance(exchange);
      if (!body.applies) return fail(`rejected with a ${mediaTypeOf(response.headers['content-type']) || 'untyped'} body the document does not declare for ${response.status}`);
      return body.failure ? fail(`rejected, but not in the api's dialect: ${body.failure}`) : PASS;
    },
  },
  /** A valid request with real credentials is accepted (2xx). */
  positive_data_acceptance: {
    kind: 'positive',
    verdict: (exchange: Exchange): Verdict => {
      const response = exchange.response;
      if (!response) return fail(`no response: ${exchange.transportError}`);
      return response.status >= 200 && response.status < 300 ? PASS : fail(`a valid request was answered ${response.status}`);
    },
  },
  /** Missing, non-Bearer or forged credentials give 401. */
  ignored_auth: {
    kind: 'auth',
    verdict: (exchange: Exchange): Verdict => {
      const response = exchange.response;
      if (!response) return fail(`no response: ${exchange.transportError}`);
      if (response.status === 401) return PASS;
      return response.status < 300
        ? fail(`the request was accepted (${response.status}) without valid credentials`)
        : fail(`answered ${response.status} instead of 401`);
    },
  },
} satisfies Partial<Record<CheckName, { kind: CaseKind; verdict: (exchange: Exchange) => Verdict }>>;

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

/** Runs one check over every exchange it applies to. */
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
  return { check, status: failures.length > 0 ? 'fail' : 'pass', cases, durationMs, failures };
}

export function skipped(check: CheckName, reason: string): CheckResult {
  return { check, status: 'skipped', cases: 0, durationMs: 0, failures: [], reason };
}
