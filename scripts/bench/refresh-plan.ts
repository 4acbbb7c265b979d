/**
 * What a refresh request of an api looks like, read once (in the orchestrator) from the api's
 * document and its `x-refreshd` declaration: method, path, parameters, body, credentials, and
 * where the answer carries the rotated tokens. The plan is plain JSON: it travels to the load
 * generator, which turns it into per-request string concatenation (workloads.ts) and never
 * walks a schema.
 */
import { loadDocument, readValidatedDigests, type OpenApiDocument } from '../../src/spec/documents';
import type { ApiDeclaration, CatalogueEntry, RefreshDeclaration, RequestSlot } from '../../src/spec/catalogue';
import { dereferenceDocument } from '../../src/schema/deref';
import { sampleSchema } from '../../src/schema/sample';
import { mediaKind } from '../../src/request-profiles/profile';
import type { SessionSeed } from './protocol';

/** A value of the session that changes with every rotation. */
export type SessionValue = keyof SessionSeed;

/**
 * Text with holes: `parts[0] + hole[0] + parts[1] + … + parts[n]`, each hole a session value
 * encoded as `encoding` says (`uri`: a path, query or form value; `json`: a JSON string; `raw`:
 * a header or cookie value, which tokens and UUIDs can be as they are).
 */
export interface TextTemplate {
  parts: string[];
  holes: SessionValue[];
  encoding: 'uri' | 'json' | 'raw';
}

/** Where an answer carries a value: a Set-Cookie name, or a path of keys into the JSON body. */
export type ReplyPlace = { cookie: string } | { body: string[] };

export interface RefreshPlan {
  api: string;
  operationId: string;
  method: string;
  /** The path with its parameters, and the query string. */
  target: TextTemplate;
  /** Headers every request carries as they are (content type, an API key). */
  headers: Record<string, string>;
  /** Headers that carry a session value (a bearer access token, the cookie header). */
  sessionHeaders: Array<{ name: string; value: TextTemplate }>;
  body?: TextTemplate;
  reply: {
    status: number;
    refreshToken: ReplyPlace;
    /** Present when the next request needs the new access token. */
    accessToken?: ReplyPlace;
    /** The next request names the subject: read it from the rotated token's claims, as a client would. */
    subjectFromToken: boolean;
  };
  /** How the request travels, for the row's label: `cookie`, `form`, `+ bearer`, `+ api key`. */
  traits: string[];
}

/** The credentials the bench gives the server, for the security schemes an overlay declares checked against them. */
export interface BenchCredentials {
  apiKey: string;
  adminToken: string;
}

export class RefreshPlanError extends Error {
  constructor(api: string, problem: string) {
    super(`${api}: ${problem}`);
    this.name = 'RefreshPlanError';
  }
}

type Json = Record<string, any>;
type Scalar = string | number | boolean;
type Place = { value: SessionValue } | { fixed: Scalar };
type Field = { name: string } & Place;

/** Builds a {@link TextTemplate} piece by piece: literal text and holes. */
class TemplateBuilder {
  private readonly parts = [''];
  private readonly holes: SessionValue[] = [];
  constructor(private readonly encoding: TextTemplate['encoding']) {}
  text(literal: string): this {
    this.parts[this.parts.length - 1] += literal;
    return this;
  }
  place(place: Place): this {
    if ('fixed' in place) return this.text(this.encoding === 'uri' ? encodeURIComponent(place.fixed) : this.encoding === 'json' ? JSON.stringify(place.fixed) : String(place.fixed));
    this.holes.push(place.value);
    this.parts.push('');
    return this;
  }
  build(): TextTemplate {
    return { parts: this.parts, holes: this.holes, encoding: this.encoding };
  }
}

/** The first example a parameter or schema gives, else the mock's static sample of its schema (examples, defaults and enums first). */
function sampleValue(api: string, what: string, parameter: Json | undefined, schema: unknown): Scalar {
  const examples = parameter?.examples && typeof parameter.examples === 'object' ? Object.values(parameter.examples as Json) : [];
  const example = parameter?.example ?? (examples[0] as Json | undefined)?.value;
  let value: unknown = example;
  if (value === undefined) {
    try {
      value = sampleSchema(schema ?? {}, { dynamic: false, omitReadOnly: true });
    } catch (error) {
      throw new RefreshPlanError(api, `cannot fill ${what}: it has no example, default or enum, and ${(error as Error).message}`);
    }
  }
  if (value === null || typeof value === 'object') throw new RefreshPlanError(api, `cannot fill ${what}: its sample ${JSON.stringify(value)} is not a single value`);
  return value as Scalar;
}

/** Where a slot's value comes from: the refresh token, or the session's subject. */
function slotValues(refresh: RefreshDeclaration): Array<{ slot: RequestSlot; value: SessionValue }> {
  return [{ slot: refresh.token, value: 'refreshToken' as const }, ...(refresh.subject ? [{ slot: refresh.subject, value: 'sub' as const }] : [])];
}

/** The path of keys to the string `$name` in a reply template. */
function templatePath(node: unknown, name: string, at: string[] = []): string[] | undefined {
  if (node === `$${name}`) return at;
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (const [key, child] of Object.entries(node)) {
    const found = templatePath(child, name, [...at, key]);
    if (found) return found;
  }
  return undefined;
}

/** The operation `operationId` of a dereferenced document, with its method, path and path-item parameters. */
function findOperation(api: string, document: OpenApiDocument, operationId: string): { method: string; path: string; operation: Json; pathParameters: Json[] } {
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (operation && typeof operation === 'object' && (operation as Json).operationId === operationId) {
        return { method: method.toUpperCase(), path, operation: operation as Json, pathParameters: (item.parameters as Json[] | undefined) ?? [] };
      }
    }
  }
  throw new RefreshPlanError(api, `x-refreshd.refresh names ${operationId}, which no operation of the document is`);
}

/** The request's credentials: the first security alternative whose every scheme the bench can answer. */
function credentials(api: string, document: OpenApiDocument, operation: Json, declaration: ApiDeclaration, refresh: RefreshDeclaration, given: BenchCredentials) {
  const headers: Record<string, string> = {};
  const query: Field[] = [];
  const cookies: Field[] = [];
  const traits: string[] = [];
  let bearerAccess = false;
  const alternatives = (operation.security ?? document.security ?? []) as Array<Record<string, unknown>>;
  const schemes = (document.components?.securitySchemes ?? {}) as Record<string, Json>;
  const secretOf = (name: string) => (declaration.security[name] === 'api-keys' ? given.apiKey : declaration.security[name] === 'admin-token' ? given.adminToken : undefined);
  const refusals: string[] = [];
  const chosen = alternatives.find((alternative) => {
    const unanswerable = Object.keys(alternative).filter((name) => {
      const scheme = schemes[name];
      if (scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') return refresh.bearer !== 'session' && secretOf(name) === undefined;
      return scheme?.type !== 'apiKey' || secretOf(name) === undefined;
    });
    refusals.push(...unanswerable);
    return unanswerable.length === 0;
  });
  if (alternatives.length > 0 && !chosen) {
    throw new RefreshPlanError(api, `the bench has no credential for the security scheme(s) ${[...new Set(refusals)].join(', ')} (it answers http bearer with bearer: session, and schemes x-refreshd.security checks against api-keys or admin-token)`);
  }
  for (const name of Object.keys(chosen ?? {})) {
    const scheme = schemes[name];
    const secret = secretOf(name);
    if (scheme.type === 'http') {
      if (secret === undefined) bearerAccess = true;
      else headers.authorization = `Bearer ${secret}`;
    } else if (scheme.in === 'header') headers[String(scheme.name).toLowerCase()] = secret as string;
    else (scheme.in === 'query' ? query : cookies).push({ name: String(scheme.name), fixed: secret as string });
    traits.push(secret === undefined ? '+ bearer' : secret === given.apiKey ? '+ api key' : '+ admin token');
  }
  if (refresh.bearer === 'session' && !bearerAccess && headers.authorization === undefined) {
    bearerAccess = true;
    traits.push('+ bearer');
  }
  return { headers, query, cookies, bearerAccess, traits };
}

/**
 * The plan of `api`'s refresh, from its dereferenced document and declaration. Required
 * parameters and body fields the declaration does not fill get the document's example (or its
 * schema's default, enum, pattern…); what cannot be filled, or answered, is a
 * {@link RefreshPlanError} naming it.
 */
export function planRefresh(api: { name: string; declaration: ApiDeclaration }, document: OpenApiDocument, given: BenchCredentials): RefreshPlan {
  const { name, declaration } = api;
  const [operationId, refresh] = Object.entries(declaration.refresh)[0] ?? [];
  if (!operationId || !refresh) throw new RefreshPlanError(name, 'its x-refreshd declares no refresh operation');
  const { method, path, operation, pathParameters } = findOperation(name, document, operationId);
  const slots = slotValues(refresh);
  const slotAt = (where: string, paramName: string) => slots.find(({ slot }) => slot.in === where && (where === 'header' ? slot.name.toLowerCase() === paramName.toLowerCase() : slot.name === paramName));
  const security = credentials(name, document, operation, declaration, refresh, given);

  const parameters = new Map<string, Json>();
  for (const parameter of [...pathParameters, ...((operation.parameters as Json[] | undefined) ?? [])]) parameters.set(`${parameter.in}:${parameter.name}`, parameter);
  const fields: Record<'path' | 'query' | 'header' | 'cookie', Field[]> = { path: [], query: [...security.query], header: [], cookie: [...security.cookies] };
  for (const parameter of parameters.values()) {
    const where = parameter.in as keyof typeof fields;
    const slot = slotAt(where, parameter.name);
    if (slot) fields[where].push({ name: parameter.name, value: slot.value });
    else if (parameter.required || where === 'path') {
      fields[where].push({ name: parameter.name, fixed: sampleValue(name, `the ${where} parameter "${parameter.name}" of ${operationId}`, parameter, parameter.schema) });
    }
  }
  for (const { slot, value } of slots) {
    if (slot.in === 'body') continue;
    const placed = fields[slot.in].some((field) => (slot.in === 'header' ? field.name.toLowerCase() === slot.name.toLowerCase() : field.name === slot.name));
    if (!placed) fields[slot.in].push({ name: slot.name, value });
  }

  const target = new TemplateBuilder('uri');
  for (const piece of path.split(/(\{[^}]+\})/)) {
    if (!piece.startsWith('{')) {
      target.text(piece);
      continue;
    }
    const field = fields.path.find((f) => f.name === piece.slice(1, -1));
    if (!field) throw new RefreshPlanError(name, `the path ${path} has ${piece}, which no parameter of ${operationId} declares`);
    target.place(field);
  }
  fields.query.forEach((field, index) => target.text(`${index === 0 ? '?' : '&'}${encodeURIComponent(field.name)}=`).place(field));

  const headers: Record<string, string> = { ...security.headers };
  const sessionHeaders: RefreshPlan['sessionHeaders'] = [];
  if (security.bearerAccess) sessionHeaders.push({ name: 'authorization', value: new TemplateBuilder('raw').text('Bearer ').place({ value: 'accessToken' }).build() });
  for (const field of fields.header) {
    if ('fixed' in field) headers[field.name.toLowerCase()] = String(field.fixed);
    else sessionHeaders.push({ name: field.name.toLowerCase(), value: new TemplateBuilder('raw').place(field).build() });
  }
  if (fields.cookie.length > 0) {
    const cookie = new TemplateBuilder('raw');
    fields.cookie.forEach((field, index) => cookie.text(`${index === 0 ? '' : '; '}${field.name}=`).place(field));
    sessionHeaders.push({ name: 'cookie', value: cookie.build() });
  }

  const traits = refresh.token.in === 'body' ? [] : [refresh.token.in === 'cookie' ? 'cookie' : `token in ${refresh.token.in}`];
  const body = planBody(name, operationId, operation, slots, headers, traits);
  traits.push(...security.traits);

  const refreshToken: ReplyPlace | undefined = refresh.reply.cookie ? { cookie: refresh.reply.cookie } : bodyPlace(refresh.reply.body, 'refresh_token');
  if (!refreshToken) throw new RefreshPlanError(name, `the reply of ${operationId} declares no cookie and no $refresh_token in its body: the bench cannot follow the rotation`);
  const accessToken = security.bearerAccess ? bodyPlace(refresh.reply.body, 'access_token') : undefined;
  if (security.bearerAccess && !accessToken) throw new RefreshPlanError(name, `the next request needs the access token, and the reply of ${operationId} has no $access_token in its body`);
  return {
    api: name,
    operationId,
    method,
    target: target.build(),
    headers,
    sessionHeaders,
    body,
    reply: { status: refresh.reply.status ?? 200, refreshToken, accessToken, subjectFromToken: slots.some((s) => s.value === 'sub') },
    traits,
  };
}

function bodyPlace(template: unknown, name: string): ReplyPlace | undefined {
  const at = templatePath(template, name);
  return at ? { body: at } : undefined;
}

/** The body: the slots declared `in: body`, and every other required property with a sample of its schema; JSON or a form, as the document accepts. */
function planBody(api: string, operationId: string, operation: Json, slots: ReturnType<typeof slotValues>, headers: Record<string, string>, traits: string[]): TextTemplate | undefined {
  const inBody = slots.filter(({ slot }) => slot.in === 'body');
  const content = (operation.requestBody?.content ?? {}) as Record<string, Json>;
  if (Object.keys(content).length === 0) {
    if (inBody.length > 0) throw new RefreshPlanError(api, `${operationId} declares no request body, and x-refreshd puts ${inBody.map(({ slot }) => slot.name).join(', ')} in it`);
    return undefined;
  }
  const chosen = Object.entries(content).find(([type]) => mediaKind(type.split(';')[0].trim().toLowerCase()) !== 'other');
  if (!chosen) throw new RefreshPlanError(api, `the bench sends JSON or form bodies; ${operationId} accepts ${Object.keys(content).join(', ')}`);
  const [mediaType, media] = chosen;
  const form = mediaKind(mediaType.split(';')[0].trim().toLowerCase()) === 'form';
  const schema = (media.schema ?? {}) as Json;
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  const required = new Set<string>((schema.required as string[] | undefined) ?? []);
  const fields: Field[] = [];
  for (const [property, propertySchema] of Object.entries(properties)) {
    const slot = inBody.find(({ slot: s }) => s.name === property);
    if (slot) fields.push({ name: property, value: slot.value });
    else if (required.has(property)) fields.push({ name: property, fixed: sampleValue(api, `the body field "${property}" of ${operationId}`, undefined, propertySchema) });
  }
  for (const { slot, value } of inBody) if (!fields.some((field) => field.name === slot.name)) fields.push({ name: slot.name, value });
  headers['content-type'] = mediaType;
  const body = new TemplateBuilder(form ? 'uri' : 'json');
  if (form) {
    traits.push('form');
    fields.forEach((field, index) => body.text(`${index === 0 ? '' : '&'}${encodeURIComponent(field.name)}=`).place(field));
  } else {
    body.text('{');
    fields.forEach((field, index) => body.text(`${index === 0 ? '' : ','}${JSON.stringify(field.name)}:`).place(field));
    body.text('}');
  }
  return body.build();
}

/** The plan of a catalogued api's refresh, from its document + overlay as served. */
export function loadRefreshPlan(entry: CatalogueEntry, given: BenchCredentials): RefreshPlan {
  const { document } = loadDocument(entry.name, entry.specsDir, entry.overlaysDir, readValidatedDigests(), [], entry.documentFile);
  return planRefresh(entry, dereferenceDocument(document), given);
}
