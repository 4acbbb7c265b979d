import type { RefreshDeclaration, RequestSlot, TemplateValue } from '../spec/catalogue';
import type { HandlerReply, HandlerRequest } from './http';
import { isoWithMicroseconds, rotatedTokenCookie, TOKEN_RESPONSE_HEADERS, type HandlerServices } from './services';
import { comparableSubject } from './sessions';

/** What one operation's declarative refresh needs to know besides its declaration. */
export interface RefreshOperation {
  api: string;
  /** The operation's path: the rotated cookie's `Path`. */
  path: string;
}

/** The value `slot` names in a validated request; undefined when the request has none. */
export function readSlot(request: HandlerRequest, slot: RequestSlot): unknown {
  switch (slot.in) {
    case 'body':
      return request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Record<string, unknown>)[slot.name] : undefined;
    case 'cookie':
      return request.cookies[slot.name];
    case 'header':
      return request.headers[slot.name.toLowerCase()];
    default:
      return request.parameters[slot.name];
  }
}

/** Fills `$name` strings of a reply template with the rotation's values (`$$…` is a literal `$…`). */
export function fillTemplate(template: unknown, values: Readonly<Record<TemplateValue, unknown>>): unknown {
  if (typeof template === 'string') {
    if (template.startsWith('$$')) return template.slice(1);
    return template.startsWith('$') ? values[template.slice(1) as TemplateValue] : template;
  }
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, values));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, item]) => [key, fillTemplate(item, values)]));
  }
  return template;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The handler an api's overlay declares instead of writing one (`x-refreshd.refresh`): reads the
 * refresh token (and the subject, organization and Bearer credential where declared) from the
 * validated request, rotates it, and answers with the declared body and cookie. Like every
 * handler its answer is checked against the document before it is sent.
 */
export function declaredRefreshHandler(services: HandlerServices, operation: RefreshOperation, declaration: RefreshDeclaration) {
  const subjectRule = services.catalogue.get(operation.api).declaration.subject;
  return async (request: HandlerRequest): Promise<HandlerReply> => {
    const presented = text(readSlot(request, declaration.token));
    const subject = declaration.subject ? readSlot(request, declaration.subject) : undefined;
    const organization = declaration.organization ? readSlot(request, declaration.organization) : undefined;
    const input = {
      api: operation.api,
      refreshToken: presented ?? '',
      // A declared subject that is absent or not text never names the token's subject.
      expectedSub: declaration.subject ? comparableSubject(subjectRule, text(subject) ?? '') : undefined,
      requireBearer: declaration.bearer === 'session',
      bearer: declaration.bearer === 'session' ? request.bearer : undefined,
      organizationId: text(organization),
    };
    const rotated = await services.tokens.rotateRefreshToken(input);
    const headers: Record<string, string> = { ...TOKEN_RESPONSE_HEADERS };
    if (declaration.reply.cookie) {
      headers['set-cookie'] = rotatedTokenCookie(services, { name: declaration.reply.cookie, path: operation.path }, rotated);
    }
    const values: Record<TemplateValue, unknown> = {
      access_token: rotated.accessToken,
      refresh_token: rotated.refreshToken,
      expires_in: rotated.accessTtlSeconds,
      access_expires: isoWithMicroseconds(rotated.accessExpiresAtMs),
      refresh_expires: isoWithMicroseconds(rotated.refreshExpiresAtMs),
      organization_id: rotated.organizationId,
      subject: rotated.sub,
      session_id: rotated.sessionId,
    };
    const reply: HandlerReply = { status: declaration.reply.status ?? 200, headers };
    if (declaration.reply.body !== undefined) reply.body = fillTemplate(declaration.reply.body, values);
    return reply;
  };
}
