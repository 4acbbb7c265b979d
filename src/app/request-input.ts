import type { IncomingMessage } from 'node:http';
import { closeConnectionAfterAnswer } from './edge';

/**
 * How refreshd reads the raw pieces of a request the way Starlette does, so handlers and
 * validators see the values FastAPI would.
 */

/** First value of each header (Starlette's `headers.get`), lower-case names. */
export function firstHeaderValues(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!(name in headers)) headers[name] = raw[i + 1];
  }
  return headers;
}

/**
 * Starlette's `cookie_parser`: split on `;`, split each chunk on the first `=`, strip,
 * unquote; a later occurrence of a name wins.
 */
export function parseCookies(req: IncomingMessage): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  const values = req.rawHeaders.filter((_, i) => i % 2 === 1 && req.rawHeaders[i - 1].toLowerCase() === 'cookie');
  for (const chunk of values.join('; ').split(';')) {
    const eq = chunk.indexOf('=');
    const key = (eq === -1 ? '' : chunk.slice(0, eq)).trim();
    const value = (eq === -1 ? chunk : chunk.slice(eq + 1)).trim();
    if (key || value) cookies[key] = unquoteCookie(value);
  }
  return cookies;
}

/** Python's `http.cookies._unquote`: strips surrounding quotes and undoes `\ooo` and `\"`. */
function unquoteCookie(value: string): string {
  if (value.length < 2 || value[0] !== '"' || value[value.length - 1] !== '"') return value;
  return value.slice(1, -1).replace(/\\([0-3][0-7][0-7]|.)/g, (_, escaped: string) =>
    escaped.length === 3 ? String.fromCharCode(parseInt(escaped, 8)) : escaped,
  );
}

/** FastAPI's `get_authorization_scheme_param`: `scheme, _, param = value.partition(" ")`. */
export function bearerCredential(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  const credentials = space === -1 ? '' : authorization.slice(space + 1);
  if (!scheme || !credentials || scheme.toLowerCase() !== 'bearer') return undefined;
  return credentials;
}

/**
 * FastAPI (≥ 0.132, `strict_content_type` on by default) reads a body as JSON only when
 * `email.message.Message` parses its Content-Type to `application/json` or `application/*+json`
 * (parameters ignored; anything without exactly one `/` counts as `text/plain`). A body with
 * no Content-Type, or an empty one, is not JSON: it is kept as raw bytes (a CSRF defence: a
 * cross-site form cannot send JSON without a preflight).
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0].toLowerCase().trim();
  const parts = mediaType.split('/');
  if (parts.length !== 2 || parts[0] !== 'application') return false;
  return parts[1] === 'json' || parts[1].endsWith('+json');
}

/**
 * The path as Starlette routes it: uvicorn's `urllib.parse.unquote` of the raw path, so
 * `/auth%2Frefresh` is `/auth/refresh`. Escapes that are not two hex digits stay as they are;
 * decoded bytes that are not UTF-8 become U+FFFD.
 */
export function decodedPath(rawPath: string): string {
  if (!rawPath.includes('%')) return rawPath;
  const bytes: number[] = [];
  for (let i = 0; i < rawPath.length; i++) {
    const hex = rawPath[i] === '%' ? rawPath.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      const char = String.fromCodePoint(rawPath.codePointAt(i) as number);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export type BodyReadResult = { kind: 'ok'; bytes: Buffer } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * Reads the body up to `limitBytes`; beyond it, stops reading and reports too_large. The rest
 * of a refused body is discarded, and the connection closes after the answer: the client may
 * send the next request without the body it declared, and nothing tells the two apart.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyReadResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    closeConnectionAfterAnswer(req);
    req.resume();
    return Promise.resolve({ kind: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (result: BodyReadResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      if (received > limitBytes) {
        closeConnectionAfterAnswer(req);
        settle({ kind: 'too_large' });
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle({ kind: 'ok', bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
    req.on('error', () => settle({ kind: 'aborted' }));
    req.on('aborted', () => settle({ kind: 'aborted' }));
  });
}
