import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import OpenAPIBackend, { OpenAPIValidator, ValidationContext } from 'openapi-backend';
import { coercesText, parameterShape, type ParameterShape } from '../app/parameter-styles';
import type { Dialect } from '../dialects/dialect';
import { requestProfileFor, type RequestProfile, type RequestProfileName } from '../request-profiles';
import { mediaKind, type BodyMedia, type OperationBody } from '../request-profiles/profile';
import { DocumentLoadError, loadDocument, readValidatedDigests, type LoadedDocument, type OpenApiDocument } from './documents';
import { addDocumentFormats, type FormatSemantics } from './formats';
import { nameOperations } from './operation-ids';

/** A parameter as the pipeline reads it: where from, whether required, its schema. */
export interface ParameterSpec {
  name: string;
  /** Lower-case for headers (HTTP header names are case-insensitive). */
  key: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Record<string, any>;
  default?: unknown;
  /** How the value is serialised (OpenAPI's defaults: `form` for query and cookie, `simple` for path and header). */
  style: string;
  explode: boolean;
  /** What the schema makes of the text: arrays and objects are read by {@link style}. */
  shape: ParameterShape;
  /** Whether the text is read as another type than string (a number, a boolean, an array, an object). */
  deserializes: boolean;
}

/** A security scheme of `components.securitySchemes`, as its handler reads a credential. */
export interface SecuritySchemeSpec {
  /** Its name in `components.securitySchemes`. */
  name: string;
  type: 'http' | 'apiKey' | 'oauth2' | 'openIdConnect' | 'mutualTLS';
  /** `http`: the Authorization scheme, lower-case (`bearer`, `basic`). */
  scheme?: string;
  /** `apiKey`: where the key travels, and under which name. */
  in?: 'header' | 'query' | 'cookie';
  parameterName?: string;
}

export interface ResponseSpec {
  status: string;
  /** media type → compiled body validator (null: any body of that type). */
  bodies: Map<string, ValidateFunction | null>;
  /** The response headers the document declares (Content-Type aside). */
  headers: ResponseHeaderSpec[];
}

export interface ResponseHeaderSpec {
  /** Lower-case. */
  name: string;
  required: boolean;
  /** Checks one value, as the string it travels as (types coerced); null when no schema. */
  validate: ((value: string) => boolean) | null;
}

export interface CompiledOperation {
  api: string;
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  path: string;
  summary?: string;
  /** The dereferenced operation object. */
  operation: Record<string, any>;
  dialect: Dialect;
  /** In FastAPI's order: path, query, header, cookie; declaration order within each. */
  parameters: ParameterSpec[];
  body?: OperationBody;
  /** How this api's requests are read (FastAPI's rules, or a strict OpenAPI server's). */
  requestProfile: RequestProfile;
  /** The `application/json` body's validator, compiled by openapi-backend from the document. */
  bodyValidator?: ValidateFunction;
  parametersValidator: ValidateFunction;
  /**
   * The overlay's `x-refreshd-supported-versions`: the versions a header parameter may name
   * (by its date); any other well-formed value is a 422.
   */
  supportedVersions?: { parameter: ParameterSpec; versions: string[] };
  /**
   * The security requirement: alternatives, each met when every scheme in it finds its
   * credential; an empty alternative (`{}`) makes the credentials optional. Empty: no security.
   */
  security: SecuritySchemeSpec[][];
  /** True when every security alternative needs an HTTP bearer credential. */
  requiresBearer: boolean;
  responses: Map<string, ResponseSpec>;
}

export interface CompiledApi {
  name: string;
  title: string;
  loaded: LoadedDocument;
  /** Dereferenced document + overlay. */
  definition: OpenApiDocument;
  dialect: Dialect;
  backend: OpenAPIBackend;
  operations: CompiledOperation[];
}

export interface ApiDescriptor {
  name: string;
  dialect: Dialect;
  formats: FormatSemantics;
  /** Profile overlays applied after the api's own (`specs/overlays/<profile>/<name>.overlay.yaml`). */
  profiles?: readonly string[];
  /** Where `<name>.yaml` is (default the project's `specs/`). */
  specsDir?: string;
  /** Where its overlays are (default `<specsDir>/overlays`). */
  overlaysDir?: string;
  /**
   * Changes to the loaded document that depend on the start-up (the admin document's list of
   * api names), made after it was validated and before anything is compiled from it.
   */
  amend?: (document: OpenApiDocument) => void;
  /** How requests are read; default `fastapi` for the fastapi and pathstack dialects, `strict` for the envelope. */
  requestProfile?: RequestProfileName;
  /** The document's file when it is not `<specsDir>/<name>.yaml` (`refreshd mock petstore.json`). */
  documentFile?: string;
  /**
   * An operation without an operationId stops start-up (refreshd binds handlers by it), unless
   * this is `generate`: a document mocked from the command line, which needs none (as in Prism).
   */
  missingOperationIds?: 'refuse' | 'generate';
}

const LOCATION_ORDER = { path: 0, query: 1, header: 2, cookie: 3 } as const;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * A copy of a dereferenced schema without `x-` extension keys. They are annotations to a
 * validator, and Apifox's (`x-apifox-refs`) hold reference cycles that Ajv would recurse into.
 */
export function withoutExtensions(schema: unknown, copies = new Map<object, unknown>()): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withoutExtensions(item, copies));
  if (!schema || typeof schema !== 'object') return schema;
  const existing = copies.get(schema);
  if (existing) return existing;
  const copy: Record<string, unknown> = {};
  copies.set(schema, copy);
  for (const [key, value] of Object.entries(schema)) {
    if (!key.startsWith('x-')) copy[key] = withoutExtensions(value, copies);
  }
  return copy;
}

/**
 * The Ajv instances one start-up compiles its validators in: one per format semantics and
 * set of options (openapi-backend's request bodies; its parameters and response headers;
 * refreshd's responses), each configured as it always was. A new Ajv instance compiles the
 * JSON Schema meta-schema the first time it checks a schema (~30 ms on a cold process), and
 * openapi-backend makes one for every validator it builds. Validators are compiled from
 * copies of the document's schemas, so an instance shares nothing between them but the
 * meta-schema and the formats.
 *
 * Instances that would check a schema against its meta-schema the same way (same format
 * semantics, same options once the ones Ajv ignores for meta-schemas are set aside) check
 * it with the first one's compiled meta-schema: the same verdict and the same message, one
 * compile instead of three per format semantics.
 */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** Stands for an object or function by identity: options holding the same one (Ajv's URI resolver, a RegExp engine) match. */
function identity(value: object): string {
  if (!identities.has(value)) identities.set(value, nextIdentity++);
  return `#${identities.get(value)}`;
}

/**
 * Ajv options as a key: keys in order, plain values as they are, one level of nested options,
 * objects that print themselves (the code reference ajv-formats puts in `code.formats`) by what
 * they print, anything else by identity.
 */
function optionsKey(options: Record<string, unknown>, depth = 0): string {
  const entries = Object.keys(options)
    .sort()
    .map((key) => {
      const value = options[key];
      if (typeof value === 'function') return [key, identity(value)];
      if (!value || typeof value !== 'object') return [key, value];
      if (depth === 0 && Object.getPrototypeOf(value) === Object.prototype) return [key, optionsKey(value as Record<string, unknown>, 1)];
      const prints = typeof value.toString === 'function' && value.toString !== Object.prototype.toString;
      return [key, prints ? `printed:${String(value)}` : identity(value)];
    });
  return JSON.stringify(entries);
}

export class AjvPool {
  private readonly instances = new Map<string, Ajv>();
  private readonly metaSchemaCheckers = new Map<string, Ajv>();

  /** The instance kept under `key`, or `create()`'s (for documents of `formats`), which is kept from now on. */
  get(key: string, formats: FormatSemantics, create: () => Ajv): Ajv {
    let ajv = this.instances.get(key);
    if (!ajv) {
      ajv = create();
      this.shareMetaSchema(ajv, formats);
      this.instances.set(key, ajv);
    }
    return ajv;
  }

  private shareMetaSchema(ajv: Ajv, formats: FormatSemantics): void {
    // Ajv compiles meta-schemas without these three (its META_IGNORE_OPTIONS).
    const { coerceTypes: _coerce, useDefaults: _defaults, removeAdditional: _remove, ...metaOptions } = ajv.opts;
    const key = `${formats}:${optionsKey(metaOptions)}`;
    const checker = this.metaSchemaCheckers.get(key);
    if (!checker) return void this.metaSchemaCheckers.set(key, ajv);
    ajv.validateSchema = (schema, throwOrLogError) => {
      try {
        return checker.validateSchema(schema, throwOrLogError);
      } finally {
        ajv.errors = checker.errors;
      }
    };
  }
}

/**
 * Whether a schema anywhere in the document names itself with `$id`. Ajv registers ids per
 * instance and refuses a second, different schema under the same id, so such a document keeps
 * an instance per validator, as openapi-backend would have given it.
 */
function declaresSchemaIds(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(declaresSchemaIds);
  if (!node || typeof node !== 'object') return false;
  return Object.entries(node).some(([key, value]) => (key === '$id' && typeof value === 'string') || declaresSchemaIds(value));
}

function compileResponses(operation: Record<string, any>, ajv: Ajv, headersAjv: Ajv, where: string): Map<string, ResponseSpec> {
  const responses = new Map<string, ResponseSpec>();
  for (const [status, response] of Object.entries<any>(operation.responses ?? {})) {
    const bodies = new Map<string, ValidateFunction | null>();
    for (const [mediaType, media] of Object.entries<any>(response?.content ?? {})) {
      try {
        bodies.set(mediaType.toLowerCase(), media?.schema ? ajv.compile(withoutExtensions(media.schema) as object) : null);
      } catch (error) {
        throw new Error(`${where} response ${status} ${mediaType}: schema does not compile: ${(error as Error).message}`);
      }
    }
    const headers: ResponseHeaderSpec[] = [];
    for (const [name, header] of Object.entries<any>(response?.headers ?? {})) {
      if (name.toLowerCase() === 'content-type') continue;
      let validate: ResponseHeaderSpec['validate'] = null;
      if (header?.schema) {
        // Header values are strings on the wire: the schema is checked with coercion, as a property.
        let check: ValidateFunction;
        try {
          check = headersAjv.compile({ type: 'object', properties: { value: withoutExtensions(header.schema) } });
        } catch (error) {
          throw new Error(`${where} response ${status} header ${name}: schema does not compile: ${(error as Error).message}`);
        }
        validate = (value) => check({ value }) as boolean;
      }
      headers.push({ name: name.toLowerCase(), required: header?.required === true, validate });
    }
    responses.set(status, { status, bodies, headers });
  }
  return responses;
}

/** Reads `x-refreshd-supported-versions: {header, versions}`; a malformed one stops start-up. */
function supportedVersions(operation: Record<string, any>, parameters: ParameterSpec[], file: string, where: string): CompiledOperation['supportedVersions'] {
  const extension = operation['x-refreshd-supported-versions'];
  if (extension === undefined) return undefined;
  const parameter = parameters.find((p) => p.in === 'header' && p.key === String(extension?.header).toLowerCase());
  const versions = extension?.versions;
  if (!parameter || !Array.isArray(versions) || versions.length === 0 || !versions.every((v) => typeof v === 'string')) {
    throw new DocumentLoadError(file, `${where}: x-refreshd-supported-versions must name a declared header and list its versions`);
  }
  return { parameter, versions };
}

const SECURITY_TYPES = new Set(['http', 'apiKey', 'oauth2', 'openIdConnect', 'mutualTLS']);

/** The operation's security requirement (its own, else the document's), each scheme resolved; an unknown scheme stops start-up. */
function securityOf(document: OpenApiDocument, operation: Record<string, any>, file: string, where: string): SecuritySchemeSpec[][] {
  const requirements: Array<Record<string, unknown>> = operation.security ?? document.security ?? [];
  const schemes = document.components?.securitySchemes ?? {};
  return requirements.map((requirement) =>
    Object.keys(requirement ?? {}).map((name) => {
      const scheme = schemes[name];
      if (!scheme || !SECURITY_TYPES.has(scheme.type)) throw new DocumentLoadError(file, `${where}: security scheme ${name} is not declared under components.securitySchemes`);
      if (scheme.type === 'apiKey' && (!['header', 'query', 'cookie'].includes(scheme.in) || typeof scheme.name !== 'string')) {
        throw new DocumentLoadError(file, `${where}: apiKey scheme ${name} must say where (in: header, query or cookie) and under which name`);
      }
      return scheme.type === 'apiKey'
        ? { name, type: 'apiKey', in: scheme.in, parameterName: scheme.name }
        : { name, type: scheme.type, scheme: scheme.type === 'http' ? String(scheme.scheme ?? '').toLowerCase() : undefined };
    }),
  );
}

/** Every alternative names an http bearer scheme; an empty alternative ({}) means optional. */
const needsBearer = (security: SecuritySchemeSpec[][]): boolean =>
  security.length > 0 && security.every((alternative) => alternative.some((scheme) => scheme.type === 'http' && scheme.scheme === 'bearer'));

/** Each declared media type of a request body; `validators()` gives their validators, in the same order. */
function bodyMedia(content: Record<string, any>, validators: () => Array<ValidateFunction | undefined>): BodyMedia[] {
  return Object.keys(content).map((declared, index) => {
    const mediaType = declared.split(';')[0].trim().toLowerCase();
    return {
      mediaType,
      kind: mediaKind(mediaType),
      schema: content[declared]?.schema ?? {},
      get validate() {
        return validators()[index];
      },
    };
  });
}

/** The validator of each declared media type of a request body (the JSON one is openapi-backend's), in declaration order. */
function bodyMediaValidators(content: Record<string, any>, required: boolean, jsonValidator: ValidateFunction | undefined, ajv: Ajv, where: string): Array<ValidateFunction | undefined> {
  return Object.entries<any>(content).map(([declared, media]) => {
    if (declared === 'application/json') return jsonValidator;
    if (!media?.schema) return undefined;
    try {
      return ajv.compile({ type: 'object', properties: { requestBody: withoutExtensions(media.schema) }, required: required ? ['requestBody'] : [] });
    } catch (error) {
      throw new Error(`${where} request body ${declared}: schema does not compile: ${(error as Error).message}`);
    }
  });
}

/** What is compiled from one operation's schemas. */
interface OperationValidators {
  bodyValidator?: ValidateFunction;
  parametersValidator: ValidateFunction;
  /** One per {@link OperationBody.media}, in the same order. */
  bodyMedia: Array<ValidateFunction | undefined>;
  responses: Map<string, ResponseSpec>;
}

/**
 * Loads one document (+ overlay), builds its openapi-backend instance and compiles every
 * validator once. Throws {@link DocumentLoadError} naming the file when anything fails:
 * openapi-backend on its own only warns and leaves itself half-initialised. Validators are
 * compiled in `ajvPool`'s instances; {@link compileApis} shares one pool between the apis
 * of a start-up.
 *
 * A document whose checks `npm run generate` recorded ({@link checkedDigest}), used as recorded
 * (not amended, no operationId made up), has each operation's validators compiled the first time
 * one of them is read, without checking its schemas against the JSON Schema meta-schema again:
 * both were proven for exactly this document when the record was made. Any other document is
 * checked and compiled in full here, so a bad schema stops start-up.
 */
export async function compileApi(
  descriptor: ApiDescriptor,
  specsDir?: string,
  overlaysDir?: string,
  validatedDigests: Readonly<Record<string, string>> = readValidatedDigests(),
  ajvPool: AjvPool = new AjvPool(),
): Promise<CompiledApi> {
  const documentsDir = specsDir ?? descriptor.specsDir;
  const loaded = loadDocument(
    descriptor.name,
    documentsDir,
    overlaysDir ?? descriptor.overlaysDir ?? (documentsDir === undefined ? undefined : path.join(documentsDir, 'overlays')),
    validatedDigests,
    descriptor.profiles,
    descriptor.documentFile,
  );
  if (descriptor.missingOperationIds === 'generate') nameOperations(loaded.document);
  descriptor.amend?.(loaded.document);
  const recorded = loaded.recorded && descriptor.amend === undefined && descriptor.missingOperationIds !== 'generate';
  const pool = declaresSchemaIds(loaded.document) ? undefined : ajvPool;
  const pooled = (kind: string, create: () => Ajv): Ajv =>
    pool ? pool.get(`${descriptor.formats}:${recorded ? 'recorded' : 'checked'}:${kind}`, descriptor.formats, create) : create();
  // openapi-backend makes a fresh instance (its options, its formats) and hands it over here;
  // its parameter and response-header validators take the same options (coerceTypes).
  const customizeAjv = (ajv: Ajv, options: object) => pooled(`openapi-backend:${JSON.stringify(options)}`, () => addDocumentFormats(ajv, descriptor.formats));
  // Ajv's optimising pass over the code it generates costs ~110 ms of a cold start here and
  // buys no measurable validation speed (V8 optimises the generated functions either way).
  const ajvOpts = { allErrors: true, strict: false, code: { optimize: false }, ...(recorded ? { validateSchema: false } : {}) };
  const backend = new OpenAPIBackend({
    definition: structuredClone(loaded.document) as any,
    strict: true,
    // The validator is built below, without openapi-backend's response validators.
    validate: false,
  });
  // The document was already checked against the meta-schema of its own OpenAPI version
  // (openapi-backend only knows 3.0's, which two of the five documents fail).
  (backend as any).validateDefinition = () => (backend as any).document;
  try {
    await backend.init();
  } catch (error) {
    throw new DocumentLoadError(loaded.file, (error as Error).message);
  }
  const definition = backend.definition as unknown as OpenApiDocument;
  if (!backend.initialized || !definition?.paths) throw new DocumentLoadError(loaded.file, 'openapi-backend did not initialise');
  // Lazy: openapi-backend would otherwise compile response and response-header validators for
  // every operation, which the pipeline never uses (it validates replies with its own, below).
  // The request validators it does use are compiled right away, operation by operation.
  backend.validator = new OpenAPIValidator({
    definition: backend.definition,
    ajvOpts,
    customizeAjv,
    router: backend.router,
    lazyCompileValidators: true,
  });

  const responseAjv = pooled('refreshd-response', () => addDocumentFormats(new Ajv(ajvOpts), descriptor.formats));
  const headersAjv = backend.validator.getAjv(ValidationContext.ResponseHeaders, { coerceTypes: true });
  const requestBodyAjv = backend.validator.getAjv(ValidationContext.RequestBody);
  const requestProfile = requestProfileFor(descriptor.requestProfile, descriptor.dialect);
  const operations: CompiledOperation[] = [];
  for (const [path, pathItem] of Object.entries<any>(definition.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem?.[method];
      if (!operation) continue;
      const where = `${loaded.file}: ${method.toUpperCase()} ${path}`;
      if (!operation.operationId) throw new DocumentLoadError(loaded.file, `${method.toUpperCase()} ${path} has no operationId (add one in the overlay)`);
      const declared = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])];
      const parameters: ParameterSpec[] = declared
        .map((p: any): ParameterSpec => {
          const style = p.style ?? (p.in === 'query' || p.in === 'cookie' ? 'form' : 'simple');
          const shape = parameterShape(p.schema);
          return {
            name: p.name,
            key: p.in === 'header' ? String(p.name).toLowerCase() : p.name,
            in: p.in,
            required: p.required === true,
            schema: p.schema ?? {},
            default: p.schema?.default,
            style,
            explode: p.explode ?? style === 'form',
            shape,
            deserializes: shape !== 'scalar' || coercesText(p.schema),
          };
        })
        .sort((a, b) => LOCATION_ORDER[a.in as keyof typeof LOCATION_ORDER] - LOCATION_ORDER[b.in as keyof typeof LOCATION_ORDER]);
      const json = operation.requestBody?.content?.['application/json'];
      const content: Record<string, any> = operation.requestBody?.content ?? {};
      const bodyRequired = operation.requestBody?.required === true;
      const compileValidators = (): OperationValidators => {
        let validators: ValidateFunction[] | null;
        try {
          validators = backend.validator.getRequestValidatorsForOperation(operation.operationId);
        } catch (error) {
          throw new DocumentLoadError(loaded.file, `${method.toUpperCase()} ${path}: ${(error as Error).message}`);
        }
        if (!validators || validators.length === 0) throw new DocumentLoadError(loaded.file, `${where}: no request validator was compiled`);
        const bodyValidator = json?.schema ? validators[0] : undefined;
        return {
          bodyValidator,
          parametersValidator: validators[validators.length - 1],
          bodyMedia: bodyMediaValidators(content, bodyRequired, bodyValidator, requestBodyAjv, where),
          responses: compileResponses(operation, responseAjv, headersAjv, where),
        };
      };
      let compiled = recorded ? undefined : compileValidators();
      const validators = () => (compiled ??= compileValidators());
      const security = securityOf(definition, operation, loaded.file, `${method.toUpperCase()} ${path}`);
      const compiledOperation: CompiledOperation = {
        api: descriptor.name,
        operationId: operation.operationId,
        method: method.toUpperCase(),
        path,
        summary: operation.summary,
        operation,
        dialect: descriptor.dialect,
        parameters,
        body: operation.requestBody
          ? { required: bodyRequired, schema: json?.schema ?? {}, mediaTypes: Object.keys(content), media: bodyMedia(content, () => validators().bodyMedia) }
          : undefined,
        requestProfile,
        get bodyValidator() {
          return validators().bodyValidator;
        },
        get parametersValidator() {
          return validators().parametersValidator;
        },
        supportedVersions: supportedVersions(operation, parameters, loaded.file, `${method.toUpperCase()} ${path}`),
        security,
        requiresBearer: needsBearer(security),
        get responses() {
          return validators().responses;
        },
      };
      operations.push(compiledOperation);
    }
  }
  return {
    name: descriptor.name,
    title: String(loaded.document.info?.title ?? descriptor.name),
    loaded,
    definition,
    dialect: descriptor.dialect,
    backend,
    operations,
  };
}

/**
 * Checks a document as a start-up without any record does (its OpenAPI meta-schema; every
 * validator compiled, each schema checked against the JSON Schema meta-schema) and returns the
 * digest `npm run generate` records for it, which lets later start-ups skip both checks (see
 * {@link compileApi}). Throws what such a start-up would throw.
 */
export async function checkedDigest(descriptor: ApiDescriptor): Promise<string> {
  const api = await compileApi(descriptor, undefined, undefined, {});
  return api.loaded.digest;
}

/**
 * Compiles the apis of one start-up ({@link compileApi}), one after the other, sharing one
 * {@link AjvPool} and one read of the validated digests.
 */
export async function compileApis(descriptors: readonly ApiDescriptor[]): Promise<CompiledApi[]> {
  const ajvPool = new AjvPool();
  const validatedDigests = readValidatedDigests();
  const apis: CompiledApi[] = [];
  for (const descriptor of descriptors) apis.push(await compileApi(descriptor, undefined, undefined, validatedDigests, ajvPool));
  return apis;
}
