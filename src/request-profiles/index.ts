import type { Dialect } from '../dialects/dialect';
import { fastapiRequestProfile } from './fastapi';
import type { RequestProfile, RequestProfileName } from './profile';
import { strictRequestProfile } from './strict';

export const REQUEST_PROFILES: Readonly<Record<RequestProfileName, RequestProfile>> = {
  fastapi: fastapiRequestProfile,
  strict: strictRequestProfile,
};

/** The dialects of apis FastAPI made, whose requests are read as FastAPI reads them unless the api says otherwise. */
const FASTAPI_DIALECTS: ReadonlySet<string> = new Set(['fastapi', 'pathstack']);

/** The profile an api reads its requests with: its own choice, else FastAPI's for the FastAPI dialects, else strict JSON. */
export function requestProfileFor(name: RequestProfileName | undefined, dialect: Dialect): RequestProfile {
  return REQUEST_PROFILES[name ?? (FASTAPI_DIALECTS.has(dialect.name) ? 'fastapi' : 'strict')];
}

export type { RequestProfile, RequestProfileName };
