import type { Dialect } from '../dialects/dialect';
import { fastapiRequestProfile } from './fastapi';
import type { RequestProfile, RequestProfileName } from './profile';
import { strictRequestProfile } from './strict';

export const REQUEST_PROFILES: Readonly<Record<RequestProfileName, RequestProfile>> = {
  fastapi: fastapiRequestProfile,
  strict: strictRequestProfile,
};

/** The profile an api reads its requests with: its own choice, else FastAPI's for the FastAPI dialects. */
export function requestProfileFor(name: RequestProfileName | undefined, dialect: Dialect): RequestProfile {
  return REQUEST_PROFILES[name ?? (dialect.name === 'envelope' ? 'strict' : 'fastapi')];
}

export type { RequestProfile, RequestProfileName };
