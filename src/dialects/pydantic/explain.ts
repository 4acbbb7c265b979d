import type { ValidationProblem } from '../dialect';
import { validateDate, validateDateTime } from './date';
import { declaredTypes, isObject } from '../../schema/keywords';
import { validateUuid } from './uuid';

/**
 * Explains why a value fails its JSON schema the way Pydantic v2 (python mode, lax, as
 * FastAPI validates) words it: error types, messages, `loc`, `input`, `ctx` and order
 * (fields in declaration order, each missing or invalid; then extra keys in input order).
 *
 * Ajv decides WHETHER a request is valid (the document is the authority); this module only
 * words the failure. Keywords it does not know produce nothing, and the caller falls back
 * to a generic problem built from Ajv's own error.
 */

type Schema = Record<string, any>;
type Loc = Array<string | number>;


const problem = (type: string, loc: Loc, msg: string, input: unknown, ctx?: Record<string, unknown>): ValidationProblem =>
  ctx === undefined ? { type, loc, msg, input } : { type, loc, msg, input, ctx };


function allowsNull(schema: Schema): boolean {
  const types = declaredTypes(schema);
  if (types?.includes('null')) return true;
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  return Array.isArray(branches) && branches.some((branch) => declaredTypes(branch)?.includes('null') === true);
}

const plural = (n: number): string => (n === 1 ? '' : 's');

function pythonRepr(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function explainString(schema: Schema, value: unknown, loc: Loc): ValidationProblem[] {
  if (typeof value !== 'string') {
    if (schema.format === 'uuid' || schema.format === 'uuid4') {
      const error = validateUuid(value, schema.format === 'uuid4' ? 4 : undefined);
      if (error) return [problem(error.type, loc, error.msg, value, error.ctx)];
    }
    return [problem('string_type', loc, 'Input should be a valid string', value)];
  }
  const formatError =
    schema.format === 'uuid4' ? validateUuid(value, 4)
    : schema.format === 'uuid' ? validateUuid(value)
    : schema.format === 'date' ? validateDate(value)
    : schema.format === 'date-time' ? validateDateTime(value)
    : null;
  if (formatError) return [problem(formatError.type, loc, formatError.msg, value, formatError.ctx)];
  const length = [...value].length;
  if (typeof schema.minLength === 'number' && length < schema.minLength) {
    return [problem('string_too_short', loc, `String should have at least ${schema.minLength} character${plural(schema.minLength)}`, value, { min_length: schema.minLength })];
  }
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
    return [problem('string_too_long', loc, `String should have at most ${schema.maxLength} character${plural(schema.maxLength)}`, value, { max_length: schema.maxLength })];
  }
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    return [problem('string_pattern_mismatch', loc, `String should match pattern '${schema.pattern}'`, value, { pattern: schema.pattern })];
  }
  return [];
}

function explainNumber(schema: Schema, value: unknown, loc: Loc, integer: boolean): ValidationProblem[] {
  if (typeof value !== 'number' || typeof value === 'boolean') {
    return integer
      ? [problem('int_type', loc, 'Input should be a valid integer', value)]
      : [problem('float_type', loc, 'Input should be a valid number', value)];
  }
  if (integer && !Number.isInteger(value)) {
    return [problem('int_from_float', loc, 'Input should be a valid integer, got a number with a fractional part', value)];
  }
  if (typeof schema.minimum === 'number' && value < schema.minimum) {
    return [problem('greater_than_equal', loc, `Input should be greater than or equal to ${schema.minimum}`, value, { ge: schema.minimum })];
  }
  if (typeof schema.maximum === 'number' && value > schema.maximum) {
    return [problem('less_than_equal', loc, `Input should be less than or equal to ${schema.maximum}`, value, { le: schema.maximum })];
  }
  return [];
}

function explainObject(schema: Schema, value: unknown, loc: Loc, isModel: boolean): ValidationProblem[] {
  if (!isObject(value)) {
    return isModel
      ? [problem('model_attributes_type', loc, 'Input should be a valid dictionary or object to extract fields from', value)]
      : [problem('dict_type', loc, 'Input should be a valid dictionary', value)];
  }
  const properties: Record<string, Schema> = schema.properties ?? {};
  const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
  const problems: ValidationProblem[] = [];
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (Object.prototype.hasOwnProperty.call(value, name)) {
      problems.push(...explainValue(propertySchema, value[name], [...loc, name]));
    } else if (required.has(name)) {
      problems.push(problem('missing', [...loc, name], 'Field required', value));
    }
  }
  for (const name of required) {
    if (!Object.hasOwn(properties, name) && !Object.hasOwn(value, name)) {
      problems.push(problem('missing', [...loc, name], 'Field required', value));
    }
  }
  if (schema.additionalProperties === false) {
    for (const [name, extra] of Object.entries(value)) {
      if (!Object.hasOwn(properties, name)) problems.push(problem('extra_forbidden', [...loc, name], 'Extra inputs are not permitted', extra));
    }
  } else if (isObject(schema.additionalProperties)) {
    for (const [name, extra] of Object.entries(value)) {
      if (!Object.hasOwn(properties, name)) problems.push(...explainValue(schema.additionalProperties, extra, [...loc, name]));
    }
  }
  return problems;
}

function explainArray(schema: Schema, value: unknown, loc: Loc): ValidationProblem[] {
  if (!Array.isArray(value)) return [problem('list_type', loc, 'Input should be a valid list', value)];
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
    return [problem('too_short', loc, `List should have at least ${schema.minItems} item${plural(schema.minItems)} after validation, not ${value.length}`, value, { field_type: 'List', min_length: schema.minItems, actual_length: value.length })];
  }
  const items = isObject(schema.items) ? (schema.items as Schema) : undefined;
  return items ? value.flatMap((item, index) => explainValue(items, item, [...loc, index])) : [];
}

/** Pydantic's union tag for a branch: the Python type it would be generated from. */
function unionTag(branch: Schema): string {
  const type = declaredTypes(branch)?.find((t) => t !== 'null');
  switch (type) {
    case 'string': return 'str';
    case 'integer': return 'int';
    case 'number': return 'float';
    case 'boolean': return 'bool';
    case 'array': return 'list[any]';
    case 'object': return branch.title ?? 'dict[str,any]';
    default: return String(type);
  }
}

function explainUnion(branches: Schema[], value: unknown, loc: Loc): ValidationProblem[] {
  // Optional[X] is a nullable X in Pydantic: the errors are X's alone, with no union tag.
  const nonNull = branches.filter((branch) => !(declaredTypes(branch)?.length === 1 && declaredTypes(branch)?.[0] === 'null'));
  if (nonNull.length === 1) return explainValue(nonNull[0], value, loc);
  const perBranch = nonNull.map((branch) => explainValue(branch, value, [...loc, unionTag(branch)]));
  if (perBranch.some((problems) => problems.length === 0)) return [];
  return perBranch.flat();
}

/**
 * Problems for `value` against `schema` at `loc`, in Pydantic's order. Empty when this
 * module sees nothing wrong (a keyword it does not model).
 */
export function explainValue(schema: Schema | undefined, value: unknown, loc: Loc, isModelRoot = false): ValidationProblem[] {
  if (!isObject(schema)) return [];
  if (value === null && allowsNull(schema)) return [];
  if (Array.isArray(schema.allOf)) {
    const problems = schema.allOf.flatMap((part: Schema) => explainValue(part, value, loc, isModelRoot));
    if (problems.length > 0) return problems;
  }
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(branches)) return explainUnion(branches, value, loc);
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed: unknown) => allowed === value)) {
    const expected = schema.enum.map(pythonRepr).join(', ').replace(/, ([^,]*)$/, ' or $1');
    return [problem('literal_error', loc, `Input should be ${expected}`, value, { expected })];
  }
  const types = declaredTypes(schema)?.filter((t) => t !== 'null');
  const type = types?.length === 1 ? types[0] : types === undefined && schema.properties ? 'object' : undefined;
  switch (type) {
    case 'string': return explainString(schema, value, loc);
    case 'integer': return explainNumber(schema, value, loc, true);
    case 'number': return explainNumber(schema, value, loc, false);
    case 'boolean': return typeof value === 'boolean' ? [] : [problem('bool_type', loc, 'Input should be a valid boolean', value)];
    case 'array': return explainArray(schema, value, loc);
    case 'object': return explainObject(schema, value, loc, isModelRoot || schema.properties !== undefined);
    default: return [];
  }
}
