import { unsupportedVersionProblem } from '../app/api-versions';
import { bearerCredential } from '../app/request-input';
import type { RefreshDeclaration, RequestSlot } from '../spec/catalogue';
import type { CompiledOperation, ParameterSpec, SecuritySchemeSpec } from '../spec/registry';
import { admittedTypes, jsonType } from '../schema/keywords';
import { parameterText, staticSample } from './schema-values';
import { meetsSecurity, placeholderFor, schemeSlotLabel, schemesToFill, setSchemeCredential, takesBearer } from './security';
import { requestBody, requestHeaders } from './wire';

export { PLACEHOLDER_BEARER } from './security';

/**
 * Test cases derived from one operation of a document + overlay, never from a list per api:
 * where the credentials go is read from the parameters, body and security the document
 * declares, and every negative case is one constraint the document states, broken once.
 */

/** The body of a request as the case sends it. */
export type CaseBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  /** An object sent as `application/x-www-form-urlencoded` (see `formText`). */
  | { kind: 'form'; value: unknown }
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
  /**
   * The credential of this scheme is missing, of another kind or forged: the 401 must
   * challenge it where the scheme is http bearer or basic (RFC 6750 §3, RFC 7617 §2).
   */
  securityFault?: SecuritySchemeSpec;
  /** For `unsupported-method`: the methods the path declares (what `Allow` must list). */
  allowedMethods?: string[];
}

/** Real credentials of one session, as far as the caller has them. */
export interface Credentials {
  refreshToken: string;
  /** The Bearer credential (an access token of the session, or an API key). */
  accessToken?: string;
  /** The session's subject, for a slot that must repeat it (pathstack's body `sub`, a path's user id). */
  sub?: string;
  /** Security scheme name → the credential given for it (an API key, `user:password`, a token). */
  schemes?: Record<string, string>;
}

export type RefreshTokenSlot =
  | { in: 'cookie' | 'header' | 'query' | 'path'; name: string; required: boolean }
  | { in: 'body'; name: string; required: boolean; bodyRequired: boolean };

/** Where in a JSON answer a value is: property names from the root. */
export type JsonPath = string[];

/** Where the operation takes credentials: its `x-refreshd.refresh` declaration, else read from its document. */
export interface CredentialSlots {
  refreshToken?: RefreshTokenSlot;
  /** The security schemes every request carries a credential for (one alternative of the requirement). */
  security: SecuritySchemeSpec[];
  /** One of {@link security} takes a Bearer credential (the session's access token, or one given). */
  bearer: boolean;
  /** A parameter or body property that must carry the session's subject. */
  subject?: RequestSlot;
  /** Where an accepted answer hands the rotated tokens back, when the api declares it. */
  reply?: { cookie?: string; refreshToken?: JsonPath; accessToken?: JsonPath };
}

const REFRESH_TOKEN_NAME = /^refresh[-_]?token$/i;
const SUBJECT_NAME = /^sub(ject)?$/i;

/** Made-up credentials: well-formed for the schema, known to no server. */
export const PLACEHOLDER_REFRESH_TOKEN = 'refreshd-contract-placeholder-refresh-token';

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clone = (request: CaseRequest): CaseRequest => structuredClone(request);

/** The body schema's top-level object view (properties, required, additionalProperties). */
function objectSchema(schema: Record<string, any> | undefined): Record<string, any> | undefined {
  if (!isObject(schema)) return undefined;
  if (isObject(schema.properties) || schema.type === 'object') return schema;
  return undefined;
}

/** The body a case builds as a value: the operation's JSON media type, else its form. */
export interface StructuredBody {
  kind: 'json' | 'form';
  required: boolean;
  schema: Record<string, any>;
}

export function structuredBody(operation: CompiledOperation): StructuredBody | undefined {
  if (!operation.body) return undefined;
  const media = operation.body.media.find((m) => m.kind === 'json') ?? operation.body.media.find((m) => m.kind === 'form');
  if (!media) return undefined;
  return { kind: media.kind as 'json' | 'form', required: operation.body.required, schema: media.kind === 'json' ? operation.body.schema : media.schema };
}

/** The value of a JSON or form body; undefined for no body or raw bytes. */
export function structuredValue(body: CaseBody): unknown {
  return body.kind === 'json' || body.kind === 'form' ? body.value : undefined;
}

/** The refresh declarations of refreshd's apis' operations, registered as the run loads them. */
const refreshDeclarations = new WeakMap<CompiledOperation, RefreshDeclaration>();

/** Where `operation` (of one of refreshd's apis) takes its refresh token and subject, as its api's `x-refreshd.refresh` says. */
export function declareRefresh(operation: CompiledOperation, declaration: RefreshDeclaration): void {
  refreshDeclarations.set(operation, declaration);
}

/** The JSON path of the first string of a reply template that is exactly `$<name>`. */
function templatePath(template: unknown, name: string, path: JsonPath = []): JsonPath | undefined {
  if (template === `$${name}`) return path;
  if (!isObject(template)) return undefined;
  for (const [key, child] of Object.entries(template)) {
    const found = templatePath(child, name, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

export function isJsonMediaType(mediaType: string): boolean {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The refresh token's slot at `slot`, with whether the document requires it there. */
function tokenSlot(operation: CompiledOperation, slot: RequestSlot): RefreshTokenSlot {
  if (slot.in === 'body') {
    const body = structuredBody(operation);
    const schema = objectSchema(body?.schema);
    const required = Array.isArray(schema?.required) && schema.required.includes(slot.name);
    return { in: 'body', name: slot.name, required, bodyRequired: body?.required ?? false };
  }
  const parameter = operation.parameters.find((p) => p.in === slot.in && p.name.toLowerCase() === slot.name.toLowerCase());
  return { in: slot.in, name: parameter?.name ?? slot.name, required: parameter?.required ?? slot.in === 'path' };
}

/**
 * Where the operation takes credentials. An operation of refreshd's apis says it in its
 * `x-refreshd.refresh` declaration; a document without one (`--spec`) is read by names: a
 * parameter or body property called like `refresh_token`, a body property called `sub`.
 */
export function credentialSlots(operation: CompiledOperation): CredentialSlots {
  const security = schemesToFill(operation);
  const slots: CredentialSlots = { security, bearer: security.some(takesBearer) };
  const declared = refreshDeclarations.get(operation);
  if (declared) {
    slots.refreshToken = tokenSlot(operation, declared.token);
    if (declared.subject) slots.subject = declared.subject;
    slots.reply = {
      cookie: declared.reply.cookie,
      refreshToken: templatePath(declared.reply.body, 'refresh_token'),
      accessToken: templatePath(declared.reply.body, 'access_token'),
    };
    return slots;
  }
  const parameter = operation.parameters.find((p) => p.in !== 'path' && REFRESH_TOKEN_NAME.test(p.name));
  if (parameter) slots.refreshToken = tokenSlot(operation, parameter);
  const schema = objectSchema(structuredBody(operation)?.schema);
  if (schema && isObject(schema.properties)) {
    const tokenProperty = Object.keys(schema.properties).find((name) => REFRESH_TOKEN_NAME.test(name));
    if (tokenProperty && !slots.refreshToken) slots.refreshToken = tokenSlot(operation, { in: 'body', name: tokenProperty });
    const subject = Object.keys(schema.properties).find((name) => SUBJECT_NAME.test(name));
    if (subject) slots.subject = { in: 'body', name: subject };
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
  const kind = structuredBody(operation)?.kind ?? 'json';
  return requestIsValid(operation, { ...emptyRequest(operation), body: { kind, value: minimal } }, true) ? minimal : full ?? {};
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
  const body = structuredBody(operation);
  if (body) request.body = { kind: body.kind, value: minimalBody(operation, body.schema) };
  const slot = credentialSlots(operation).refreshToken;
  const value = structuredValue(request.body);
  // The slot is filled even where the document lets it be left out: this request carries the credential.
  if (slot && slot.in !== 'body') setParameter(request, slot, PLACEHOLDER_REFRESH_TOKEN);
  if (slot?.in === 'body' && isObject(value)) value[slot.name] = PLACEHOLDER_REFRESH_TOKEN;
  return withCredentials(operation, request, credentials);
}

/** The credential `request` carries for `scheme`: the one given for it, the session's Bearer, else a made-up one. */
function schemeCredential(scheme: SecuritySchemeSpec, credentials: Credentials | undefined): string {
  return credentials?.schemes?.[scheme.name] ?? (takesBearer(scheme) ? credentials?.accessToken : undefined) ?? placeholderFor(scheme);
}

/**
 * `request` with its credential slots carrying `credentials` (made-up ones when absent): the
 * refresh token and the subject where the request has their slot, a credential for each
 * security scheme the operation requires. A slot the request leaves out stays out.
 */
export function withCredentials(operation: CompiledOperation, request: CaseRequest, credentials?: Credentials): CaseRequest {
  const slots = credentialSlots(operation);
  const filled = clone(request);
  const body = structuredValue(filled.body);
  const fill = (slot: RequestSlot | undefined, value: string | undefined) => {
    if (!slot || value === undefined) return;
    if (slot.in !== 'body') {
      if (getParameter(filled, slot) !== undefined) setParameter(filled, slot, value);
    } else if (isObject(body) && slot.name in body) body[slot.name] = value;
  };
  fill(slots.refreshToken, credentials?.refreshToken ?? PLACEHOLDER_REFRESH_TOKEN);
  fill(slots.subject, credentials?.sub);
  for (const scheme of slots.security) setSchemeCredential(filled, scheme, schemeCredential(scheme, credentials));
  return filled;
}

/**
 * Whether the server's validation accepts `request`, decided as the pipeline decides it: the
 * operation's own compiled validators (parameters with their coercion, then the body), the
 * overlay's supported versions, and the request profile's reading of the body's bytes under
 * its Content-Type (a JSON `null` is no body to FastAPI; a form's fields are coerced to
 * their properties' types; an undeclared media type is refused). Security is not
 * validation: a request without its credentials is valid, and gets a 401.
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
  const text = requestBody(request) ?? '';
  // As the pipeline: no bytes is no body.
  if (text === '') return !operation.body.required;
  const decoded = operation.requestProfile.decodeBody(Buffer.from(text, 'utf8'), requestHeaders(request)['content-type'], operation.body);
  if ('refused' in decoded) return false;
  if (decoded.kind === 'absent') return !operation.body.required;
  const { validate } = decoded.media;
  return validate ? (validate({ requestBody: decoded.kind === 'raw' ? decoded.text : decoded.value }) as boolean) : true;
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

  const body = structuredBody(operation);
  if (!body) return cases;
  if (body.required) add('body: missing', { ...clone(base), body: { kind: 'none' } });
  const baseValue = structuredValue(base.body);
  if (body.kind === 'json') {
    add('body: malformed JSON', { ...clone(base), body: { kind: 'raw', text: '{"refreshd": ', contentType: 'application/json' } });
    if (baseValue !== undefined) {
      add('body: not application/json', { ...clone(base), body: { kind: 'raw', text: JSON.stringify(baseValue), contentType: 'text/plain' } });
    }
  } else if (baseValue !== undefined) {
    add('body: not a form (application/json)', { ...clone(base), body: { kind: 'raw', text: JSON.stringify(baseValue), contentType: 'application/json' } });
  }
  const schema = objectSchema(body.schema);
  if (!schema || !isObject(baseValue)) return cases;
  if (body.kind === 'json') add('body: not an object', { ...clone(base), body: { kind: 'json', value: ['not', 'an', 'object'] } });

  const withBody = (value: Record<string, unknown>): CaseRequest => ({ ...clone(base), body: { kind: body.kind, value } });
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

/** A Bearer credential sent where Basic is required. */
const PLACEHOLDER_BEARER_OTHER = 'refreshd-contract-not-basic';

/**
 * For each security scheme the requests fill: its credential missing, and for an http scheme
 * under another Authorization scheme (Basic for bearer, Bearer for basic). A case that another
 * alternative of the requirement would still let through is left out.
 */
export function missingCredentialCases(operation: CompiledOperation, base: CaseRequest): RequestCase[] {
  const cases: RequestCase[] = [];
  for (const scheme of credentialSlots(operation).security) {
    const label = schemeSlotLabel(scheme);
    const missing = clone(base);
    setSchemeCredential(missing, scheme, undefined);
    if (!meetsSecurity(operation, missing)) cases.push({ name: `${label}: missing`, kind: 'auth', request: missing, phase: 'coverage', securityFault: scheme });
    if (scheme.type !== 'http') continue;
    const other = clone(base);
    other.headers.authorization =
      scheme.scheme === 'basic' ? `Bearer ${PLACEHOLDER_BEARER_OTHER}` : `Basic ${Buffer.from('refreshd:contract').toString('base64')}`;
    const name = `Authorization: not ${scheme.scheme === 'basic' ? 'Basic' : 'Bearer'}`;
    if (!meetsSecurity(operation, other)) cases.push({ name, kind: 'auth', request: other, phase: 'coverage', securityFault: scheme });
  }
  return cases;
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
    } else if (!slot.required && isObject(structuredValue(omitted.body))) {
      delete (structuredValue(omitted.body) as Record<string, unknown>)[slot.name];
      optional = where;
    } else if (!slot.bodyRequired) {
      omitted.body = { kind: 'none' };
      optional = 'the body';
    }
    if (optional && requestIsValid(operation, omitted)) {
      cases.push({ name: `refresh token omitted (${optional} is optional in the document)`, kind: 'auth', request: omitted, phase: 'scenario' });
    }
  }
  for (const scheme of slots.security) {
    const given = credentials.schemes?.[scheme.name];
    const real = given ?? (takesBearer(scheme) ? credentials.accessToken : undefined);
    if (real === undefined) continue;
    const forged = forgeToken(real);
    const request = validRequest(operation, credentials);
    setSchemeCredential(request, scheme, forged);
    const name = takesBearer(scheme) ? 'Bearer forged' : scheme.type === 'apiKey' ? `API key forged (${schemeSlotLabel(scheme)})` : `${scheme.name} credential forged`;
    cases.push({ name, kind: 'auth', phase: 'scenario', securityFault: scheme, request });
  }
  return cases;
}
