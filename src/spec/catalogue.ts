import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type Ajv from 'ajv';
import { dialectNamed, DIALECT_NAMES } from '../dialects';
import { SPECS_DIR } from '../paths';
import { DocumentLoadError, readYaml } from './documents';
import type { FormatSemantics } from './formats';
import type { ApiDescriptor } from './registry';

/**
 * Which apis a start-up serves, read from the documents themselves: every `<specs>/<name>.yaml`
 * is an api named `<name>`, and what the code needs to know about it that OpenAPI cannot say
 * is declared under `x-refreshd` in its overlay (`<specs>/overlays/<name>.overlay.yaml`) or,
 * for a document written for refreshd, at the top of the document. Nothing in the code lists
 * the apis.
 */

/** Where a value travels in a request: a declared parameter, or a property of the (JSON or form) body. */
export interface RequestSlot {
  in: 'cookie' | 'header' | 'query' | 'path' | 'body';
  name: string;
}

/**
 * The declarative refresh handler of one operation: where the refresh token comes in, what
 * else the request says about the session, and how the answer carries the rotated tokens.
 */
export interface RefreshDeclaration {
  /** The presented refresh token. Absent or empty is the token service's `token_missing` (401). */
  token: RequestSlot;
  /** A value that must name the token's subject (pathstack's `sub`). */
  subject?: RequestSlot;
  /** An organization to scope the new tokens to (almanac's `organization_id`); absent or null keeps the scope. */
  organization?: RequestSlot;
  /**
   * `session`: the call needs a credential of an http bearer scheme, which must be an access
   * token of the same session (expired or not) or one of `--api-keys` (almanac).
   */
  bearer?: 'session';
  reply: {
    /** Default 200. */
    status?: number;
    /** The rotated refresh token goes back in this cookie (HttpOnly, SameSite=Strict, Path = the operation's path). */
    cookie?: string;
    /**
     * The JSON body: every string that is exactly `$name` is replaced by that value of the
     * rotation (see {@link TEMPLATE_VALUES}); `$$…` is the literal `$…`; everything else is sent as written.
     */
    body?: unknown;
  };
}

/** The values a reply template may name, and what they hold. */
export const TEMPLATE_VALUES = {
  access_token: 'the new access token (JWT)',
  refresh_token: 'the rotated refresh token',
  expires_in: "the access token's lifetime in seconds, as issued",
  access_expires: "the access token's expiry, ISO 8601 with microseconds and +00:00",
  refresh_expires: "the refresh token's expiry, ISO 8601 with microseconds and +00:00",
  organization_id: 'the organization the new tokens are scoped to, or null',
  subject: "the session's subject",
  session_id: "the session's id",
} as const;
export type TemplateValue = keyof typeof TEMPLATE_VALUES;

/** What a security scheme's credential is checked against, when refreshd checks it itself. */
export type CredentialCheck = 'admin-token' | 'api-keys';

/** `x-refreshd`: what refreshd needs to know about an api that its document does not say. */
export interface ApiDeclaration {
  /** The api's error format (default `problem`: RFC 9457, as Prism answers). */
  dialect: string;
  /** What the document's `format`s mean: `pydantic` for documents FastAPI generated (default `json-schema`). */
  formats: FormatSemantics;
  /** How requests are read: `fastapi` (FastAPI 0.142's rules) or `strict` (default: `fastapi` for the FastAPI-made dialects). */
  requestProfile?: 'fastapi' | 'strict';
  /** `uuid4`: subjects are UUID4s, minted and compared in canonical spelling. Default `any`. */
  subject: 'any' | 'uuid4';
  /** `admin`: the admin api of a real server, not an api with tokens of its own. Default `token`. */
  role: 'token' | 'admin';
  /** Security scheme name → what its credential is checked against. */
  security: Record<string, CredentialCheck>;
  /** operationId → its declarative refresh handler (used when `handlers/<operationId>.ts` does not exist). */
  refresh: Record<string, RefreshDeclaration>;
}

/** An api as discovered: its descriptor for the spec layer and its declaration. */
export interface CatalogueEntry extends ApiDescriptor {
  declaration: ApiDeclaration;
  /** The file `x-refreshd` was read from (the overlay, or the document itself). */
  declaredIn?: string;
}

const SLOT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['in', 'name'],
  properties: { in: { enum: ['cookie', 'header', 'query', 'path', 'body'] }, name: { type: 'string', minLength: 1 } },
};

export const DECLARATION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dialect: { type: 'string' },
    formats: { enum: ['pydantic', 'json-schema'] },
    requestProfile: { enum: ['fastapi', 'strict'] },
    subject: { enum: ['any', 'uuid4'] },
    role: { enum: ['token', 'admin'] },
    security: { type: 'object', additionalProperties: { enum: ['admin-token', 'api-keys'] } },
    refresh: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['token', 'reply'],
        properties: {
          token: SLOT_SCHEMA,
          subject: SLOT_SCHEMA,
          organization: SLOT_SCHEMA,
          bearer: { enum: ['session'] },
          reply: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'integer', minimum: 200, maximum: 299 },
              cookie: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
              body: {},
            },
          },
        },
      },
    },
  },
};

let checkDeclaration: ReturnType<Ajv['compile']> | undefined;

/** Checks an `x-refreshd` value and fills in its defaults; a malformed one stops start-up naming `file`. */
export function readDeclaration(value: unknown, file: string): ApiDeclaration {
  if (!checkDeclaration) {
    // Loaded here, not at the top: a command that never reads a declaration (--help, keys) never needs Ajv.
    const AjvClass: typeof Ajv = require('ajv').default;
    // The schema is refreshd's own, checked against its meta-schema by the tests, not at every start.
    checkDeclaration = new AjvClass({ allErrors: true, strict: false, validateSchema: false }).compile(DECLARATION_SCHEMA);
  }
  const raw = value ?? {};
  if (!checkDeclaration(raw)) {
    const problems = (checkDeclaration.errors ?? []).map((e) => {
      const where = `x-refreshd${e.instancePath.replaceAll('/', '.')}`;
      if (e.keyword === 'additionalProperties') return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      if (e.keyword === 'enum') return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      return `${where} ${e.message}`;
    });
    throw new DocumentLoadError(file, problems.join('; '));
  }
  const declared = raw as Partial<ApiDeclaration>;
  const dialect = declared.dialect ?? 'problem';
  if (!DIALECT_NAMES.includes(dialect)) throw new DocumentLoadError(file, `x-refreshd.dialect "${dialect}" is not one of ${DIALECT_NAMES.join(', ')}`);
  for (const [operationId, refresh] of Object.entries(declared.refresh ?? {})) checkTemplate(refresh.reply.body, `x-refreshd.refresh.${operationId}.reply.body`, file);
  return {
    dialect,
    formats: declared.formats ?? 'json-schema',
    requestProfile: declared.requestProfile,
    subject: declared.subject ?? 'any',
    role: declared.role ?? 'token',
    security: declared.security ?? {},
    refresh: declared.refresh ?? {},
  };
}

/** A `$name` that names no value is a typo, refused at start-up rather than sent. */
function checkTemplate(node: unknown, where: string, file: string): void {
  if (typeof node === 'string' && node.startsWith('$') && !node.startsWith('$$') && !(node.slice(1) in TEMPLATE_VALUES)) {
    throw new DocumentLoadError(file, `${where}: "${node}" names no value (one of ${Object.keys(TEMPLATE_VALUES).map((name) => `$${name}`).join(', ')})`);
  }
  if (Array.isArray(node)) node.forEach((item, index) => checkTemplate(item, `${where}[${index}]`, file));
  else if (node && typeof node === 'object') for (const [key, item] of Object.entries(node)) checkTemplate(item, `${where}.${key}`, file);
}

function readYamlFile(file: string): Record<string, unknown> {
  const parsed = readYaml(file);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DocumentLoadError(file, 'the YAML is not a mapping');
  return parsed as Record<string, unknown>;
}

/**
 * The entry of the document `<specsDir>/<name>.yaml`: its `x-refreshd` from the overlay when
 * the overlay has one, else from the document.
 */
export function describeApi(name: string, specsDir = SPECS_DIR, overlaysDir = path.join(specsDir, 'overlays'), documentFile?: string): CatalogueEntry {
  const file = documentFile ?? path.join(specsDir, `${name}.yaml`);
  const overlayFile = path.join(overlaysDir, `${name}.overlay.yaml`);
  let declaredIn: string | undefined;
  let value: unknown;
  if (existsSync(overlayFile)) {
    const overlay = readYamlFile(overlayFile);
    if ('x-refreshd' in overlay) [declaredIn, value] = [overlayFile, overlay['x-refreshd']];
  }
  if (declaredIn === undefined) {
    const document = readYamlFile(file);
    if ('x-refreshd' in document) [declaredIn, value] = [file, document['x-refreshd']];
  }
  const declaration = readDeclaration(value, declaredIn ?? file);
  return {
    name,
    dialect: dialectNamed(declaration.dialect),
    formats: declaration.formats,
    requestProfile: declaration.requestProfile,
    specsDir,
    overlaysDir,
    ...(documentFile === undefined ? {} : { documentFile }),
    declaration,
    declaredIn,
  };
}

/** Api names are path segments and metric labels: lower-case letters, digits, `-` and `_`. */
export const API_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** Every api of a specs folder, in name order, and the admin api when one is declared there. */
export interface Catalogue {
  specsDir: string;
  apis: CatalogueEntry[];
  admin?: CatalogueEntry;
  names: string[];
  /** The entry of `name`, or a clear error listing what there is. */
  get(name: string): CatalogueEntry;
  /** Checks `names` (e.g. `--apis`) against the catalogue: each must be one of its apis. */
  select(names: readonly string[] | undefined): CatalogueEntry[];
}

export class UnknownApiError extends Error {
  constructor(name: string, known: readonly string[], specsDir: string) {
    super(`unknown api "${name}" (one of ${known.join(', ')}; documents in ${specsDir})`);
    this.name = 'UnknownApiError';
  }
}

/**
 * Reads `specsDir`: each `*.yaml` is an api. Stops start-up with a clear error for a name that
 * cannot be an api name, a malformed `x-refreshd`, or a folder with no api.
 */
export function discoverApis(specsDir = SPECS_DIR): Catalogue {
  const absolute = path.resolve(specsDir);
  let files: string[];
  try {
    files = readdirSync(absolute).filter((file) => file.endsWith('.yaml')).sort();
  } catch (error) {
    throw new DocumentLoadError(absolute, `cannot read the specs folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const entries = files.map((file) => {
    const name = file.slice(0, -'.yaml'.length);
    if (!API_NAME.test(name)) throw new DocumentLoadError(path.join(absolute, file), `"${name}" cannot name an api (lower-case letters, digits, - and _, starting with a letter)`);
    return describeApi(name, absolute);
  });
  const admins = entries.filter((entry) => entry.declaration.role === 'admin');
  if (admins.length > 1) throw new DocumentLoadError(absolute, `more than one document declares x-refreshd.role: admin (${admins.map((a) => a.name).join(', ')})`);
  const apis = entries.filter((entry) => entry.declaration.role === 'token');
  if (apis.length === 0) throw new DocumentLoadError(absolute, 'holds no api document (<name>.yaml)');
  const names = apis.map((entry) => entry.name);
  const byName = new Map(apis.map((entry) => [entry.name, entry]));
  const get = (name: string): CatalogueEntry => {
    const entry = byName.get(name);
    if (!entry) throw new UnknownApiError(name, names, absolute);
    return entry;
  };
  return {
    specsDir: absolute,
    apis,
    admin: admins[0],
    names,
    get,
    select: (selected) => (selected === undefined ? apis : [...new Set(selected)].map(get)),
  };
}

const catalogues = new Map<string, Catalogue>();

/** {@link discoverApis}, read once per folder and process. */
export function catalogueOf(specsDir = SPECS_DIR): Catalogue {
  const key = path.resolve(specsDir);
  let catalogue = catalogues.get(key);
  if (!catalogue) {
    catalogue = discoverApis(key);
    catalogues.set(key, catalogue);
  }
  return catalogue;
}
