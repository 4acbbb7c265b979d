import { admittedTypes } from '../schema/keywords';
import type { ParameterSpec } from '../spec/registry';

/**
 * OpenAPI's parameter serialisation, read back: a parameter's text (or texts) on the wire
 * becomes the value its schema describes. Query `form` (comma-separated or one pair per item)
 * and `deepObject`, path and header `simple`, cookie `form`. Arrays and objects are built
 * only where the schema says so; each scalar is coerced to the type its schema names, and a
 * text that does not read as that type is left as it is, for validation to refuse.
 */

type Schema = Record<string, any>;

/** Where a parameter's value is read: its shape, and whether its texts need coercing. */
export type ParameterShape = 'scalar' | 'array' | 'object';

export function parameterShape(schema: Schema | undefined): ParameterShape {
  const types = admittedTypes(schema);
  if (types?.size === 1 && types.has('array')) return 'array';
  if (types?.size === 1 && types.has('object')) return 'object';
  return 'scalar';
}

/** Whether a text for `schema` may need coercing: the schema names types and none of them is string. */
export function coercesText(schema: Schema | undefined): boolean {
  const types = admittedTypes(schema);
  return types !== undefined && !types.has('string');
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** One text as the scalar `schema` names: a number, a boolean, null, else the text itself. */
export function coerceText(schema: Schema | undefined, text: string): unknown {
  const types = admittedTypes(schema);
  if (!types || types.has('string')) return text;
  if (types.has('number') && NUMBER.test(text)) return Number(text);
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if (types.has('null') && (text === '' || text === 'null')) return null;
  return text;
}

const itemSchema = (schema: Schema): Schema | undefined => (schema.items && typeof schema.items === 'object' ? schema.items : undefined);
const propertySchema = (schema: Schema, name: string): Schema | undefined => schema.properties?.[name] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);

function arrayOf(schema: Schema, texts: string[]): unknown[] {
  const items = itemSchema(schema);
  return texts.map((text) => coerceText(items, text));
}

/** `k1,v1,k2,v2` (explode false) or `k1=v1,k2=v2` (explode true), as `simple` and `form` write an object in one value. */
function objectOf(schema: Schema, text: string, explode: boolean): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const parts = text.split(',');
  if (explode) {
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      object[name] = coerceText(propertySchema(schema, name), eq === -1 ? '' : part.slice(eq + 1));
    }
  } else {
    for (let i = 0; i + 1 < parts.length; i += 2) object[parts[i]] = coerceText(propertySchema(schema, parts[i]), parts[i + 1]);
  }
  return object;
}

/** A path, header or cookie parameter's one text, read by its style (`simple`; cookies' `form` is the same for one value). */
export function readSingleText(parameter: ParameterSpec, text: string): unknown {
  if (parameter.shape === 'array') {
    // A header list may carry optional whitespace after each comma (RFC 9110 §5.6.1).
    return arrayOf(parameter.schema, text === '' ? [] : text.split(',').map((part) => (parameter.in === 'header' ? part.trim() : part)));
  }
  if (parameter.shape === 'object') return objectOf(parameter.schema, text, parameter.explode);
  return coerceText(parameter.schema, text);
}

/**
 * A query parameter from every pair of the query string: `form` (exploded: one pair per item,
 * or per property; not: one comma-separated value) or `deepObject` (`name[property]=value`).
 * Undefined when the query does not carry it.
 */
export function readQueryParameter(parameter: ParameterSpec, query: URLSearchParams): unknown {
  const { schema, name } = parameter;
  if (parameter.shape === 'array') {
    const texts = query.getAll(name);
    if (texts.length === 0) return undefined;
    if (parameter.explode && parameter.style !== 'spaceDelimited' && parameter.style !== 'pipeDelimited') return arrayOf(schema, texts);
    const separator = parameter.style === 'spaceDelimited' ? ' ' : parameter.style === 'pipeDelimited' ? '|' : ',';
    const last = texts[texts.length - 1];
    return arrayOf(schema, last === '' ? [] : last.split(separator));
  }
  if (parameter.shape === 'object') {
    if (parameter.style === 'deepObject') {
      const object: Record<string, unknown> = {};
      let found = false;
      for (const [key, text] of query) {
        if (!key.startsWith(`${name}[`) || !key.endsWith(']')) continue;
        const property = key.slice(name.length + 1, -1);
        object[property] = coerceText(propertySchema(schema, property), text);
        found = true;
      }
      return found ? object : undefined;
    }
    if (!parameter.explode) {
      const texts = query.getAll(name);
      return texts.length === 0 ? undefined : objectOf(schema, texts[texts.length - 1], false);
    }
    // Exploded form: each declared property is a pair of its own.
    const object: Record<string, unknown> = {};
    let found = false;
    for (const property of Object.keys(schema.properties ?? {})) {
      const texts = query.getAll(property);
      if (texts.length === 0) continue;
      object[property] = coerceText(schema.properties[property], texts[texts.length - 1]);
      found = true;
    }
    return found ? object : undefined;
  }
  // Starlette's `query_params.get`: the last value of a repeated name wins.
  const texts = query.getAll(name);
  return texts.length === 0 ? undefined : coerceText(schema, texts[texts.length - 1]);
}

/**
 * A form-urlencoded body as the object its schema describes: each declared array property
 * takes every pair of its name, any other name its last pair (as Starlette's form does);
 * texts are coerced per property.
 */
export function readFormBody(schema: Schema | undefined, form: URLSearchParams): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    const property = schema ? propertySchema(schema, name) : undefined;
    const texts = form.getAll(name);
    object[name] = parameterShape(property) === 'array' ? arrayOf(property as Schema, texts) : coerceText(property, texts[texts.length - 1]);
  }
  return object;
}
