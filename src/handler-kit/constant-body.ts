/**
 * Reply bodies that can never change: deeply frozen when they are made, so the pipeline checks
 * each against a schema once and serializes it once, however many replies carry it (the mock's
 * static answers). Any other body is checked and serialized on every reply.
 */
const payloads = new WeakMap<object, string>();
const passedBy = new WeakMap<object, WeakSet<object>>();

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}

/** Freezes `value` through and through and marks it constant; returns it. */
export function constantBody<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  deepFreeze(value);
  payloads.set(value, JSON.stringify(value));
  return value;
}

/** The JSON text of a constant body (computed when it was made); undefined for any other body. */
export function constantPayload(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null ? payloads.get(body) : undefined;
}

/**
 * `validate(body)`, remembered per validator for a constant body that passed (a validator is a
 * pure function of a value that cannot change). A failure is never remembered, so it is reported
 * with the validator's errors every time.
 */
export function passes(validate: (value: unknown) => boolean, body: unknown): boolean {
  if (typeof body !== 'object' || body === null || !payloads.has(body)) return validate(body);
  let passed = passedBy.get(validate);
  if (passed?.has(body)) return true;
  if (!validate(body)) return false;
  if (!passed) passedBy.set(validate, (passed = new WeakSet()));
  passed.add(body);
  return true;
}
