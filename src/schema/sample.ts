/**
 * Schema sampler for mock responses (our replacement for openapi-backend's
 * built-in mocker, which mishandles several OpenAPI 3.1 constructs).
 *
 * Input: a *dereferenced* schema — a plain JS object graph in which `$ref`s
 * have been replaced by the objects they point to. The graph may contain
 * cycles (recursive schemas).
 *
 * Static mode (Prism's default): `const`, then `example`, then `examples[0]`
 * (3.1 array form), then `default`, then `enum[0]` — each used only if it is
 * valid for the schema — otherwise a value built by type: strings by `format`
 * (else "string"), 0 for numbers, true for booleans, arrays with one item,
 * objects with ALL declared properties (required and optional).
 *
 * Dynamic mode (Prism's `dynamic=true`): examples/defaults are ignored and
 * random-but-valid values are generated from the provided PRNG, so the same
 * seed gives the same value.
 *
 * Every returned value has been checked against the schema with the
 * validator in ./validate (whose format checks are ajv-formats' own). When no
 * valid value can be built, `SampleError` is thrown.
 *
 * Cycles: an *optional* property (or an array item beyond `minItems`, or an
 * `anyOf` branch) whose generation would re-enter a schema that is already
 * being generated is dropped. A *required* recursive property is generated
 * only if a finite instance exists (e.g. through a nullable or non-recursive
 * branch deeper down); otherwise `SampleError` explains that the schema is
 * recursive without a finite instance.
 */
import { formatBounds, formatValue } from './format-values';
import { samplePattern, UnsupportedPattern } from './regex';
import {
  checkFormat,
  codePointLength,
  conformsAll,
  declaredTypes,
  deepEqual,
  isKnownFormat,
  isMultipleOf,
  isObject,
  JsonObject,
  matchesPattern,
} from './conforms';

export interface SampleOptions {
  /** false: Prism-style static sample (examples first); true: random valid value from `random`. */
  dynamic: boolean;
  /** PRNG in [0, 1). Used in dynamic mode (defaults to Math.random). Use `seededRandom(seed)` for reproducible bodies. */
  random?: () => number;
  /** Leave out non-required `writeOnly` properties (use for response bodies, as Prism does). */
  omitWriteOnly?: boolean;
  /** Leave out non-required `readOnly` properties (use for request bodies). */
  omitReadOnly?: boolean;
}

/** Thrown when no value valid for the schema can be produced. */
export class SampleError extends Error {
  constructor(
    message: string,
    /** JSON pointer (into the generated value) where generation failed. */
    readonly at: string,
    /** True when the failure is due to a recursive schema without a finite instance. */
    readonly recursive: boolean,
  ) {
    super(message);
    this.name = 'SampleError';
  }
}

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Same seed → same sequence. */
export function seededRandom(seed: number): () => number {
  let a = (Math.trunc(Number.isFinite(seed) ? seed : 0) >>> 0) || 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh random 32-bit seed (for dynamic responses without an explicit seed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}

/** Generate a value valid for `schema` (see module doc). Throws SampleError. */
export function sampleSchema(schema: unknown, options: SampleOptions): unknown {
  const rnd = options.random ?? (options.dynamic ? Math.random : seededRandom(0x5eed));
  let last: GenFail | undefined;
  // First try with no re-entry at all into schemas being generated (the
  // shallowest valid value); only if that fails because of recursion, allow
  // recursive schemas to nest a little.
  for (let reentry = 0; reentry <= MAX_REENTRY; reentry++) {
    const ctx: Ctx = {
      dynamic: options.dynamic,
      rnd,
      reentry,
      stack: new Map(),
      path: [],
      depth: 0,
      flags: { sawCycle: false },
      omitWriteOnly: options.omitWriteOnly === true,
      omitReadOnly: options.omitReadOnly === true,
    };
    try {
      return gen(schema, ctx);
    } catch (e) {
      if (!(e instanceof GenFail)) throw e;
      last = e;
      if (!ctx.flags.sawCycle) break;
    }
  }
  const f = last as GenFail;
  const where = f.at ? ` at ${f.at}` : '';
  const title = isObject(schema) && typeof schema.title === 'string' ? ` "${schema.title}"` : '';
  const msg = f.cycle
    ? `Cannot generate a value for schema${title}${where}: it is recursive and a required part of it has no finite instance (${f.message})`
    : `Cannot generate a value for schema${title}${where}: ${f.message}`;
  throw new SampleError(msg, f.at, f.cycle);
}

// ---------------------------------------------------------------------------

const MAX_REENTRY = 2;
const MAX_DEPTH = 48;
const MAX_VARIANTS = 64;
const DYNAMIC_ATTEMPTS = 8;
/** Extra attempts with a fixed-seed PRNG when the plain static value is not valid (e.g. `not`, overlapping oneOf). */
const STATIC_VARIATIONS = 8;

/** A derived context that generates varied (random) values from a fixed seed: deterministic. */
function variation(ctx: Ctx, salt: number): Ctx {
  return { ...ctx, dynamic: true, rnd: seededRandom(0x9e3779b1 ^ (salt * 2654435761)) };
}

interface Ctx {
  dynamic: boolean;
  rnd: () => number;
  /** How many times a schema already on the stack may be entered again. */
  reentry: number;
  /** Schema identities currently being generated → count. */
  stack: Map<object, number>;
  path: string[];
  depth: number;
  /** Shared by all derived contexts: a recursion cut happened somewhere. */
  flags: { sawCycle: boolean };
  omitWriteOnly: boolean;
  omitReadOnly: boolean;
}

class GenFail extends Error {
  constructor(
    message: string,
    readonly at: string,
    readonly cycle: boolean,
  ) {
    super(message);
  }
}

const pointer = (ctx: Ctx): string => ctx.path.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
const fail = (ctx: Ctx, msg: string, cycle = false): GenFail => {
  if (cycle) ctx.flags.sawCycle = true;
  return new GenFail(msg, pointer(ctx), cycle);
};

/**
 * Deep copy of JSON-like data. (Not structuredClone: under jest's VM sandbox it
 * returns objects of another realm, which breaks deep-equality checks.)
 */
export function cloneJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => cloneJson(x)) as T;
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
    if (v instanceof Date) return new Date(v.getTime()) as T;
  }
  const out: JsonObject = {};
  for (const k of Object.keys(v as object)) setProp(out, k, cloneJson((v as JsonObject)[k]));
  return out as T;
}
const clone = cloneJson;

function randInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

function shuffle<T>(xs: readonly T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Objects identifying a schema for cycle detection (the schema and its shared containers). */
function identities(s: JsonObject): object[] {
  const ids: object[] = [s];
  for (const k of ['properties', 'patternProperties', 'allOf', 'anyOf', 'oneOf', 'prefixItems'] as const) {
    const v = s[k];
    if (typeof v === 'object' && v !== null) ids.push(v);
  }
  if (Array.isArray(s.items)) ids.push(s.items);
  return ids;
}

function gen(schema: unknown, ctx: Ctx): unknown {
  if (schema === undefined || schema === true) return genAny(ctx);
  if (schema === false) throw fail(ctx, 'the schema is `false` (no value is valid)');
  if (!isObject(schema)) return genAny(ctx);
  if (typeof schema.$ref === 'string' && !hasStructure(schema)) {
    throw fail(ctx, `unresolved $ref "${schema.$ref}" (dereference the document first)`);
  }
  if (ctx.depth >= MAX_DEPTH) throw fail(ctx, 'maximum nesting depth reached', true);

  // Literal candidates (static: const/example/examples/default/enum; dynamic: const/enum).
  for (const c of literalCandidates(schema, ctx)) {
    if (conformsAll([schema], c)) return clone(c);
  }
  if (Array.isArray(schema.enum)) throw fail(ctx, 'no `enum` value satisfies the schema');
  if (Object.prototype.hasOwnProperty.call(schema, 'const')) throw fail(ctx, 'the `const` value does not satisfy the schema');

  ctx.depth++;
  try {
    return genComposite(schema, ctx);
  } finally {
    ctx.depth--;
  }
}

function hasStructure(s: JsonObject): boolean {
  return Object.keys(s).some((k) => k !== '$ref' && !k.startsWith('x-') && k !== 'description' && k !== 'summary');
}

function literalCandidates(s: JsonObject, ctx: Ctx): unknown[] {
  const out: unknown[] = [];
  const has = (k: string) => Object.prototype.hasOwnProperty.call(s, k);
  if (has('const')) out.push(s.const);
  if (!ctx.dynamic) {
    if (has('example') && s.example !== undefined) out.push(s.example);
    if (Array.isArray(s.examples)) out.push(...s.examples);
    if (has('default') && s.default !== undefined) out.push(s.default);
    if (Array.isArray(s.enum)) out.push(...s.enum);
  } else if (Array.isArray(s.enum)) {
    out.push(...shuffle(s.enum, ctx.rnd));
  }
  return out;
}

// ----------------------------------------------------------------- flattening

interface Bound {
  v: number;
  excl: boolean;
}
interface TupleRule {
  prefix: unknown[];
  rest: unknown;
}
interface PropRule {
  properties: JsonObject;
  patterns: [string, unknown][];
  additional: unknown;
}

/** The conjunction of a schema and its allOf members (and chosen anyOf/oneOf branches). */
interface Flat {
  sources: JsonObject[];
  never: boolean;
  types: string[] | null;
  consts: unknown[];
  enums: unknown[][];
  formats: string[];
  minLength: number;
  maxLength: number;
  patterns: string[];
  lower?: Bound;
  upper?: Bound;
  multipleOf: number[];
  minItems: number;
  maxItems: number;
  uniqueItems: boolean;
  tuples: TupleRule[];
  contains: unknown[];
  minContains: number;
  props: PropRule[];
  required: string[];
  minProperties: number;
  maxProperties: number;
  propertyNames: unknown[];
  dependentRequired: [string, string[]][];
}

function emptyFlat(): Flat {
  return {
    sources: [],
    never: false,
    types: null,
    consts: [],
    enums: [],
    formats: [],
    minLength: 0,
    maxLength: Infinity,
    patterns: [],
    multipleOf: [],
    minItems: 0,
    maxItems: Infinity,
    uniqueItems: false,
    tuples: [],
    contains: [],
    minContains: 1,
    props: [],
    required: [],
    minProperties: 0,
    maxProperties: Infinity,
    propertyNames: [],
    dependentRequired: [],
  };
}

function copyFlat(f: Flat): Flat {
  return {
    ...f,
    sources: [...f.sources],
    types: f.types ? [...f.types] : null,
    consts: [...f.consts],
    enums: [...f.enums],
    formats: [...f.formats],
    patterns: [...f.patterns],
    multipleOf: [...f.multipleOf],
    tuples: [...f.tuples],
    contains: [...f.contains],
    props: [...f.props],
    required: [...f.required],
    propertyNames: [...f.propertyNames],
    dependentRequired: [...f.dependentRequired],
  };
}

function intersectTypes(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (const t of a) {
    if (b.includes(t)) out.push(t);
    else if (t === 'integer' && b.includes('number')) out.push('integer');
    else if (t === 'number' && b.includes('integer')) out.push('integer');
  }
  return [...new Set(out)];
}

function tighterLower(a: Bound | undefined, b: Bound): Bound {
  if (!a) return b;
  if (b.v > a.v) return b;
  if (b.v === a.v) return { v: a.v, excl: a.excl || b.excl };
  return a;
}
function tighterUpper(a: Bound | undefined, b: Bound): Bound {
  if (!a) return b;
  if (b.v < a.v) return b;
  if (b.v === a.v) return { v: a.v, excl: a.excl || b.excl };
  return a;
}

/** Adds `schema` (and, recursively, its allOf members) to `flat`; anyOf/oneOf/if go to `groups`. */
function addToFlat(flat: Flat, schema: unknown, groups: unknown[][]): void {
  if (schema === undefined || schema === true) return;
  if (schema === false) {
    flat.never = true;
    return;
  }
  // Conjunction is idempotent: a schema already merged adds nothing (this also stops allOf cycles).
  if (!isObject(schema) || flat.sources.includes(schema)) return;
  const s = schema;
  flat.sources.push(s);

  const t = declaredTypes(s);
  if (t) flat.types = flat.types ? intersectTypes(flat.types, t) : [...new Set(t)];
  if (Object.prototype.hasOwnProperty.call(s, 'const')) flat.consts.push(s.const);
  if (Array.isArray(s.enum)) flat.enums.push(s.enum);
  if (typeof s.format === 'string') flat.formats.push(s.format);

  if (typeof s.minLength === 'number') flat.minLength = Math.max(flat.minLength, s.minLength);
  if (typeof s.maxLength === 'number') flat.maxLength = Math.min(flat.maxLength, s.maxLength);
  if (typeof s.pattern === 'string') flat.patterns.push(s.pattern);

  if (typeof s.minimum === 'number') flat.lower = tighterLower(flat.lower, { v: s.minimum, excl: s.exclusiveMinimum === true });
  if (typeof s.exclusiveMinimum === 'number') flat.lower = tighterLower(flat.lower, { v: s.exclusiveMinimum, excl: true });
  if (typeof s.maximum === 'number') flat.upper = tighterUpper(flat.upper, { v: s.maximum, excl: s.exclusiveMaximum === true });
  if (typeof s.exclusiveMaximum === 'number') flat.upper = tighterUpper(flat.upper, { v: s.exclusiveMaximum, excl: true });
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) flat.multipleOf.push(s.multipleOf);

  if (typeof s.minItems === 'number') flat.minItems = Math.max(flat.minItems, s.minItems);
  if (typeof s.maxItems === 'number') flat.maxItems = Math.min(flat.maxItems, s.maxItems);
  if (s.uniqueItems === true) flat.uniqueItems = true;
  if (Array.isArray(s.items)) flat.tuples.push({ prefix: s.items, rest: s.additionalItems });
  else if (Array.isArray(s.prefixItems)) flat.tuples.push({ prefix: s.prefixItems, rest: s.items });
  else if (s.items !== undefined) flat.tuples.push({ prefix: [], rest: s.items });
  if (s.contains !== undefined) {
    flat.contains.push(s.contains);
    if (typeof s.minContains === 'number') flat.minContains = Math.max(flat.minContains, s.minContains);
  }

  const properties = isObject(s.properties) ? s.properties : undefined;
  const patterns = isObject(s.patternProperties) ? Object.entries(s.patternProperties) : [];
  if (properties || patterns.length || s.additionalProperties !== undefined) {
    flat.props.push({ properties: properties ?? {}, patterns, additional: s.additionalProperties });
  }
  if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === 'string' && !flat.required.includes(r)) flat.required.push(r);
  if (typeof s.minProperties === 'number') flat.minProperties = Math.max(flat.minProperties, s.minProperties);
  if (typeof s.maxProperties === 'number') flat.maxProperties = Math.min(flat.maxProperties, s.maxProperties);
  if (s.propertyNames !== undefined) flat.propertyNames.push(s.propertyNames);
  const depReq = isObject(s.dependentRequired) ? s.dependentRequired : undefined;
  if (depReq) for (const [k, v] of Object.entries(depReq)) if (Array.isArray(v)) flat.dependentRequired.push([k, v.filter((x): x is string => typeof x === 'string')]);
  const deps = isObject(s.dependencies) ? s.dependencies : undefined;
  if (deps) for (const [k, v] of Object.entries(deps)) if (Array.isArray(v)) flat.dependentRequired.push([k, v.filter((x): x is string => typeof x === 'string')]);

  if (Array.isArray(s.allOf)) for (const m of s.allOf) addToFlat(flat, m, groups);
  if (Array.isArray(s.anyOf) && s.anyOf.length) groups.push(s.anyOf);
  if (Array.isArray(s.oneOf) && s.oneOf.length) groups.push(s.oneOf);
  if (s.if !== undefined && (s.then !== undefined || s.else !== undefined)) {
    groups.push([{ allOf: [s.if, s.then ?? true] }, s.else ?? true]);
  }
}

function isNullOnly(s: unknown): boolean {
  if (!isObject(s)) return false;
  if (s.type === 'null') return true;
  if (Array.isArray(s.type) && s.type.length > 0 && s.type.every((t) => t === 'null')) return true;
  if (Object.prototype.hasOwnProperty.call(s, 'const') && s.const === null) return true;
  return Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((e) => e === null);
}

function orderBranches(branches: unknown[], ctx: Ctx): unknown[] {
  if (ctx.dynamic) return shuffle(branches, ctx.rnd);
  // Static: first non-null branch first; null-only branches last.
  return [...branches.filter((b) => !isNullOnly(b)), ...branches.filter(isNullOnly)];
}

function* variants(base: Flat, groups: unknown[][], ctx: Ctx, depth = 0): Generator<Flat> {
  if (base.never || depth > 32) return;
  if (groups.length === 0) {
    yield base;
    return;
  }
  const [g, ...rest] = groups;
  for (const b of orderBranches(g, ctx)) {
    // A branch that is already part of the conjunction is a composition cycle (A = anyOf[A, ...]): not a way out.
    if (isObject(b) && base.sources.includes(b)) continue;
    const f = copyFlat(base);
    const more: unknown[][] = [];
    addToFlat(f, b, more);
    yield* variants(f, [...more, ...rest], ctx, depth + 1);
  }
}

function genComposite(schema: JsonObject, ctx: Ctx): unknown {
  const base = emptyFlat();
  const groups: unknown[][] = [];
  addToFlat(base, schema, groups);
  if (base.never) throw fail(ctx, 'the schema contains `false` in an allOf (no value is valid)');
  let last: GenFail | undefined;
  let n = 0;
  for (const flat of variants(base, groups, ctx)) {
    if (++n > MAX_VARIANTS) break;
    try {
      return genFlat(flat, ctx);
    } catch (e) {
      if (!(e instanceof GenFail)) throw e;
      if (!last || (e.cycle && !last.cycle)) last = e;
    }
  }
  throw last ?? fail(ctx, 'no anyOf/oneOf branch can be satisfied');
}

// ----------------------------------------------------------------- generation

function genFlat(flat: Flat, ctx: Ctx): unknown {
  // Cycle detection: entering a schema (or its shared containers) already being generated.
  const ids = new Set<object>();
  for (const s of flat.sources) for (const id of identities(s)) ids.add(id);
  for (const id of ids) {
    if ((ctx.stack.get(id) ?? 0) > ctx.reentry) throw fail(ctx, 'recursive schema', true);
  }
  for (const id of ids) ctx.stack.set(id, (ctx.stack.get(id) ?? 0) + 1);
  try {
    return genFlatInner(flat, ctx);
  } finally {
    for (const id of ids) {
      const c = (ctx.stack.get(id) ?? 1) - 1;
      if (c <= 0) ctx.stack.delete(id);
      else ctx.stack.set(id, c);
    }
  }
}

function genFlatInner(flat: Flat, ctx: Ctx): unknown {
  const ok = (v: unknown) => conformsAll(flat.sources, v);

  // Literal constraints coming from allOf members / chosen branches.
  if (flat.consts.length || flat.enums.length) {
    let cands: unknown[] = flat.consts.length ? [flat.consts[0]] : flat.enums[0];
    if (ctx.dynamic) cands = shuffle(cands, ctx.rnd);
    for (const c of cands) if (ok(c)) return clone(c);
    throw fail(ctx, 'no `const`/`enum` value satisfies all constraints');
  }

  const types = typeOrder(flat, ctx);
  let last: GenFail | undefined;
  for (const t of types) {
    const attempts = ctx.dynamic ? DYNAMIC_ATTEMPTS : 1 + STATIC_VARIATIONS;
    for (let a = 0; a < attempts; a++) {
      const c = ctx.dynamic || a === 0 ? ctx : variation(ctx, a + 17 * ctx.depth);
      try {
        const v = genType(t, flat, c);
        if (ok(v)) return v;
        last = fail(ctx, `generated ${t} does not satisfy the schema`);
      } catch (e) {
        if (!(e instanceof GenFail)) throw e;
        last = e;
        if (e.cycle) break;
      }
    }
  }
  throw last ?? fail(ctx, 'no type can satisfy the schema');
}

const ALL_TYPES = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'];

function inferTypes(f: Flat): string[] | null {
  if (f.props.length || f.required.length || f.minProperties > 0 || f.maxProperties < Infinity || f.propertyNames.length) return ['object'];
  if (f.tuples.length || f.minItems > 0 || f.maxItems < Infinity || f.contains.length || f.uniqueItems) return ['array'];
  if (f.patterns.length || f.minLength > 0 || f.maxLength < Infinity || f.formats.some((x) => isKnownFormat(x) && formatValue(x, null) !== undefined)) return ['string'];
  if (f.lower || f.upper || f.multipleOf.length) return ['number'];
  return null;
}

function typeOrder(flat: Flat, ctx: Ctx): string[] {
  let declared = flat.types;
  if (declared && declared.length === 0) throw fail(ctx, 'the `type` constraints are contradictory');
  if (!declared) {
    const inferred = inferTypes(flat);
    // Untyped schema: try the inferred type, then anything else (validation decides).
    declared = inferred ? [...inferred, ...ALL_TYPES.filter((t) => !inferred.includes(t))] : ALL_TYPES;
    return ctx.dynamic && !inferred ? [...shuffle(declared.filter((t) => t !== 'null'), ctx.rnd), 'null'] : declared;
  }
  const nonNull = declared.filter((t) => t !== 'null');
  const hasNull = declared.includes('null');
  if (!ctx.dynamic) return hasNull ? [...nonNull, 'null'] : nonNull;
  const order = shuffle(declared, ctx.rnd);
  // Keep a fallback to the other types after the random first choice.
  return order;
}

function genAny(ctx: Ctx): unknown {
  if (!ctx.dynamic) return 'string';
  switch (randInt(ctx.rnd, 0, 2)) {
    case 0:
      return randomWord(ctx.rnd, 4, 12);
    case 1:
      return randInt(ctx.rnd, 0, 1000);
    default:
      return ctx.rnd() < 0.5;
  }
}

function genType(t: string, flat: Flat, ctx: Ctx): unknown {
  switch (t) {
    case 'null':
      return null;
    case 'boolean':
      return ctx.dynamic ? ctx.rnd() < 0.5 : true;
    case 'integer':
      return genNumber(flat, true, ctx);
    case 'number':
      return genNumber(flat, false, ctx);
    case 'string':
      return genString(flat, ctx);
    case 'array':
      return genArray(flat, ctx);
    case 'object':
      return genObject(flat, ctx);
    default:
      throw fail(ctx, `unknown type "${t}"`);
  }
}

// ----------------------------------------------------------------- numbers

/** Avoid binary noise such as 0.30000000000000004 (which fails ajv's multipleOf check). */
const tidy = (x: number): number => Number.parseFloat(x.toPrecision(12));

function genNumber(flat: Flat, integer: boolean, ctx: Ctx): number {
  let lo = -Infinity;
  let hi = Infinity;
  let loEx = false;
  let hiEx = false;
  if (flat.lower) ({ v: lo, excl: loEx } = flat.lower);
  if (flat.upper) ({ v: hi, excl: hiEx } = flat.upper);
  for (const f of flat.formats) {
    const b = formatBounds(f);
    if (b) {
      if (b.min > lo) [lo, loEx] = [b.min, false];
      if (b.max < hi) [hi, hiEx] = [b.max, false];
    }
  }
  const inRange = (x: number) => (loEx ? x > lo : x >= lo) && (hiEx ? x < hi : x <= hi);
  const mults = flat.multipleOf;
  const valid = (x: number) => Number.isFinite(x) && inRange(x) && (!integer || Number.isInteger(x)) && mults.every((m) => isMultipleOf(x, m));

  // The step every value must be a multiple of.
  let step = integer ? 1 : 0;
  for (const m of mults) step = step === 0 ? m : combineSteps(step, m);

  if (step > 0) {
    let kLo = Math.ceil(lo / step);
    if (loEx && kLo * step <= lo) kLo++;
    let kHi = Math.floor(hi / step);
    if (hiEx && kHi * step >= hi) kHi--;
    if (!Number.isFinite(kLo) && !Number.isFinite(kHi)) {
      kLo = 0;
      kHi = integer && step === 1 ? 1000 : 100;
    } else if (!Number.isFinite(kLo)) kLo = Math.min(kHi, 0) - (integer && step === 1 ? 1000 : 100);
    else if (!Number.isFinite(kHi)) kHi = Math.max(kLo, 0) + (integer && step === 1 ? 1000 : 100);
    if (kLo > kHi) throw fail(ctx, `no ${integer ? 'integer' : 'number'} satisfies the bounds/multipleOf`);
    const ks: number[] = [];
    if (!ctx.dynamic) ks.push(Math.min(Math.max(0, kLo), kHi));
    for (let i = 0; i < 8; i++) ks.push(randInt(ctx.dynamic ? ctx.rnd : seededRandom(i + 1), kLo, kHi));
    ks.push(kLo, kHi);
    for (const k of ks) {
      const x = tidy(k * step);
      if (valid(x)) return x === 0 ? 0 : x;
    }
    throw fail(ctx, `cannot find a ${integer ? 'integer' : 'number'} that is a multiple of ${mults.join(', ')} within the bounds`);
  }

  // Unconstrained step (plain number).
  if (!ctx.dynamic) {
    const cands = [0];
    if (Number.isFinite(lo)) cands.push(loEx ? (Number.isFinite(hi) ? (lo + hi) / 2 : lo + 1) : lo);
    if (Number.isFinite(hi)) cands.push(hiEx ? (Number.isFinite(lo) ? (lo + hi) / 2 : hi - 1) : hi);
    for (const c of cands) if (valid(c)) return c;
  } else {
    const a = Number.isFinite(lo) ? lo : Number.isFinite(hi) ? hi - 1000 : 0;
    const b = Number.isFinite(hi) ? hi : a + 1000;
    for (let i = 0; i < 8; i++) {
      const x = tidy(Math.round((a + ctx.rnd() * (b - a)) * 100) / 100);
      if (valid(x)) return x;
    }
    const mid = (a + b) / 2;
    if (valid(mid)) return mid;
  }
  throw fail(ctx, 'no number satisfies the bounds');
}

function combineSteps(a: number, b: number): number {
  if (isMultipleOf(a, b)) return a;
  if (isMultipleOf(b, a)) return b;
  if (Number.isInteger(a) && Number.isInteger(b)) {
    const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
    return (a / gcd(a, b)) * b;
  }
  return tidy(a * b);
}

// ----------------------------------------------------------------- strings

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomWord(rnd: () => number, lo: number, hi: number): string {
  const n = randInt(rnd, lo, hi);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rnd() * ALNUM.length)];
  return s;
}

function genString(flat: Flat, ctx: Ctx): string {
  const { minLength: minL, maxLength: maxL } = flat;
  if (minL > maxL) throw fail(ctx, `minLength ${minL} > maxLength ${maxL}`);
  const good = (v: string): boolean => {
    const len = codePointLength(v);
    return len >= minL && len <= maxL && flat.patterns.every((p) => matchesPattern(p, v)) && flat.formats.every((f) => checkFormat(f, v));
  };
  const tried: string[] = [];
  const attempt = (v: string | undefined): v is string => {
    if (v === undefined) return false;
    if (good(v)) return true;
    tried.push(v);
    return false;
  };

  // 1. Formats.
  for (const f of flat.formats) {
    const rnd = ctx.dynamic ? ctx.rnd : null;
    const v = formatValue(f, rnd);
    if (attempt(v)) return v;
    if (v !== undefined) {
      for (let i = 0; i < 8; i++) {
        const w = formatValue(f, ctx.dynamic ? ctx.rnd : seededRandom(i + 1));
        if (attempt(w)) return w as string;
      }
    }
  }

  // 2. Patterns.
  if (flat.patterns.length) {
    const pattern = flat.patterns[0];
    try {
      if (!ctx.dynamic) {
        const v = samplePattern(pattern, { random: null, extra: 0 });
        if (attempt(v)) return v;
      }
      const extras = [2, 4, 8, 16, 32, 64, 128, 256];
      for (let i = 0; i < 48; i++) {
        const rnd = ctx.dynamic ? ctx.rnd : seededRandom(1000 + i);
        const extra = Math.min(extras[Math.min(extras.length - 1, i >> 2)], Math.max(4, Number.isFinite(maxL) ? maxL : minL + 8));
        const v = samplePattern(pattern, { random: rnd, extra });
        if (attempt(v)) return v;
      }
    } catch (e) {
      if (!(e instanceof UnsupportedPattern)) throw e;
    }
  }

  // 3. Plain strings.
  if (!ctx.dynamic) {
    let v = 'string';
    if (codePointLength(v) < minL) v = v.repeat(Math.ceil(minL / 6)).slice(0, minL);
    if (v.length > maxL) v = v.slice(0, maxL);
    if (attempt(v)) return v;
  }
  for (let i = 0; i < 8; i++) {
    const rnd = ctx.dynamic ? ctx.rnd : seededRandom(2000 + i);
    // Mostly readable lengths (>= 6), sometimes short ones (helps with `not`/oneOf constraints).
    const lo = i % 3 === 2 ? minL : Math.max(minL, Math.min(6, maxL));
    const hi = Math.min(maxL, Math.max(lo, minL + 12, 16));
    const v = randomWord(rnd, lo, hi);
    if (attempt(v)) return v;
  }
  const what = [
    flat.formats.length ? `format ${flat.formats.join(', ')}` : '',
    flat.patterns.length ? `pattern ${flat.patterns.join(', ')}` : '',
    minL > 0 || maxL < Infinity ? `length ${minL}..${maxL}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  throw fail(ctx, `cannot generate a string matching ${what || 'the constraints'}`);
}

// ----------------------------------------------------------------- arrays

function itemConstraints(flat: Flat, i: number): unknown[] {
  const out: unknown[] = [];
  for (const t of flat.tuples) {
    const s = i < t.prefix.length ? t.prefix[i] : t.rest;
    if (s !== undefined) out.push(s);
  }
  return out;
}

function genList(list: unknown[], ctx: Ctx): unknown {
  if (list.length === 0) return genAny(ctx);
  if (list.length === 1) return gen(list[0], ctx);
  return gen({ allOf: list }, ctx);
}

function genArray(flat: Flat, ctx: Ctx): unknown[] {
  const minI = flat.minItems;
  let maxI = flat.maxItems;
  // An index whose constraints include `false` (e.g. items: false after a tuple) caps the length.
  const longestPrefix = Math.max(0, ...flat.tuples.map((t) => t.prefix.length));
  for (let i = 0; i <= longestPrefix && i < maxI; i++) {
    if (itemConstraints(flat, i).some((s) => s === false)) {
      maxI = i;
      break;
    }
  }
  if (minI > maxI) throw fail(ctx, `array needs ${minI} items but at most ${maxI} are allowed`);

  let n: number;
  if (!ctx.dynamic) n = Math.min(maxI, Math.max(minI, 1, longestPrefix));
  else {
    const hi = Math.min(maxI, Math.max(minI, longestPrefix) + 3);
    n = randInt(ctx.rnd, Math.min(hi, Math.max(minI, 1)), hi);
  }
  const containsNeeded = flat.contains.length ? Math.max(flat.minContains, 0) : 0;
  if (containsNeeded > n) n = Math.min(maxI, containsNeeded);

  const out: unknown[] = [];
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const list = itemConstraints(flat, i);
    if (i < containsNeeded) list.push(...flat.contains);
    ctx.path.push(String(i));
    try {
      let v: unknown;
      let placed = false;
      const tries = flat.uniqueItems ? 12 : 1;
      let lastErr: GenFail | undefined;
      for (let a = 0; a < tries && !placed; a++) {
        // Static mode + uniqueItems: vary later items with a fixed-seed PRNG so they differ.
        const c: Ctx = a === 0 && (i === 0 || !flat.uniqueItems) ? ctx : ctx.dynamic ? { ...ctx } : variation(ctx, 31 * i + a);
        try {
          v = genList(list, c);
        } catch (e) {
          if (!(e instanceof GenFail)) throw e;
          lastErr = e;
          break;
        }
        const key = JSON.stringify(v);
        if (!flat.uniqueItems || !seen.includes(key)) {
          placed = true;
          seen.push(key);
        }
      }
      if (!placed) {
        if (i >= minI && i >= containsNeeded) break; // optional items: stop here
        throw lastErr ?? fail(ctx, 'cannot generate enough distinct items for uniqueItems');
      }
      out.push(v);
    } finally {
      ctx.path.pop();
    }
  }
  return out;
}

// ----------------------------------------------------------------- objects

/** Schemas constraining key `k`; `null` if some rule forbids the key. */
function propertyConstraints(flat: Flat, k: string): unknown[] | null {
  const out: unknown[] = [];
  for (const r of flat.props) {
    let covered = false;
    if (Object.prototype.hasOwnProperty.call(r.properties, k)) {
      covered = true;
      out.push(r.properties[k]);
    }
    for (const [p, s] of r.patterns) {
      if (matchesPattern(p, k)) {
        covered = true;
        out.push(s);
      }
    }
    if (!covered && r.additional !== undefined) out.push(r.additional);
  }
  return out.some((s) => s === false) ? null : out;
}

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Assign without triggering the `__proto__` setter. */
function setProp(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function flagged(list: unknown[], flag: 'readOnly' | 'writeOnly'): boolean {
  return list.some((s) => isObject(s) && s[flag] === true);
}

function genObject(flat: Flat, ctx: Ctx): JsonObject {
  const out: JsonObject = {};
  const required = new Set(flat.required);
  const declared: string[] = [];
  for (const r of flat.props) for (const k of Object.keys(r.properties)) if (!declared.includes(k)) declared.push(k);

  const put = (k: string, mandatory: boolean): boolean => {
    const list = propertyConstraints(flat, k);
    if (list === null) {
      if (mandatory) throw fail(ctx, `property "${k}" is required but not allowed`);
      return false;
    }
    if (!mandatory && ((ctx.omitWriteOnly && flagged(list, 'writeOnly')) || (ctx.omitReadOnly && flagged(list, 'readOnly')))) return false;
    ctx.path.push(k);
    try {
      setProp(out, k, genList(list, ctx));
      return true;
    } catch (e) {
      if (!(e instanceof GenFail) || mandatory) throw e;
      return false; // optional property that cannot be generated (e.g. recursive): leave it out
    } finally {
      ctx.path.pop();
    }
  };

  for (const k of declared) put(k, required.has(k));
  for (const k of flat.required) if (!own(out, k)) put(k, true);

  // Map-like objects (no declared properties, a schema for additional ones): one sample entry.
  const mapLike = declared.length === 0 && flat.props.some((r) => isObject(r.additional));
  let extra = 0;
  const nextKey = (): string => {
    extra++;
    if (flat.propertyNames.length) {
      const c: Ctx = ctx.dynamic ? ctx : variation(ctx, 97 + extra);
      try {
        const k = gen({ allOf: [...flat.propertyNames, { type: 'string' }] }, c);
        if (typeof k === 'string') return k;
      } catch (e) {
        if (!(e instanceof GenFail)) throw e;
      }
    }
    return `additionalProp${extra}`;
  };
  const wantExtra = Math.max(flat.minProperties - Object.keys(out).length, mapLike && Object.keys(out).length === 0 ? (ctx.dynamic ? randInt(ctx.rnd, 0, 2) : 1) : 0);
  for (let i = 0, guard = 0; i < wantExtra && guard < wantExtra + 16; guard++) {
    const k = nextKey();
    if (own(out, k)) continue;
    const mandatory = Object.keys(out).length < flat.minProperties;
    if (put(k, mandatory)) i++;
  }

  // Dependencies: presence of a key requires other keys.
  for (let changed = true, guard = 0; changed && guard < 8; guard++) {
    changed = false;
    for (const [k, deps] of flat.dependentRequired) {
      if (!own(out, k)) continue;
      for (const d of deps) if (!own(out, d)) changed = put(d, true) || changed;
    }
  }

  if (flat.propertyNames.length) {
    for (const k of Object.keys(out)) {
      if (!conformsAll(flat.propertyNames, k)) {
        if (required.has(k)) throw fail(ctx, `required property name "${k}" violates propertyNames`);
        delete out[k];
      }
    }
  }

  // maxProperties: drop optional keys, last first.
  const keys = Object.keys(out);
  for (let i = keys.length - 1; i >= 0 && Object.keys(out).length > flat.maxProperties; i--) {
    if (!required.has(keys[i])) delete out[keys[i]];
  }
  if (Object.keys(out).length > flat.maxProperties) throw fail(ctx, 'more required properties than maxProperties allows');
  if (Object.keys(out).length < flat.minProperties) throw fail(ctx, `cannot reach minProperties ${flat.minProperties}`);
  return out;
}

// Re-exported for callers that want to check candidates the same way the sampler does.
export { conforms } from './conforms';
export { deepEqual };
