import { validateDate, validateDateTime } from '../../src/dialects/pydantic/date';

// Every expected error below is what pydantic 2.13.4 (pydantic-core 2.46.4)
// returned from TypeAdapter(date / datetime).validate_python on the same input;
// several rows are also in pydantic-core's tests/validators/test_date.py.

const dateFromDatetimeParsing = (error: string) => ({
  type: 'date_from_datetime_parsing',
  msg: `Input should be a valid date or datetime, ${error}`,
  ctx: { error },
});
const dateParsing = (error: string) => ({
  type: 'date_parsing',
  msg: `Input should be a valid date in the format YYYY-MM-DD, ${error}`,
  ctx: { error },
});
const datetimeFromDateParsing = (error: string) => ({
  type: 'datetime_from_date_parsing',
  msg: `Input should be a valid datetime or date, ${error}`,
  ctx: { error },
});
const datetimeParsing = (error: string) => ({
  type: 'datetime_parsing',
  msg: `Input should be a valid datetime, ${error}`,
  ctx: { error },
});
const INEXACT = {
  type: 'date_from_datetime_inexact',
  msg: 'Datetimes provided to dates should have zero time - e.g. be exact dates',
};

describe('validateDate accepts', () => {
  it.each([
    ['an ISO date', '2024-03-27'],
    ['a leap day', '2024-02-29'],
    ['year 1', '0001-01-01'],
    ['a midnight datetime', '2024-03-27T00:00:00'],
    ['a midnight datetime with Z', '2024-03-27T00:00:00Z'],
    ['a midnight datetime with an offset', '2024-03-27T00:00:00+01:00'],
    ['a midnight datetime without seconds, space separated', '2024-01-01 00:00'],
    ['a midnight datetime with _ and a U+2212 offset', '2024-01-01_00:00\u221205:00'],
    ['fraction digits past six, truncated to zero', '2024-03-27T00:00:00.0000001Z'],
    ['an integer-string timestamp at midnight', '1711497600'],
    ['a millisecond timestamp string at midnight', '1711497600000'],
    ['a float-string timestamp at midnight', '1711497600.'],
    ['zero', '0'],
    ['minus zero', '-0'],
    ['a float-string below a microsecond', '0.0000001'],
    ['an integer timestamp', 1711497600],
    ['a float timestamp', 1711497600.0],
    ['a 20-digit string that wraps to a small i64 in speedate', '18446745785207151616'],
  ])('%s: %j', (_name, input) => {
    expect(validateDate(input)).toBeNull();
  });
});

describe('validateDate reports what pydantic reports', () => {
  it.each([
    ['', dateFromDatetimeParsing('input is too short')],
    ['abc', dateFromDatetimeParsing('input is too short')],
    ['wrong', dateFromDatetimeParsing('input is too short')],
    ['2024-3-27', dateFromDatetimeParsing('input is too short')],
    ['2024-03-27 ', dateFromDatetimeParsing('input is too short')],
    ['-', dateFromDatetimeParsing('input is too short')],
    ['+', dateFromDatetimeParsing('input is too short')],
    ['1e3', dateFromDatetimeParsing('input is too short')],
    ['2024-01-01T00', dateFromDatetimeParsing('input is too short')],
    [' 2024-03-27', dateFromDatetimeParsing('invalid character in year')],
    ['２０２４-01-01', dateFromDatetimeParsing('invalid character in year')],
    ['+2024-01-01', dateFromDatetimeParsing('invalid character in year')],
    ['2024-0a-01', dateFromDatetimeParsing('invalid character in month')],
    ['2024-01-0a', dateFromDatetimeParsing('invalid character in day')],
    ['2024/03/27', dateFromDatetimeParsing('invalid date separator, expected `-`')],
    ['9999999999999999999', dateFromDatetimeParsing('invalid date separator, expected `-`')],
    ['2024-13-01', dateFromDatetimeParsing('month value is outside expected range of 1-12')],
    ['2024-00-01', dateFromDatetimeParsing('month value is outside expected range of 1-12')],
    ['2024-02-30', dateFromDatetimeParsing('day value is outside expected range')],
    ['2023-02-29', dateFromDatetimeParsing('day value is outside expected range')],
    ['2024-01-00', dateFromDatetimeParsing('day value is outside expected range')],
    ['2024-03-27x', dateFromDatetimeParsing('invalid datetime separator, expected `T`, `t`, `_` or space')],
    ['2024-01-01T25:00:00', dateFromDatetimeParsing('hour value is outside expected range of 0-23')],
    ['2024-01-01T00:60', dateFromDatetimeParsing('minute value is outside expected range of 0-59')],
    ['2024-01-01T00:00:60', dateFromDatetimeParsing('second value is outside expected range of 0-59')],
    ['2024-01-01T0a:00', dateFromDatetimeParsing('invalid character in hour')],
    ['2024-01-01T00-00', dateFromDatetimeParsing('invalid time separator, expected `:`')],
    ['2024-01-01T00:0a', dateFromDatetimeParsing('invalid character in minute')],
    ['2024-01-01T00:00:0a', dateFromDatetimeParsing('invalid character in second')],
    ['2024-01-01T00:00:00.', dateFromDatetimeParsing('second fraction digits missing after `.`')],
    ['2024-01-01T00:00x', dateFromDatetimeParsing('invalid timezone sign')],
    ['2024-01-01T00:00+', dateFromDatetimeParsing('invalid timezone hour')],
    ['2024-01-01T00:00+23:5', dateFromDatetimeParsing('invalid timezone minute')],
    ['2024-01-01T00:00+23:60', dateFromDatetimeParsing('timezone minute value is outside expected range of 0-59')],
    ['2024-01-01T00:00+25:00', dateFromDatetimeParsing('timezone offset must be less than 24 hours')],
    ['2024-01-01T00:00:00+05:00x', dateFromDatetimeParsing('unexpected extra characters at the end of the input')],
    ['9223372036854775807', dateFromDatetimeParsing('dates after 9999 are not supported as unix timestamps')],
    ['1.5e400', dateFromDatetimeParsing('numeric times may not exceed 86,399 seconds')],
    ['2024-03-27T10:00:00', INEXACT],
    ['20240327', INEXACT],
    ['2024', INEXACT],
    ['-1', INEXACT],
    ['1711497600.5', INEXACT],
    ['1654646404', INEXACT],
    ['2024-01-01T00:00:00.000001', INEXACT],
    ['0000-01-01', dateParsing('year 0 is out of range')],
    ['0000-12-31', dateParsing('year 0 is out of range')],
    ['0000-01-01T00:00:00', dateParsing('year 0 is out of range')],
  ])('%j', (input, expected) => {
    expect(validateDate(input)).toEqual(expected);
  });

  it.each([
    [1711497600.5, INEXACT],
    [1654646401, INEXACT],
    [253_402_300_800_000, dateFromDatetimeParsing('dates after 9999 are not supported as unix timestamps')],
    [1e20, dateFromDatetimeParsing('dates after 9999 are not supported as unix timestamps')],
    [-1e20, dateFromDatetimeParsing('dates before 0000 are not supported as unix timestamps')],
    [-62_167_219_200_001, dateFromDatetimeParsing('dates before 0000 are not supported as unix timestamps')],
    [Infinity, dateFromDatetimeParsing('dates after 9999 are not supported as unix timestamps')],
    [-Infinity, dateFromDatetimeParsing('dates before 0000 are not supported as unix timestamps')],
    [NaN, dateFromDatetimeParsing('NaN values not permitted')],
    [-62_167_219_200_000, dateParsing('year 0 is out of range')],
  ])('the number %p', (input, expected) => {
    expect(validateDate(input)).toEqual(expected);
  });

  it.each([[true], [false], [null], [[]], [[1]], [{}]])('%j is date_type', (input) => {
    expect(validateDate(input)).toEqual({ type: 'date_type', msg: 'Input should be a valid date' });
  });

  it('a string Python cannot encode to UTF-8 is string_unicode', () => {
    expect(validateDate('2024-01-01\ud800')).toEqual({
      type: 'string_unicode',
      msg: 'Input should be a valid string, unable to parse raw data as a unicode string',
    });
  });
});

describe('validateDateTime accepts', () => {
  it.each([
    '2024-03-27T10:00:00',
    '2024-03-27',
    '2024-01-01t00:00:00',
    '2024-01-01 00:00:00,5',
    '2024-01-01T00:00+2359',
    '2024-01-01T00:00:00.1234567',
    '1711497600',
    '1711497600.5',
    '1.5e3',
    '.5',
    '-1.25',
    '20240327',
    1711497600.5,
    -20_000_000_001,
  ])('%j', (input) => {
    expect(validateDateTime(input)).toBeNull();
  });
});

describe('validateDateTime reports what pydantic reports', () => {
  it.each([
    ['', datetimeFromDateParsing('input is too short')],
    ['abc', datetimeFromDateParsing('input is too short')],
    ['1e3', datetimeFromDateParsing('input is too short')],
    ['1.5e400', datetimeFromDateParsing('input is too short')],
    [' 2024-03-27', datetimeFromDateParsing('invalid character in year')],
    ['2024/03/27', datetimeFromDateParsing('invalid date separator, expected `-`')],
    ['2024-13-01', datetimeFromDateParsing('month value is outside expected range of 1-12')],
    ['2024-02-30', datetimeFromDateParsing('day value is outside expected range')],
    // a bad time is reported through the date retry, which only sees extra characters
    ['2024-03-27 ', datetimeFromDateParsing('unexpected extra characters at the end of the input')],
    ['2024-01-01T25:00:00', datetimeFromDateParsing('unexpected extra characters at the end of the input')],
    ['2024-01-01T', datetimeFromDateParsing('unexpected extra characters at the end of the input')],
    ['9223372036854775807', datetimeFromDateParsing('dates after 9999 are not supported as unix timestamps')],
    ['-9223372036854775808', datetimeFromDateParsing('invalid character in year')],
    ['0000-01-01', datetimeParsing('year 0 is out of range')],
    ['0000-01-01T00:00:00', datetimeParsing('year 0 is out of range')],
  ])('%j', (input, expected) => {
    expect(validateDateTime(input)).toEqual(expected);
  });

  it.each([
    [1e20, datetimeParsing('dates after 9999 are not supported as unix timestamps')],
    [-1e20, datetimeParsing('dates before 0000 are not supported as unix timestamps')],
    [Infinity, datetimeParsing('dates after 9999 are not supported as unix timestamps')],
    [NaN, datetimeParsing('NaN values not permitted')],
    [-62_167_219_200_000, datetimeParsing('year 0 is out of range')],
  ])('the number %p', (input, expected) => {
    expect(validateDateTime(input)).toEqual(expected);
  });

  it.each([[true], [null], [[]], [{}]])('%j is datetime_type', (input) => {
    expect(validateDateTime(input)).toEqual({ type: 'datetime_type', msg: 'Input should be a valid datetime' });
  });
});
