import type Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { validateDate, validateDateTime } from '../dialects/pydantic/date';
import { validateUuid } from '../dialects/pydantic/uuid';

/**
 * The `format`s the documents use. For documents FastAPI generated, a format means what
 * Pydantic accepts (so Ajv's verdict and the FastAPI dialect's explanation agree): `uuid4`
 * is Pydantic's UUID4, `date` its lax date. Other documents get the JSON Schema meanings.
 */
export type FormatSemantics = 'pydantic' | 'json-schema';

const RFC4122_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function addDocumentFormats(ajv: Ajv, semantics: FormatSemantics): Ajv {
  addFormats(ajv);
  if (semantics === 'pydantic') {
    ajv.addFormat('uuid4', { type: 'string', validate: (value: string) => validateUuid(value, 4) === null });
    ajv.addFormat('uuid', { type: 'string', validate: (value: string) => validateUuid(value) === null });
    ajv.addFormat('date', { type: 'string', validate: (value: string) => validateDate(value) === null });
    ajv.addFormat('date-time', { type: 'string', validate: (value: string) => validateDateTime(value) === null });
  } else {
    ajv.addFormat('uuid4', RFC4122_V4);
  }
  return ajv;
}
