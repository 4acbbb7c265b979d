/**
 * What CPython's `json.loads` does to a request body, reimplemented so that the
 * FastAPI dialect reports a malformed body exactly as FastAPI does: Starlette's
 * `request.json()` calls `json.loads(body_bytes)`, and FastAPI turns a
 * `JSONDecodeError` into `json_invalid` with loc `["body", e.pos]` and
 * ctx `{"error": e.msg}`, and any other exception into a 400.
 *
 * Verified against (stored copies and the interpreters installed here,
 * CPython 3.11.7 / 3.12.1 / 3.13.0):
 * - `Lib/json/__init__.py`: `loads` and `detect_encoding`;
 * - `Lib/json/decoder.py`: `JSONDecoder.decode` / `raw_decode`, `JSONDecodeError`;
 * - `Modules/_json.c`: `scanstring_unicode`, `_parse_object_unicode`,
 *   `_parse_array_unicode`, `_match_number_unicode`, `scan_once_unicode`.
 */

/** The message and position of a `json.JSONDecodeError`: its `.msg` and `.pos`. */
export interface JsonDecodeFailure {
  ok: false;
  kind: 'JSONDecodeError';
  /** Index in code points of the decoded `str` (Python's `e.pos`). */
  pos: number;
  /** Python's `e.msg`, e.g. "Expecting value". */
  msg: string;
}

/**
 * An exception from `json.loads` that is not a `JSONDecodeError`. FastAPI answers
 * these with 400 "There was an error parsing the body", not with a 422.
 */
export interface JsonOtherFailure {
  ok: false;
  /**
   * `ValueError`: an integer literal longer than CPython's 4300-digit limit on
   * int/str conversion. `RecursionError`: containers nested deeper than the
   * interpreter allows.
   */
  kind: 'ValueError' | 'RecursionError';
  /** The text of the Python exception. */
  message: string;
}

export type PythonJsonResult = { ok: true; value: unknown } | JsonDecodeFailure | JsonOtherFailure;

export interface PythonJsonOptions {
  /**
   * CPython 3.13 added "Illegal trailing comma before end of object/array"
   * (reported at the comma); 3.12 and older say "Expecting value" /
   * "Expecting property name enclosed in double quotes" after the comma.
   * Default true: the current interpreter's wording.
   */
  trailingCommaMessages?: boolean;
  /**
   * How many nested arrays/objects the interpreter decodes before raising
   * RecursionError. Standalone `json.loads` measured here: 994 on 3.11, 1497 on
   * 3.12, 9998 on 3.13. Inside a server the real limit is a little lower (the
   * frames already on the stack count too). Default 9998.
   */
  maxNestingDepth?: number;
  /**
   * What the Python caller handed to `json.loads`. Only a `str` argument is
   * checked for a leading U+FEFF ("Unexpected UTF-8 BOM"); `bytes` (what
   * Starlette passes) skip that check and a BOM left after decoding is simply
   * not a value. Default 'bytes'.
   */
  input?: 'bytes' | 'str';
}

const DEFAULT_MAX_NESTING_DEPTH = 9998;

/** CPython's `sys.int_info.default_max_str_digits` (3.11+). */
const INT_MAX_STR_DIGITS = 4300;

/**
 * Emulates the decoding step of `json.loads(bytes)`: `detect_encoding` (BOMs,
 * then the pattern of NUL bytes in the first four bytes) and a strict decode
 * with the 'surrogatepass' error handler, as in `Lib/json/__init__.py`.
 *
 * Returns `{ ok: false }` where Python raises UnicodeDecodeError (invalid UTF-8,
 * an odd trailing byte in UTF-16, a code point above U+10FFFF in UTF-32, ...).
 * Encoded surrogates are accepted, as 'surrogatepass' accepts them.
 */
export function decodeJsonBytes(body: Buffer): { ok: true; text: string } | { ok: false } {
  switch (detectEncoding(body)) {
    case 'utf-8':
      return decodeUtf8SurrogatePass(body);
    case 'utf-8-sig':
      return decodeUtf8SurrogatePass(body.subarray(3));
    case 'utf-16':
      return decodeUtf16(body.subarray(2), body[0] === 0xfe);
    case 'utf-16-be':
      return decodeUtf16(body, true);
    case 'utf-16-le':
      return decodeUtf16(body, false);
    case 'utf-32':
      return decodeUtf32(body.subarray(4), body[0] === 0x00);
    case 'utf-32-be':
      return decodeUtf32(body, true);
    case 'utf-32-le':
      return decodeUtf32(body, false);
  }
}

type PythonJsonEncoding =
  | 'utf-8'
  | 'utf-8-sig'
  | 'utf-16'
  | 'utf-16-be'
  | 'utf-16-le'
  | 'utf-32'
  | 'utf-32-be'
  | 'utf-32-le';

/** `json.detect_encoding`: the UTF-32 BOMs are tested before the UTF-16 ones they start with. */
function detectEncoding(bytes: Buffer): PythonJsonEncoding {
  const startsWith = (...prefix: number[]): boolean =>
    bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
  if (startsWith(0x00, 0x00, 0xfe, 0xff) || startsWith(0xff, 0xfe, 0x00, 0x00)) return 'utf-32';
  if (startsWith(0xfe, 0xff) || startsWith(0xff, 0xfe)) return 'utf-16';
  if (startsWith(0xef, 0xbb, 0xbf)) return 'utf-8-sig';
  if (bytes.length >= 4) {
    if (bytes[0] === 0) return bytes[1] !== 0 ? 'utf-16-be' : 'utf-32-be';
    if (bytes[1] === 0) return bytes[2] !== 0 || bytes[3] !== 0 ? 'utf-16-le' : 'utf-32-le';
  } else if (bytes.length === 2) {
    if (bytes[0] === 0) return 'utf-16-be';
    if (bytes[1] === 0) return 'utf-16-le';
  }
  return 'utf-8';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strict UTF-8 as CPython's decoder applies it, plus 'surrogatepass': the only
 * otherwise-invalid sequence accepted is a three-byte encoded surrogate
 * (ED A0..BF 80..BF), decoded to that lone surrogate.
 */
function decodeUtf8SurrogatePass(bytes: Buffer): { ok: true; text: string } | { ok: false } {
  try {
    return { ok: true, text: strictUtf8.decode(bytes) };
  } catch {
    // fall through to the byte-by-byte decoder, which knows about surrogates
  }
  const units: number[] = [];
  let i = 0;
  const continuation = (at: number): boolean => at < bytes.length && (bytes[at] & 0xc0) === 0x80;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      units.push(lead);
      i += 1;
      continue;
    }
    let codePoint: number;
    let length: number;
    if (lead >= 0xc2 && lead <= 0xdf) {
      if (!continuation(i + 1)) return { ok: false };
      codePoint = ((lead & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      const second = bytes[i + 1];
      const secondMin = lead === 0xe0 ? 0xa0 : 0x80;
      // ED A0..BF is an encoded surrogate: invalid UTF-8, let through by 'surrogatepass'
      if (i + 1 >= bytes.length || second < secondMin || second > 0xbf || !continuation(i + 2)) {
        return { ok: false };
      }
      codePoint = ((lead & 0x0f) << 12) | ((second & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
      length = 3;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      const second = bytes[i + 1];
      const secondMin = lead === 0xf0 ? 0x90 : 0x80;
      const secondMax = lead === 0xf4 ? 0x8f : 0xbf;
      if (i + 1 >= bytes.length || second < secondMin || second > secondMax) return { ok: false };
      if (!continuation(i + 2) || !continuation(i + 3)) return { ok: false };
      codePoint =
        ((lead & 0x07) << 18) | ((second & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
      length = 4;
    } else {
      return { ok: false };
    }
    if (codePoint >= 0x10000) {
      const offset = codePoint - 0x10000;
      units.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
    } else {
      units.push(codePoint);
    }
    i += length;
  }
  return { ok: true, text: fromCodeUnits(units) };
}

/** UTF-16 keeps lone surrogates under 'surrogatepass'; only an odd trailing byte fails ("truncated data"). */
function decodeUtf16(bytes: Buffer, bigEndian: boolean): { ok: true; text: string } | { ok: false } {
  if (bytes.length % 2 !== 0) return { ok: false };
  if (!bigEndian) return { ok: true, text: bytes.toString('utf16le') };
  const swapped = Buffer.from(bytes);
  swapped.swap16();
  return { ok: true, text: swapped.toString('utf16le') };
}

/** UTF-32 fails on a length that is not a multiple of four or a code point above U+10FFFF. */
function decodeUtf32(bytes: Buffer, bigEndian: boolean): { ok: true; text: string } | { ok: false } {
  if (bytes.length % 4 !== 0) return { ok: false };
  const units: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    const codePoint = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    if (codePoint > 0x10ffff) return { ok: false };
    if (codePoint >= 0x10000) {
      const offset = codePoint - 0x10000;
      units.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
    } else {
      units.push(codePoint);
    }
  }
  return { ok: true, text: fromCodeUnits(units) };
}

function fromCodeUnits(units: number[]): string {
  const chunkSize = 0x8000;
  let text = '';
  for (let i = 0; i < units.length; i += chunkSize) {
    text += String.fromCharCode(...units.slice(i, i + chunkSize));
  }
  return text;
}

/**
 * `json.loads(body_bytes)` as Starlette's `request.json()` calls it: decode,
 * then parse. `UnicodeDecodeError` is reported as its own kind because FastAPI
 * answers it with a 400, not a 422.
 */
export function loadsRequestBody(
  body: Buffer,
  options: Omit<PythonJsonOptions, 'input'> = {},
): PythonJsonResult | { ok: false; kind: 'UnicodeDecodeError' } {
  const decoded = decodeJsonBytes(body);
  if (!decoded.ok) return { ok: false, kind: 'UnicodeDecodeError' };
  return parsePythonJson(decoded.text, { ...options, input: 'bytes' });
}

/**
 * Emulates CPython's `json.loads` on an already decoded text with the default
 * decoder (C scanner, strict=True): NaN, Infinity and -Infinity are accepted
 * (as JS NaN/Infinity), duplicate keys keep the last value, control characters
 * inside strings are rejected, whitespace is only space, tab, LF and CR.
 *
 * On a `JSONDecodeError` the result carries Python's exact `.msg` and `.pos`,
 * the position counted in code points (an astral character counts once).
 * Integer literals over 4300 digits (ValueError) and nesting past
 * `maxNestingDepth` (RecursionError) are reported as separate kinds.
 *
 * Valid documents take the `JSON.parse` fast path; the scanner below runs only
 * when `JSON.parse` throws or the text could hit one of the Python-only
 * failures, and builds values the same way (own `__proto__` keys included).
 */
export function parsePythonJson(text: string, options: PythonJsonOptions = {}): PythonJsonResult {
  const maxNestingDepth = options.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH;
  if (options.input === 'str' && text.charCodeAt(0) === 0xfeff) {
    return { ok: false, kind: 'JSONDecodeError', pos: 0, msg: 'Unexpected UTF-8 BOM (decode using utf-8-sig)' };
  }
  let fastValue: unknown;
  let fastPathParsed = false;
  try {
    fastValue = JSON.parse(text);
    fastPathParsed = true;
  } catch {
    // JSON.parse rejects NaN/Infinity and every malformed text: the scanner decides
  }
  if (fastPathParsed && !mayFailOnlyInPython(text, maxNestingDepth)) {
    return { ok: true, value: fastValue };
  }
  return new PythonJsonScanner(text, options.trailingCommaMessages ?? true, maxNestingDepth).decode();
}

/**
 * A document `JSON.parse` accepts is rejected by CPython only for an integer of
 * more than 4300 digits or nesting deeper than the recursion limit; both need a
 * long text, so short bodies skip the checks. One linear pass (a regex such as
 * /[0-9]{4301}/ backtracks quadratically on long digit runs); a long run of
 * digits inside a string only sends the text to the scanner, which decides.
 */
function mayFailOnlyInPython(text: string, maxNestingDepth: number): boolean {
  const checkDigits = text.length > INT_MAX_STR_DIGITS;
  const checkDepth = text.length > maxNestingDepth;
  if (!checkDigits && !checkDepth) return false;
  let depth = 0;
  let digitRun = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isDigit(code)) {
      if (checkDigits && ++digitRun > INT_MAX_STR_DIGITS) return true;
      continue;
    }
    digitRun = 0;
    if (!checkDepth) continue;
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxNestingDepth) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

class JsonDecodeError {
  constructor(
    readonly msg: string,
    readonly unitIndex: number,
  ) {}
}

class PythonOnlyError {
  constructor(
    readonly kind: 'ValueError' | 'RecursionError',
    readonly message: string,
  ) {}
}

type OpenContainer =
  | { isArray: true; items: unknown[] }
  | { isArray: false; members: Record<string, unknown>; key: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/** Own data property, as JSON.parse's CreateDataProperty: a "__proto__" key never reaches the prototype. */
function setMember(members: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(members, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    members[key] = value;
  }
}

/**
 * The C scanner of `Modules/_json.c`, made iterative (an explicit stack instead
 * of recursion) so that deep input cannot overflow the JS stack. Every check,
 * and the index each error is raised at, follows the C code; indices here are
 * UTF-16 units and are converted to code points only when reporting.
 */
class PythonJsonScanner {
  private readonly length: number;

  constructor(
    private readonly text: string,
    private readonly trailingCommaMessages: boolean,
    private readonly maxNestingDepth: number,
  ) {
    this.length = text.length;
  }

  decode(): PythonJsonResult {
    try {
      // JSONDecoder.decode: skip [ \t\n\r]*, scan one value, skip again, anything left is "Extra data"
      const { value, end } = this.scanDocument(this.skipWhitespace(0));
      const rest = this.skipWhitespace(end);
      if (rest !== this.length) throw new JsonDecodeError('Extra data', rest);
      return { ok: true, value };
    } catch (error) {
      if (error instanceof JsonDecodeError) {
        return { ok: false, kind: 'JSONDecodeError', pos: codePointIndex(this.text, error.unitIndex), msg: error.msg };
      }
      if (error instanceof PythonOnlyError) return { ok: false, kind: error.kind, message: error.message };
      throw error;
    }
  }

  private skipWhitespace(index: number): number {
    while (index < this.length && isJsonWhitespace(this.text.charCodeAt(index))) index++;
    return index;
  }

  /** `scan_once_unicode` plus the container loops, with the open containers on `stack`. */
  private scanDocument(start: number): { value: unknown; end: number } {
    const stack: OpenContainer[] = [];
    let index = start;
    for (;;) {
      let value: unknown;
      const scalar = this.scanScalarOrOpen(index, stack);
      if (scalar.opened) {
        index = scalar.next;
        continue;
      }
      value = scalar.value;
      index = scalar.next;
      for (;;) {
        const container = stack[stack.length - 1];
        if (container === undefined) return { value, end: index };
        if (container.isArray) {
          container.items.push(value);
        } else {
          setMember(container.members, container.key, value);
        }
        const closer = container.isArray ? 0x5d : 0x7d;
        index = this.skipWhitespace(index);
        if (index < this.length && this.text.charCodeAt(index) === closer) {
          stack.pop();
          value = container.isArray ? container.items : container.members;
          index += 1;
          continue;
        }
        if (index >= this.length || this.text.charCodeAt(index) !== 0x2c) {
          throw new JsonDecodeError("Expecting ',' delimiter", index);
        }
        const commaIndex = index;
        index = this.skipWhitespace(index + 1);
        if (this.trailingCommaMessages && index < this.length && this.text.charCodeAt(index) === closer) {
          throw new JsonDecodeError(
            container.isArray
              ? 'Illegal trailing comma before end of array'
              : 'Illegal trailing comma before end of object',
            commaIndex,
          );
        }
        if (!container.isArray) {
          const member = this.scanMemberName(index);
          container.key = member.key;
          index = member.next;
        }
        break;
      }
    }
  }

  /**
   * One term at `index`. A scalar is returned; an opening bracket pushes a
   * container (and for an empty one returns it at once as a scalar would be).
   */
  private scanScalarOrOpen(
    index: number,
    stack: OpenContainer[],
  ): { opened: false; value: unknown; next: number } | { opened: true; next: number } {
    const { text, length } = this;
    if (index >= length) throw new JsonDecodeError('Expecting value', index);
    const code = text.charCodeAt(index);
    switch (code) {
      case QUOTE: {
        const scanned = this.scanString(index + 1);
        return { opened: false, value: scanned.value, next: scanned.next };
      }
      case 0x7b: {
        this.enterContainer(stack.length, 'object');
        const afterBrace = this.skipWhitespace(index + 1);
        if (afterBrace < length && text.charCodeAt(afterBrace) === 0x7d) {
          return { opened: false, value: {}, next: afterBrace + 1 };
        }
        const member = this.scanMemberName(afterBrace);
        stack.push({ isArray: false, members: {}, key: member.key });
        return { opened: true, next: member.next };
      }
      case 0x5b: {
        this.enterContainer(stack.length, 'array');
        const afterBracket = this.skipWhitespace(index + 1);
        if (afterBracket < length && text.charCodeAt(afterBracket) === 0x5d) {
          return { opened: false, value: [], next: afterBracket + 1 };
        }
        stack.push({ isArray: true, items: [] });
        return { opened: true, next: afterBracket };
      }
      case 0x6e:
        if (index + 3 < length && text.startsWith('null', index)) return { opened: false, value: null, next: index + 4 };
        break;
      case 0x74:
        if (index + 3 < length && text.startsWith('true', index)) return { opened: false, value: true, next: index + 4 };
        break;
      case 0x66:
        if (index + 4 < length && text.startsWith('false', index)) {
          return { opened: false, value: false, next: index + 5 };
        }
        break;
      case 0x4e:
        if (index + 2 < length && text.startsWith('NaN', index)) return { opened: false, value: NaN, next: index + 3 };
        break;
      case 0x49:
        if (index + 7 < length && text.startsWith('Infinity', index)) {
          return { opened: false, value: Infinity, next: index + 8 };
        }
        break;
      case 0x2d:
        if (index + 8 < length && text.startsWith('-Infinity', index)) {
          return { opened: false, value: -Infinity, next: index + 9 };
        }
        break;
    }
    const number = this.matchNumber(index);
    return { opened: false, value: number.value, next: number.next };
  }

  /**
   * `Py_EnterRecursiveCall` before parsing a container: CPython raises
   * RecursionError on entering one container too many, before reading it.
   */
  private enterContainer(openContainers: number, kind: 'object' | 'array'): void {
    if (openContainers + 1 > this.maxNestingDepth) {
      throw new PythonOnlyError(
        'RecursionError',
        `maximum recursion depth exceeded while decoding a JSON ${kind} from a unicode string`,
      );
    }
  }

  /** A member name, then the ':' and the whitespace after it, as `_parse_object_unicode` reads them. */
  private scanMemberName(index: number): { key: string; next: number } {
    if (index >= this.length || this.text.charCodeAt(index) !== QUOTE) {
      throw new JsonDecodeError('Expecting property name enclosed in double quotes', index);
    }
    const name = this.scanString(index + 1);
    let next = this.skipWhitespace(name.next);
    if (next >= this.length || this.text.charCodeAt(next) !== 0x3a) {
      throw new JsonDecodeError("Expecting ':' delimiter", next);
    }
    next = this.skipWhitespace(next + 1);
    return { key: name.value, next };
  }

  /**
   * `scanstring_unicode` with strict=True; `afterQuote` is the index after the
   * opening quote. Errors are raised at: the opening quote (unterminated), the
   * control character, the backslash (unknown escape), the `u` of a bad \u escape.
   */
  private scanString(afterQuote: number): { value: string; next: number } {
    const { text, length } = this;
    const begin = afterQuote - 1;
    let chunkStart = afterQuote;
    let decoded = '';
    for (;;) {
      let next = chunkStart;
      let code = 0;
      for (; next < length; next++) {
        code = text.charCodeAt(next);
        if (code === QUOTE || code === BACKSLASH) break;
        if (code <= 0x1f) throw new JsonDecodeError('Invalid control character at', next);
      }
      if (next >= length) throw new JsonDecodeError('Unterminated string starting at', begin);
      decoded += text.slice(chunkStart, next);
      if (code === QUOTE) return { value: decoded, next: next + 1 };
      next++;
      if (next === length) throw new JsonDecodeError('Unterminated string starting at', begin);
      const escape = text.charCodeAt(next);
      if (escape !== 0x75) {
        const simple = SIMPLE_ESCAPES.get(escape);
        if (simple === undefined) throw new JsonDecodeError('Invalid \\escape', next - 1);
        decoded += simple;
        chunkStart = next + 1;
        continue;
      }
      // the C code requires a character after the four digits (`end >= len` fails)
      const firstDigit = next + 1;
      let end = firstDigit + 4;
      if (end >= length) throw new JsonDecodeError('Invalid \\uXXXX escape', next);
      let unit = this.readHex4(firstDigit, next);
      if (unit >= 0xd800 && unit <= 0xdbff && end + 6 < length) {
        if (text.charCodeAt(end) === BACKSLASH && text.charCodeAt(end + 1) === 0x75) {
          const low = this.readHex4(end + 2, end + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            decoded += String.fromCharCode(unit, low);
            unit = -1;
            end += 6;
          }
        }
      }
      if (unit >= 0) decoded += String.fromCharCode(unit);
      chunkStart = end;
    }
  }

  private readHex4(firstDigit: number, errorIndex: number): number {
    let value = 0;
    for (let i = firstDigit; i < firstDigit + 4; i++) {
      const digit = hexValue(this.text.charCodeAt(i));
      if (digit < 0) throw new JsonDecodeError('Invalid \\uXXXX escape', errorIndex);
      value = (value << 4) | digit;
    }
    return value;
  }

  /**
   * `_match_number_unicode`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`
   * with the C code's bounds (a fraction or exponent needs a character after
   * its marker); no match is StopIteration, i.e. "Expecting value" at `start`.
   */
  private matchNumber(start: number): { value: number; next: number } {
    const { text, length } = this;
    const lastIndex = length - 1;
    let index = start;
    if (text.charCodeAt(index) === 0x2d) {
      index++;
      if (index > lastIndex) throw new JsonDecodeError('Expecting value', start);
    }
    const first = text.charCodeAt(index);
    if (first >= 0x31 && first <= 0x39) {
      index++;
      while (index <= lastIndex && isDigit(text.charCodeAt(index))) index++;
    } else if (first === 0x30) {
      index++;
    } else {
      throw new JsonDecodeError('Expecting value', start);
    }
    const integerEnd = index;
    let isFloat = false;
    if (index < lastIndex && text.charCodeAt(index) === 0x2e && isDigit(text.charCodeAt(index + 1))) {
      isFloat = true;
      index += 2;
      while (index <= lastIndex && isDigit(text.charCodeAt(index))) index++;
    }
    if (index < lastIndex && (text.charCodeAt(index) === 0x65 || text.charCodeAt(index) === 0x45)) {
      const exponentStart = index;
      index++;
      if (index < lastIndex && (text.charCodeAt(index) === 0x2d || text.charCodeAt(index) === 0x2b)) index++;
      while (index <= lastIndex && isDigit(text.charCodeAt(index))) index++;
      if (isDigit(text.charCodeAt(index - 1))) isFloat = true;
      else index = exponentStart;
    }
    if (!isFloat) {
      const digitCount = integerEnd - start - (text.charCodeAt(start) === 0x2d ? 1 : 0);
      if (digitCount > INT_MAX_STR_DIGITS) {
        throw new PythonOnlyError(
          'ValueError',
          `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ${digitCount} digits; use sys.set_int_max_str_digits() to increase the limit`,
        );
      }
    }
    return { value: Number(text.slice(start, index)), next: index };
  }
}

const SIMPLE_ESCAPES = new Map<number, string>([
  [0x22, '"'],
  [0x5c, '\\'],
  [0x2f, '/'],
  [0x62, '\b'],
  [0x66, '\f'],
  [0x6e, '\n'],
  [0x72, '\r'],
  [0x74, '\t'],
]);

/**
 * Python indexes a `str` by code point; a JS string by UTF-16 unit. Every
 * surrogate pair before `unitIndex` is one Python character.
 */
function codePointIndex(text: string, unitIndex: number): number {
  let pairs = 0;
  for (let i = 0; i + 1 < unitIndex; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return unitIndex - pairs;
}
