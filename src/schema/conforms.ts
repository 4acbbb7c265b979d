/**
 * A small, dependency-light JSON Schema checker used by the mock sampler to
 * verify its own candidates (examples, defaults, generated values) before it
 * returns them.
 *
 * It works on *dereferenced* schema graphs (plain objects, possibly cyclic):
 * recursion is driven by the value being checked, which is always finite, so
 * schema cycles are harmless here. It understands the union of the keywords
 * used by OpenAPI 3.0 (draft-04/07 style: `nullable`, boolean
 * `exclusiveMinimum`, array-form `items` + `additionalItems`, `dependencies`)
 * and OpenAPI 3.1 (2020-12: `prefixItems`, numeric `exclusiveMinimum`,
 * `dependentRequired`, `dependentSchemas`, `const`, type arrays...).
 *
 * Formats are checked with ajv-formats' own "full" definitions (plus `uuid4`),
 * so a value accepted here is accepted by ajv + ajv-formats as well.
 * Unknown keywords and unknown formats are ignored, like ajv with
 * `strict: false`.
 */
import { fullFormats } from 'ajv-formats/dist/formats';

import { declaredTypes, isObject, type JsonObject } from './keywords';

export { declaredTypes, isObject, type JsonObject };


const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Structural equality for JSON values (what `enum`, `const` and `uniqueItems` use). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) if (!hasOwn(bo, k) || !deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** Number of Unicode code points (JSON Schema string length; ajv counts the same way). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n++;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

const regexCache = new Map<string, RegExp | null>();

/** Compile a JSON Schema `pattern` the way ajv does (unicode flag), falling back to non-unicode. */
export function compilePattern(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re !== undefined) return re;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
  }
  regexCache.set(pattern, re);
  return re;
}

export function matchesPattern(pattern: string, value: string): boolean {
  const re = compilePattern(pattern);
  return re === null ? true : re.test(value);
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

type FormatCheck = { type: 'string' | 'number'; test: (v: string | number) => boolean };
const formatChecks = new Map<string, FormatCheck>();

function buildFormatChecks(): void {
  for (const [name, def] of Object.entries(fullFormats as Record<string, unknown>)) {
    if (def === true) {
      formatChecks.set(name, { type: 'string', test: () => true });
    } else if (def instanceof RegExp) {
      formatChecks.set(name, { type: 'string', test: (v) => { def.lastIndex = 0; return def.test(String(v)); } });
    } else if (typeof def === 'function') {
      const fn = def as (v: string) => boolean;
      formatChecks.set(name, { type: 'string', test: (v) => fn(String(v)) });
    } else if (isObject(def)) {
      const t = def.type === 'number' ? 'number' : 'string';
      const validate = def.validate;
      if (validate instanceof RegExp) {
        formatChecks.set(name, { type: t, test: (v) => { validate.lastIndex = 0; return validate.test(String(v)); } });
      } else if (typeof validate === 'function') {
        const fn = validate as (v: unknown) => boolean;
        formatChecks.set(name, { type: t, test: (v) => fn(v) });
      }
    }
  }
  formatChecks.set('uuid4', { type: 'string', test: (v) => UUID4.test(String(v)) });
}
buildFormatChecks();

/** Does `value` satisfy `format`? Unknown formats, and formats for another JSON type, pass. */
export function checkFormat(format: unknown, value: unknown): boolean {
  if (typeof format !== 'string') return true;
  const check = formatChecks.get(format);
  if (!check) return true;
  if (check.type === 'string' && typeof value === 'string') return check.test(value);
  if (check.type === 'number' && typeof value === 'number') return check.test(value);
  return true;
}

export function isKnownFormat(format: string): boolean {
  return formatChecks.has(format);
}

export function isOfType(t: string, v: unknown): boolean {
  switch (t) {
    case 'null':
      return v === null;
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return true;
  }
}

/** `multipleOf` as ajv checks it (no precision option): value / m must be an integer. */
export function isMultipleOf(v: number, m: number): boolean {
  if (!(m > 0)) return true;
  const q = v / m;
  return Number.isFinite(q) && Number.isInteger(q);
}

/** Does `value` satisfy `schema`? */
export function conforms(schema: unknown, value: unknown): boolean {
  return check(schema, value);
}

/** Does `value` satisfy every schema of the list (allOf)? */
export function conformsAll(schemas: readonly unknown[], value: unknown): boolean {
  for (const s of schemas) if (!check(s, value)) return false;
  return true;
}

/** Guards against composition cycles that do not descend into the data (A = anyOf[A, ...]). */
let nesting = 0;
const MAX_NESTING = 400;

function check(s: unknown, x: unknown): boolean {
  if (s === true || s === undefined || s === null) return true;
  if (s === false) return false;
  if (!isObject(s)) return true;
  if (nesting >= MAX_NESTING) return false;
  nesting++;
  try {
    return checkObjectSchema(s, x);
  } finally {
    nesting--;
  }
}

function checkObjectSchema(s: JsonObject, x: unknown): boolean {
  const types = declaredTypes(s);
  if (types && !types.some((t) => isOfType(t, x))) return false;
  if (hasOwn(s, 'const') && !deepEqual(s.const, x)) return false;
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, x))) return false;

  if (typeof x === 'string') {
    if (!checkString(s, x)) return false;
  } else if (typeof x === 'number') {
    if (!checkNumber(s, x)) return false;
  } else if (Array.isArray(x)) {
    if (!checkArray(s, x)) return false;
  } else if (isObject(x)) {
    if (!checkObject(s, x)) return false;
  }

  if (Array.isArray(s.allOf) && !s.allOf.every((b) => check(b, x))) return false;
  if (Array.isArray(s.anyOf) && !s.anyOf.some((b) => check(b, x))) return false;
  if (Array.isArray(s.oneOf)) {
    let n = 0;
    for (const b of s.oneOf) if (check(b, x) && ++n > 1) break;
    if (n !== 1) return false;
  }
  if (s.not !== undefined && check(s.not, x)) return false;
  if (s.if !== undefined) {
    if (check(s.if, x)) {
      if (s.then !== undefined && !check(s.then, x)) return false;
    } else if (s.else !== undefined && !check(s.else, x)) return false;
  }
  return true;
}

function checkString(s: JsonObject, x: string): boolean {
  if (typeof s.minLength === 'number' || typeof s.maxLength === 'number') {
    const len = codePointLength(x);
    if (typeof s.minLength === 'number' && len < s.minLength) return false;
    if (typeof s.maxLength === 'number' && len > s.maxLength) return false;
  }
  if (typeof s.pattern === 'string' && !matchesPattern(s.pattern, x)) return false;
  return checkFormat(s.format, x);
}

function checkNumber(s: JsonObject, x: number): boolean {
  if (typeof s.minimum === 'number' && (s.exclusiveMinimum === true ? x <= s.minimum : x < s.minimum)) return false;
  if (typeof s.maximum === 'number' && (s.exclusiveMaximum === true ? x >= s.maximum : x > s.maximum)) return false;
  if (typeof s.exclusiveMinimum === 'number' && x <= s.exclusiveMinimum) return false;
  if (typeof s.exclusiveMaximum === 'number' && x >= s.exclusiveMaximum) return false;
  if (typeof s.multipleOf === 'number' && !isMultipleOf(x, s.multipleOf)) return false;
  return checkFormat(s.format, x);
}

function checkArray(s: JsonObject, x: unknown[]): boolean {
  if (typeof s.minItems === 'number' && x.length < s.minItems) return false;
  if (typeof s.maxItems === 'number' && x.length > s.maxItems) return false;
  let prefix: unknown[] = [];
  let rest: unknown;
  if (Array.isArray(s.items)) {
    prefix = s.items;
    rest = s.additionalItems;
  } else {
    if (Array.isArray(s.prefixItems)) prefix = s.prefixItems;
    rest = s.items;
  }
  for (let i = 0; i < x.length; i++) {
    const sub = i < prefix.length ? prefix[i] : rest;
    if (sub !== undefined && !check(sub, x[i])) return false;
  }
  if (s.uniqueItems === true) {
    for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) if (deepEqual(x[i], x[j])) return false;
  }
  if (s.contains !== undefined) {
    let n = 0;
    for (const e of x) if (check(s.contains, e)) n++;
    const min = typeof s.minContains === 'number' ? s.minContains : 1;
    if (n < min) return false;
    if (typeof s.maxContains === 'number' && n > s.maxContains) return false;
  }
  return true;
}

function checkObject(s: JsonObject, x: JsonObject): boolean {
  const keys = Object.keys(x);
  if (Array.isArray(s.required)) {
    for (const r of s.required) if (typeof r === 'string' && !hasOwn(x, r)) return false;
  }
  if (typeof s.minProperties === 'number' && keys.length < s.minProperties) return false;
  if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) return false;
  const props = isObject(s.properties) ? s.properties : undefined;
  const patterns = isObject(s.patternProperties) ? Object.entries(s.patternProperties) : [];
  for (const k of keys) {
    let covered = false;
    if (props && hasOwn(props, k)) {
      covered = true;
      if (!check(props[k], x[k])) return false;
    }
    for (const [p, ps] of patterns) {
      if (matchesPattern(p, k)) {
        covered = true;
        if (!check(ps, x[k])) return false;
      }
    }
    if (!covered && s.additionalProperties !== undefined && !check(s.additionalProperties, x[k])) return false;
    if (s.propertyNames !== undefined && !check(s.propertyNames, k)) return false;
  }
  const depReq = isObject(s.dependentRequired) ? s.dependentRequired : undefined;
  if (depReq) {
    for (const [k, deps] of Object.entries(depReq)) {
      if (hasOwn(x, k) && Array.isArray(deps) && deps.some((d) => typeof d === 'string' && !hasOwn(x, d))) return false;
    }
  }
  const deps = isObject(s.dependencies) ? s.dependencies : undefined;
  if (deps) {
    for (const [k, d] of Object.entries(deps)) {
      if (!hasOwn(x, k)) continue;
      if (Array.isArray(d)) {
        if (d.some((n) => typeof n === 'string' && !hasOwn(x, n))) return false;
      } else if (!check(d, x)) return false;
    }
  }
  const depSchemas = isObject(s.dependentSchemas) ? s.dependentSchemas : undefined;
  if (depSchemas) {
    for (const [k, d] of Object.entries(depSchemas)) if (hasOwn(x, k) && !check(d, x)) return false;
  }
  if (s.unevaluatedProperties !== undefined && s.unevaluatedProperties !== true) {
    // Approximation: a key counts as evaluated when any (sub)schema reachable
    // through allOf/anyOf/oneOf/if/then/else/dependentSchemas declares it.
    const declared = new Set<string>();
    const pats: string[] = [];
    collectDeclared(s, declared, pats, new Set());
    for (const k of keys) {
      if (declared.has(k) || pats.some((p) => matchesPattern(p, k))) continue;
      if (!check(s.unevaluatedProperties, x[k])) return false;
    }
  }
  return true;
}

function collectDeclared(s: unknown, out: Set<string>, pats: string[], seen: Set<unknown>): void {
  if (!isObject(s) || seen.has(s)) return;
  seen.add(s);
  if (isObject(s.properties)) for (const k of Object.keys(s.properties)) out.add(k);
  if (isObject(s.patternProperties)) pats.push(...Object.keys(s.patternProperties));
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) pats.push('');
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) for (const b of list) collectDeclared(b, out, pats, seen);
  }
  for (const key of ['if', 'then', 'else'] as const) collectDeclared(s[key], out, pats, seen);
  if (isObject(s.dependentSchemas)) for (const d of Object.values(s.dependentSchemas)) collectDeclared(d, out, pats, seen);
}
