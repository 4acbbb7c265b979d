import type { OpenApiDocument } from './documents';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `get /pets/{petId}/photos` → `get_pets_petId_photos`: the method, then the path's words. */
export function operationIdFor(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  return [method.toLowerCase(), ...words].join('_');
}

/**
 * Gives every operation without an operationId one made from its method and path (Prism needs
 * none; refreshd binds each operation's responder by it). A name already taken, declared or
 * generated, gets the first free `_2`, `_3`… suffix. Changes `document` in place, so the
 * served document shows the names `/docs` and the logs use.
 */
export function nameOperations(document: OpenApiDocument): void {
  const operations: Array<{ method: string; path: string; operation: Record<string, unknown> }> = [];
  for (const [path, pathItem] of Object.entries<any>(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem?.[method];
      if (operation && typeof operation === 'object') operations.push({ method, path, operation });
    }
  }
  const taken = new Set(operations.map(({ operation }) => operation.operationId).filter((id): id is string => typeof id === 'string'));
  for (const { method, path, operation } of operations) {
    if (typeof operation.operationId === 'string') continue;
    const base = operationIdFor(method, path);
    let name = base;
    for (let suffix = 2; taken.has(name); suffix++) name = `${base}_${suffix}`;
    taken.add(name);
    operation.operationId = name;
  }
}
