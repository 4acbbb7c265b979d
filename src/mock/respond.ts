/**
 * Mock response negotiation for one OpenAPI operation, following Stoplight
 * Prism's rules (each operation answers from its own document only):
 *
 * Status
 * - no `code` preference → the lowest declared 2xx (`200`..`299`), else a
 *   `2XX` range response (status 200), else `default` (status 200), else an
 *   error (`no_success_response`);
 * - `code=N` → the response declared for `N`; else the `NXX` range response;
 *   else `default` answered with status N; else `status_not_declared`.
 *
 * Media type: the Accept header if given (406 `not_acceptable` when nothing
 * matches), else `application/json` (then `*\/*+json`, then the first
 * declared). A response without `content` has an empty body.
 *
 * Body (in this order, as Prism):
 * 1. `example=name` → that entry of the media type's `examples` map (the
 *    singular `example` is also reachable as `example=default`, as in Prism);
 *    `example_not_found` otherwise;
 * 2. `dynamic=true` → a random valid body generated from the schema with
 *    `seededRandom(seed)` (a fresh seed when none is given; it is reported in
 *    the result so the body can be reproduced);
 * 3. the media type's `example`, else the first entry of its `examples` map,
 *    else a static sample of its schema, else no body.
 *
 * Response headers are mocked the same way (example, else schema sample);
 * deprecated operations get `Deprecation: true` (as Prism).
 */
import { Prefer } from './prefer';
import { cloneJson, randomSeed, SampleError, sampleSchema, seededRandom } from '../schema/sample';

export interface ExampleObject {
  summary?: string;
  description?: string;
  value?: unknown;
  externalValue?: string;
}

export interface MediaTypeObject {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, unknown>;
}

export interface HeaderObject {
  description?: string;
  required?: boolean;
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, unknown>;
  content?: Record<string, MediaTypeObject>;
}

export interface ResponseObject {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaTypeObject>;
}

/**
 * A dereferenced OpenAPI 3.0/3.1 Operation Object (only what mocking needs;
 * openapi-types' OperationObject is assignable to it). `$ref`s must have been
 * resolved (e.g. with `dereferenceDocument` or openapi-backend's dereference).
 */
export interface OpenApiOperation {
  operationId?: string;
  deprecated?: boolean;
  responses?: Record<string, unknown>;
}

export interface MockSuccess {
  status: number;
  /** Media type of the body; '' when the selected response declares no content (body is then undefined). */
  contentType: string;
  body: unknown;
  /** Name of the `examples` entry used, when the body came from the examples map. */
  exampleName?: string;
  /** The `responses` key that was used: '200', '2XX', 'default', ... */
  responseKey: string;
  /** Where the body came from. */
  source: 'example' | 'examples' | 'schema' | 'dynamic' | 'empty';
  /** Seed used for a dynamic body (send it back, e.g. in Preference-Applied, to allow replay). */
  seed?: number;
  /** Mocked response headers (from the response's `headers`), plus `Deprecation` for deprecated operations. */
  headers: Record<string, string>;
}

export type MockErrorKind =
  | 'status_not_declared'
  | 'example_not_found'
  | 'no_success_response'
  | 'not_acceptable'
  | 'no_schema'
  | 'generation_failed';

export interface MockFailure {
  error: MockErrorKind;
  message: string;
  /** Suggested HTTP status for reporting the failure (Prism uses 404 for unknown code/example, 406, 500). */
  httpStatus: number;
}

export type MockResult = MockSuccess | MockFailure;

export interface MockOptions {
  /** The request's Accept header, if any. */
  accept?: string;
}

export function isMockFailure(r: MockResult): r is MockFailure {
  return 'error' in r;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = cloneJson;

// ------------------------------------------------------------- selection

interface Selected {
  key: string;
  status: number;
  response: ResponseObject;
}

function responseEntries(op: OpenApiOperation): [string, ResponseObject][] {
  const out: [string, ResponseObject][] = [];
  if (!isObj(op.responses)) return out;
  for (const [k, v] of Object.entries(op.responses)) {
    if (k.startsWith('x-') || !isObj(v)) continue;
    out.push([k, v as ResponseObject]);
  }
  return out;
}

/** Pick the response to answer with (Prism's status negotiation). */
export function selectResponse(op: OpenApiOperation, code?: number): Selected | MockFailure {
  const entries = responseEntries(op);
  const find = (pred: (k: string) => boolean) => entries.find(([k]) => pred(k));
  if (code === undefined) {
    const exact = entries.filter(([k]) => /^2\d\d$/.test(k)).sort((a, b) => Number(a[0]) - Number(b[0]))[0];
    if (exact) return { key: exact[0], status: Number(exact[0]), response: exact[1] };
    const range = find((k) => k.toUpperCase() === '2XX');
    if (range) return { key: range[0], status: 200, response: range[1] };
    const def = find((k) => k === 'default');
    if (def) return { key: def[0], status: 200, response: def[1] };
    return {
      error: 'no_success_response',
      message: 'No 2xx or default response is declared for this operation, cannot mock',
      httpStatus: 500,
    };
  }
  const exact = find((k) => k === String(code));
  if (exact) return { key: exact[0], status: code, response: exact[1] };
  const range = find((k) => k.toUpperCase() === `${Math.floor(code / 100)}XX`);
  if (range) return { key: range[0], status: code, response: range[1] };
  const def = find((k) => k === 'default');
  if (def) return { key: def[0], status: code, response: def[1] };
  const declared = entries.map(([k]) => k).join(', ') || 'none';
  return {
    error: 'status_not_declared',
    message: `Requested status code ${code} is not defined in the document (declared: ${declared})`,
    httpStatus: 404,
  };
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  order: number;
}

function parseAccept(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  accept.split(',').forEach((part, order) => {
    const [mt, ...params] = part.split(';').map((s) => s.trim());
    if (!mt) return;
    const [type, subtype = '*'] = mt.toLowerCase().split('/');
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > 0) out.push({ type, subtype, q, order });
  });
  return out.sort((a, b) => b.q - a.q || a.order - b.order);
}

const baseType = (mt: string): string => mt.split(';')[0].trim().toLowerCase();

/** Pick the media type to answer with. `null` → the response has no content. */
export function selectMediaType(content: Record<string, MediaTypeObject> | undefined, accept?: string): string | null | MockFailure {
  const keys = isObj(content) ? Object.keys(content).filter((k) => isObj(content[k]) || content[k] === undefined) : [];
  if (keys.length === 0) return null;
  if (accept && accept.trim()) {
    for (const r of parseAccept(accept)) {
      const hit = keys.find((k) => {
        const [t, st] = baseType(k).split('/');
        return (r.type === '*' || r.type === t) && (r.subtype === '*' || r.subtype === st);
      });
      if (hit) return hit;
    }
    return {
      error: 'not_acceptable',
      message: `The response cannot be produced in a media type acceptable to "${accept}" (available: ${keys.join(', ')})`,
      httpStatus: 406,
    };
  }
  return (
    keys.find((k) => baseType(k) === 'application/json') ??
    keys.find((k) => /^application\/[^;]*\+json$/.test(baseType(k))) ??
    keys.find((k) => /json/.test(baseType(k))) ??
    keys[0]
  );
}

// ------------------------------------------------------------- bodies

type BodyOk = { body: unknown; source: MockSuccess['source']; exampleName?: string; seed?: number };
type BodyResult = BodyOk | MockFailure;

function exampleEntries(media: { examples?: unknown }): [string, ExampleObject][] {
  if (!isObj(media.examples)) return [];
  return Object.entries(media.examples).filter((e): e is [string, ExampleObject] => isObj(e[1]));
}

function hasValue(ex: ExampleObject): boolean {
  return Object.prototype.hasOwnProperty.call(ex, 'value') && ex.value !== undefined;
}

/** The static body of a media type (example, first examples entry, or static schema sample). */
function staticBody(media: MediaTypeObject, mediaType: string): BodyResult {
  if (Object.prototype.hasOwnProperty.call(media, 'example') && media.example !== undefined) {
    return { body: media.example, source: 'example' };
  }
  const first = exampleEntries(media).find(([, ex]) => hasValue(ex));
  if (first) return { body: first[1].value, source: 'examples', exampleName: first[0] };
  if (media.schema !== undefined) return sampleBody(media.schema, mediaType, false);
  return { body: undefined, source: 'empty' };
}

function sampleBody(schema: unknown, mediaType: string, dynamic: boolean, seed?: number): BodyResult {
  try {
    if (!dynamic) return { body: sampleSchema(schema, { dynamic: false, omitWriteOnly: true }), source: 'schema' };
    const s = seed ?? randomSeed();
    return { body: sampleSchema(schema, { dynamic: true, random: seededRandom(s), omitWriteOnly: true }), source: 'dynamic', seed: s };
  } catch (e) {
    if (!(e instanceof SampleError)) throw e;
    return { error: 'generation_failed', message: `Cannot mock ${mediaType} body: ${e.message}`, httpStatus: 500 };
  }
}

function namedExample(media: MediaTypeObject | undefined, mediaType: string, name: string, status: number): BodyResult {
  const entries = media ? exampleEntries(media) : [];
  const hit = entries.find(([k]) => k === name);
  if (hit) {
    if (hasValue(hit[1])) return { body: hit[1].value, source: 'examples', exampleName: name };
    // externalValue-only example: Prism falls back to the schema.
    if (media?.schema !== undefined) {
      const r = sampleBody(media.schema, mediaType, false);
      return 'error' in r ? r : { ...r, exampleName: name };
    }
    return { body: undefined, source: 'empty', exampleName: name };
  }
  if (name === 'default' && media && Object.prototype.hasOwnProperty.call(media, 'example') && media.example !== undefined) {
    return { body: media.example, source: 'example', exampleName: 'default' };
  }
  const available = entries.map(([k]) => k);
  if (media && media.example !== undefined) available.unshift('default');
  return {
    error: 'example_not_found',
    message: `Response ${status} for content type ${mediaType || '(none)'} has no example named "${name}" (available: ${available.join(', ') || 'none'})`,
    httpStatus: 404,
  };
}

// ------------------------------------------------------------- headers

function headerValue(h: HeaderObject, dynamic: boolean, rnd: (() => number) | undefined): string | undefined {
  let v: unknown;
  let schema = h.schema;
  let example: unknown = h.example;
  let examples = h.examples;
  if (schema === undefined && isObj(h.content)) {
    const first = Object.values(h.content).find(isObj) as MediaTypeObject | undefined;
    schema = first?.schema;
    example = first?.example;
    examples = first?.examples;
  }
  const firstExample = exampleEntries({ examples }).find(([, e]) => hasValue(e))?.[1];
  if (!dynamic && example !== undefined) v = example;
  else if (!dynamic && firstExample) v = firstExample.value;
  else if (schema !== undefined) {
    try {
      v = sampleSchema(schema, dynamic ? { dynamic: true, random: rnd } : { dynamic: false });
    } catch (e) {
      if (!(e instanceof SampleError)) throw e;
      // A schema the sampler cannot satisfy (several patterns at once) still has its example.
      v = example ?? firstExample?.value;
    }
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return v.join(',');
  return undefined;
}

function mockHeaders(op: OpenApiOperation, response: ResponseObject, dynamic: boolean, rnd?: () => number): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(response.headers)) {
    for (const [name, h] of Object.entries(response.headers)) {
      if (!isObj(h) || name.toLowerCase() === 'content-type') continue;
      const v = headerValue(h as HeaderObject, dynamic, rnd);
      if (v !== undefined) out[name] = v;
    }
  }
  if (op.deprecated === true) out.Deprecation = 'true';
  return out;
}

// ------------------------------------------------------------- mocker

/**
 * Mock responder for one dereferenced operation. Static answers (no
 * `example`, no `dynamic`) are computed once, lazily or eagerly with
 * `precompute()`, and cloned on every call.
 */
export class OperationMocker {
  private readonly staticBodies = new Map<string, BodyResult>();
  private readonly staticHeaders = new Map<string, Record<string, string>>();

  constructor(
    readonly operation: OpenApiOperation,
    readonly method?: string,
    readonly path?: string,
  ) {}

  get operationId(): string | undefined {
    return this.operation.operationId;
  }

  /** Compute every static body and header set now (start-up), so requests only clone. */
  precompute(): this {
    for (const [key, response] of responseEntries(this.operation)) {
      this.headersFor(key, response);
      if (!isObj(response.content)) continue;
      for (const [mt, media] of Object.entries(response.content)) if (isObj(media)) this.staticFor(key, mt, media);
    }
    return this;
  }

  /** Static-body failures found by `precompute()` (e.g. unsatisfiable schemas), for start-up diagnostics. */
  problems(): { responseKey: string; mediaType: string; message: string }[] {
    const out: { responseKey: string; mediaType: string; message: string }[] = [];
    for (const [k, r] of this.staticBodies) {
      if ('error' in r) {
        const [responseKey, mediaType] = k.split('\u0000');
        out.push({ responseKey, mediaType, message: r.message });
      }
    }
    return out;
  }

  private staticFor(key: string, mediaType: string, media: MediaTypeObject): BodyResult {
    const k = `${key}\u0000${mediaType}`;
    let r = this.staticBodies.get(k);
    if (!r) {
      r = staticBody(media, mediaType);
      this.staticBodies.set(k, r);
    }
    return r;
  }

  private headersFor(key: string, response: ResponseObject): Record<string, string> {
    let h = this.staticHeaders.get(key);
    if (!h) {
      h = mockHeaders(this.operation, response, false);
      this.staticHeaders.set(key, h);
    }
    return h;
  }

  respond(prefer: Prefer = {}, options: MockOptions = {}): MockResult {
    const sel = selectResponse(this.operation, prefer.code);
    if ('error' in sel) return sel;
    const content = isObj(sel.response.content) ? (sel.response.content as Record<string, MediaTypeObject>) : undefined;
    const mt = selectMediaType(content, options.accept);
    if (mt !== null && typeof mt === 'object') return mt;
    const media = mt !== null && content ? content[mt] : undefined;
    const contentType = mt ?? '';

    let body: BodyResult;
    if (prefer.example !== undefined) {
      body = namedExample(media, contentType, prefer.example, sel.status);
    } else if (media === undefined) {
      body = { body: undefined, source: 'empty' };
    } else if (prefer.dynamic === true) {
      if (media.schema === undefined) {
        body = {
          error: 'no_schema',
          message: `Tried to force a dynamic response for ${contentType} but its schema is not defined`,
          httpStatus: 500,
        };
      } else body = sampleBody(media.schema, contentType, true, prefer.seed);
    } else {
      body = this.staticFor(sel.key, contentType, media);
    }
    if ('error' in body) return body;

    const headers =
      prefer.dynamic === true && body.seed !== undefined
        ? mockHeaders(this.operation, sel.response, true, seededRandom((body.seed ^ 0x9e3779b9) >>> 0))
        : { ...this.headersFor(sel.key, sel.response) };

    const result: MockSuccess = {
      status: sel.status,
      contentType,
      body: clone(body.body),
      responseKey: sel.key,
      source: body.source,
      headers,
    };
    if (body.exampleName !== undefined) result.exampleName = body.exampleName;
    if (body.seed !== undefined) result.seed = body.seed;
    return result;
  }
}

/** One-shot negotiation for a dereferenced operation (no caching). */
export function mockResponse(operation: OpenApiOperation, prefer: Prefer = {}, options: MockOptions = {}): MockResult {
  return new OperationMocker(operation).respond(prefer, options);
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface MockResponders {
  operations: OperationMocker[];
  /** By HTTP method and OpenAPI path template, e.g. get('post', '/auth/refresh'). */
  get(method: string, pathTemplate: string): OperationMocker | undefined;
  byOperationId(operationId: string): OperationMocker | undefined;
  /** Static-body problems found at start-up, per operation. */
  problems(): { method: string; path: string; responseKey: string; mediaType: string; message: string }[];
}

/**
 * Build (and precompute) a mocker for every operation of a *dereferenced*
 * OpenAPI document. Generic over any 3.0/3.1 document.
 */
export function buildMockResponders(doc: unknown): MockResponders {
  const operations: OperationMocker[] = [];
  const byRoute = new Map<string, OperationMocker>();
  const byId = new Map<string, OperationMocker>();
  const paths = isObj(doc) && isObj(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const m = new OperationMocker(op as OpenApiOperation, method, path).precompute();
      operations.push(m);
      byRoute.set(`${method} ${path}`, m);
      if (typeof op.operationId === 'string') byId.set(op.operationId, m);
    }
  }
  return {
    operations,
    get: (method, pathTemplate) => byRoute.get(`${method.toLowerCase()} ${pathTemplate}`),
    byOperationId: (id) => byId.get(id),
    problems: () =>
      operations.flatMap((o) => o.problems().map((p) => ({ method: o.method as string, path: o.path as string, ...p }))),
  };
}
