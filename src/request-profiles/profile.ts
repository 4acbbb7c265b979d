import type { ValidateFunction } from 'ajv';
import { readFormBody } from '../app/parameter-styles';
import { isJsonContentType } from '../app/request-input';
import type { ValidationProblem } from '../dialects/dialect';
import { decodeJsonBytes, parsePythonJson } from '../dialects/pydantic/pyjson';

/**
 * A request profile: how an api's requests are read before its document's schemas judge
 * them. How body bytes become a value under each Content-Type, what a null, absent or
 * non-JSON body means, whether a path with its trailing slash toggled is redirected, how a
 * failed validation is explained. Error rendering is the dialect's (src/dialects); an api
 * picks both (`ApiDescriptor.requestProfile`, `ApiDescriptor.dialect`).
 */
export interface RequestProfile {
  readonly name: RequestProfileName;
  /** Starlette's `redirect_slashes`: `/path/` answers 307 to `/path` (and back) when only the other exists. */
  readonly redirectsSlashes: boolean;
  /** A JSON `null` body is no body (`missing` at loc ["body"] where one is required). */
  readonly nullBodyIsMissing: boolean;
  /**
   * A body whose Content-Type is not JSON, where the operation takes JSON: validated as raw
   * text against the JSON schema (FastAPI's `strict_content_type`), or refused with 415.
   */
  readonly nonJsonBody: 'validate-raw' | 'unsupported-media-type';
  /** The body (bytes, at least one) as the operation reads it under `contentType`, or why it is refused. */
  decodeBody(bytes: Buffer, contentType: string | undefined, body: OperationBody): DecodedBody | BodyRefusal;
  /** Why `value` fails `schema`, as problems at `loc` (`isBody`: the body's root). */
  explain(schema: Record<string, any> | undefined, value: unknown, loc: Array<string | number>, isBody?: boolean): ValidationProblem[];
  /** Makes the `input` echoed by body problems what the api's own server would write. */
  alignProblems(problems: ValidationProblem[], body: DecodedBody): void;
}

export type RequestProfileName = 'fastapi' | 'strict';

/** One media type an operation's `requestBody.content` declares. */
export interface BodyMedia {
  /** Lower-case, parameters dropped. */
  mediaType: string;
  kind: 'json' | 'form' | 'other';
  schema: Record<string, any>;
  /** Checks `{requestBody: value}`; undefined when the media type has no schema. */
  validate?: ValidateFunction;
}

export interface OperationBody {
  required: boolean;
  /** The `application/json` schema (what the contract generator and the explainer read). */
  schema: Record<string, any>;
  mediaTypes: string[];
  media: BodyMedia[];
}

/** The body after decoding: nothing, a JSON value, a form's object, or text validated as it is. */
export type DecodedBody =
  | { kind: 'absent' }
  | { kind: 'json'; value: unknown; text: string; media: BodyMedia }
  | { kind: 'form'; value: Record<string, unknown>; media: BodyMedia }
  | { kind: 'raw'; text: string; media: BodyMedia };

/** A body refused before validation; the pipeline has the dialect answer it. */
export type BodyRefusal =
  | { refused: 'unsupported-media-type' }
  | { refused: 'undecodable' }
  /** FastAPI's `json_invalid` problem for it. */
  | { refused: 'malformed-json'; problem: ValidationProblem };

/**
 * Deeper JSON is refused like CPython's RecursionError (FastAPI: 400 "There was an error
 * parsing the body"). CPython's own limit depends on version and stack; 1000 is what 3.11
 * and 3.12 reach inside a server, and what every recursive step here handles with room.
 */
const MAX_JSON_NESTING = 1000;

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

export function mediaKind(mediaType: string): BodyMedia['kind'] {
  if (isJsonContentType(mediaType)) return 'json';
  return mediaType === FORM_MEDIA_TYPE ? 'form' : 'other';
}

const mediaTypeOf = (contentType: string | undefined): string => (contentType ?? '').split(';')[0].trim().toLowerCase();

/**
 * The declared media type a request's Content-Type selects: the same type, else a declared
 * range (`text/*`, `*\/*`), else, for a JSON type (`application/*+json` too), the declared
 * JSON one. Undefined when none is declared for it.
 */
export function selectMedia(body: OperationBody, contentType: string | undefined): BodyMedia | undefined {
  const type = mediaTypeOf(contentType);
  if (type !== '') {
    const exact = body.media.find((media) => media.mediaType === type);
    if (exact) return exact;
    const range = body.media.find((media) => media.mediaType === `${type.split('/')[0]}/*` || media.mediaType === '*/*');
    if (range) return range;
  }
  return isJsonContentType(contentType) ? body.media.find((media) => media.kind === 'json') : undefined;
}

/** A JSON body as Starlette's `request.json()` reads it: Python's decoding, `json.loads`'s errors. */
export function decodeJson(bytes: Buffer, media: BodyMedia, nullIsMissing: boolean): DecodedBody | BodyRefusal {
  const text = decodeJsonBytes(bytes);
  if (!text.ok) return { refused: 'undecodable' };
  const parsed = parsePythonJson(text.text, { input: 'bytes', maxNestingDepth: MAX_JSON_NESTING });
  // FastAPI answers 400 for anything json.loads raises that is not a JSONDecodeError (RecursionError, ValueError).
  if (!parsed.ok && parsed.kind !== 'JSONDecodeError') return { refused: 'undecodable' };
  if (!parsed.ok) {
    return { refused: 'malformed-json', problem: { type: 'json_invalid', loc: ['body', parsed.pos], msg: 'JSON decode error', input: {}, ctx: { error: parsed.msg } } };
  }
  if (parsed.value === null && nullIsMissing) return { kind: 'absent' };
  return { kind: 'json', value: parsed.value, text: text.text, media };
}

/** A form-urlencoded body: UTF-8 pairs, each value coerced per its property's schema. */
export function decodeForm(bytes: Buffer, media: BodyMedia): DecodedBody | BodyRefusal {
  const text = decodeJsonBytes(bytes);
  if (!text.ok) return { refused: 'undecodable' };
  return { kind: 'form', value: readFormBody(media.schema, new URLSearchParams(text.text)), media };
}

/** A body of a type that is neither JSON nor a form, validated as its text. */
export function decodeText(bytes: Buffer, media: BodyMedia): DecodedBody | BodyRefusal {
  const text = decodeJsonBytes(bytes);
  return text.ok ? { kind: 'raw', text: text.text, media } : { refused: 'undecodable' };
}
