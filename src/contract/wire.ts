import { FORM_MEDIA_TYPE } from '../request-profiles/profile';
import type { CaseRequest } from './cases';

/**
 * A case's request as it goes on the wire: path templates filled, the query encoded, cookies
 * in one Cookie header, the body's Content-Type set from its kind.
 */

export function requestUrl(baseUrl: string, request: CaseRequest): string {
  const path = request.path.replace(/\{([^}]+)\}/g, (template, name: string) => {
    const value = request.pathParameters?.[name];
    return value === undefined ? template : encodeURIComponent(value);
  });
  const query = new URLSearchParams(request.query).toString();
  return `${baseUrl.replace(/\/+$/, '')}${path}${query ? `?${query}` : ''}`;
}

export function requestHeaders(request: CaseRequest): Record<string, string> {
  const headers = { ...request.headers };
  const cookies = Object.entries(request.cookies);
  if (cookies.length > 0) headers.cookie = cookies.map(([name, value]) => `${name}=${value}`).join('; ');
  if (request.body.kind === 'json') headers['content-type'] = 'application/json';
  if (request.body.kind === 'form') headers['content-type'] = FORM_MEDIA_TYPE;
  if (request.body.kind === 'raw') headers['content-type'] = request.body.contentType;
  return headers;
}

/** A form field's text: strings as they are, other values as JSON (`1`, `true`, `null`). */
const fieldText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * An object as `application/x-www-form-urlencoded`: one pair per property, an array as the
 * name repeated (as the pipeline reads arrays back); anything but an object is an empty form.
 */
export function formText(value: unknown): string {
  const form = new URLSearchParams();
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [name, item] of Object.entries(value)) {
      if (item === undefined) continue;
      for (const one of Array.isArray(item) ? item : [item]) form.append(name, fieldText(one));
    }
  }
  return form.toString();
}

export function requestBody(request: CaseRequest): string | undefined {
  if (request.body.kind === 'json') return JSON.stringify(request.body.value);
  if (request.body.kind === 'form') return formText(request.body.value);
  if (request.body.kind === 'raw') return request.body.text;
  return undefined;
}
