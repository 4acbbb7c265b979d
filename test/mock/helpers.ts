import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { dereferenceDocument } from '../../src/schema/deref';

export const SPEC_NAMES = ['watchr', 'galileo', 'pathstack', 'almanac', 'session'] as const;
export type SpecName = (typeof SPEC_NAMES)[number];

const SPEC_DIR = path.join(__dirname, '..', '..', 'specs');
const DOC_ID = 'https://refreshd.test/doc.json';
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function loadRaw(name: SpecName): any {
  return YAML.parse(fs.readFileSync(path.join(SPEC_DIR, `${name}.yaml`), 'utf8'));
}

/** An ajv instance as the brief specifies: 2020-12 for 3.1 docs, draft-07 (+nullable) for 3.0, strict:false, formats + uuid4. */
export function makeAjv(openapi: string): Ajv {
  const ajv = openapi.startsWith('3.1') ? new Ajv2020({ strict: false, allErrors: true, logger: false }) : new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  ajv.addFormat('uuid4', UUID4);
  return ajv;
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointerOf = (...parts: string[]) => '#/' + parts.map(escapePointer).join('/');

/** Validates against the *raw* (non-dereferenced) document through $refs: an oracle independent of our resolver. */
export class DocValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();
  constructor(readonly raw: any) {
    this.ajv = makeAjv(String(raw.openapi));
    this.ajv.addSchema(raw, DOC_ID);
  }
  validator(pointer: string): ValidateFunction {
    let v = this.cache.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: DOC_ID + pointer });
      this.cache.set(pointer, v);
    }
    return v;
  }
  errors(pointer: string, value: unknown): string | null {
    const v = this.validator(pointer);
    return v(value) ? null : this.ajv.errorsText(v.errors);
  }
}

export interface ResponseCase {
  spec: SpecName;
  method: string;
  path: string;
  operation: any;
  status: string;
  mediaType: string;
  /** Dereferenced schema (possibly cyclic). */
  schema: unknown;
  /** JSON pointer of the schema in the raw document. */
  pointer: string;
  media: any;
}

export interface LoadedSpec {
  name: SpecName;
  raw: any;
  doc: any;
  validator: DocValidator;
  cases: ResponseCase[];
}

const loaded = new Map<SpecName, LoadedSpec>();

export function loadSpec(name: SpecName): LoadedSpec {
  const hit = loaded.get(name);
  if (hit) return hit;
  const raw = loadRaw(name);
  const doc = dereferenceDocument(raw);
  const cases: ResponseCase[] = [];
  for (const [p, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        for (const [mediaType, media] of Object.entries<any>(response.content ?? {})) {
          if (media.schema === undefined) continue;
          cases.push({
            spec: name,
            method,
            path: p,
            operation: op,
            status,
            mediaType,
            schema: media.schema,
            pointer: pointerOf('paths', p, method, 'responses', status, 'content', mediaType, 'schema'),
            media,
          });
        }
      }
    }
  }
  const spec = { name, raw, doc, validator: new DocValidator(raw), cases };
  loaded.set(name, spec);
  return spec;
}

export function allCases(): ResponseCase[] {
  return SPEC_NAMES.flatMap((n) => loadSpec(n).cases);
}

/** Validate a value against a standalone (acyclic, $ref-free or local-$ref) schema with the given dialect. */
const shared = new Map<string, Ajv>();
export function ajvErrors(schema: object, value: unknown, dialect: '2020' | 'draft7' = '2020'): string | null {
  let ajv = shared.get(dialect);
  if (!ajv) {
    ajv = makeAjv(dialect === '2020' ? '3.1.0' : '3.0.3');
    shared.set(dialect, ajv);
  }
  const v = ajv.compile(schema);
  return v(value) ? null : ajv.errorsText(v.errors);
}
