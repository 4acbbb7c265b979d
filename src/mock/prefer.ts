/**
 * `Prefer` header parsing for mock mode, compatible with Stoplight Prism:
 *
 *   Prefer: code=422
 *   Prefer: example=expired
 *   Prefer: dynamic=true, seed=42
 *   Prefer: code=200; example="with spaces"
 *
 * - Preferences are separated by `,` or `;` (outside double quotes); spaces
 *   around separators and `=` are ignored; names are case-insensitive; values
 *   may be quoted (`"..."`, with `\"` escapes) and keep their case.
 * - As RFC 7240 says, only the first occurrence of a preference counts.
 * - A bare `dynamic` means `dynamic=true` (as Prism's parser does).
 * - Unknown preferences (`return=minimal`, `respond-async`, `wait=5`...) are
 *   ignored and listed in `ignored`.
 * - Malformed values of known preferences (`code=abc`, `dynamic=maybe`,
 *   `seed=1.5`, `example=` ...) produce `{ ok: false, error }`, which the
 *   caller should turn into a 400.
 *
 * Prism also accepts the query parameters `__code`, `__example` and
 * `__dynamic` (used only when there is no Prefer header); see
 * `parsePreferQuery` / `preferFromRequest`.
 */

export interface Prefer {
  /** Requested status code (100-599). */
  code?: number;
  /** Name of an entry of the media type's `examples` map. */
  example?: string;
  /** true: generate a random valid body from the schema; false: static (the default). */
  dynamic?: boolean;
  /** PRNG seed for dynamic bodies (same seed → same body). */
  seed?: number;
}

export interface PreferError {
  /** The offending preference name, e.g. "code". */
  preference: string;
  /** Its raw value (null when the preference had no value). */
  value: string | null;
  message: string;
}

export type PreferParseResult =
  | { ok: true; prefer: Prefer; ignored: string[] }
  | { ok: false; error: PreferError };

type Raw = { name: string; value: string | null };

/** Split on `,` / `;` outside double quotes. */
function splitPreferences(header: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (quoted && c === '\\' && i + 1 < header.length) {
      cur += c + header[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === ',' || c === ';')) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

function toRaw(part: string): Raw {
  const eq = part.indexOf('=');
  if (eq < 0) return { name: part.trim().toLowerCase(), value: null };
  return { name: part.slice(0, eq).trim().toLowerCase(), value: unquote(part.slice(eq + 1).trim()) };
}

const KNOWN = new Set(['code', 'example', 'dynamic', 'seed']);

function applyPreference(prefer: Prefer, { name, value }: Raw): PreferError | undefined {
  const bad = (message: string): PreferError => ({ preference: name, value, message });
  switch (name) {
    case 'code': {
      if (value === null || !/^\d{3}$/.test(value)) return bad(`Prefer code must be a 3-digit HTTP status code, got ${value === null ? 'no value' : JSON.stringify(value)}`);
      const code = Number(value);
      if (code < 100 || code > 599) return bad(`Prefer code must be between 100 and 599, got ${value}`);
      prefer.code = code;
      return undefined;
    }
    case 'example':
      if (value === null || value === '') return bad('Prefer example needs a name, e.g. example=expired');
      prefer.example = value;
      return undefined;
    case 'dynamic': {
      const v = value === null ? 'true' : value.toLowerCase();
      if (v !== 'true' && v !== 'false') return bad(`Prefer dynamic must be true or false, got ${JSON.stringify(value)}`);
      prefer.dynamic = v === 'true';
      return undefined;
    }
    case 'seed': {
      if (value === null || !/^[+-]?\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
        return bad(`Prefer seed must be an integer, got ${value === null ? 'no value' : JSON.stringify(value)}`);
      }
      prefer.seed = Number(value);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Parse a `Prefer` header (string, repeated header array, or absent). */
export function parsePrefer(header: string | readonly string[] | undefined | null): PreferParseResult {
  const text = Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : '';
  const prefer: Prefer = {};
  const seen = new Set<string>();
  const ignored: string[] = [];
  for (const part of splitPreferences(text)) {
    const raw = toRaw(part);
    if (!raw.name) continue;
    if (!KNOWN.has(raw.name)) {
      ignored.push(part);
      continue;
    }
    if (seen.has(raw.name)) continue; // RFC 7240 §2: first occurrence wins
    seen.add(raw.name);
    const error = applyPreference(prefer, raw);
    if (error) return { ok: false, error };
  }
  return { ok: true, prefer, ignored };
}

/** Prism's query-string equivalents: `__code`, `__example`, `__dynamic` (and our `__seed`). */
export function parsePreferQuery(query: Record<string, unknown> | undefined | null): PreferParseResult {
  const prefer: Prefer = {};
  if (!query) return { ok: true, prefer, ignored: [] };
  for (const name of ['code', 'example', 'dynamic', 'seed']) {
    let v = query[`__${name}`];
    if (Array.isArray(v)) v = v[0];
    if (v === undefined) continue;
    const error = applyPreference(prefer, { name, value: v === true ? null : String(v) });
    if (error) return { ok: false, error };
  }
  return { ok: true, prefer, ignored: [] };
}

/** Prism's rule: the Prefer header if present, else the `__code`/`__example`/`__dynamic` query parameters. */
export function preferFromRequest(req: {
  headers?: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
}): PreferParseResult {
  const header = req.headers?.prefer ?? req.headers?.Prefer;
  if (header !== undefined && header !== '') return parsePrefer(header);
  return parsePreferQuery(req.query);
}

/** A `Preference-Applied` header value (RFC 7240 §3) describing what was honoured. */
export function formatPreferenceApplied(p: Prefer): string {
  const parts: string[] = [];
  if (p.code !== undefined) parts.push(`code=${p.code}`);
  if (p.example !== undefined) parts.push(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(p.example) ? `example=${p.example}` : `example="${p.example.replace(/(["\\])/g, '\\$1')}"`);
  if (p.dynamic !== undefined) parts.push(`dynamic=${p.dynamic}`);
  if (p.seed !== undefined) parts.push(`seed=${p.seed}`);
  return parts.join(', ');
}
