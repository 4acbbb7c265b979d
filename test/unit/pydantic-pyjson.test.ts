import fc from 'fast-check';
import {
  decodeJsonBytes,
  loadsRequestBody,
  parsePythonJson,
  type PythonJsonResult,
} from '../../src/dialects/pydantic/pyjson';

// Every expected msg/pos below is what CPython 3.13's json.loads raised for the
// same input (Lib/json/decoder.py + Modules/_json.c), checked by running it.

function decodeFailure(result: PythonJsonResult): { pos: number; msg: string } {
  if (result.ok || result.kind !== 'JSONDecodeError') throw new Error(`expected a JSONDecodeError, got ${JSON.stringify(result)}`);
  return { pos: result.pos, msg: result.msg };
}

describe('parsePythonJson reports the JSONDecodeError msg and pos CPython raises', () => {
  it.each([
    ['', 0, 'Expecting value'],
    ['  ', 2, 'Expecting value'],
    ['nan', 0, 'Expecting value'],
    ['tru', 0, 'Expecting value'],
    ['Infinit', 0, 'Expecting value'],
    ['-Infinit', 0, 'Expecting value'],
    ['-', 0, 'Expecting value'],
    ['\x0c1', 0, 'Expecting value'],
    ['[', 1, 'Expecting value'],
    ['[-]', 1, 'Expecting value'],
    ['[1,,2]', 3, 'Expecting value'],
    ['{"a":', 5, 'Expecting value'],
    ['{"a" : [1, {"b": tru}]}', 17, 'Expecting value'],
    ['{', 1, 'Expecting property name enclosed in double quotes'],
    ['{a:1}', 1, 'Expecting property name enclosed in double quotes'],
    ['{"a" 1}', 5, "Expecting ':' delimiter"],
    ['{"a":1,"b"}', 10, "Expecting ':' delimiter"],
    ['[1 2]', 3, "Expecting ',' delimiter"],
    ['[1,2', 4, "Expecting ',' delimiter"],
    ['{"a":1', 6, "Expecting ',' delimiter"],
    ['{"a":1 "b":2}', 7, "Expecting ',' delimiter"],
    ['[1.]', 2, "Expecting ',' delimiter"],
    ['[1e+]', 2, "Expecting ',' delimiter"],
    ['[1,]', 2, 'Illegal trailing comma before end of array'],
    ['[NaN,]', 4, 'Illegal trailing comma before end of array'],
    ['{"a":1,}', 6, 'Illegal trailing comma before end of object'],
    ['1 2', 2, 'Extra data'],
    ['1.', 1, 'Extra data'],
    ['1e', 1, 'Extra data'],
    ['01', 1, 'Extra data'],
    ['1\x0b', 1, 'Extra data'],
    ['[1] x', 4, 'Extra data'],
    ['{"a":1}}', 7, 'Extra data'],
    ['"abc', 0, 'Unterminated string starting at'],
    ['"\\', 0, 'Unterminated string starting at'],
    ['"a\x01"', 2, 'Invalid control character at'],
    ['"\\x"', 1, 'Invalid \\escape'],
    ['"\\u12"', 2, 'Invalid \\uXXXX escape'],
    ['"\\u"', 2, 'Invalid \\uXXXX escape'],
    ['"\\u1234', 2, 'Invalid \\uXXXX escape'],
    ['"\\ud83d\\u12"', 8, 'Invalid \\uXXXX escape'],
    ['["\\ud83d\\uZZZZ"]', 9, 'Invalid \\uXXXX escape'],
  ])('json.loads(%j) raises at %i: %s', (text, pos, msg) => {
    expect(decodeFailure(parsePythonJson(text))).toEqual({ pos, msg });
  });

  it.each([
    ['"😀"x', 3, 'Extra data'],
    ['["😀", x]', 6, 'Expecting value'],
    ['"😀\x01"', 2, 'Invalid control character at'],
    ['{"😀😀": 1 2}', 9, "Expecting ',' delimiter"],
    ['"\\ud83d\\ude00" x', 15, 'Extra data'],
  ])('counts positions in code points, an astral character once: %j', (text, pos, msg) => {
    expect(decodeFailure(parsePythonJson(text))).toEqual({ pos, msg });
  });

  it.each([
    ['[1,]', 3, 'Expecting value'],
    ['{"a":1,}', 7, 'Expecting property name enclosed in double quotes'],
  ])('with trailingCommaMessages off (CPython <= 3.12) %j raises at %i: %s', (text, pos, msg) => {
    expect(decodeFailure(parsePythonJson(text, { trailingCommaMessages: false }))).toEqual({ pos, msg });
  });

  it('rejects a leading U+FEFF only when the caller passed a str', () => {
    expect(decodeFailure(parsePythonJson('\ufeff1', { input: 'str' }))).toEqual({
      pos: 0,
      msg: 'Unexpected UTF-8 BOM (decode using utf-8-sig)',
    });
    expect(decodeFailure(parsePythonJson('\ufeff1'))).toEqual({ pos: 0, msg: 'Expecting value' });
  });
});

describe('parsePythonJson accepts what CPython accepts', () => {
  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    [' \t\n\r1 \t\n\r', 1],
    ['"\\/\\b"', '/\b'],
    ['"\\ud800"', '\ud800'],
    ['"\\ud83d\\ude00"', '😀'],
    ['1e400', Infinity],
    ['{"a":1,"a":2}', { a: 2 }],
    ['[NaN, {"x": -Infinity}]', [NaN, { x: -Infinity }]],
  ])('json.loads(%j)', (text, value) => {
    expect(parsePythonJson(text)).toEqual({ ok: true, value });
  });

  it('gives "__proto__" an own property and leaves the prototype alone, on both paths', () => {
    for (const text of ['{"__proto__": {"polluted": 1}}', '{"__proto__": {"polluted": 1}, "n": NaN}']) {
      const result = parsePythonJson(text);
      if (!result.ok) throw new Error('expected a value');
      const value = result.value as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: 1 });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('builds the same value through the scanner as through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        // a NaN member makes JSON.parse throw, so the document goes through the scanner
        const scanned = parsePythonJson(`[NaN, ${text}]`);
        if (!scanned.ok) return false;
        const viaScanner = (scanned.value as unknown[])[1];
        const viaFastPath = parsePythonJson(text);
        expect(viaFastPath).toEqual({ ok: true, value: JSON.parse(text) });
        expect(viaScanner).toStrictEqual(JSON.parse(text));
        expect(Object.keys(viaScanner ?? {})).toEqual(Object.keys(JSON.parse(text) ?? {}));
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('parsePythonJson reports the other exceptions json.loads raises', () => {
  it('an integer of more than 4300 digits is a ValueError, even inside a valid document', () => {
    expect(parsePythonJson('1'.repeat(4300)).ok).toBe(true);
    expect(parsePythonJson('-' + '1'.repeat(4301))).toMatchObject({ ok: false, kind: 'ValueError' });
    expect(parsePythonJson(`{"a": ${'9'.repeat(4301)}}`)).toMatchObject({
      ok: false,
      kind: 'ValueError',
      message:
        'Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit',
    });
    expect(parsePythonJson(`[${'1'.repeat(4301)}, x]`)).toMatchObject({ ok: false, kind: 'ValueError' });
  });

  it('a float of more than 4300 digits is not limited (it becomes infinity)', () => {
    expect(parsePythonJson('1'.repeat(4301) + '.0')).toEqual({ ok: true, value: Infinity });
  });

  it('nesting past the recursion limit is a RecursionError, before any later syntax error', () => {
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    expect(parsePythonJson(nested(9998)).ok).toBe(true);
    expect(parsePythonJson(nested(9999))).toEqual({
      ok: false,
      kind: 'RecursionError',
      message: 'maximum recursion depth exceeded while decoding a JSON array from a unicode string',
    });
    expect(parsePythonJson('{"a":'.repeat(20) + 'x', { maxNestingDepth: 10 })).toMatchObject({
      ok: false,
      kind: 'RecursionError',
      message: 'maximum recursion depth exceeded while decoding a JSON object from a unicode string',
    });
  });
});

describe('decodeJsonBytes decodes as json.loads(bytes) does', () => {
  it.each([
    ['utf-8', [0x31], '1'],
    ['utf-8-sig strips one BOM', [0xef, 0xbb, 0xbf, 0x31], '1'],
    ['utf-8-sig keeps a second BOM', [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x31], '\ufeff1'],
    ['utf-16 with a little-endian BOM', [0xff, 0xfe, 0x31, 0x00], '1'],
    ['utf-16 with a big-endian BOM', [0xfe, 0xff, 0x00, 0x31], '1'],
    ['utf-16-le from NUL pattern (two bytes)', [0x31, 0x00], '1'],
    ['utf-16-be from NUL pattern (two bytes)', [0x00, 0x31], '1'],
    ['utf-32-le from NUL pattern', [0x31, 0x00, 0x00, 0x00], '1'],
    ['utf-32-be from NUL pattern', [0x00, 0x00, 0x00, 0x31], '1'],
    ['utf-32 with a little-endian BOM', [0xff, 0xfe, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00], '1'],
    ['three bytes are utf-8 whatever the NULs', [0x31, 0x00, 0x00], '1\0\0'],
    ['surrogatepass lets an encoded surrogate through', [0x22, 0xed, 0xa0, 0x80, 0x22], '"\ud800"'],
    ['utf-16 keeps a lone surrogate', [0xff, 0xfe, 0x22, 0x00, 0x00, 0xd8, 0x22, 0x00], '"\ud800"'],
    ['BOM only', [0xff, 0xfe], ''],
  ])('%s', (_name, bytes, text) => {
    expect(decodeJsonBytes(Buffer.from(bytes))).toEqual({ ok: true, text });
  });

  it.each([
    ['overlong UTF-8', [0x22, 0xc0, 0xaf, 0x22]],
    ['UTF-8 above U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
    ['lone continuation byte', [0x22, 0x80, 0x22]],
    ['truncated encoded surrogate', [0x22, 0xed, 0xa0, 0x22]],
    ['utf-16 with an odd byte', [0xff, 0xfe, 0x31]],
    ['utf-16-le with an odd byte', [0x31, 0x00, 0x20, 0x00, 0x00]],
    ['utf-32 above U+10FFFF', [0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00]],
    ['utf-32-be truncated', [0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00]],
  ])('raises UnicodeDecodeError for %s', (_name, bytes) => {
    expect(decodeJsonBytes(Buffer.from(bytes))).toEqual({ ok: false });
  });
});

describe('loadsRequestBody is json.loads(body_bytes) as Starlette calls it', () => {
  it('reports a BOM left after utf-8-sig as a missing value, not as the str-only BOM error', () => {
    expect(loadsRequestBody(Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x31]))).toEqual({
      ok: false,
      kind: 'JSONDecodeError',
      pos: 0,
      msg: 'Expecting value',
    });
  });

  it('reports undecodable bytes as UnicodeDecodeError (FastAPI answers 400)', () => {
    expect(loadsRequestBody(Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({ ok: false, kind: 'UnicodeDecodeError' });
  });

  it('parses a UTF-16 body', () => {
    expect(loadsRequestBody(Buffer.from('\ufeff{"a": [1]}', 'utf16le'))).toEqual({ ok: true, value: { a: [1] } });
  });
});
