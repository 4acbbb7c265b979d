import { isObject } from '../schema/keywords';
import type { CompiledOperation, ParameterSpec } from '../spec/registry';
import {
  credentialSlots,
  isJsonMediaType,
  missingCredentialCases,
  negativeCases,
  requestIsValid,
  sampleParameterText,
  setParameter,
  structuredBody,
  structuredValue,
  type CaseKind,
  type CaseRequest,
  type RequestCase,
} from './cases';
import { applyEdit, pathLabel, type Edit } from './mutations';
import { flattenAllOf, numericBounds } from '../schema/keywords';
import { staticSample } from './schema-values';
import { formText } from './wire';
import { FORM_MEDIA_TYPE } from '../request-profiles/profile';

/**
 * The coverage phase: deterministic requests that walk what the document declares, as
 * Schemathesis's coverage phase does: every optional parameter absent and present, every
 * required one missing, the boundary values of each constraint (at them: valid; one step
 * beyond: invalid), every declared media type and one that is not, the methods the path does
 * not declare. Which case is valid is decided by the operation's own validators, never assumed.
 */

export interface CoverageOptions {
  /** Real credentials are in play: leaving out the refresh token is then the scenario's `auth` case. */
  credentialAware: boolean;
}

type Path = Array<string | number>;

interface Boundary {
  constraint: string;
  value: unknown;
}

const repeat = (length: number) => 'a'.repeat(Math.max(0, length));

/** A boundary value as a case name shows it: long strings by their length. */
const shown = (value: unknown) => (typeof value === 'string' && value.length > 12 ? `${value.length} characters` : JSON.stringify(value));

/** `base` written over `full`, object by object (the full sample keeps what the base leaves out). */
function overlay(full: unknown, base: unknown): unknown {
  if (!isObject(full) || !isObject(base)) return base;
  const merged: Record<string, unknown> = { ...full };
  for (const [name, value] of Object.entries(base)) merged[name] = overlay(full[name], value);
  return merged;
}

/** Values at and one step beyond each bound `schema` declares (at: expected valid; beyond: expected invalid). */
function boundaries(schema: unknown, text: boolean): { at: Boundary[]; beyond: Boundary[] } {
  const at: Boundary[] = [];
  const beyond: Boundary[] = [];
  if (!isObject(schema)) return { at, beyond };
  const flat = flattenAllOf(schema);
  if (Array.isArray(flat.anyOf) || Array.isArray(flat.oneOf)) return { at, beyond };
  const show = (n: number) => (text ? String(n) : n);
  if (Array.isArray(flat.enum)) flat.enum.forEach((value: unknown) => at.push({ constraint: 'enum', value: text ? String(value) : value }));
  if (typeof flat.minLength === 'number') {
    at.push({ constraint: `minLength ${flat.minLength}`, value: repeat(flat.minLength) });
    if (flat.minLength > 0) beyond.push({ constraint: `minLength ${flat.minLength}`, value: repeat(flat.minLength - 1) });
  }
  if (typeof flat.maxLength === 'number') {
    at.push({ constraint: `maxLength ${flat.maxLength}`, value: repeat(flat.maxLength) });
    beyond.push({ constraint: `maxLength ${flat.maxLength}`, value: repeat(flat.maxLength + 1) });
  }
  const { min, max, minExcluded, maxExcluded } = numericBounds(flat);
  // The nearest value inside an exclusive bound: one step for integers (or multiples), a hair for numbers.
  const inside = flat.type === 'integer' || typeof flat.multipleOf === 'number' ? (flat.multipleOf ?? 1) : 1e-6;
  const outside = flat.type === 'integer' || typeof flat.multipleOf === 'number' ? (flat.multipleOf ?? 1) : 1;
  if (min !== undefined) {
    const name = `${minExcluded ? 'exclusiveMinimum' : 'minimum'} ${min}`;
    at.push({ constraint: name, value: show(minExcluded ? min + inside : min) });
    beyond.push({ constraint: name, value: show(minExcluded ? min : min - outside) });
  }
  if (max !== undefined) {
    const name = `${maxExcluded ? 'exclusiveMaximum' : 'maximum'} ${max}`;
    at.push({ constraint: name, value: show(maxExcluded ? max - inside : max) });
    beyond.push({ constraint: name, value: show(maxExcluded ? max : max + outside) });
  }
  return { at, beyond };
}

interface BodyBoundary {
  constraint: string;
  edit: Edit;
  kind: 'valid' | 'negative';
}

/** The i-th item of a padded array: the existing ones, then variations of the first (distinct, for uniqueItems). */
function paddingItem(items: unknown[], fallback: unknown, i: number): unknown {
  if (i < items.length) return structuredClone(items[i]);
  const first = items[0] ?? fallback;
  if (typeof first === 'string') return `${first}${i}`.slice(-Math.max(first.length, 1));
  if (typeof first === 'number') return first + i;
  return structuredClone(first);
}

/** Boundary edits of the JSON value at `path` and below it; arrays at their item counts. */
function bodyBoundaries(schema: unknown, value: unknown, path: Path, out: BodyBoundary[]): void {
  if (!isObject(schema)) return;
  const flat = flattenAllOf(schema);
  const label = pathLabel(path);
  const { at, beyond } = boundaries(flat, false);
  for (const b of at) out.push({ constraint: `${label}: ${b.constraint} (${shown(b.value)})`, edit: { in: 'body', path, value: b.value }, kind: 'valid' });
  for (const b of beyond) out.push({ constraint: `${label}: beyond ${b.constraint} (${shown(b.value)})`, edit: { in: 'body', path, value: b.value }, kind: 'negative' });
  if (Array.isArray(flat.anyOf) || Array.isArray(flat.oneOf)) return;
  if (Array.isArray(value)) {
    const fallback = staticSample(flat.items) ?? null;
    const ofLength = (length: number) => Array.from({ length }, (_, i) => paddingItem(value, fallback, i));
    for (const [keyword, length] of [
      ['minItems', flat.minItems],
      ['maxItems', flat.maxItems],
    ] as const) {
      if (typeof length !== 'number') continue;
      out.push({ constraint: `${label}: ${keyword} ${length} (${length} items)`, edit: { in: 'body', path, value: ofLength(length) }, kind: 'valid' });
      const other = keyword === 'minItems' ? length - 1 : length + 1;
      if (other >= 0) {
        out.push({ constraint: `${label}: beyond ${keyword} ${length} (${other} items)`, edit: { in: 'body', path, value: ofLength(other) }, kind: 'negative' });
      }
    }
    value.forEach((child, i) => bodyBoundaries(flat.items, child, [...path, i], out));
  }
  if (isObject(value) && isObject(flat.properties)) {
    for (const [name, child] of Object.entries(value)) if (name in flat.properties) bodyBoundaries(flat.properties[name], child, [...path, name], out);
  }
}

const parameterLabel = (parameter: ParameterSpec) => `${parameter.in} "${parameter.name}"`;

/**
 * The coverage cases of `operation`, built on `base` (its minimal valid request with the
 * credentials of the moment): the cases of {@link negativeCases} and {@link missingCredentialCases},
 * then optional parameters, boundaries, media types. Deterministic: the same base gives the
 * same cases in the same order.
 */
export function coverageCases(operation: CompiledOperation, base: CaseRequest, options: CoverageOptions): RequestCase[] {
  const cases: RequestCase[] = [...negativeCases(operation, base), ...missingCredentialCases(operation, base)];
  const names = new Set(cases.map((c) => c.name));
  const add = (name: string, request: CaseRequest, kind?: CaseKind) => {
    const valid = requestIsValid(operation, request);
    const decided = kind ?? (valid ? 'valid' : 'negative');
    // A case meant valid that the validators refuse (or the reverse) is dropped, never mislabelled.
    if ((decided === 'negative') === valid || names.has(name)) return;
    names.add(name);
    cases.push({ name, kind: decided, request, phase: 'coverage' });
  };
  const slot = credentialSlots(operation).refreshToken;

  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') continue;
    const label = parameterLabel(parameter);
    const isSlot = slot && slot.in === parameter.in && slot.name === parameter.name;
    if (!parameter.required) {
      if (!isSlot) {
        const present = structuredClone(base);
        setParameter(present, parameter, sampleParameterText(operation, parameter) ?? 'x');
        add(`${label}: present`, present, 'valid');
      }
      if (!isSlot || !options.credentialAware) {
        const absent = structuredClone(base);
        setParameter(absent, parameter, undefined);
        add(`${label}: absent`, absent, 'valid');
      }
    }
    const { at, beyond } = boundaries(parameter.schema, true);
    for (const b of at) {
      const request = structuredClone(base);
      setParameter(request, parameter, String(b.value));
      add(`${label}: ${b.constraint} (${shown(b.value)})`, request, 'valid');
    }
    for (const b of beyond) {
      const request = structuredClone(base);
      setParameter(request, parameter, String(b.value));
      add(`${label}: beyond ${b.constraint} (${shown(b.value)})`, request, 'negative');
    }
  }

  const body = operation.body;
  const structured = structuredBody(operation);
  if (!body || !structured) return cases;
  const value = structuredValue(base.body);
  if (isObject(value)) {
    // Every optional property present: the full sample, the credentials of the base kept.
    const full = staticSample(structured.schema);
    if (isObject(full)) {
      const request = structuredClone(base);
      request.body = { kind: structured.kind, value: overlay(full, value) };
      add('body: every optional property present', request, 'valid');
      const edits: BodyBoundary[] = [];
      bodyBoundaries(structured.schema, (request.body as { value: unknown }).value, [], edits);
      for (const { constraint, edit, kind } of edits) add(constraint, applyEdit(request, edit), kind);
    }
  }
  for (const mediaType of body.mediaTypes) {
    if (mediaType.includes('*')) continue;
    const request = structuredClone(base);
    if (isJsonMediaType(mediaType)) request.body = { kind: 'raw', text: value === undefined ? '' : JSON.stringify(value), contentType: mediaType };
    else if (mediaType.toLowerCase() === FORM_MEDIA_TYPE && isObject(value)) request.body = { kind: 'raw', text: formText(value), contentType: mediaType };
    else continue;
    // Declared, so valid by the document, whatever the server's own reading of it.
    names.add(`body: declared media type ${mediaType}`);
    cases.push({ name: `body: declared media type ${mediaType}`, kind: 'valid', request, phase: 'coverage' });
  }
  return cases;
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'];

/**
 * A request for each method the path does not declare (among GET, PUT, POST, DELETE, PATCH):
 * bare (no credentials, no body), it must get 405 with `Allow` listing the declared ones.
 */
export function unsupportedMethodCases(path: string, declared: string[], pathParameters?: Record<string, string>): RequestCase[] {
  return METHODS.filter((method) => !declared.includes(method)).map((method) => ({
    name: `${method} (the path declares ${declared.join(', ')})`,
    kind: 'unsupported-method' as const,
    phase: 'coverage' as const,
    allowedMethods: declared,
    request: { method, path, ...(pathParameters ? { pathParameters } : {}), query: {}, headers: {}, cookies: {}, body: { kind: 'none' } as const },
  }));
}

