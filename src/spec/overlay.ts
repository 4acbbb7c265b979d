/**
 * OpenAPI Overlay 1.0 (https://spec.openapis.org/overlay/v1.0.0), the subset refreshd's
 * overlays use: `update` (objects merged recursively, arrays appended, scalars replaced)
 * and `remove`, on targets written as simple JSONPath (`$`, `.name`, `['name']`).
 * Anything outside that subset is refused loudly rather than silently ignored.
 */

export interface OverlayAction {
  target: string;
  description?: string;
  update?: unknown;
  remove?: boolean;
}

export interface OverlayDocument {
  overlay: string;
  info: { title: string; version: string };
  actions: OverlayAction[];
  [extension: `x-${string}`]: unknown;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Splits `$.paths['/a/b'].post.responses` into `['paths', '/a/b', 'post', 'responses']`. */
export function parseTarget(target: string): string[] {
  if (!target.startsWith('$')) throw new Error(`overlay target must start with $: ${target}`);
  const segments: string[] = [];
  let rest = target.slice(1);
  while (rest.length > 0) {
    const dotted = /^\.([A-Za-z0-9_$-]+)/.exec(rest);
    const bracketed = /^\[(['"])(.*?)\1\]/.exec(rest);
    const match = dotted ?? bracketed;
    if (!match) throw new Error(`overlay target uses JSONPath outside the supported subset: ${target}`);
    segments.push(dotted ? dotted[1] : (bracketed as RegExpExecArray)[2]);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

function mergeInto(target: Json, update: Json): void {
  for (const [key, value] of Object.entries(update)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value)) existing.push(...value);
    else target[key] = structuredClone(value);
  }
}

/** Applies `overlay` to `document` in place; every target must exist. */
export function applyOverlay(document: Json, overlay: OverlayDocument, overlayName: string): void {
  if (typeof overlay?.overlay !== 'string' || !overlay.overlay.startsWith('1.')) {
    throw new Error(`${overlayName}: not an Overlay 1.x document (missing "overlay: 1.0.0")`);
  }
  if (!Array.isArray(overlay.actions)) throw new Error(`${overlayName}: "actions" must be a list`);
  overlay.actions.forEach((action, index) => {
    const where = `${overlayName} action ${index} (${action.target})`;
    const segments = parseTarget(action.target);
    let parent: unknown = undefined;
    let node: unknown = document;
    for (const segment of segments) {
      if (!isObject(node) || !(segment in node)) throw new Error(`${where}: target does not exist in the document`);
      parent = node;
      node = node[segment];
    }
    if (action.remove === true) {
      if (!isObject(parent)) throw new Error(`${where}: cannot remove the document root`);
      delete parent[segments[segments.length - 1]];
      return;
    }
    if (!isObject(node) || !isObject(action.update)) {
      throw new Error(`${where}: update must be an object applied to an object`);
    }
    mergeInto(node, action.update);
  });
}
