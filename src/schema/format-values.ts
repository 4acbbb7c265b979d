/**
 * Sample values for string `format`s. Static values are fixed, readable and
 * valid for ajv-formats ("full" mode); dynamic ones are random but equally
 * valid. Returns undefined for formats we do not know (the caller then treats
 * the string as unformatted, which is what ajv does with unknown formats under
 * `strict: false`).
 */

type Rnd = () => number;

const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const HEX = '0123456789abcdef';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const hex = (rnd: Rnd, n: number): string => Array.from({ length: n }, () => HEX[int(rnd, 0, 15)]).join('');
const word = (rnd: Rnd, lo: number, hi: number, alphabet = ALNUM): string =>
  Array.from({ length: int(rnd, lo, hi) }, () => alphabet[int(rnd, 0, alphabet.length - 1)]).join('');
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** A random RFC 4122 version-4 UUID drawn from `rnd`. */
export function randomUuidV4(rnd: Rnd): string {
  const variant = '89ab'[int(rnd, 0, 3)];
  return `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-${variant}${hex(rnd, 3)}-${hex(rnd, 12)}`;
}

function randomDate(rnd: Rnd): string {
  return `${int(rnd, 2000, 2035)}-${pad(int(rnd, 1, 12))}-${pad(int(rnd, 1, 28))}`;
}

const OFFSETS = ['Z', 'Z', '+00:00', '+01:00', '+02:00', '+05:30', '+08:00', '+09:00', '-03:00', '-05:00', '-08:00'];

function randomTime(rnd: Rnd): string {
  const frac = rnd() < 0.5 ? '' : `.${pad(int(rnd, 0, 999), 3)}`;
  const tz = pick(rnd, OFFSETS);
  return `${pad(int(rnd, 0, 23))}:${pad(int(rnd, 0, 59))}:${pad(int(rnd, 0, 59))}${frac}${tz}`;
}

const STATIC: Record<string, string> = {
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  uuid4: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  guid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  date: '2024-03-27',
  'date-time': '2024-03-27T12:00:00Z',
  'iso-date-time': '2024-03-27T12:00:00Z',
  time: '12:00:00Z',
  'iso-time': '12:00:00Z',
  duration: 'P1D',
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  iri: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  'iri-reference': 'https://example.com/',
  'uri-template': 'https://example.com/{id}',
  'json-pointer': '/a/b',
  'json-pointer-uri-fragment': '#/a/b',
  'relative-json-pointer': '0/a',
  regex: '^[a-z]+$',
  byte: 'c3RyaW5n',
  binary: 'string',
  password: 'string',
};

/** A value for a string `format`, or undefined if the format is unknown. `rnd === null` → static value. */
export function formatValue(format: string, rnd: Rnd | null): string | undefined {
  if (!rnd) return STATIC[format];
  switch (format) {
    case 'uuid':
    case 'uuid4':
    case 'guid':
      return randomUuidV4(rnd);
    case 'date':
      return randomDate(rnd);
    case 'date-time':
    case 'iso-date-time':
      return `${randomDate(rnd)}T${randomTime(rnd)}`;
    case 'time':
    case 'iso-time':
      return randomTime(rnd);
    case 'duration':
      return `P${int(rnd, 1, 30)}D`;
    case 'email':
    case 'idn-email':
      return `${word(rnd, 3, 10, LOWER)}@${word(rnd, 3, 10, LOWER)}.${pick(rnd, ['com', 'org', 'net', 'io'])}`;
    case 'hostname':
    case 'idn-hostname':
      return `${word(rnd, 3, 10, LOWER)}.${pick(rnd, ['com', 'org', 'net', 'io'])}`;
    case 'ipv4':
      return [int(rnd, 1, 223), int(rnd, 0, 255), int(rnd, 0, 255), int(rnd, 1, 254)].join('.');
    case 'ipv6':
      return Array.from({ length: 8 }, () => hex(rnd, int(rnd, 1, 4))).join(':');
    case 'uri':
    case 'url':
    case 'iri':
    case 'uri-reference':
    case 'iri-reference':
      return `https://${word(rnd, 3, 10, LOWER)}.example.com/${word(rnd, 1, 12)}`;
    case 'uri-template':
      return `https://${word(rnd, 3, 10, LOWER)}.example.com/{${word(rnd, 1, 8, LOWER)}}`;
    case 'json-pointer':
      return `/${word(rnd, 1, 6, LOWER)}/${word(rnd, 1, 6, LOWER)}`;
    case 'json-pointer-uri-fragment':
      return `#/${word(rnd, 1, 6, LOWER)}`;
    case 'relative-json-pointer':
      return `${int(rnd, 0, 3)}/${word(rnd, 1, 6, LOWER)}`;
    case 'regex':
      return `^${word(rnd, 1, 6, LOWER)}$`;
    case 'byte': {
      const bytes = Array.from({ length: int(rnd, 3, 24) }, () => int(rnd, 0, 255));
      return Buffer.from(bytes).toString('base64');
    }
    case 'binary':
    case 'password':
      return word(rnd, 8, 16);
    default:
      return undefined;
  }
}

/** Numeric bounds implied by OpenAPI numeric formats. */
export function formatBounds(format: unknown): { min: number; max: number } | undefined {
  switch (format) {
    case 'int32':
      return { min: -2147483648, max: 2147483647 };
    case 'int64':
      return { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
    case 'int8':
      return { min: -128, max: 127 };
    case 'uint8':
      return { min: 0, max: 255 };
    default:
      return undefined;
  }
}
