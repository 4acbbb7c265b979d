import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CompiledApi } from '../spec/registry';
import type { HandlerServices } from './handler-services';
import type { Responder } from './pipeline';

/** `handlers/` beside `src/`, both in the checkout and in `dist/`. */
const HANDLERS_DIR = path.join(__dirname, '..', '..', 'handlers');

type HandlerFactory = (services: HandlerServices) => Responder;

/**
 * Binds every operation to `handlers/<operationId>` (connexion's rule). An operationId with
 * no handler file stops start-up, naming the file that is missing.
 */
export function bindHandlers(apis: CompiledApi[], services: HandlerServices): Map<string, Responder> {
  const responders = new Map<string, Responder>();
  for (const api of apis) {
    for (const operation of api.operations) {
      const file = path.join(HANDLERS_DIR, operation.operationId);
      if (!['.ts', '.js'].some((ext) => existsSync(file + ext))) {
        throw new Error(`refreshd: ${api.name} operation ${operation.operationId} has no handler (expected handlers/${operation.operationId}.ts)`);
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const factory = require(file).default as HandlerFactory | undefined;
      if (typeof factory !== 'function') throw new Error(`refreshd: handlers/${operation.operationId} has no default export`);
      responders.set(operation.operationId, factory(services));
    }
  }
  return responders;
}
