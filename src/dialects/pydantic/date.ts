/**
 * What pydantic v2 reports for a `datetime.date` or `datetime.datetime` field
 * validated in Python lax mode (FastAPI's `validate_python`) from a value that
 * `json.loads` produced, header strings included.
 *
 * Verified against pydantic 2.13.4 / pydantic-core 2.46.4 (installed here; every
 * test row was produced by it) and these sources:
 * - pydantic-core `src/validators/date.rs` (`date_from_datetime`: a string that
 *   is not a date is parsed as a datetime and must have a zero time; that
 *   parse's error becomes `date_from_datetime_parsing`) and
 *   `src/validators/datetime.rs` (`datetime_from_date`: the mirror image, the
 *   date parse's error becomes `datetime_from_date_parsing`), year 0 rejected
 *   after parsing ("year 0 is out of range");
 * - pydantic-core `src/input/datetime.rs` (`float_as_datetime`: NaN check,
 *   floor + rounded fractional microseconds) and `src/errors/types.rs`
 *   (message templates);
 * - pydantic/speedate `src/date.rs`, `src/datetime.rs`, `src/time.rs`,
 *   `src/numbers.rs` (parsers, unix-timestamp fallback, the 2e10 seconds /
 *   milliseconds watershed, the 0000..9999 range) and `src/lib.rs` (the
 *   `ParseError` documentation strings pydantic shows).
 * Speedate works on UTF-8 bytes, so every length and index below is in bytes.
 */

import { hasLoneSurrogate, STRING_UNICODE_ERROR, type PydanticErrorDetail } from './uuid';

export type { PydanticErrorDetail } from './uuid';

/** speedate `ParseError` variants that can reach a date or datetime error, with their documentation text. */
const SPEEDATE_ERRORS = {
  TooShort: 'input is too short',
  ExtraCharacters: 'unexpected extra characters at the end of the input',
  InvalidCharDateTimeSep: 'invalid datetime separator, expected `T`, `t`, `_` or space',
  InvalidCharDateSep: 'invalid date separator, expected `-`',
  DateNotExact: 'Timestamp is not an exact date',
  InvalidCharYear: 'invalid character in year',
  InvalidCharMonth: 'invalid character in month',
  InvalidCharDay: 'invalid character in day',
  InvalidCharTimeSep: 'invalid time separator, expected `:`',
  InvalidCharHour: 'invalid character in hour',
  InvalidCharMinute: 'invalid character in minute',
  InvalidCharSecond: 'invalid character in second',
  InvalidCharTzSign: 'invalid timezone sign',
  InvalidCharTzHour: 'invalid timezone hour',
  InvalidCharTzMinute: 'invalid timezone minute',
  OutOfRangeTzMinute: 'timezone minute value is outside expected range of 0-59',
  OutOfRangeTz: 'timezone offset must be less than 24 hours',
  OutOfRangeMonth: 'month value is outside expected range of 1-12',
  OutOfRangeDay: 'day value is outside expected range',
  OutOfRangeHour: 'hour value is outside expected range of 0-23',
  OutOfRangeMinute: 'minute value is outside expected range of 0-59',
  OutOfRangeSecond: 'second value is outside expected range of 0-59',
  SecondFractionMissing: 'second fraction digits missing after `.`',
  DateTooSmall: 'dates before 0000 are not supported as unix timestamps',
  DateTooLarge: 'dates after 9999 are not supported as unix timestamps',
  TimeTooLarge: 'numeric times may not exceed 86,399 seconds',
} as const;

type SpeedateError = (typeof SPEEDATE_ERRORS)[keyof typeof SPEEDATE_ERRORS];

/** pydantic-core's own texts, not speedate's. */
const NAN_NOT_PERMITTED = 'NaN values not permitted';
const YEAR_ZERO_OUT_OF_RANGE = 'year 0 is out of range';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: SpeedateError };

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

interface ParsedDateTime {
  date: CalendarDate;
  secondOfDay: number;
  microsecond: number;
}

/**
 * Validates a JSON-decoded value as a pydantic `datetime.date` field would and
 * returns the error pydantic reports, or `null` when the value is accepted.
 *
 * Strings: `YYYY-MM-DD`, or an integer unix timestamp (seconds, or milliseconds
 * above 2e10) falling exactly on midnight; otherwise the string is parsed as a
 * datetime: its error is `date_from_datetime_parsing` ("Input should be a valid
 * date or datetime, {error}"), a non-zero time is `date_from_datetime_inexact`.
 * Numbers are timestamps the same way. Year 0 parses but is `date_parsing`.
 * Booleans, null, lists and objects are `date_type`.
 */
export function validateDate(input: unknown): PydanticErrorDetail | null {
  if (typeof input === 'string') {
    if (hasLoneSurrogate(input)) return STRING_UNICODE_ERROR;
    const bytes = Buffer.from(input, 'utf8');
    const date = parseDate(bytes);
    if (date.ok) return date.value.year === 0 ? dateParsingError(YEAR_ZERO_OUT_OF_RANGE) : null;
    return dateFromDateTime(parseDateTime(bytes));
  }
  if (typeof input === 'number') {
    if (Number.isNaN(input)) return dateFromDatetimeParsingError(NAN_NOT_PERMITTED);
    return dateFromDateTime(dateTimeFromPythonNumber(input));
  }
  return { type: 'date_type', msg: 'Input should be a valid date' };
}

/**
 * Validates a JSON-decoded value as a pydantic `datetime.datetime` field would
 * and returns the error pydantic reports, or `null` when the value is accepted.
 *
 * Strings: RFC 3339-like datetimes or numeric timestamps; a string that is
 * neither is retried as a date (midnight), and that retry's error is reported
 * as `datetime_from_date_parsing` ("Input should be a valid datetime or date,
 * {error}"). Numbers are timestamps; their errors are `datetime_parsing`.
 * Booleans, null, lists and objects are `datetime_type`.
 */
export function validateDateTime(input: unknown): PydanticErrorDetail | null {
  if (typeof input === 'string') {
    if (hasLoneSurrogate(input)) return STRING_UNICODE_ERROR;
    const bytes = Buffer.from(input, 'utf8');
    const dateTime = parseDateTime(bytes);
    if (dateTime.ok) return dateTime.value.date.year === 0 ? dateTimeParsingError(YEAR_ZERO_OUT_OF_RANGE) : null;
    const date = parseDate(bytes);
    if (!date.ok) {
      return {
        type: 'datetime_from_date_parsing',
        msg: `Input should be a valid datetime or date, ${date.error}`,
        ctx: { error: date.error },
      };
    }
    return date.value.year === 0 ? dateTimeParsingError(YEAR_ZERO_OUT_OF_RANGE) : null;
  }
  if (typeof input === 'number') {
    if (Number.isNaN(input)) return dateTimeParsingError(NAN_NOT_PERMITTED);
    const dateTime = dateTimeFromPythonNumber(input);
    if (!dateTime.ok) return dateTimeParsingError(dateTime.error);
    return dateTime.value.date.year === 0 ? dateTimeParsingError(YEAR_ZERO_OUT_OF_RANGE) : null;
  }
  return { type: 'datetime_type', msg: 'Input should be a valid datetime' };
}

/** `date_from_datetime`: the datetime must fall on midnight (any UTC offset). */
function dateFromDateTime(dateTime: Parsed<ParsedDateTime>): PydanticErrorDetail | null {
  if (!dateTime.ok) return dateFromDatetimeParsingError(dateTime.error);
  if (dateTime.value.secondOfDay !== 0 || dateTime.value.microsecond !== 0) {
    return {
      type: 'date_from_datetime_inexact',
      msg: 'Datetimes provided to dates should have zero time - e.g. be exact dates',
    };
  }
  return dateTime.value.date.year === 0 ? dateParsingError(YEAR_ZERO_OUT_OF_RANGE) : null;
}

function dateParsingError(error: string): PydanticErrorDetail {
  return { type: 'date_parsing', msg: `Input should be a valid date in the format YYYY-MM-DD, ${error}`, ctx: { error } };
}

function dateFromDatetimeParsingError(error: string): PydanticErrorDetail {
  return { type: 'date_from_datetime_parsing', msg: `Input should be a valid date or datetime, ${error}`, ctx: { error } };
}

function dateTimeParsingError(error: string): PydanticErrorDetail {
  return { type: 'datetime_parsing', msg: `Input should be a valid datetime, ${error}`, ctx: { error } };
}

// 2e10: above it (in absolute value) a timestamp is in milliseconds (speedate MS_WATERSHED)
const MS_WATERSHED = 20_000_000_000n;
const UNIX_0000 = -62_167_219_200n;
const UNIX_9999 = 253_402_300_799n;
const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);
const U32_MAX = 0xffff_ffff;

/**
 * pydantic-core `float_as_datetime` (an int takes the same route with a zero
 * fraction): `floor(x)` seconds plus `round(|fract(x)| * 1e6)` microseconds,
 * each cast with Rust's saturating `as`.
 */
function dateTimeFromPythonNumber(value: number): Parsed<ParsedDateTime> {
  const fraction = Math.abs(value - Math.trunc(value));
  return dateTimeFromTimestamp(saturatingI64(Math.floor(value)), saturatingU32(roundHalfAwayFromZero(fraction * 1e6)));
}

/**
 * speedate `DateTime::from_timestamp_with_config` (unit inferred): a timestamp
 * above 2e10 in absolute value is milliseconds whose remainder becomes
 * microseconds; the second must lie in 0000-01-01..9999-12-31T23:59:59.
 */
function dateTimeFromTimestamp(timestamp: bigint, microsecond: number): Parsed<ParsedDateTime> {
  const split = splitTimestamp(timestamp);
  if (!split.ok) return split;
  let second = split.value.second;
  let totalMicrosecond = microsecond + split.value.microsecond;
  if (totalMicrosecond > U32_MAX) return { ok: false, error: SPEEDATE_ERRORS.TimeTooLarge };
  if (totalMicrosecond >= 1_000_000) {
    second += BigInt(Math.floor(totalMicrosecond / 1_000_000));
    if (second > I64_MAX) return { ok: false, error: SPEEDATE_ERRORS.TimeTooLarge };
    totalMicrosecond %= 1_000_000;
  }
  const day = dateFromUnixSecond(second);
  if (!day.ok) return day;
  return { ok: true, value: { date: day.value.date, secondOfDay: day.value.secondOfDay, microsecond: totalMicrosecond } };
}

/** speedate `timestamp_watershed`: seconds as given up to 2e10, otherwise milliseconds. */
function splitTimestamp(timestamp: bigint): Parsed<{ second: bigint; microsecond: number }> {
  if (timestamp === I64_MIN) return { ok: false, error: SPEEDATE_ERRORS.DateTooSmall };
  const magnitude = timestamp < 0n ? -timestamp : timestamp;
  if (magnitude <= MS_WATERSHED) return { ok: true, value: { second: timestamp, microsecond: 0 } };
  let second = timestamp / 1000n;
  let microsecond = Number(timestamp % 1000n) * 1000;
  if (microsecond < 0) {
    second -= 1n;
    microsecond += 1_000_000;
  }
  return { ok: true, value: { second, microsecond } };
}

/** speedate `Date::from_timestamp_calc`: the calendar date and the second within that day. */
function dateFromUnixSecond(second: bigint): Parsed<{ date: CalendarDate; secondOfDay: number }> {
  if (second < UNIX_0000) return { ok: false, error: SPEEDATE_ERRORS.DateTooSmall };
  if (second > UNIX_9999) return { ok: false, error: SPEEDATE_ERRORS.DateTooLarge };
  const secondOfDay = Number(((second % 86_400n) + 86_400n) % 86_400n);
  const dayNumber = Number((second - BigInt(secondOfDay)) / 86_400n);
  // proleptic Gregorian with a year 0, as speedate counts: JS Date does the same
  const midnight = new Date(dayNumber * 86_400_000);
  return {
    ok: true,
    value: {
      date: { year: midnight.getUTCFullYear(), month: midnight.getUTCMonth() + 1, day: midnight.getUTCDate() },
      secondOfDay,
    },
  };
}

/**
 * speedate `Date::parse_bytes_with_config`: `YYYY-MM-DD` exactly, else an
 * integer timestamp that must fall on midnight, else the `YYYY-MM-DD` error.
 */
function parseDate(bytes: Uint8Array): Parsed<CalendarDate> {
  const date = parseDatePrefix(bytes);
  if (date.ok && bytes.length > 10) return { ok: false, error: SPEEDATE_ERRORS.ExtraCharacters };
  if (date.ok) return date;
  const integer = parseInteger(bytes);
  if (!integer.ok) return date;
  const split = splitTimestamp(integer.value);
  if (!split.ok) return split;
  const day = dateFromUnixSecond(split.value.second);
  if (!day.ok) return day;
  if (day.value.secondOfDay !== 0 || split.value.microsecond !== 0) {
    return { ok: false, error: SPEEDATE_ERRORS.DateNotExact };
  }
  return { ok: true, value: day.value.date };
}

/**
 * speedate `DateTime::parse_bytes_with_config` with microseconds truncated
 * (pydantic's default): date, separator, time; on failure a number: an
 * integer timestamp, or a float one when the integer parse stopped at a '.'.
 * The float branch normalises milliseconds to seconds and then goes through
 * the watershed again, so "30000000000000.0" lands in 1970 (as pydantic does).
 */
function parseDateTime(bytes: Uint8Array): Parsed<ParsedDateTime> {
  const rfc3339 = parseDateTimeRfc3339(bytes);
  if (rfc3339.ok) return rfc3339;
  const integer = parseInteger(bytes);
  if (integer.ok) return dateTimeFromTimestamp(integer.value, 0);
  if (integer.stoppedAt !== 0x2e) return rfc3339;
  const float = parseLexicalFloat(bytes);
  if (float === null) return rfc3339;
  const normalized = Math.abs(float) > Number(MS_WATERSHED) ? float / 1000 : float;
  const second = saturatingI64(Math.floor(normalized));
  const microsecond = saturatingU32(roundHalfAwayFromZero((normalized - Number(second)) * 1e6));
  return dateTimeFromTimestamp(second, microsecond);
}

/** The float grammar of lexical's STANDARD format, which speedate uses once an integer parse hits '.'. */
const LEXICAL_FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function parseLexicalFloat(bytes: Uint8Array): number | null {
  const text = Buffer.from(bytes).toString('latin1');
  return LEXICAL_FLOAT.test(text) ? Number(text) : null;
}

/**
 * speedate `int_parse_bytes_internal`: optional sign, ASCII digits, i64
 * arithmetic that wraps and only notices overflow when the running value turns
 * negative. `stoppedAt` is the byte that ended the parse (null for empty input).
 */
function parseInteger(bytes: Uint8Array): { ok: true; value: bigint } | { ok: false; stoppedAt: number | null } {
  if (bytes.length === 0) return { ok: false, stoppedAt: null };
  const negative = bytes.length >= 2 && bytes[0] === 0x2d;
  const signed = bytes.length >= 2 && (bytes[0] === 0x2d || bytes[0] === 0x2b);
  let index = signed ? 1 : 0;
  const first = bytes[index];
  if (first < 0x30 || first > 0x39) return { ok: false, stoppedAt: first };
  let value = BigInt(first - 0x30);
  for (index += 1; index < bytes.length; index++) {
    const digit = bytes[index];
    value = BigInt.asIntN(64, value * 10n);
    if (digit < 0x30 || digit > 0x39) return { ok: false, stoppedAt: digit };
    value = BigInt.asIntN(64, value + BigInt(digit - 0x30));
    if (value < 0n) return { ok: false, stoppedAt: digit };
  }
  return { ok: true, value: negative ? -value : value };
}

function isAsciiDigit(byte: number | undefined): byte is number {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** speedate `Date::parse_bytes_partial`: `YYYY-MM-DD` at the start, range-checked, rest ignored. */
function parseDatePrefix(bytes: Uint8Array): Parsed<CalendarDate> {
  if (bytes.length < 10) return { ok: false, error: SPEEDATE_ERRORS.TooShort };
  for (let i = 0; i < 4; i++) {
    if (!isAsciiDigit(bytes[i])) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharYear };
  }
  if (bytes[4] !== 0x2d) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharDateSep };
  if (!isAsciiDigit(bytes[5]) || !isAsciiDigit(bytes[6])) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharMonth };
  if (bytes[7] !== 0x2d) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharDateSep };
  if (!isAsciiDigit(bytes[8]) || !isAsciiDigit(bytes[9])) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharDay };
  const digit = (i: number): number => bytes[i] - 0x30;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  if (month < 1 || month > 12) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeMonth };
  const isLeapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (day < 1 || day > daysInMonth) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeDay };
  return { ok: true, value: { year, month, day } };
}

/** speedate `DateTime::parse_bytes_rfc3339_with_config`: date, one of `T t _ space`, then the time from byte 11. */
function parseDateTimeRfc3339(bytes: Uint8Array): Parsed<ParsedDateTime> {
  const date = parseDatePrefix(bytes);
  if (!date.ok) return date;
  const separator = bytes[10];
  if (separator !== 0x54 && separator !== 0x74 && separator !== 0x20 && separator !== 0x5f) {
    return { ok: false, error: SPEEDATE_ERRORS.InvalidCharDateTimeSep };
  }
  const time = parseTime(bytes, 11);
  if (!time.ok) return time;
  return { ok: true, value: { date: date.value, ...time.value } };
}

/**
 * speedate `Time::parse_bytes_offset` (`PureTime::parse` then the offset):
 * `HH:MM[:SS[.f+]]` then `Z`, `z`, or `±HH[:]MM` (U+2212 minus allowed),
 * nothing after. Fraction digits past six are truncated, as pydantic asks.
 */
function parseTime(bytes: Uint8Array, offset: number): Parsed<{ secondOfDay: number; microsecond: number }> {
  if (bytes.length - offset < 5) return { ok: false, error: SPEEDATE_ERRORS.TooShort };
  if (!isAsciiDigit(bytes[offset]) || !isAsciiDigit(bytes[offset + 1])) {
    return { ok: false, error: SPEEDATE_ERRORS.InvalidCharHour };
  }
  if (bytes[offset + 2] !== 0x3a) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTimeSep };
  if (!isAsciiDigit(bytes[offset + 3]) || !isAsciiDigit(bytes[offset + 4])) {
    return { ok: false, error: SPEEDATE_ERRORS.InvalidCharMinute };
  }
  const hour = (bytes[offset] - 0x30) * 10 + (bytes[offset + 1] - 0x30);
  const minute = (bytes[offset + 3] - 0x30) * 10 + (bytes[offset + 4] - 0x30);
  if (hour > 23) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeHour };
  if (minute > 59) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeMinute };
  let position = offset + 5;
  let second = 0;
  let microsecond = 0;
  if (bytes[position] === 0x3a) {
    if (!isAsciiDigit(bytes[offset + 6]) || !isAsciiDigit(bytes[offset + 7])) {
      return { ok: false, error: SPEEDATE_ERRORS.InvalidCharSecond };
    }
    second = (bytes[offset + 6] - 0x30) * 10 + (bytes[offset + 7] - 0x30);
    if (second > 59) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeSecond };
    position = offset + 8;
    if (bytes[position] === 0x2e || bytes[position] === 0x2c) {
      position += 1;
      let digits = 0;
      while (isAsciiDigit(bytes[position + digits])) {
        if (digits < 6) microsecond = microsecond * 10 + (bytes[position + digits] - 0x30);
        digits++;
      }
      if (digits === 0) return { ok: false, error: SPEEDATE_ERRORS.SecondFractionMissing };
      if (digits < 6) microsecond *= 10 ** (6 - digits);
      position += digits;
    }
  }
  const offsetEnd = skipUtcOffset(bytes, position);
  if (!offsetEnd.ok) return offsetEnd;
  if (bytes.length > offsetEnd.value) return { ok: false, error: SPEEDATE_ERRORS.ExtraCharacters };
  return { ok: true, value: { secondOfDay: hour * 3600 + minute * 60 + second, microsecond } };
}

/** Validates an optional UTC offset at `position` and returns the index after it. */
function skipUtcOffset(bytes: Uint8Array, start: number): Parsed<number> {
  if (start >= bytes.length) return { ok: true, value: start };
  const marker = bytes[start];
  let position = start + 1;
  if (marker === 0x5a || marker === 0x7a) return { ok: true, value: position };
  if (marker === 0xe2) {
    // U+2212 MINUS SIGN is E2 88 92 in UTF-8
    if (bytes[position] !== 0x88 || bytes[position + 1] !== 0x92) {
      return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTzSign };
    }
    position += 2;
  } else if (marker !== 0x2b && marker !== 0x2d) {
    return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTzSign };
  }
  if (!isAsciiDigit(bytes[position]) || !isAsciiDigit(bytes[position + 1])) {
    return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTzHour };
  }
  const hours = (bytes[position] - 0x30) * 10 + (bytes[position + 1] - 0x30);
  let minuteTens: number;
  const afterHours = bytes[position + 2];
  if (afterHours === 0x3a) {
    position += 3;
    if (!isAsciiDigit(bytes[position])) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTzMinute };
    minuteTens = bytes[position] - 0x30;
  } else if (isAsciiDigit(afterHours)) {
    position += 2;
    minuteTens = afterHours - 0x30;
  } else {
    return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTzMinute };
  }
  if (!isAsciiDigit(bytes[position + 1])) return { ok: false, error: SPEEDATE_ERRORS.InvalidCharTzMinute };
  const minuteSeconds = minuteTens * 600 + (bytes[position + 1] - 0x30) * 60;
  if (minuteSeconds >= 3600) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeTzMinute };
  if (hours * 3600 + minuteSeconds >= 24 * 3600) return { ok: false, error: SPEEDATE_ERRORS.OutOfRangeTz };
  return { ok: true, value: position + 2 };
}

/** Rust's `f64 as i64`: NaN is 0, out-of-range values clamp. */
function saturatingI64(value: number): bigint {
  if (Number.isNaN(value)) return 0n;
  if (value >= 2 ** 63) return I64_MAX;
  if (value <= -(2 ** 63)) return I64_MIN;
  return BigInt(value);
}

/** Rust's `f64 as u32`: NaN and negatives are 0, large values clamp. */
function saturatingU32(value: number): number {
  if (Number.isNaN(value) || value <= 0) return 0;
  return value >= U32_MAX ? U32_MAX : Math.trunc(value);
}

/** Rust's `f64::round`: halves go away from zero (`Math.round` sends -0.5 to -0). */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}
