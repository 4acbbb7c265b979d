/**
 * Minimal in-document `$ref` resolver producing a dereferenced object graph
 * that keeps cycles as object cycles (what `sampleSchema` expects).
 *
 * - Only local references (`#/...` JSON pointers) are resolved; others throw.
 * - The input is not modified; every object is copied once (shared sub-trees,
 *   e.g. YAML anchors, stay shared), and every reference to the same target
 *   yields the very same object.
 * - A `$ref` with only `summary` / `description` / `x-*` siblings resolves to
 *   the target itself. A `$ref` with other siblings (JSON Schema 2020-12
 *   semantics, also what ajv applies for draft-07) becomes
 *   `{ ...siblings, allOf: [target, ...siblings.allOf] }`.
 * - Literal values are left untouched: `example`, `default`, `const`, `enum`,
 *   schema `examples` arrays, Example Object `value`s, and `x-*` extensions.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const LITERAL_KEYS = new Set(['example', 'default', 'const', 'enum']);
/** Maps whose keys are names, not keywords (a property may be called "example"). */
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
  'pathItems',
  'paths',
  'content',
  'encoding',
  'variables',
  'webhooks',
  'mapping',
]);

export class DereferenceError extends Error {}

function unescapePointer(token: string): string {
  return decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolve a local JSON pointer (`#/a/b`) in `root`. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new DereferenceError(`only local $refs are supported: "${ref}"`);
  const path = ref.slice(1);
  if (path === '' || path === '/') return path === '' ? root : (root as Obj)[''];
  if (!path.startsWith('/')) throw new DereferenceError(`unsupported $ref fragment "${ref}"`);
  let cur: unknown = root;
  for (const raw of path.slice(1).split('/')) {
    const key = unescapePointer(raw);
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, key)) cur = cur[key];
    else throw new DereferenceError(`$ref "${ref}" does not resolve`);
  }
  if (cur === undefined) throw new DereferenceError(`$ref "${ref}" does not resolve`);
  return cur;
}

interface WalkCtx {
  /** The node is a map from names to objects (properties, responses, content...): its keyword. */
  mapOf?: string;
  /** The node is an entry of a name map: that map's keyword (e.g. 'examples'). */
  entryOf?: string;
}

/** Return a dereferenced copy of `doc` (cycles preserved as object cycles). */
export function dereferenceDocument<T>(doc: T): T {
  const memo = new Map<object, unknown>();
  const resolving = new Set<object>();

  const walk = (node: unknown, ctx: WalkCtx): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    const hit = memo.get(node);
    if (hit !== undefined) return hit;

    if (Array.isArray(node)) {
      const out: unknown[] = [];
      memo.set(node, out);
      for (const item of node) out.push(walk(item, {}));
      return out;
    }

    const obj = node as Obj;
    if (ctx.mapOf === undefined && typeof obj.$ref === 'string') {
      if (resolving.has(obj)) throw new DereferenceError(`circular $ref chain at "${obj.$ref}"`);
      resolving.add(obj);
      try {
        const target = walk(resolvePointer(doc, obj.$ref), ctx);
        const siblings = Object.keys(obj).filter((k) => k !== '$ref' && k !== 'summary' && k !== 'description' && !k.startsWith('x-'));
        if (siblings.length === 0) {
          memo.set(obj, target);
          return target;
        }
        const out: Obj = {};
        memo.set(obj, out);
        for (const k of Object.keys(obj)) if (k !== '$ref') out[k] = member(k, obj[k], ctx);
        out.allOf = [target, ...(Array.isArray(out.allOf) ? out.allOf : [])];
        return out;
      } finally {
        resolving.delete(obj);
      }
    }

    const out: Obj = {};
    memo.set(obj, out);
    for (const k of Object.keys(obj)) out[k] = member(k, obj[k], ctx);
    return out;
  };

  /** Copy member `k` (value `v`) of an object walked with `ctx`. */
  const member = (k: string, v: unknown, ctx: WalkCtx): unknown => {
    if (ctx.mapOf !== undefined) return walk(v, { entryOf: ctx.mapOf });
    if (k.startsWith('x-') || LITERAL_KEYS.has(k)) return v;
    if (k === 'examples' && Array.isArray(v)) return v; // JSON Schema `examples`: literal values
    if (k === 'value' && ctx.entryOf === 'examples') return v; // Example Object value
    return walk(v, NAME_MAPS.has(k) && isObj(v) ? { mapOf: k } : {});
  };

  return walk(doc, {}) as T;
}
