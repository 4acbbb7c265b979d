import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RefreshDeclaration } from '../spec/catalogue';
import type { CompiledApi } from '../spec/registry';
import { declaredRefreshHandler } from '../handler-kit/refresh';
import type { HandlerServices } from '../handler-kit/services';
import type { Responder } from './pipeline';

/** `handlers/` beside `src/`, both in the checkout and in `dist/`. */
const HANDLERS_DIR = path.join(__dirname, '..', '..', 'handlers');

type HandlerFactory = (services: HandlerServices) => Responder;

/**
 * Binds every operation to `handlers/<operationId>` (connexion's rule) or, where no such file
 * exists, to the refresh its api's overlay declares (`x-refreshd.refresh.<operationId>`). An
 * operation with neither stops start-up, naming the file that is missing.
 */
export function bindHandlers(apis: CompiledApi[], services: HandlerServices, handlersDir = HANDLERS_DIR): Map<string, Responder> {
  const responders = new Map<string, Responder>();
  for (const api of apis) {
    // An api that is not one of the documents folder's is refreshd's own (the admin api): its handlers are the project's.
    const own = !services.catalogue.names.includes(api.name);
    const declared = own ? {} : services.catalogue.get(api.name).declaration.refresh;
    for (const operation of api.operations) {
      const file = path.join(own ? HANDLERS_DIR : handlersDir, operation.operationId);
      const refresh = declared[operation.operationId];
      if (['.ts', '.js'].some((ext) => existsSync(file + ext))) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const factory = require(file).default as HandlerFactory | undefined;
        if (typeof factory !== 'function') throw new Error(`refreshd: handlers/${operation.operationId} has no default export`);
        responders.set(operation.operationId, factory(services));
      } else if (refresh) {
        responders.set(operation.operationId, declaredRefreshHandler(services, { api: api.name, path: operation.path }, refresh));
      } else {
        throw new Error(
          `refreshd: ${api.name} operation ${operation.operationId} has no handler (write handlers/${operation.operationId}.ts, or declare x-refreshd.refresh.${operation.operationId} in the api's overlay)`,
        );
      }
    }
  }
  return responders;
}

/**
 * Checks each `x-refreshd.refresh` against its document: the operation exists, and every slot
 * it reads is a declared parameter or the operation has a body. Stops start-up otherwise.
 */
export function checkRefreshDeclarations(api: CompiledApi, declared: Readonly<Record<string, RefreshDeclaration>>, where: string): void {
  for (const [operationId, refresh] of Object.entries(declared)) {
    const operation = api.operations.find((op) => op.operationId === operationId);
    if (!operation) throw new Error(`refreshd: ${where}: x-refreshd.refresh names operation ${operationId}, which the ${api.name} document does not have`);
    for (const [role, slot] of Object.entries({ token: refresh.token, subject: refresh.subject, organization: refresh.organization })) {
      if (!slot) continue;
      const found = slot.in === 'body' ? operation.body !== undefined : operation.parameters.some((p) => p.in === slot.in && p.name.toLowerCase() === slot.name.toLowerCase());
      if (!found) throw new Error(`refreshd: ${where}: x-refreshd.refresh.${operationId}.${role} reads ${slot.in} "${slot.name}", which ${operation.method} ${operation.path} does not declare`);
    }
    if (refresh.bearer === 'session' && !operation.requiresBearer) {
      throw new Error(`refreshd: ${where}: x-refreshd.refresh.${operationId}.bearer needs ${operation.method} ${operation.path} to declare http bearer security`);
    }
  }
}
