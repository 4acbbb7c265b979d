import type { Dialect } from './dialect';
import { envelopeDialect } from './envelope';
import { fastapiDialect } from './fastapi';
import { pathstackDialect } from './pathstack';
import { problemDialect } from './problem';

/** Every error format an api may name in its `x-refreshd.dialect`. */
const DIALECTS: ReadonlyMap<string, Dialect> = new Map([problemDialect, fastapiDialect, pathstackDialect, envelopeDialect].map((dialect) => [dialect.name, dialect]));

export const DIALECT_NAMES: readonly string[] = [...DIALECTS.keys()];

/** The dialect called `name` (checked by the catalogue before it asks). */
export function dialectNamed(name: string): Dialect {
  const dialect = DIALECTS.get(name);
  if (!dialect) throw new Error(`unknown dialect "${name}" (one of ${DIALECT_NAMES.join(', ')})`);
  return dialect;
}
