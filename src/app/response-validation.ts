import type { ErrorReply } from '../dialects/dialect';
import type { CompiledOperation, ResponseSpec } from '../spec/registry';
import type { HandlerReply } from '../handler-kit/http';
import { passes } from '../handler-kit/constant-body';

export interface ResponseViolation {
  api: string;
  operationId: string;
  status: number;
  reason: string;
  body?: unknown;
}

/** The document's response for `status`: exact code, then `4XX`-style range, then default. */
export function findResponseSpec(operation: CompiledOperation, status: number): ResponseSpec | undefined {
  return (
    operation.responses.get(String(status)) ??
    operation.responses.get(`${String(status)[0]}XX`) ??
    operation.responses.get('default')
  );
}

/** A reply's headers by lower-cased name, each with its values (a reply may name one header in two spellings). */
function headersByName(headers: HandlerReply['headers']): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const key in headers) {
    const value = headers[key];
    const name = key.toLowerCase();
    const values = byName.get(name);
    if (values) values.push(...([] as string[]).concat(value));
    else byName.set(name, typeof value === 'string' ? [value] : [...value]);
  }
  return byName;
}

/**
 * Checks a reply against the document: status declared, content type declared, body valid,
 * every header the document marks required present, every declared header's value valid.
 * A body is JSON; its media type is the reply's `Content-Type` (`application/json` when it names none).
 */
export function validateReply(operation: CompiledOperation, reply: ErrorReply | HandlerReply): ResponseViolation | undefined {
  const violation = (reason: string): ResponseViolation => ({
    api: operation.api,
    operationId: operation.operationId,
    status: reply.status,
    reason,
    body: reply.body,
  });
  const spec = findResponseSpec(operation, reply.status);
  if (!spec) return violation(`status ${reply.status} is not declared`);
  const sent = headersByName(reply.headers);
  for (const header of spec.headers) {
    const values = sent.get(header.name) ?? [];
    if (values.length === 0 && header.required) return violation(`required header ${header.name} is missing`);
    if (header.validate && values.some((value) => !header.validate?.(value))) return violation(`header ${header.name} does not match its schema`);
  }
  if (reply.body === undefined) {
    return spec.bodies.size === 0 ? undefined : violation('the document declares a body and none was sent');
  }
  const mediaType = (sent.get('content-type')?.[0] ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (!spec.bodies.has(mediaType)) return violation(`content type ${mediaType} is not declared`);
  const validate = spec.bodies.get(mediaType);
  if (validate && !passes(validate, reply.body)) {
    const first = validate.errors?.[0];
    return violation(`body does not match the schema: ${first?.instancePath || '/'} ${first?.message}`);
  }
  return undefined;
}
