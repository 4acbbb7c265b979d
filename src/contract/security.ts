import { meetSecurity } from '../app/security';
import type { CompiledOperation, SecuritySchemeSpec } from '../spec/registry';
import type { CaseRequest } from './cases';

/**
 * Where each kind of security scheme puts its credential in a request, as the pipeline's
 * scheme handlers read it back (src/app/security.ts): http bearer (and OAuth 2.0 / OpenID
 * Connect access tokens) and basic in `Authorization`, apiKey in its header, query parameter
 * or cookie. mutualTLS is the TLS layer's: no request can carry it.
 */

/** Made-up credentials per scheme kind: well-formed, known to no server. */
export const PLACEHOLDER_BEARER = 'refreshd-contract-placeholder-bearer';
export const PLACEHOLDER_API_KEY = 'refreshd-contract-placeholder-api-key';
export const PLACEHOLDER_BASIC = 'refreshd-contract:placeholder-password';

/** Whether the scheme's credential is a Bearer token (RFC 6750): a session's access token can be it. */
export function takesBearer(scheme: SecuritySchemeSpec): boolean {
  return (scheme.type === 'http' && scheme.scheme === 'bearer') || scheme.type === 'oauth2' || scheme.type === 'openIdConnect';
}

/** Whether a request can carry the scheme's credential at all. */
export const isFillable = (scheme: SecuritySchemeSpec): boolean => scheme.type !== 'mutualTLS' && !(scheme.type === 'http' && !scheme.scheme);

/**
 * The schemes the run fills: the first alternative of the requirement whose every scheme a
 * request can carry. None where the requirement is empty or has an empty alternative (the
 * credentials are optional: the minimal valid request goes without).
 */
export function schemesToFill(operation: CompiledOperation): SecuritySchemeSpec[] {
  const { security } = operation;
  if (security.length === 0 || security.some((alternative) => alternative.length === 0)) return [];
  return security.find((alternative) => alternative.every(isFillable)) ?? [];
}

export function placeholderFor(scheme: SecuritySchemeSpec): string {
  if (scheme.type === 'apiKey') return PLACEHOLDER_API_KEY;
  return scheme.type === 'http' && scheme.scheme === 'basic' ? PLACEHOLDER_BASIC : PLACEHOLDER_BEARER;
}

/** How a report names the place of a scheme's credential, e.g. `header "X-Widget-Key"`, `Authorization`. */
export function schemeSlotLabel(scheme: SecuritySchemeSpec): string {
  return scheme.type === 'apiKey' ? `${scheme.in} "${scheme.parameterName}"` : 'Authorization';
}

/** The Authorization scheme as written on the wire (`Bearer`, `Basic`, …). */
function authorizationScheme(scheme: SecuritySchemeSpec): string {
  if (takesBearer(scheme)) return 'Bearer';
  const name = scheme.scheme ?? '';
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** `request` (changed in place) carrying `credential` for `scheme`, or without it when undefined. */
export function setSchemeCredential(request: CaseRequest, scheme: SecuritySchemeSpec, credential: string | undefined): void {
  if (scheme.type === 'apiKey') {
    const name = String(scheme.parameterName);
    const target = scheme.in === 'header' ? request.headers : scheme.in === 'query' ? request.query : request.cookies;
    const key = scheme.in === 'header' ? name.toLowerCase() : name;
    if (credential === undefined) delete target[key];
    else target[key] = credential;
    return;
  }
  if (!isFillable(scheme)) return;
  if (credential === undefined) {
    delete request.headers.authorization;
    return;
  }
  // RFC 7617: Basic carries `user-id:password` in base64.
  const value = scheme.type === 'http' && scheme.scheme === 'basic' ? Buffer.from(credential).toString('base64') : credential;
  request.headers.authorization = `${authorizationScheme(scheme)} ${value}`;
}

/** Whether the request meets any alternative of the operation's security requirement (every credential present). */
export function meetsSecurity(operation: CompiledOperation, request: CaseRequest): boolean {
  if (operation.security.length === 0) return true;
  const outcome = meetSecurity(operation.security, { headers: request.headers, query: new URLSearchParams(request.query), cookies: request.cookies }, undefined);
  return outcome.met;
}
