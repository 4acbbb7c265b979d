import { unsupportedVersionProblem } from '../app/api-versions';
import { bearerCredential, isJsonContentType } from '../app/request-input';
import type { CompiledOperation, ParameterSpec } from '../spec/registry';
import { admittedTypes, jsonType } from '../schema/keywords';
import { parameterText, staticSample } from './schema-values';

/**
 * Test cases derived from one operation of a document + overlay, never from a list per api:
 * where the credentials go is read from the parameters, body and security the document
 * declares, and every negative case is one constraint the document states, broken once.
 */

/** The body of a request as the case sends it. */
export type CaseBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  /** Bytes sent as they are: malformed JSON, or JSON under another media type. */
  | { kind: 'raw'; text: string; contentType: string };

export interface CaseRequest {
  method: string;
  /** The operation's path, templates included: {@link pathParameters} fill them on the wire. */
  path: string;
  pathParameters?: Record<string, string>;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  body: CaseBody;
}

/**
 * What a request is, and so which checks judge its answer beyond the response checks:
 * - `valid`: schema-valid, with an outcome the document does not fix (made-up credentials,
 *   or values a server may refuse for reasons of its own); the response checks only;
 * - `negative`: breaks a constraint of the document; must be rejected (a 4xx);
 * - `positive`: schema-valid with real credentials; must be accepted;
 * - `auth`: missing, non-Bearer or forged credentials; must get 401;
 * - `missing-header`: a required header left out; must be rejected (a 4xx);
 * - `unsupported-method`: a method the path does not declare; must get 405;
 * - `rotation`: a step of the rotation scenario.
 */
export type CaseKind = 'valid' | 'negative' | 'positive' | 'auth' | 'missing-header' | 'unsupported-method' | 'rotation';

/** Where a case comes from: the deterministic coverage of the document, fast-check, or the rotation scenario. */
export type CasePhase = 'coverage' | 'generative' | 'scenario';

export interface RequestCase {
  /** Names the broken constraint or the scenario step, e.g. `body.refresh_token: missing`. */
  name: string;
  kind: CaseKind;
  request: CaseRequest;
  phase?: CasePhase;
  /** The Bearer credential is missing, not Bearer or forged: a 401 must challenge it (RFC 6750 §3). */
  bearerFault?: boolean;
  /** For `unsupported-method`: the methods the path declares (what `Allow` must list). */
  allowedMethods?: string[];
}

/** Real credentials of one session, as far as the caller has them. */
export interface Credentials {
  refreshToken: string;
  /** The Bearer credential (an access token of the session, or an API key). */
  accessToken?: string;
  /** The session's subject, for a body property that must repeat it (pathstack's `sub`). */
  sub?: string;
}

export type RefreshTokenSlot =
  | { in: 'cookie' | 'header' | 'query'; name: string; required: boolean }
  | { in: 'body'; name: string; required: boolean; bodyRequired: boolean };

/** Where the operation takes credentials, read from its document. */
export interface CredentialSlots {
  refreshToken?: RefreshTokenSlot;
  /** Every security alternative needs an http bearer credential. */
  bearer: boolean;
  /** A body property that must carry the session's subject. */
  subject?: string;
}

const REFRESH_TOKEN_NAME = /^refresh[-_]?token$/i;
const SUBJECT_NAME = /^sub(ject)?$/i;

/** Made-up credentials: well-formed for the schema, known to no server. */
export const PLACEHOLDER_REFRESH_TOKEN = 'refreshd-contract-placeholder-refresh-token';
export const PLACEHOLDER_BEARER = 'refreshd-contract-placeholder-bearer';

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clone = (request: CaseRequest): CaseRequest => structuredClone(request);

/** The body schema's top-level object view (properties, required, additionalProperties). */
function objectSchema(schema: Record<string, any> | undefined): Record<string, any> | undefined {
  if (!isObject(schema)) return undefined;
  if (isObject(schema.properties) || schema.type === 'object') return schema;
  return undefined;
}

function jsonBody(operation: CompiledOperation): { required: boolean; schema: Record<string, any> } | undefined {
  if (!operation.body) return undefined;
  const mediaType = operation.body.mediaTypes.find((type) => isJsonMediaType(type));
  if (!mediaType) return undefined;
  return { required: operation.body.required, schema: operation.body.schema };
}

export function isJsonMediaType(mediaType: string): boolean {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export function credentialSlots(operation: CompiledOperation): CredentialSlots {
  const slots: CredentialSlots = { bearer: operation.requiresBearer };
  const parameter = operation.parameters.find((p) => p.in !== 'path' && REFRESH_TOKEN_NAME.test(p.name));
  if (parameter) {
    slots.refreshToken = { in: parameter.in as 'cookie' | 'header' | 'query', name: parameter.name, required: parameter.required };
  }
  const body = jsonBody(operation);
  const schema = objectSchema(body?.schema);
  if (body && schema && isObject(schema.properties)) {
    const required: string[] = Array.isArray(schema.required) ? schema.required : [];
    const tokenProperty = Object.keys(schema.properties).find((name) => REFRESH_TOKEN_NAME.test(name));
    if (tokenProperty && !slots.refreshToken) {
      slots.refreshToken = { in: 'body', name: tokenProperty, required: required.includes(tokenProperty), bodyRequired: body.required };
    }
    slots.subject = Object.keys(schema.properties).find((name) => SUBJECT_NAME.test(name));
  }
  return slots;
}

/** The parameter's text in a minimal valid request: the supported version, else the static sample. */
export function sampleParameterText(operation: CompiledOperation, parameter: ParameterSpec): string | undefined {
  if (operation.supportedVersions?.parameter.key === parameter.key && operation.supportedVersions.parameter.in === parameter.in) {
    return operation.supportedVersions.versions[0];
  }
  const value = staticSample(parameter.schema);
  return value === undefined || value === null || typeof value === 'object' ? undefined : parameterText(value);
}

/** The sampled body with only its required top-level properties (a minimal valid request). */
function minimalBody(operation: CompiledOperation, schema: Record<string, any>): unknown {
  const full = staticSample(schema);
  const minimal = onlyRequired(schema, full);
  return requestIsValid(operation, { ...emptyRequest(operation), body: { kind: 'json', value: minimal } }, true) ? minimal : full ?? {};
}

/** `value` with only the properties its schema requires, at every depth, and arrays at their fewest items. */
function onlyRequired(schema: unknown, value: unknown): unknown {
  if (Array.isArray(value)) {
    const fewest = isObject(schema) && typeof schema.minItems === 'number' ? schema.minItems : 0;
    return value.slice(0, fewest).map((item) => onlyRequired(isObject(schema) ? schema.items : undefined, item));
  }
  const object = objectSchema(isObject(schema) ? schema : undefined);
  if (!isObject(value) || !object) return value;
  const required = new Set<string>(Array.isArray(object.required) ? object.required : []);
  const properties: Record<string, unknown> = isObject(object.properties) ? object.properties : {};
  return Object.fromEntries(Object.entries(value).filter(([name]) => required.has(name)).map(([name, child]) => [name, onlyRequired(properties[name], child)]));
}

export function emptyRequest(operation: CompiledOperation): CaseRequest {
  const request: CaseRequest = { method: operation.method, path: operation.path, query: {}, headers: {}, cookies: {}, body: { kind: 'none' } };
  if (operation.parameters.some((p) => p.in === 'path')) request.pathParameters = {};
  return request;
}

/** The record of `request` a parameter lives in (created for path parameters). */
function parameterSource(request: CaseRequest, location: string): Record<string, string> | undefined {
  if (location === 'header') return request.headers;
  if (location === 'cookie') return request.cookies;
  if (location === 'query') return request.query;
  if (location === 'path') return (request.pathParameters ??= {});
  return undefined;
}

export function getParameter(request: CaseRequest, parameter: { in: string; name: string }): string | undefined {
  const key = parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name;
  return parameterSource(request, parameter.in)?.[key];
}

export function setParameter(request: CaseRequest, parameter: { in: string; name: string }, value: string | undefined): void {
  const target = parameterSource(request, parameter.in);
  if (!target) return;
  const key = parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name;
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/**
 * A schema-valid request: required parameters and required body properties sampled from the
 * document, the credential slots filled with `credentials` (made-up ones when absent).
 */
export function validRequest(operation: CompiledOperation, credentials?: Credentials): CaseRequest {
  const request = emptyRequest(operation);
  for (const parameter of operation.parameters) {
    if (!parameter.required) continue;
    setParameter(request, parameter, sampleParameterText(operation, parameter) ?? 'x');
  }
  const body = jsonBody(operation);
  if (body) request.body = { kind: 'json', value: minimalBody(operation, body.schema) };
  const slot = credentialSlots(operation).refreshToken;
  // The slot is filled even where the document lets it be left out: this request carries the credential.
  if (slot && slot.in !== 'body') setParameter(request, slot, PLACEHOLDER_REFRESH_TOKEN);
  if (slot?.in === 'body' && request.body.kind === 'json' && isObject(request.body.value)) request.body.value[slot.name] = PLACEHOLDER_REFRESH_TOKEN;
  return withCredentials(operation, request, credentials);
}

/**
 * `request` with its credential slots carrying `credentials` (made-up ones when absent): the
 * refresh token where the request has it, the subject where the body has it, the Bearer
 * where the operation declares bearer security. A slot the request leaves out stays out.
 */
export function withCredentials(operation: CompiledOperation, request: CaseRequest, credentials?: Credentials): CaseRequest {
  const slots = credentialSlots(operation);
  const filled = clone(request);
  const refreshToken = credentials?.refreshToken ?? PLACEHOLDER_REFRESH_TOKEN;
  const slot = slots.refreshToken;
  const body = filled.body.kind === 'json' && isObject(filled.body.value) ? filled.body.value : undefined;
  if (slot?.in === 'body') {
    if (body && slot.name in body) body[slot.name] = refreshToken;
  } else if (slot && getParameter(filled, slot) !== undefined) setParameter(filled, slot, refreshToken);
  if (slots.subject && credentials?.sub && body && slots.subject in body) body[slots.subject] = credentials.sub;
  if (slots.bearer) filled.headers.authorization = `Bearer ${credentials?.accessToken ?? PLACEHOLDER_BEARER}`;
  return filled;
}

/**
 * Whether the server's validation accepts `request`, decided as the pipeline decides it: the
 * operation's own compiled validators (parameters with their coercion, then the body), the
 * overlay's supported versions, and the dialect's reading of the body (a JSON `null` is no
 * body to FastAPI; a body that is not JSON is validated as text, or refused). Bearer
 * security is not validation: a request without its credential is valid, and gets a 401.
 */
export function requestIsValid(operation: CompiledOperation, request: CaseRequest, ignoreParameters = false): boolean {
  if (!ignoreParameters) {
    const declared: Record<string, Record<string, string>> = { path: {}, query: {}, header: {}, cookie: {} };
    const parameters: Record<string, unknown> = {};
    for (const parameter of operation.parameters) {
      const value = parameterSource(clone(request), parameter.in)?.[parameter.key];
      if (value !== undefined) declared[parameter.in][parameter.key] = value;
      else if (parameter.required) return false;
      parameters[parameter.name] = value ?? parameter.default;
    }
    if (!operation.parametersValidator(structuredClone(declared))) return false;
    if (unsupportedVersionProblem(operation, parameters)) return false;
  }
  if (!operation.body) return true;
  const body = readBody(operation, request.body);
  if (body.kind === 'invalid') return false;
  if (body.kind === 'absent') return !operation.body.required;
  return operation.bodyValidator ? (operation.bodyValidator({ requestBody: structuredClone(body.value) }) as boolean) : true;
}

/** The body as the pipeline reads it: absent, a value to validate, or refused before validation. */
function readBody(operation: CompiledOperation, body: CaseBody): { kind: 'absent' } | { kind: 'invalid' } | { kind: 'value'; value: unknown } {
  const profile = operation.requestProfile;
  let value: unknown;
  if (body.kind === 'none' || (body.kind === 'raw' && body.text === '')) return { kind: 'absent' };
  if (body.kind === 'json') value = body.value;
  else if (!isJsonContentType(body.contentType)) {
    return profile.nonJsonBody === 'unsupported-media-type' ? { kind: 'invalid' } : { kind: 'value', value: body.text };
  } else {
    try {
      value = JSON.parse(body.text);
    } catch {
      return { kind: 'invalid' };
    }
  }
  return value === null && profile.nullBodyIsMissing ? { kind: 'absent' } : { kind: 'value', value };
}

/** Whether the request carries a credential the operation's bearer security accepts the form of. */
export function hasBearer(request: CaseRequest): boolean {
  return bearerCredential(request.headers.authorization) !== undefined;
}

/** Values of other JSON types, none of which Pydantic's lax mode would coerce into a string, number or bool. */
const WRONG_TYPE_CANDIDATES: unknown[] = [123, 'not-a-valid-value', { unexpected: 'object' }, ['unexpected', 'array']];

function formatsOf(schema: unknown): string[] {
  if (!isObject(schema)) return [];
  const own = typeof schema.format === 'string' ? [schema.format] : [];
  const branches = ['anyOf', 'oneOf', 'allOf'].flatMap((keyword) => (Array.isArray(schema[keyword]) ? schema[keyword] : []));
  return [...own, ...branches.flatMap(formatsOf)];
}

/**
 * One invalid request per top-level constraint the document states, each built from the valid
 * `base` with exactly that constraint broken: required parameters missing, parameter types
 * and formats violated, the body missing, not an object, malformed, under another media
 * type, a required property missing, a property of the wrong type or format, an extra
 * property where the schema forbids them. Cases the document would in fact accept are dropped.
 */
export function negativeCases(operation: CompiledOperation, base: CaseRequest): RequestCase[] {
  const cases: RequestCase[] = [];
  const add = (name: string, request: CaseRequest, kind: CaseKind = 'negative') => {
    if (!requestIsValid(operation, request)) cases.push({ name, kind, request, phase: 'coverage' });
  };

  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') continue;
    const label = `${parameter.in} "${parameter.name}"`;
    if (parameter.required) {
      const request = clone(base);
      setParameter(request, parameter, undefined);
      // A missing required header is missing_required_header's to judge.
      add(`${label}: missing`, request, parameter.in === 'header' ? 'missing-header' : 'negative');
    }
    const types = admittedTypes(parameter.schema);
    if (types && !types.has('string')) {
      const request = clone(base);
      setParameter(request, parameter, 'not-a-valid-value');
      add(`${label}: wrong type`, request);
    }
    for (const format of formatsOf(parameter.schema)) {
      const request = clone(base);
      setParameter(request, parameter, `not-a-valid-${format}`);
      add(`${label}: invalid ${format}`, request);
    }
  }

  const body = jsonBody(operation);
  if (!body) return cases;
  if (body.required) add('body: missing', { ...clone(base), body: { kind: 'none' } });
  const baseValue = base.body.kind === 'json' ? base.body.value : undefined;
  add('body: malformed JSON', { ...clone(base), body: { kind: 'raw', text: '{"refreshd": ', contentType: 'application/json' } });
  if (baseValue !== undefined) {
    add('body: not application/json', { ...clone(base), body: { kind: 'raw', text: JSON.stringify(baseValue), contentType: 'text/plain' } });
  }
  const schema = objectSchema(body.schema);
  if (!schema || !isObject(baseValue)) return cases;
  add('body: not an object', { ...clone(base), body: { kind: 'json', value: ['not', 'an', 'object'] } });

  const withBody = (value: Record<string, unknown>): CaseRequest => ({ ...clone(base), body: { kind: 'json', value } });
  const required: string[] = Array.isArray(schema.required) ? schema.required : [];
  for (const name of required) {
    const value = structuredClone(baseValue);
    delete value[name];
    add(`body.${name}: missing`, withBody(value));
  }
  for (const [name, propertySchema] of Object.entries<unknown>(isObject(schema.properties) ? schema.properties : {})) {
    const types = admittedTypes(propertySchema);
    const wrong = types && WRONG_TYPE_CANDIDATES.find((candidate) => !types.has(jsonType(candidate)));
    if (wrong !== undefined) add(`body.${name}: wrong type (${JSON.stringify(wrong)})`, withBody({ ...baseValue, [name]: wrong }));
    for (const format of formatsOf(propertySchema)) {
      add(`body.${name}: invalid ${format}`, withBody({ ...baseValue, [name]: `not-a-valid-${format}` }));
    }
  }
  if (schema.additionalProperties === false || schema.unevaluatedProperties === false) {
    add('body: extra property (additionalProperties: false)', withBody({ ...baseValue, refreshd_contract_extra: 'unexpected' }));
  }
  return cases;
}

/** Where bearer security is declared: the Authorization header missing, then under another scheme. */
export function missingBearerCases(operation: CompiledOperation, base: CaseRequest): RequestCase[] {
  if (!operation.requiresBearer) return [];
  const missing = clone(base);
  delete missing.headers.authorization;
  const basic = clone(base);
  basic.headers.authorization = `Basic ${Buffer.from('refreshd:contract').toString('base64')}`;
  return [
    { name: 'Authorization: missing', kind: 'auth', request: missing, phase: 'coverage', bearerFault: true },
    { name: 'Authorization: not Bearer', kind: 'auth', request: basic, phase: 'coverage', bearerFault: true },
  ];
}

/** The token with its signature altered (a JWT), or otherwise changed: a credential no server issued. */
export function forgeToken(token: string): string {
  const parts = token.split('.');
  if (parts.length === 3 && parts[2].length > 0) {
    // The first signature character carries six whole bits, so the decoded signature really differs.
    const signature = parts[2];
    return `${parts[0]}.${parts[1]}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
  }
  return `${token}forged`;
}

/**
 * Cases that only mean something next to an accepted request with the same `credentials`
 * (Schemathesis's `ignored_auth`): the refresh token forged, the Bearer forged, and the
 * refresh token left out where the document lets it be omitted.
 */
export function forgedCredentialCases(operation: CompiledOperation, credentials: Credentials): RequestCase[] {
  const slots = credentialSlots(operation);
  const cases: RequestCase[] = [];
  const slot = slots.refreshToken;
  if (slot) {
    const where = slot.in === 'body' ? `body.${slot.name}` : `${slot.in} "${slot.name}"`;
    cases.push({
      name: `refresh token forged (${where})`,
      kind: 'auth',
      phase: 'scenario',
      request: validRequest(operation, { ...credentials, refreshToken: forgeToken(credentials.refreshToken) }),
    });
    const omitted = validRequest(operation, credentials);
    let optional: string | undefined;
    if (slot.in !== 'body') {
      if (!slot.required) {
        setParameter(omitted, slot, undefined);
        optional = where;
      }
    } else if (!slot.required && omitted.body.kind === 'json' && isObject(omitted.body.value)) {
      delete omitted.body.value[slot.name];
      optional = where;
    } else if (!slot.bodyRequired) {
      omitted.body = { kind: 'none' };
      optional = 'the body';
    }
    if (optional && requestIsValid(operation, omitted)) {
      cases.push({ name: `refresh token omitted (${optional} is optional in the document)`, kind: 'auth', request: omitted, phase: 'scenario' });
    }
  }
  if (slots.bearer && credentials.accessToken) {
    cases.push({
      name: 'Bearer forged',
      kind: 'auth',
      phase: 'scenario',
      bearerFault: true,
      request: validRequest(operation, { ...credentials, accessToken: forgeToken(credentials.accessToken) }),
    });
  }
  return cases;
}
