import type { ValidationProblem } from '../dialects/dialect';
import type { CompiledOperation } from '../spec/registry';

/** The calendar date a header value Pydantic accepted as a date stands for (YYYY-MM-DD or a Unix timestamp). */
function versionDate(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  const seconds = Number(value);
  return Number.isFinite(seconds) ? new Date(seconds * (Math.abs(seconds) > 2e10 ? 1 : 1000)).toISOString().slice(0, 10) : value;
}

/**
 * The 422 problem for a version header that is well-formed (it passed validation) but names
 * a version the overlay does not list as supported; undefined when it is supported. Runs
 * after validation, in serve and mock alike, so both refuse the same requests.
 */
export function unsupportedVersionProblem(operation: CompiledOperation, parameters: Record<string, unknown>): ValidationProblem | undefined {
  const rule = operation.supportedVersions;
  if (!rule) return undefined;
  const value = parameters[rule.parameter.name];
  if (typeof value !== 'string' || rule.versions.includes(versionDate(value))) return undefined;
  const message = `Unsupported API version ${value}; supported versions: ${rule.versions.join(', ')}`;
  return { type: 'value_error', loc: ['header', rule.parameter.name], msg: `Value error, ${message}`, input: value, ctx: { error: message } };
}
