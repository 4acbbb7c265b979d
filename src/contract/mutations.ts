import fc from 'fast-check';
import { compilePattern, declaredTypes, isObject, isOfType } from '../schema/conforms';
import type { FormatSemantics } from '../spec/formats';
import type { CompiledOperation, ParameterSpec } from '../spec/registry';
import { getParameter, setParameter, structuredBody, structuredValue, type CaseRequest } from './cases';
import { flattenAllOf, numericBounds } from '../schema/keywords';
import { formatAccepts, staticSample, travelsUnchanged, type Transport } from './schema-values';

/**
 * Invalid requests, one broken constraint at a time, at any depth of the body: a value of a
 * type the schema does not admit, a required property removed, a value outside its enum, a
 * string against its pattern, length or format, a number beyond a bound, an array beyond its
 * item counts, a property where `additionalProperties: false` forbids one; for parameters the
 * same on their text, a required one removed, a version the overlay does not support; for the
 * body as a whole: missing, malformed, under a media type that is not JSON.
 *
 * A site is offered only where breaking it breaks the whole request: not inside an `anyOf` or
 * `oneOf` branch (another branch could accept the value), and not for a type the transport
 * cannot tell apart (a header is always text).
 */

type Path = Array<string | number>;

/** One change to a request, as data (printable, replayable). */
export type Edit =
  | { in: 'body'; path: Path; value: unknown }
  | { in: 'body'; path: Path; remove: true }
  | { in: 'body'; absent: true }
  | { in: 'body'; raw: string; contentType: string }
  | { in: 'query' | 'header' | 'cookie' | 'path'; name: string; value: string | undefined };

export interface Mutation {
  /** The constraint broken, e.g. `body.items[0].name: maxLength 5`. */
  constraint: string;
  edit: Edit;
}

export interface MutationContext {
  formats: FormatSemantics;
}

type Schema = Record<string, any>;

const JSON_VALUES: unknown[] = [0, 1.5, 'x', true, null, {}, []];
const MALFORMED_JSON = ['{', '{"refreshd": ', '[1,', 'nul', '{"a" 1}', '{"a": 1,}'];

export function pathLabel(path: Path): string {
  return path.reduce<string>((label, step) => (typeof step === 'number' ? `${label}[${step}]` : `${label}.${step}`), 'body');
}

/** The types a schema admits, `integer` kept apart from `number`; undefined when it does not say. */
function exactTypes(schema: Schema): Set<string> | undefined {
  const types = new Set<string>();
  const declared = declaredTypes(schema);
  if (declared) declared.forEach((t) => types.add(t));
  for (const keyword of ['anyOf', 'oneOf']) {
    if (!Array.isArray(schema[keyword])) continue;
    for (const branch of schema[keyword]) {
      const branchTypes = isObject(branch) ? exactTypes(flattenAllOf(branch)) : undefined;
      if (!branchTypes) return undefined;
      branchTypes.forEach((t) => types.add(t));
    }
  }
  if (Array.isArray(schema.enum)) for (const value of schema.enum) types.add(value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  return types.size > 0 ? types : undefined;
}

const admits = (types: Set<string>, value: unknown) => [...types].some((t) => isOfType(t, value) || (t === 'number' && typeof value === 'number'));

/** Whether a parameter's text can be read (Ajv's coercion) as one of `types`. */
function textAdmitted(types: Set<string>, text: string): boolean {
  const number = text.trim() === '' ? NaN : Number(text);
  return [...types].some(
    (t) =>
      t === 'string' ||
      (t === 'number' && Number.isFinite(number)) ||
      (t === 'integer' && Number.isInteger(number)) ||
      (t === 'boolean' && (text === 'true' || text === 'false')) ||
      (t === 'null' && text === ''),
  );
}

/** Strings a predicate calls invalid: fixed candidates first, random ones when they are not rare. */
function violatingStrings(violates: (text: string) => boolean, transport: Transport, fixed: string[]): fc.Arbitrary<string> | undefined {
  const unit = transport === 'header' || transport === 'cookie' ? fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) : undefined;
  const safe = (text: string) => travelsUnchanged(text, transport) && (transport !== 'header' || text !== '');
  const candidates = fixed.filter((text) => safe(text) && violates(text));
  const random = fc.string(unit ? { unit, maxLength: 16 } : { maxLength: 16 });
  const common = fc.sample(random, { numRuns: 20, seed: 1 }).filter((text) => safe(text) && violates(text)).length >= 10;
  const options: fc.Arbitrary<string>[] = [];
  if (candidates.length > 0) options.push(fc.constantFrom(...candidates));
  if (common) options.push(random.filter((text) => safe(text) && violates(text)));
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

function lengthString(min: number, max: number, transport: Transport): fc.Arbitrary<string> {
  const unit = transport === 'header' || transport === 'cookie' || transport === 'path' ? fc.constantFrom('a', 'b', 'z', '0') : undefined;
  return fc.string(unit ? { unit, minLength: min, maxLength: max } : { minLength: min, maxLength: max });
}

/**
 * Values that break one constraint of `schema` (its own keywords and those of its `allOf`),
 * each with its constraint's name. `current` is the valid value in place (for arrays).
 */
function valueViolations(schema: Schema, current: unknown, transport: Transport, context: MutationContext): Array<{ constraint: string; value: fc.Arbitrary<unknown> }> {
  const flat = flattenAllOf(schema);
  const out: Array<{ constraint: string; value: fc.Arbitrary<unknown> }> = [];
  const types = exactTypes(flat);
  const text = transport !== 'json';
  if (types) {
    const wrong = text ? ['x', '1.5'].filter((candidate) => !textAdmitted(types, candidate)) : JSON_VALUES.filter((candidate) => !admits(types, candidate));
    if (wrong.length > 0) out.push({ constraint: `type (${[...types].join(' | ')})`, value: fc.constantFrom(...wrong) });
  }
  // Inside anyOf / oneOf another branch may accept what breaks this one.
  if (Array.isArray(flat.anyOf) || Array.isArray(flat.oneOf)) return out;

  if (Array.isArray(flat.enum)) {
    const allowed = flat.enum.map((value: unknown) => JSON.stringify(value));
    const outside = (value: unknown) => !allowed.includes(JSON.stringify(value)) && !(text && allowed.includes(JSON.stringify(Number(value))));
    const strings = violatingStrings((s) => outside(s), text ? transport : 'json', ['', 'x', 'not-in-enum']);
    if (strings && (!types || types.has('string') || text)) out.push({ constraint: `enum (${allowed.join(', ')})`, value: strings });
    else if (!text && types?.has('number')) out.push({ constraint: `enum (${allowed.join(', ')})`, value: fc.integer().filter(outside) });
  } else if ('const' in flat && !text) {
    out.push({ constraint: `const ${JSON.stringify(flat.const)}`, value: fc.constantFrom('x', 0, null).filter((v) => JSON.stringify(v) !== JSON.stringify(flat.const)) });
  }

  const stringy = !types || types.has('string');
  if (stringy && !Array.isArray(flat.enum)) {
    // A header or path segment cannot be empty (an empty one is absent, or another route).
    const shortest = transport === 'header' || transport === 'path' ? 1 : 0;
    if (typeof flat.minLength === 'number' && flat.minLength > shortest) {
      out.push({ constraint: `minLength ${flat.minLength}`, value: lengthString(shortest, flat.minLength - 1, transport) });
    }
    if (typeof flat.maxLength === 'number') {
      out.push({ constraint: `maxLength ${flat.maxLength}`, value: lengthString(flat.maxLength + 1, flat.maxLength + 8, transport) });
    }
    const pattern = typeof flat.pattern === 'string' ? compilePattern(flat.pattern) : null;
    if (pattern) {
      const strings = violatingStrings((s) => !pattern.test(s), transport, ['', ' ', '!', 'x', '0', '\u00e9', 'not matching']);
      if (strings) out.push({ constraint: `pattern ${flat.pattern}`, value: strings });
    }
    if (typeof flat.format === 'string') {
      const format = flat.format;
      const strings = violatingStrings((s) => !formatAccepts(format, s, context.formats), transport, ['', 'x', `not-a-${format}`, '2024-13-45', '12345678-zzzz']);
      if (strings) out.push({ constraint: `format ${format}`, value: strings });
    }
  }

  const numeric = !types || types.has('number') || types.has('integer');
  if (numeric && !Array.isArray(flat.enum)) {
    const { min, max, minExcluded, maxExcluded } = numericBounds(flat);
    const show = (n: number) => (text ? String(n) : n);
    if (min !== undefined) {
      const below = fc.integer({ min: minExcluded ? 0 : 1, max: 1000 }).map((d) => show(min - d));
      out.push({ constraint: `${minExcluded ? 'exclusiveMinimum' : 'minimum'} ${min}`, value: below });
    }
    if (max !== undefined) {
      const above = fc.integer({ min: maxExcluded ? 0 : 1, max: 1000 }).map((d) => show(max + d));
      out.push({ constraint: `${maxExcluded ? 'exclusiveMaximum' : 'maximum'} ${max}`, value: above });
    }
    if (typeof flat.multipleOf === 'number' && flat.multipleOf > 0) {
      const step = flat.multipleOf;
      out.push({ constraint: `multipleOf ${step}`, value: fc.integer({ min: -100, max: 100 }).map((k) => show(k * step + step / 2)) });
    }
  }

  if (!text && Array.isArray(current)) {
    const filler = current[0] ?? staticSample(flat.items) ?? null;
    if (typeof flat.minItems === 'number' && flat.minItems > 0) {
      out.push({ constraint: `minItems ${flat.minItems}`, value: fc.constant(current.slice(0, flat.minItems - 1)) });
    }
    if (typeof flat.maxItems === 'number') {
      const longer = [...current, ...Array.from({ length: flat.maxItems + 1 - current.length }, () => structuredClone(filler))];
      out.push({ constraint: `maxItems ${flat.maxItems}`, value: fc.constant(longer) });
    }
    if (flat.uniqueItems === true && current.length > 0) {
      out.push({ constraint: 'uniqueItems', value: fc.constant([...current, structuredClone(current[0])]) });
    }
  }
  return out;
}

/**
 * The mutations of the value at `path`, and of everything below it. In a form (`transport`
 * `query`) the root is the form itself, and each field is text, as a query parameter's.
 */
function bodySites(schema: unknown, value: unknown, path: Path, context: MutationContext, out: fc.Arbitrary<Mutation>[], transport: Transport = 'json'): void {
  if (!isObject(schema)) return;
  const label = pathLabel(path);
  const violations = transport === 'json' || path.length > 0 ? valueViolations(schema, value, transport, context) : [];
  for (const violation of violations) {
    out.push(violation.value.map((bad) => ({ constraint: `${label}: ${violation.constraint}`, edit: { in: 'body', path, value: bad } })));
  }
  const flat = flattenAllOf(schema);
  if (Array.isArray(flat.anyOf) || Array.isArray(flat.oneOf)) return;
  if (isObject(value)) {
    const properties: Record<string, unknown> = isObject(flat.properties) ? flat.properties : {};
    for (const name of Array.isArray(flat.required) ? flat.required : []) {
      if (name in value) out.push(fc.constant({ constraint: `${pathLabel([...path, name])}: required`, edit: { in: 'body', path: [...path, name], remove: true } }));
    }
    if (flat.additionalProperties === false || flat.unevaluatedProperties === false) {
      const patterns = Object.keys(isObject(flat.patternProperties) ? flat.patternProperties : {}).map((p) => compilePattern(p));
      const undeclared = (name: string) => !(name in properties) && !(name in value) && !patterns.some((p) => p?.test(name));
      const extraName = fc.string({ maxLength: 12 }).filter(undeclared);
      out.push(
        // A form field is text: an empty array there would be no field at all.
        fc.tuple(extraName, transport === 'json' ? fc.jsonValue({ maxDepth: 1 }) : fc.string({ maxLength: 12 })).map(([name, extra]) => ({
          constraint: `${label}: additionalProperties false`,
          edit: { in: 'body', path: [...path, name], value: extra },
        })),
      );
    }
    for (const [name, child] of Object.entries(value)) if (name in properties) bodySites(properties[name], child, [...path, name], context, out, transport);
  }
  if (Array.isArray(value) && (isObject(flat.items) || flat.items === true)) {
    value.forEach((item, index) => bodySites(flat.items, item, [...path, index], context, out, transport));
  }
}

const TRANSPORT_OF: Record<string, Transport> = { query: 'query', header: 'header', cookie: 'cookie', path: 'path' };

function parameterSites(operation: CompiledOperation, parameter: ParameterSpec, request: CaseRequest, context: MutationContext, out: fc.Arbitrary<Mutation>[]): void {
  if (parameter.schema?.type === 'array' || parameter.schema?.type === 'object') return;
  const label = `${parameter.in} "${parameter.name}"`;
  const edit = (value: string | undefined): Edit => ({ in: parameter.in, name: parameter.name, value });
  // A missing required header is missing_required_header's case, from the coverage phase.
  if (parameter.required && parameter.in !== 'header' && parameter.in !== 'path') {
    out.push(fc.constant({ constraint: `${label}: required`, edit: edit(undefined) }));
  }
  const transport = TRANSPORT_OF[parameter.in];
  for (const violation of valueViolations(parameter.schema ?? {}, getParameter(request, parameter), transport, context)) {
    out.push(violation.value.map((bad) => ({ constraint: `${label}: ${violation.constraint}`, edit: edit(String(bad)) })));
  }
  const rule = operation.supportedVersions;
  if (rule && rule.parameter.key === parameter.key && rule.parameter.in === parameter.in) {
    const unsupported = fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
      .map((date) => date.toISOString().slice(0, 10))
      .filter((version) => !rule.versions.includes(version));
    out.push(unsupported.map((version) => ({ constraint: `${label}: supported versions (${rule.versions.join(', ')})`, edit: edit(version) })));
  }
}

/**
 * Every way `request` (valid) can be made invalid by one change, as arbitraries of the change.
 * Empty when the document states nothing a request can break.
 */
export function mutationSites(operation: CompiledOperation, request: CaseRequest, context: MutationContext): fc.Arbitrary<Mutation>[] {
  const out: fc.Arbitrary<Mutation>[] = [];
  for (const parameter of operation.parameters) parameterSites(operation, parameter, request, context, out);
  const body = structuredBody(operation);
  if (!body) return out;
  const profile = operation.requestProfile;
  const value = structuredValue(request.body);
  if (body.required) out.push(fc.constant({ constraint: 'body: required', edit: { in: 'body', absent: true } }));
  if (body.kind === 'form') {
    if (value !== undefined) out.push(fc.constant({ constraint: 'body: media type (not a form)', edit: { in: 'body', raw: JSON.stringify(value), contentType: 'application/json' } }));
    bodySites(body.schema, value, [], context, out, 'query');
    return out;
  }
  if (body.required && profile.nullBodyIsMissing) out.push(fc.constant({ constraint: 'body: required (null is no body)', edit: { in: 'body', path: [], value: null } }));
  out.push(fc.constantFrom(...MALFORMED_JSON).map((raw) => ({ constraint: 'body: JSON', edit: { in: 'body', raw, contentType: 'application/json' } })));
  const rootTypes = isObject(body.schema) ? exactTypes(flattenAllOf(body.schema)) : undefined;
  const rawIsValidated = profile.nonJsonBody === 'validate-raw';
  if (value !== undefined && !(rawIsValidated && (!rootTypes || rootTypes.has('string')))) {
    out.push(fc.constant({ constraint: 'body: media type (not JSON)', edit: { in: 'body', raw: JSON.stringify(value), contentType: 'text/plain' } }));
  }
  const sites: fc.Arbitrary<Mutation>[] = [];
  bodySites(body.schema, value, [], context, sites);
  // A JSON null read as no body is valid where the body is optional.
  const nullIsAbsent = profile.nullBodyIsMissing;
  out.push(
    ...sites.map((site) =>
      site.filter((mutation) => !(nullIsAbsent && 'path' in mutation.edit && mutation.edit.path.length === 0 && 'value' in mutation.edit && mutation.edit.value === null)),
    ),
  );
  return out;
}

function setAt(root: unknown, path: Path, value: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : value;
  const [step, ...rest] = path;
  const container: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  if (rest.length === 0 && remove) {
    if (Array.isArray(container)) container.splice(Number(step), 1);
    else delete container[step];
  } else container[step] = setAt(container[step], rest, value, remove);
  return container;
}

/** `request` with `edit` applied (a new request). */
export function applyEdit(request: CaseRequest, edit: Edit): CaseRequest {
  const next = structuredClone(request);
  if (edit.in !== 'body') {
    setParameter(next, { in: edit.in, name: edit.name }, edit.value);
    return next;
  }
  if ('absent' in edit) next.body = { kind: 'none' };
  else if ('raw' in edit) next.body = { kind: 'raw', text: edit.raw, contentType: edit.contentType };
  else {
    next.body = { kind: next.body.kind === 'form' ? 'form' : 'json', value: setAt(structuredValue(next.body), edit.path, 'value' in edit ? edit.value : undefined, 'remove' in edit) };
  }
  return next;
}
