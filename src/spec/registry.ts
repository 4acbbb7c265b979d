import Ajv, { type ValidateFunction } from 'ajv';
import OpenAPIBackend from 'openapi-backend';
import type { Dialect } from '../dialects/dialect';
import { DocumentLoadError, loadDocument, readValidatedDigests, type LoadedDocument, type OpenApiDocument } from './documents';
import { addDocumentFormats, type FormatSemantics } from './formats';

/** A parameter as the pipeline reads it: where from, whether required, its schema. */
export interface ParameterSpec {
  name: string;
  /** Lower-case for headers (HTTP header names are case-insensitive). */
  key: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Record<string, any>;
  default?: unknown;
}

export interface ResponseSpec {
  status: string;
  /** media type → compiled body validator (null: any body of that type). */
  bodies: Map<string, ValidateFunction | null>;
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
  body?: { required: boolean; schema: Record<string, any>; mediaTypes: string[] };
  /** Validators compiled by openapi-backend from the document: [body?] then parameters. */
  bodyValidator?: ValidateFunction;
  parametersValidator: ValidateFunction;
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

function compileResponses(operation: Record<string, any>, ajv: Ajv, where: string): Map<string, ResponseSpec> {
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
    responses.set(status, { status, bodies });
  }
  return responses;
}

function requiresBearer(document: OpenApiDocument, operation: Record<string, any>): boolean {
  const requirements: Array<Record<string, unknown>> = operation.security ?? document.security ?? [];
  if (requirements.length === 0) return false;
  const schemes = document.components?.securitySchemes ?? {};
  // Every alternative must name an http bearer scheme; an empty alternative ({}) means optional.
  return requirements.every((requirement) => {
    const names = Object.keys(requirement);
    return names.length > 0 && names.some((name) => schemes[name]?.type === 'http' && String(schemes[name]?.scheme).toLowerCase() === 'bearer');
  });
}

/**
 * Loads one document (+ overlay), builds its openapi-backend instance and compiles every
 * validator once. Throws {@link DocumentLoadError} naming the file when anything fails:
 * openapi-backend on its own only warns and leaves itself half-initialised.
 */
export async function compileApi(
  descriptor: ApiDescriptor,
  specsDir?: string,
  overlaysDir?: string,
  validatedDigests: Readonly<Record<string, string>> = readValidatedDigests(),
): Promise<CompiledApi> {
  const loaded = loadDocument(descriptor.name, specsDir, overlaysDir, validatedDigests);
  const customizeAjv = (ajv: Ajv) => addDocumentFormats(ajv, descriptor.formats);
  const backend = new OpenAPIBackend({
    definition: structuredClone(loaded.document) as any,
    strict: true,
    validate: true,
    ajvOpts: { allErrors: true, strict: false },
    customizeAjv: customizeAjv as any,
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

  const responseAjv = customizeAjv(new Ajv({ allErrors: true, strict: false })) as Ajv;
  const operations: CompiledOperation[] = [];
  for (const [path, pathItem] of Object.entries<any>(definition.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem?.[method];
      if (!operation) continue;
      const where = `${loaded.file}: ${method.toUpperCase()} ${path}`;
      if (!operation.operationId) throw new DocumentLoadError(loaded.file, `${method.toUpperCase()} ${path} has no operationId (add one in the overlay)`);
      const declared = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])];
      const parameters: ParameterSpec[] = declared
        .map((p: any) => ({
          name: p.name,
          key: p.in === 'header' ? String(p.name).toLowerCase() : p.name,
          in: p.in,
          required: p.required === true,
          schema: p.schema ?? {},
          default: p.schema?.default,
        }))
        .sort((a, b) => LOCATION_ORDER[a.in as keyof typeof LOCATION_ORDER] - LOCATION_ORDER[b.in as keyof typeof LOCATION_ORDER]);
      const json = operation.requestBody?.content?.['application/json'];
      const validators = backend.validator.getRequestValidatorsForOperation(operation.operationId);
      if (!validators || validators.length === 0) throw new DocumentLoadError(loaded.file, `${where}: no request validator was compiled`);
      operations.push({
        api: descriptor.name,
        operationId: operation.operationId,
        method: method.toUpperCase(),
        path,
        summary: operation.summary,
        operation,
        dialect: descriptor.dialect,
        parameters,
        body: operation.requestBody
          ? { required: operation.requestBody.required === true, schema: json?.schema ?? {}, mediaTypes: Object.keys(operation.requestBody.content ?? {}) }
          : undefined,
        bodyValidator: json?.schema ? validators[0] : undefined,
        parametersValidator: validators[validators.length - 1],
        requiresBearer: requiresBearer(definition, operation),
        responses: compileResponses(operation, responseAjv, where),
      });
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
