import fc from 'fast-check';
import type { FormatSemantics } from '../spec/formats';
import type { CompiledOperation, ParameterSpec } from '../spec/registry';
import { isObject } from '../schema/keywords';
import { emptyRequest, setParameter, structuredBody, type CaseRequest } from './cases';
import type { CheckName, Exchange } from './checks';
import { mutationSites, type Mutation } from './mutations';
import { parameterText, valueArbitrary, type Transport } from './schema-values';

/**
 * The generative phase: requests drawn by fast-check from an operation's schemas (document +
 * overlay), valid ones and ones with one constraint broken, and each failure shrunk to the
 * smallest request that still fails the same check.
 */

export interface GenerationContext {
  formats: FormatSemantics;
}

/** A generated invalid request: a valid one and the one change that breaks it. */
export interface InvalidRequest {
  shape: CaseRequest;
  mutation: Mutation;
}

const TRANSPORT: Record<string, Transport> = { query: 'query', header: 'header', cookie: 'cookie', path: 'path' };

function parameterArbitrary(operation: CompiledOperation, parameter: ParameterSpec, context: GenerationContext): fc.Arbitrary<string> {
  const rule = operation.supportedVersions;
  if (rule && rule.parameter.in === parameter.in && rule.parameter.key === parameter.key) return fc.constantFrom(...rule.versions);
  const text = valueArbitrary(parameter.schema, { transport: TRANSPORT[parameter.in], formats: context.formats }).map(parameterText);
  // A path segment cannot be empty: the route would not match.
  return parameter.in === 'path' ? text.map((value) => (value === '' ? '0' : value)) : text;
}

/**
 * A form's fields: each declared property drawn as the text a query parameter carries (a form
 * field is text, read back by its property's type), the required ones always there.
 */
function formArbitrary(schema: Record<string, any>, context: GenerationContext): fc.Arbitrary<unknown> {
  const properties: Record<string, unknown> = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((name: string) => name in properties) : [];
  const fields = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => [name, valueArbitrary(property, { transport: 'query', formats: context.formats }).map(parameterText)]),
  );
  return fc.record(fields, { requiredKeys: required });
}

/**
 * Valid requests for `operation`, credentials made up (`withCredentials` puts real ones in at
 * send time): each required parameter, each optional one present or absent, the body drawn
 * from its schema (absent sometimes where the document lets it be).
 */
export function validRequestArbitrary(operation: CompiledOperation, context: GenerationContext): fc.Arbitrary<CaseRequest> {
  const parameters = operation.parameters.filter((p) => p.schema?.type !== 'array' && p.schema?.type !== 'object');
  const values = parameters.map((parameter) => {
    const value = parameterArbitrary(operation, parameter, context);
    return parameter.required || parameter.in === 'path' ? value : fc.option(value, { nil: undefined });
  });
  const structured = structuredBody(operation);
  const bodyValue = !structured
    ? fc.constant(undefined)
    : structured.kind === 'json'
      ? valueArbitrary(structured.schema, { transport: 'json', formats: context.formats })
      : formArbitrary(structured.schema, context);
  const body = operation.body && !operation.body.required ? fc.option(bodyValue, { nil: undefined, freq: 4 }) : bodyValue;
  return fc.tuple(fc.tuple(...values), body).map(([parameterValues, bodyContent]) => {
    const request = emptyRequest(operation);
    parameters.forEach((parameter, i) => setParameter(request, parameter, parameterValues[i]));
    if (structured && bodyContent !== undefined) request.body = { kind: structured.kind, value: bodyContent };
    return request;
  });
}

/** Invalid requests for `operation`, or undefined when the document states nothing a request can break. */
export function invalidRequestArbitrary(operation: CompiledOperation, context: GenerationContext): fc.Arbitrary<InvalidRequest> | undefined {
  const shapes = validRequestArbitrary(operation, context);
  // Whether anything can be broken does not depend on the draw: look at a few.
  if (fc.sample(shapes, { numRuns: 10, seed: 1 }).every((shape) => mutationSites(operation, shape, context).length === 0)) return undefined;
  return shapes
    .filter((shape) => mutationSites(operation, shape, context).length > 0)
    .chain((shape) => fc.oneof(...mutationSites(operation, shape, context)).map((mutation) => ({ shape, mutation })));
}

/** A 31-bit seed for one operation and phase, derived from the run's seed (so `--apis` does not change it). */
export function phaseSeed(seed: number, ...parts: string[]): number {
  let hash = (seed >>> 0) ^ 0x811c9dc5;
  for (const char of parts.join('\u0000')) {
    hash ^= char.codePointAt(0) as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

export interface ExplorationOptions {
  /** Draws in all (shrinking steps not counted). */
  numRuns: number;
  seed: number;
  /** Requests one failure's shrinking may send. Default 200. */
  maxShrinkRequests?: number;
}

export interface Exploration {
  /** The exchanges to judge: every passing draw, and each failure's shrunk reproduction. */
  judged: Exchange[];
  /** Draws sent (not counting shrinking). */
  draws: number;
  /** Requests sent while shrinking. */
  shrinkRequests: number;
}

/** Shrinking annotation of a failure's final, smallest request. */
export interface Shrunk {
  /** The check whose failure was shrunk. */
  check: CheckName;
  /** Smaller requests tried that still failed it. */
  steps: number;
  /** The draw that first failed, before shrinking. */
  original: Exchange;
}

const MAX_ROUNDS = 16;

/**
 * Runs `numRuns` draws of `arbitrary` through `execute`. At the first draw that fails a check
 * not yet found, fast-check shrinks it, each smaller candidate sent for real, keeping a
 * candidate only while it fails that same check (so shrinking cannot wander to another
 * fault); the smallest one is kept as the reproduction. Then the remaining draws go on with
 * that check set aside, until they are spent.
 */
export async function explore<T>(
  arbitrary: fc.Arbitrary<T>,
  options: ExplorationOptions,
  execute: (value: T) => Promise<Exchange>,
  failingChecks: (exchange: Exchange) => CheckName[],
): Promise<Exploration> {
  const found = new Set<CheckName>();
  const judged: Exchange[] = [];
  const maxShrinkRequests = options.maxShrinkRequests ?? 200;
  let draws = 0;
  let shrinkRequests = 0;
  for (let round = 0; draws < options.numRuns && round < MAX_ROUNDS; round++) {
    let target: CheckName | undefined;
    let original: Exchange | undefined;
    let smallest: Exchange | undefined;
    let steps = 0;
    let roundShrinks = 0;
    const property = fc.asyncProperty(arbitrary, async (value) => {
      if (target === undefined) {
        draws += 1;
        const exchange = await execute(value);
        const fresh = failingChecks(exchange).filter((check) => !found.has(check));
        if (fresh.length === 0) {
          judged.push(exchange);
          return true;
        }
        target = fresh[0];
        original = smallest = exchange;
        return false;
      }
      if (roundShrinks >= maxShrinkRequests) return true;
      roundShrinks += 1;
      const exchange = await execute(value);
      if (!failingChecks(exchange).includes(target)) return true;
      smallest = exchange;
      steps += 1;
      return false;
    });
    const details = await fc.check(property, { numRuns: options.numRuns - draws, seed: phaseSeed(options.seed, String(round)) });
    shrinkRequests += roundShrinks;
    // A draw that threw is a fault of the run itself, not of the server: it must not pass silently.
    if (details.failed && target === undefined) throw details.errorInstance ?? new Error(`the generative phase failed after ${details.numRuns} draw(s)`);
    if (!details.failed || !target || !smallest || !original) break;
    found.add(target);
    judged.push({ ...smallest, shrunk: { check: target, steps, original } });
  }
  return { judged, draws, shrinkRequests };
}
