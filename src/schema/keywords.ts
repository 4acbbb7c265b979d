import { formatBounds } from './format-values';

/**
 * What a JSON Schema (OpenAPI 3.0 or 3.1) says, read the same way by every part of refreshd
 * that walks schemas: the mock's sampler and conformance check, the contract's generators,
 * and the Pydantic explainer.
 */

export type JsonObject = Record<string, unknown>;
type Schema = Record<string, any>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Declared types of a schema (type / type-array), with OpenAPI 3.0 `nullable: true` folded in as 'null'. */
export function declaredTypes(s: JsonObject): string[] | null {
  let types: string[] | null = null;
  if (typeof s.type === 'string') types = [s.type];
  else if (Array.isArray(s.type)) types = s.type.filter((t): t is string => typeof t === 'string');
  if (types && s.nullable === true && !types.includes('null')) types = [...types, 'null'];
  return types;
}

/** The JSON types a schema admits (integer folded into number), or undefined when it does not say. */
export function admittedTypes(schema: unknown): Set<string> | undefined {
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return undefined;
  if (!isObject(schema)) return undefined;
  const types = new Set<string>();
  const declared = declaredTypes(schema);
  if (declared) for (const type of declared) types.add(type === 'integer' ? 'number' : type);
  for (const keyword of ['anyOf', 'oneOf']) {
    if (!Array.isArray(schema[keyword])) continue;
    for (const branch of schema[keyword]) {
      const branchTypes = admittedTypes(branch);
      if (!branchTypes) return undefined;
      branchTypes.forEach((t) => types.add(t));
    }
  }
  if (Array.isArray(schema.enum)) schema.enum.forEach((value: unknown) => types.add(jsonType(value)));
  if ('const' in schema) types.add(jsonType(schema.const));
  if (types.size === 0) return undefined;
  if (Array.isArray(schema.allOf)) {
    for (const branch of schema.allOf) {
      const branchTypes = admittedTypes(branch);
      if (branchTypes) for (const t of [...types]) if (!branchTypes.has(t)) types.delete(t);
    }
  }
  return types;
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? 'number' : typeof value;
}

/** The schema's own keywords plus those of its `allOf` branches (recursively), merged. */
export function flattenAllOf(schema: Schema): Schema {
  if (!Array.isArray(schema.allOf)) return schema;
  const merged: Schema = { ...schema };
  delete merged.allOf;
  for (const branch of schema.allOf.map((b: unknown) => (isObject(b) ? flattenAllOf(b) : {}))) {
    for (const [key, value] of Object.entries<any>(branch)) {
      if (key === 'properties') merged.properties = { ...(merged.properties ?? {}), ...value };
      else if (key === 'required') merged.required = [...new Set([...(merged.required ?? []), ...value])];
      else if (!(key in merged)) merged[key] = value;
    }
  }
  return merged;
}

/** Numeric bounds with OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` and 3.1's numeric ones. */
export function numericBounds(schema: Schema): { min?: number; max?: number; minExcluded: boolean; maxExcluded: boolean } {
  let min: number | undefined = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  let max: number | undefined = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  let minExcluded = schema.exclusiveMinimum === true;
  let maxExcluded = schema.exclusiveMaximum === true;
  if (typeof schema.exclusiveMinimum === 'number' && (min === undefined || schema.exclusiveMinimum >= min)) {
    min = schema.exclusiveMinimum;
    minExcluded = true;
  }
  if (typeof schema.exclusiveMaximum === 'number' && (max === undefined || schema.exclusiveMaximum <= max)) {
    max = schema.exclusiveMaximum;
    maxExcluded = true;
  }
  const implied = formatBounds(schema.format);
  if (implied) {
    if (min === undefined || implied.min > min) min = implied.min;
    if (max === undefined || implied.max < max) max = implied.max;
  }
  return { min, max, minExcluded, maxExcluded };
}

