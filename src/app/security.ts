import type { SecuritySchemeSpec } from '../spec/registry';
import { bearerCredential } from './request-input';

/**
 * Security schemes, one handler per type (as connexion registers them): each reads its
 * credential from the request, or finds none. Whether a found credential is right is the
 * verifier's to say (a fixed admin token) or the handler's (almanac's bearer depends on the
 * session).
 */

/** The parts of a request a scheme may read its credential from. */
export interface CredentialSources {
  /** First value of each header, lower-case names. */
  headers: Readonly<Record<string, string>>;
  query: URLSearchParams;
  cookies: Readonly<Record<string, string>>;
}

/** Checks a credential a scheme found; false refuses the request. */
export type CredentialVerifier = (credential: string) => boolean;

/** api → security scheme name → its verifier. */
export type SecurityVerifiers = ReadonlyMap<string, ReadonlyMap<string, CredentialVerifier>>;

type SchemeHandler = (scheme: SecuritySchemeSpec, sources: CredentialSources) => string | undefined;

/** `Authorization: <scheme> <credentials>`, split as FastAPI does (`value.partition(" ")`); the scheme compared case-insensitively. */
function authorizationCredential(authorization: string | undefined, scheme: string): string | undefined {
  if (scheme === 'bearer') return bearerCredential(authorization);
  if (!authorization) return undefined;
  const space = authorization.indexOf(' ');
  if (space <= 0 || authorization.slice(0, space).toLowerCase() !== scheme) return undefined;
  return authorization.slice(space + 1) || undefined;
}

/** RFC 7617: base64 of `user-id:password`; the credential is that pair, decoded. Anything else is no credential. */
function basicCredential(encoded: string | undefined): string | undefined {
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.includes(':') ? decoded : undefined;
}

const SCHEME_HANDLERS: Readonly<Record<SecuritySchemeSpec['type'], SchemeHandler>> = {
  http: (scheme, { headers }) => {
    const credential = authorizationCredential(headers.authorization, scheme.scheme ?? '');
    return scheme.scheme === 'basic' ? basicCredential(credential) : credential;
  },
  // An empty key is no key (FastAPI's APIKey* classes: `if not api_key`).
  apiKey: (scheme, sources) => {
    const name = scheme.in === 'header' ? String(scheme.parameterName).toLowerCase() : String(scheme.parameterName);
    // A repeated query name: the last one, as Starlette's `query_params.get`.
    const found = scheme.in === 'header' ? sources.headers[name] : scheme.in === 'query' ? sources.query.getAll(name).at(-1) : sources.cookies[name];
    return found || undefined;
  },
  // OAuth 2.0 and OpenID Connect access tokens travel as Bearer credentials (RFC 6750).
  oauth2: (_scheme, { headers }) => bearerCredential(headers.authorization),
  openIdConnect: (_scheme, { headers }) => bearerCredential(headers.authorization),
  // The TLS layer's to check; refreshd terminates no client certificates, so none is ever found.
  mutualTLS: () => undefined,
};

/** The `WWW-Authenticate` challenge for a scheme whose credential is missing (RFC 9110 §11.6.1). */
export function challengeOf(scheme: SecuritySchemeSpec): string {
  if (scheme.type === 'apiKey') return 'APIKey';
  if (scheme.type === 'http') return scheme.scheme ? scheme.scheme[0].toUpperCase() + scheme.scheme.slice(1) : 'Bearer';
  return 'Bearer';
}

export type SecurityOutcome =
  | { met: true; credentials: Record<string, string>; bearer?: string }
  /** No alternative found all its credentials; `scheme` is the first one missing (what the challenge names). */
  | { met: false; missing: SecuritySchemeSpec }
  /** The first alternative with all its credentials has one its verifier refuses. */
  | { met: false; rejected: SecuritySchemeSpec };

/**
 * Meets an operation's security requirement: the first alternative whose schemes all find a
 * credential is the one that counts, and its verifiers (if any) must accept each; an empty
 * alternative means the credentials are optional (the ones found are still passed on).
 */
export function meetSecurity(security: readonly SecuritySchemeSpec[][], sources: CredentialSources, verifiers: ReadonlyMap<string, CredentialVerifier> | undefined): SecurityOutcome {
  let missing: SecuritySchemeSpec | undefined;
  let optional = false;
  for (const alternative of security) {
    if (alternative.length === 0) {
      optional = true;
      continue;
    }
    const credentials: Record<string, string> = {};
    let bearer: string | undefined;
    let complete = true;
    for (const scheme of alternative) {
      const credential = SCHEME_HANDLERS[scheme.type](scheme, sources);
      if (credential === undefined) {
        missing ??= scheme;
        complete = false;
        break;
      }
      credentials[scheme.name] = credential;
      if (scheme.type === 'http' && scheme.scheme === 'bearer') bearer ??= credential;
    }
    if (!complete) continue;
    for (const scheme of alternative) {
      const verify = verifiers?.get(scheme.name);
      if (verify && !verify(credentials[scheme.name])) return { met: false, rejected: scheme };
    }
    return { met: true, credentials, bearer };
  }
  if (optional || missing === undefined) return { met: true, credentials: {} };
  return { met: false, missing };
}
