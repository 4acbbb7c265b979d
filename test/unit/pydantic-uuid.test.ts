import { hasLoneSurrogate, validateUuid } from '../../src/dialects/pydantic/uuid';

// Every expected error below is what pydantic 2.13.4 (pydantic-core 2.46.4)
// returned from TypeAdapter(UUID / UUID4).validate_python on the same input.

const V4 = '12345678-1234-4678-8234-567812345678';

function parsingError(error: string) {
  return { type: 'uuid_parsing', msg: `Input should be a valid UUID, ${error}`, ctx: { error } };
}

const versionError = (version: number) => ({
  type: 'uuid_version',
  msg: `UUID version ${version} expected`,
  ctx: { expected_version: version },
});

describe('validateUuid accepts the four forms of the uuid crate', () => {
  it.each([
    ['hyphenated', V4],
    ['simple', '12345678123446788234567812345678'],
    ['braced', `{${V4}}`],
    ['urn', `urn:uuid:${V4}`],
    ['upper case', V4.toUpperCase()],
  ])('%s', (_form, input) => {
    expect(validateUuid(input)).toBeNull();
    expect(validateUuid(input, 4)).toBeNull();
  });
});

describe('validateUuid rejects a value that is not a string with uuid_type', () => {
  it.each([[1], [1.5], [true], [null], [[]], [{}]])('%j', (input) => {
    expect(validateUuid(input)).toEqual({
      type: 'uuid_type',
      msg: 'UUID input should be a string, bytes or UUID object',
    });
  });
});

describe('validateUuid reports the uuid crate error text for an unparseable string', () => {
  it.each([
    ['', 'invalid length: expected length 32 for simple format, found 0'],
    ['abc', 'invalid length: expected length 32 for simple format, found 3'],
    ['1234567812345678123456781234567', 'invalid length: expected length 32 for simple format, found 31'],
    ['a'.repeat(46), 'invalid length: expected length 32 for simple format, found 46'],
    ['x', 'invalid character: found `x` at 1'],
    ['g2345678123456781234567812345678', 'invalid character: found `g` at 1'],
    ['12345678123456781234567812345678x', 'invalid character: found `x` at 33'],
    ['12345678-1234-4678-8234-56781234567g', 'invalid character: found `g` at 36'],
    [`URN:UUID:${V4}`, 'invalid character: found `U` at 1'],
    [`${V4}}`, 'invalid character: found `}` at 37'],
    [`{${V4}`, 'invalid character: found `{` at 1'],
    [`{${V4}}x`, 'invalid character: found `{` at 1'],
    ['{x}', 'invalid character: found `x` at 2'],
    ['urn:uuid:x', 'invalid character: found `x` at 10'],
    [`urn:uuid:{${V4}}`, 'invalid character: found `{` at 10'],
    [` ${V4}`, 'invalid character: found ` ` at 1'],
    [`${V4} `, 'invalid character: found ` ` at 37'],
    ['12345678 1234 4678 8234 567812345678', 'invalid character: found ` ` at 9'],
    ['aé', 'invalid character: found `é` at 2'],
    ['é'.repeat(16), 'invalid character: found `é` at 1'],
    ['123456781234567812345678123456😀', 'invalid character: found `😀` at 31'],
    [`${V4}\u0000`, 'invalid character: found `\u0000` at 37'],
    ['-', 'invalid group count: expected 5, found 2'],
    ['12345678-1234-4678-8234', 'invalid group count: expected 5, found 4'],
    ['1234567812345678-1234567812345678', 'invalid group count: expected 5, found 2'],
    ['12345678--1234-4678-8234-56781234567', 'invalid group count: expected 5, found 6'],
    ['-'.repeat(50), 'invalid group count: expected 5, found 51'],
    ['{12345678123456781234567812345678}', 'invalid group count: expected 5, found 1'],
    ['urn:uuid:12345678123456781234567812345678', 'invalid group count: expected 5, found 1'],
    ['{}', 'invalid group count: expected 5, found 1'],
    ['----', 'invalid group length in group 0: expected 8, found 0'],
    ['1-2-3-4-5', 'invalid group length in group 0: expected 8, found 1'],
    ['123456781-234-4678-8234-567812345678', 'invalid group length in group 0: expected 8, found 9'],
    ['12345678-1234-4678-82345-67812345678', 'invalid group length in group 3: expected 4, found 5'],
    ['12345678-1234-4678-8234-56781234567', 'invalid group length in group 4: expected 12, found 11'],
    ['12345678-1234-4678-8234-5678123456789', 'invalid group length in group 4: expected 12, found 13'],
    // the crate measures the last group from the whole input, prefix included
    ['{12345678-1234-4678-8234-5678123456789}', 'invalid group length in group 4: expected 12, found 15'],
    ['urn:uuid:12345678-1234-4678-8234-5678123456789', 'invalid group length in group 4: expected 12, found 22'],
  ])('%j', (input, error) => {
    expect(validateUuid(input)).toEqual(parsingError(error));
    expect(validateUuid(input, 4)).toEqual(parsingError(error));
  });
});

describe('validateUuid checks the version nibble and the RFC 4122 variant', () => {
  it.each([
    ['version 5', '12345678-1234-5678-1234-567812345678'],
    ['version 1', '12345678-1234-1678-8234-567812345678'],
    ['version 4 with the Microsoft variant', '12345678-1234-4678-c234-567812345678'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['the max UUID', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    ['an all-A simple UUID', 'A'.repeat(32)],
  ])('UUID4 rejects %s', (_name, input) => {
    expect(validateUuid(input, 4)).toEqual(versionError(4));
    expect(validateUuid(input)).toBeNull();
  });

  it('accepts the smallest valid version 4 UUID', () => {
    expect(validateUuid('00000000-0000-4000-8000-000000000000', 4)).toBeNull();
  });

  it('names the requested version in the message and context', () => {
    expect(validateUuid(V4, 7)).toEqual(versionError(7));
    expect(validateUuid('12345678-1234-7678-8234-567812345678', 7)).toBeNull();
    expect(validateUuid('12345678-1234-7678-8234-567812345678', 1)).toEqual(versionError(1));
  });
});

describe('a string Python cannot encode to UTF-8', () => {
  it('fails as string_unicode before any UUID parsing', () => {
    expect(validateUuid('\ud800')).toEqual({
      type: 'string_unicode',
      msg: 'Input should be a valid string, unable to parse raw data as a unicode string',
    });
  });

  it.each([
    ['\ud800', true],
    ['a\udc00', true],
    ['\ud83d\ude00', false],
    ['plain', false],
  ])('hasLoneSurrogate(%j) is %s', (text, expected) => {
    expect(hasLoneSurrogate(text)).toBe(expected);
  });
});
