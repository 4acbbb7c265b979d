/**
 * What pydantic v2 reports for a `uuid.UUID` / `UUID1`..`UUID8` field validated
 * in Python lax mode (FastAPI's `validate_python`) from a JSON-decoded value.
 *
 * Verified against pydantic 2.13.4 / pydantic-core 2.46.4 (installed here and run
 * on every row of the tests), and the sources:
 * - pydantic-core `src/validators/uuid.rs`: only `str` (or bytes) is parsed,
 *   anything else is `uuid_type`; the version check compares the version nibble
 *   and also requires the RFC 4122 variant, so the nil and max UUIDs fail it;
 * - pydantic-core `src/errors/types.rs`: the message templates;
 * - uuid-rs/uuid `src/parser.rs` (`parse_str`: simple, hyphenated, braced and
 *   `urn:uuid:` forms chosen by byte length) and `src/error.rs`
 *   (`InvalidUuid::into_err` and the `Display` texts). The crate version in
 *   pydantic-core 2.46 prints "invalid character: found `x` at N" (1-based
 *   byte index) and still "invalid length: expected length 32 for simple
 *   format, found N".
 */

/** One entry of pydantic's `ValidationError.errors()`, without `loc` and `input`. */
export interface PydanticErrorDetail {
  type: string;
  msg: string;
  ctx?: Record<string, unknown>;
}

/** A UUID version pydantic accepts in `UuidVersion` (`UUID1`, `UUID3`, ... `UUID8`). */
export type UuidVersionNumber = 1 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * A Python `str` holding a lone surrogate cannot be encoded to UTF-8, so
 * pydantic-core's `validate_str` fails before any parsing with this error
 * (`string_unicode`), whichever type was expected.
 */
export const STRING_UNICODE_ERROR: PydanticErrorDetail = {
  type: 'string_unicode',
  msg: 'Input should be a valid string, unable to parse raw data as a unicode string',
};

/** True when a JS string holds an unpaired surrogate, i.e. the Python str is not UTF-8 encodable. */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/**
 * Validates a JSON-decoded value as pydantic's `UUID` (no `requiredVersion`) or
 * `UUIDn` field would, returning the error pydantic reports or `null` if valid.
 *
 * - not a string: `uuid_type` "UUID input should be a string, bytes or UUID object";
 * - unparseable: `uuid_parsing` "Input should be a valid UUID, {error}" with
 *   ctx.error the uuid crate's message;
 * - wrong version nibble, or a variant other than RFC 4122 (this includes the
 *   nil UUID): `uuid_version` "UUID version {n} expected", ctx.expected_version.
 */
export function validateUuid(input: unknown, requiredVersion?: UuidVersionNumber): PydanticErrorDetail | null {
  if (typeof input !== 'string') {
    return { type: 'uuid_type', msg: 'UUID input should be a string, bytes or UUID object' };
  }
  if (hasLoneSurrogate(input)) return STRING_UNICODE_ERROR;
  const hex = parseUuidHex(input);
  if (hex === null) {
    const error = describeUuidParseError(input);
    return { type: 'uuid_parsing', msg: `Input should be a valid UUID, ${error}`, ctx: { error } };
  }
  if (requiredVersion !== undefined) {
    const versionNibble = parseInt(hex[12], 16);
    const isRfc4122Variant = (parseInt(hex[16], 16) & 0b1100) === 0b1000;
    if (versionNibble !== requiredVersion || !isRfc4122Variant) {
      return {
        type: 'uuid_version',
        msg: `UUID version ${requiredVersion} expected`,
        ctx: { expected_version: requiredVersion },
      };
    }
  }
  return null;
}

const HEX_DIGIT = /^[0-9a-fA-F]$/;
const HYPHEN_POSITIONS = [8, 13, 18, 23];

/**
 * `Uuid::parse_str`: the form is picked by the input's length in bytes (32
 * simple, 36 hyphenated, 38 `{hyphenated}`, 45 `urn:uuid:hyphenated`); any
 * non-ASCII character makes it fail, so UTF-16 length equals byte length here.
 * Returns the 32 hex digits, or null.
 */
function parseUuidHex(input: string): string | null {
  if (input.length === 32) return isAllHex(input) ? input : null;
  let hyphenated: string;
  if (input.length === 36) hyphenated = input;
  else if (input.length === 38 && input.startsWith('{') && input.endsWith('}')) hyphenated = input.slice(1, -1);
  else if (input.length === 45 && input.startsWith('urn:uuid:')) hyphenated = input.slice(9);
  else return null;
  let hex = '';
  for (let i = 0; i < 36; i++) {
    const char = hyphenated[i];
    if (HYPHEN_POSITIONS.includes(i)) {
      if (char !== '-') return null;
    } else if (HEX_DIGIT.test(char)) {
      hex += char;
    } else {
      return null;
    }
  }
  return hex;
}

function isAllHex(text: string): boolean {
  return /^[0-9a-fA-F]*$/.test(text);
}

/** Start of each hyphenated group, as `BLOCK_STARTS` in the crate's `into_err`. */
const GROUP_STARTS = [0, 9, 14, 19, 24];
const GROUP_LENGTHS = [8, 4, 4, 4, 12];

/**
 * `InvalidUuid::into_err` of the uuid crate: explains why `parse_str` failed.
 * The first character that is neither a hex digit nor '-' is reported with its
 * 1-based byte index (every character before it is ASCII, so the JS index is
 * the byte index). Lengths are counted over the whole input, which is why a
 * braced or URN input with a long last group reports the prefix too.
 */
function describeUuidParseError(input: string): string {
  let body = input;
  let offset = 0;
  let simple = true;
  if (input.length >= 2 && input.startsWith('{') && input.endsWith('}')) {
    body = input.slice(1, -1);
    offset = 1;
    simple = false;
  } else if (input.startsWith('urn:uuid:')) {
    body = input.slice(9);
    offset = 9;
    simple = false;
  }
  let hyphenCount = 0;
  const hyphenIndexes: number[] = [];
  for (let index = 0; index < body.length; index++) {
    const char = body[index];
    if (char === '-') {
      if (hyphenCount < 4) hyphenIndexes.push(index);
      hyphenCount++;
    } else if (!HEX_DIGIT.test(char)) {
      const codePoint = body.codePointAt(index) as number;
      return `invalid character: found \`${String.fromCodePoint(codePoint)}\` at ${index + offset + 1}`;
    }
  }
  if (hyphenCount === 0 && simple) {
    return `invalid length: expected length 32 for simple format, found ${input.length}`;
  }
  if (hyphenCount !== 4) {
    return `invalid group count: expected 5, found ${hyphenCount + 1}`;
  }
  for (let group = 0; group < 4; group++) {
    if (hyphenIndexes[group] !== GROUP_STARTS[group + 1] - 1) {
      return groupLengthMessage(group, hyphenIndexes[group] - GROUP_STARTS[group]);
    }
  }
  return groupLengthMessage(4, input.length - GROUP_STARTS[4]);
}

function groupLengthMessage(group: number, found: number): string {
  return `invalid group length in group ${group}: expected ${GROUP_LENGTHS[group]}, found ${found}`;
}
