import Ajv, { type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { formatValue } from '../schema/format-values';
import { sampleSchema, seededRandom } from '../schema/sample';
import { compilePattern, conforms } from '../schema/conforms';
import { declaredTypes, flattenAllOf, isObject, jsonType, numericBounds } from '../schema/keywords';
import { addDocumentFormats, type FormatSemantics } from '../spec/formats';

/**
 * fast-check arbitraries of the values a (dereferenced) schema accepts, so generated requests
 * shrink structurally: optional properties drop out, strings shorten, numbers move to their
 * bound. Values are built to be valid by construction, keyword by keyword; only where a
 * combination cannot be built directly (`oneOf`, `not`, an odd `allOf`, a format value the
 * api's format semantics refuse) a value that turns out invalid is replaced by the mock's
 * static sample of the same schema, which is valid by construction too.
 */

/** How a value travels: in a JSON body, or as the text of a parameter (a path parameter is one segment). */
export type Transport = 'json' | 'query' | 'header' | 'cookie' | 'path';

export interface ValueContext {
  transport: Transport;
  formats: FormatSemantics;
}

type Schema = Record<string, any>;

/** Deeper than this, optional properties and array items are left out (recursive schemas end). */
const MAX_DEPTH = 4;
/** Strings and arrays without a declared maximum stay this short: requests stay readable. */
const DEFAULT_MAX_LENGTH = 24;
const DEFAULT_MAX_ITEMS = 3;
const EXTRA_PROPERTIES_MAX = 2;

const PRINTABLE_ASCII = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
/** Mostly ASCII, sometimes any code point (never a lone surrogate: JSON and UTF-8 would not carry it back). */
const JSON_CHARACTER = fc.oneof(
  { weight: 6, arbitrary: PRINTABLE_ASCII },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/**
 * Characters a parameter can carry unchanged: a header value keeps no surrounding space and
 * no control character; a cookie value also no `;` (the pair separator), no `"` (quoted values
 * are unquoted) and no `\`; a query value is percent-encoded, so any character goes; a path
 * segment is percent-encoded too, but no `/` (servers route on the decoded path).
 */
const SAFE_CHARACTER: Record<Transport, fc.Arbitrary<string>> = {
  json: JSON_CHARACTER,
  query: JSON_CHARACTER,
  header: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  cookie: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)).filter((c) => !';"\\,'.includes(c)),
  path: JSON_CHARACTER.filter((c) => c !== '/'),
};

const UNSAFE_IN: Record<Transport, RegExp | undefined> = {
  json: undefined,
  query: /[\ud800-\udfff]/,
  header: /[^\x21-\x7e]/,
  cookie: /[^\x21-\x7e]|[;"\\,]/,
  path: /[\ud800-\udfff/]/,
};

/** Whether `text` survives the transport unchanged (see {@link SAFE_CHARACTER}). */
export function travelsUnchanged(text: string, transport: Transport): boolean {
  // An empty or dot segment would not reach the route at all (`//`, `/./`, `/../`).
  if (transport === 'path' && (text === '' || text === '.' || text === '..')) return false;
  const unsafe = UNSAFE_IN[transport];
  return !unsafe || !unsafe.test(text);
}

const formatValidators = new Map<string, ValidateFunction>();
const formatAjv = new Map<FormatSemantics, Ajv>();

/** Whether the api's own format semantics (Pydantic's for FastAPI documents) accept `value`. */
export function formatAccepts(format: string, value: unknown, semantics: FormatSemantics): boolean {
  const key = `${semantics}:${format}`;
  let validate = formatValidators.get(key);
  if (!validate) {
    let ajv = formatAjv.get(semantics);
    if (!ajv) {
      ajv = addDocumentFormats(new Ajv({ strict: false }), semantics);
      formatAjv.set(semantics, ajv);
    }
    validate = ajv.compile({ format });
    formatValidators.set(key, validate);
  }
  return validate(value) as boolean;
}

/** The mock's static sample: a valid value when one exists, else undefined. */
export function staticSample(schema: unknown): unknown {
  try {
    return sampleSchema(schema ?? {}, { dynamic: false, omitReadOnly: true });
  } catch {
    return undefined;
  }
}

/** Replaces what `arbitrary` draws by `fallback` when `valid` refuses it. */
function guarded(arbitrary: fc.Arbitrary<unknown>, valid: (value: unknown) => boolean, fallback: unknown): fc.Arbitrary<unknown> {
  if (fallback === undefined) return arbitrary;
  return arbitrary.map((value) => (valid(value) ? value : structuredClone(fallback)));
}

function stringArbitrary(schema: Schema, context: ValueContext): fc.Arbitrary<unknown> {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Math.max(minLength, DEFAULT_MAX_LENGTH);
  const fits = (value: unknown) => {
    if (typeof value !== 'string') return false;
    const length = [...value].length;
    if (length < minLength || length > maxLength || !travelsUnchanged(value, context.transport)) return false;
    if (typeof schema.pattern === 'string' && !compilePattern(schema.pattern)?.test(value)) return false;
    return typeof schema.format !== 'string' || formatAccepts(schema.format, value, context.formats);
  };
  const fallback = [staticSample(schema), formatValue(String(schema.format), null)].find(fits);
  if (typeof schema.format === 'string' && formatValue(schema.format, null) !== undefined) {
    // Format values come from the mock's generator (a uuid does not shrink into a smaller uuid).
    const arbitrary = fc.noShrink(fc.integer()).map((seed) => formatValue(schema.format, seededRandom(seed)));
    return guarded(arbitrary, fits, fallback);
  }
  if (typeof schema.pattern === 'string') {
    const pattern = compilePattern(schema.pattern);
    if (!pattern) return fallback === undefined ? fc.constant('') : fc.constant(fallback);
    let arbitrary: fc.Arbitrary<unknown>;
    try {
      arbitrary = fc.stringMatching(pattern);
    } catch {
      arbitrary = fc.constant(fallback);
    }
    return guarded(arbitrary, fits, fallback);
  }
  return guarded(fc.string({ unit: SAFE_CHARACTER[context.transport], minLength, maxLength }), fits, fallback);
}

function numberArbitrary(schema: Schema, integer: boolean): fc.Arbitrary<unknown> {
  const { min, max, minExcluded, maxExcluded } = numericBounds(schema);
  const multipleOf = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  const fits = (value: unknown) => conforms({ ...schema, type: integer ? 'integer' : 'number' }, value);
  const fallback = staticSample({ ...schema, type: integer ? 'integer' : 'number' });
  if (integer || multipleOf !== undefined) {
    // Values k·step inside the bounds; an open side reaches a million steps out.
    const step = multipleOf ?? 1;
    const low = min ?? (max === undefined ? -1e6 : max - 1e6 * step);
    const high = max ?? low + 2e6 * step;
    let lowK = Math.ceil(low / step);
    if (minExcluded && lowK * step <= low) lowK += 1;
    let highK = Math.floor(high / step);
    if (maxExcluded && highK * step >= high) highK -= 1;
    if (!(lowK <= highK) || !Number.isSafeInteger(lowK) || !Number.isSafeInteger(highK)) return fc.constant(fallback);
    return guarded(fc.integer({ min: lowK, max: highK }).map((k) => (step === 1 ? k : k * step)), fits, fallback);
  }
  const arbitrary = fc.double({
    min: min ?? -1e9,
    max: max ?? 1e9,
    minExcluded,
    maxExcluded,
    noNaN: true,
    noDefaultInfinity: true,
  });
  // -0 and 0 are one JSON number; subnormal-free doubles survive Python's float().
  return guarded(arbitrary.map((n) => (Object.is(n, -0) ? 0 : n)), fits, fallback);
}

function arrayArbitrary(schema: Schema, context: ValueContext, depth: number): fc.Arbitrary<unknown> {
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const declaredMax = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const maxItems = depth >= MAX_DEPTH ? minItems : Math.min(declaredMax, minItems + DEFAULT_MAX_ITEMS);
  const items = isObject(schema.items) || schema.items === true ? valueArbitrary(schema.items, context, depth + 1) : fc.jsonValue({ maxDepth: 1 });
  const arbitrary =
    schema.uniqueItems === true
      ? fc.uniqueArray(items, { minLength: minItems, maxLength: maxItems, selector: (item) => JSON.stringify(item) })
      : fc.array(items, { minLength: minItems, maxLength: maxItems });
  // Items, counts and uniqueness are built in; only keywords not modelled here need the check.
  const unmodelled = schema.contains !== undefined || schema.prefixItems !== undefined || schema.additionalItems !== undefined;
  return unmodelled ? guarded(arbitrary, (value) => conforms(schema, value), staticSample(schema)) : arbitrary;
}

function objectArbitrary(schema: Schema, context: ValueContext, depth: number): fc.Arbitrary<unknown> {
  const properties: Record<string, unknown> = isObject(schema.properties) ? schema.properties : {};
  const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (depth >= MAX_DEPTH && !required.has(name)) continue;
    if (isObject(propertySchema) && propertySchema.readOnly === true && !required.has(name)) continue;
    model[name] = valueArbitrary(propertySchema, context, depth + 1);
  }
  // A required property the schema does not describe takes any value.
  for (const name of required) if (!(name in model)) model[name] = fc.jsonValue({ maxDepth: 1 });
  const declared = fc.record(model, { requiredKeys: [...required].filter((name) => name in model) });
  const additional = schema.additionalProperties;
  const closed = additional === false || schema.unevaluatedProperties === false || isObject(schema.patternProperties) || depth >= MAX_DEPTH;
  let arbitrary: fc.Arbitrary<unknown> = declared;
  if (!closed) {
    const extraValue = isObject(additional) ? valueArbitrary(additional, context, depth + 1) : fc.jsonValue({ maxDepth: 1 });
    const extraName = fc.string({ unit: PRINTABLE_ASCII, minLength: 1, maxLength: 12 }).filter((name) => !(name in properties));
    const extras = fc.dictionary(extraName, extraValue, { maxKeys: EXTRA_PROPERTIES_MAX });
    arbitrary = fc.tuple(declared, fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extras })).map(([own, extra]) => ({
      ...(extra as object),
      ...(own as object),
    }));
  }
  const needsCheck = typeof schema.minProperties === 'number' || typeof schema.maxProperties === 'number' || isObject(schema.dependentRequired);
  return needsCheck ? guarded(arbitrary, (value) => conforms(schema, value), staticSample(schema)) : arbitrary;
}

function typedArbitrary(type: string, schema: Schema, context: ValueContext, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return numberArbitrary(schema, true);
    case 'number':
      return numberArbitrary(schema, false);
    case 'string':
      return stringArbitrary(schema, context);
    case 'array':
      return arrayArbitrary(schema, context, depth);
    case 'object':
      return objectArbitrary(schema, context, depth);
    default:
      return fc.constant(null);
  }
}

/** The types a text parameter can take (no null, no object or array: a parameter is one string). */
const TEXT_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

/**
 * Values `schema` accepts. A parameter's value is still a JSON value here (a number for an
 * integer parameter); {@link parameterText} writes it as the parameter travels.
 */
export function valueArbitrary(schema: unknown, context: ValueContext, depth = 0): fc.Arbitrary<unknown> {
  if (schema === true || schema === undefined || (isObject(schema) && Object.keys(schema).length === 0)) {
    return context.transport === 'json' ? fc.jsonValue({ maxDepth: 2 }) : stringArbitrary({}, context);
  }
  if (!isObject(schema)) return fc.constant(null);
  if ('const' in schema) return fc.constant(structuredClone(schema.const));
  if (Array.isArray(schema.enum)) {
    const usable = schema.enum.filter((value: unknown) => context.transport === 'json' || (TEXT_TYPES.has(jsonType(value)) && travelsUnchanged(String(value), context.transport)));
    return usable.length > 0 ? fc.constantFrom(...usable.map((value: unknown) => structuredClone(value))) : fc.constant(staticSample(schema));
  }
  const fallback = staticSample(schema);
  const valid = (value: unknown) => conforms(schema, value);
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const branches = (schema.anyOf ?? schema.oneOf) as unknown[];
    const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = schema;
    const usable = branches.filter((branch) => context.transport === 'json' || canBeText(branch));
    if (usable.length === 0) return fc.constant(fallback);
    const arbitrary = fc.oneof(...usable.map((branch) => valueArbitrary(isObject(branch) ? flattenAllOf({ ...rest, ...branch }) : branch, context, depth)));
    return Array.isArray(schema.oneOf) || Object.keys(rest).length > 0 ? guarded(arbitrary, valid, fallback) : arbitrary;
  }
  const flat = flattenAllOf(schema);
  let types = declaredTypes(flat) ?? inferredTypes(flat);
  if (context.transport !== 'json') types = types.filter((t) => TEXT_TYPES.has(t));
  if (types.length === 0) types = ['string'];
  const arbitrary = types.length === 1 ? typedArbitrary(types[0], flat, context, depth) : fc.oneof(...types.map((t) => typedArbitrary(t, flat, context, depth)));
  return flat !== schema || isObject(schema.not) || isObject(schema.if) ? guarded(arbitrary, valid, fallback) : arbitrary;
}

/** Whether a branch admits a value a parameter can carry (a `type: 'null'` branch does not). */
function canBeText(branch: unknown): boolean {
  const types = isObject(branch) ? declaredTypes(branch) : null;
  return types === null || types.some((t) => TEXT_TYPES.has(t));
}

/** The type a schema without `type` implies by its keywords. */
function inferredTypes(schema: Schema): string[] {
  if (isObject(schema.properties) || schema.required || schema.additionalProperties !== undefined) return ['object'];
  if (schema.items !== undefined || schema.minItems !== undefined) return ['array'];
  if (schema.pattern !== undefined || schema.minLength !== undefined || schema.maxLength !== undefined || schema.format !== undefined) return ['string'];
  if (schema.minimum !== undefined || schema.maximum !== undefined || schema.multipleOf !== undefined) return ['number'];
  return ['string', 'number', 'boolean', 'null', 'object', 'array'];
}

/** A parameter value as its text on the wire. */
export function parameterText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
