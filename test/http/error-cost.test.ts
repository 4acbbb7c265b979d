import fc from 'fast-check';
import { ADMIN_TOKEN, expectConforms, useRealHarness } from '../support/harness';
import { WorkMeter } from '../support/work-meter';

/**
 * No error path costs more than linear in the input: a body four times as large (four times
 * as many unknown keys, wrong items, nesting levels) costs at most about four times the work
 * and answers at most about four times the bytes. FastAPI lists every error, so the answer
 * itself grows with the input; what must not grow faster is the work of producing it. Work is
 * counted, not timed (see {@link WorkMeter}); the timings are in `scripts/bench/error-cost.ts`.
 */
const h = useRealHarness({ maxBodyBytes: 1024 * 1024 });
const meter = new WorkMeter();
beforeAll(() => meter.start());
afterAll(() => meter.stop());

/**
 * The project's own code: the pipeline, the dialects, the explainer, the handlers. Not the store
 * or the instance registry: no body error reaches the store, and the registry's heartbeat (a
 * timer every 10 s) would count store work into whichever request it happens to run beside.
 */
const OWN_CODE = /\/(src|handlers)\/(?!store\/|app\/instances\.ts)/;
const SMALL = 400;
const GROWTH = 4;
/** Linear work grows by GROWTH at most (constant costs only lower the ratio); quadratic by GROWTH². */
const MAX_RATIO = GROWTH * 1.25;

interface Target {
  name: string;
  path: string;
  headers: Record<string, string>;
  /** A body with `n` offending parts built from `part(i)`. */
  body(n: number, part: (i: number) => string): string;
}

/**
 * Long enough that every body, small or large, takes the same road through the JSON reader
 * (it checks long texts for what only Python refuses: >4300-digit integers, deep nesting).
 */
const PAD = `"pad": "${'p'.repeat(4400)}", `;

const keyed = (prefix: string) => (n: number, part: (i: number) => string) =>
  `{${PAD}${prefix}${Array.from({ length: n }, (_, i) => part(i)).join(',')}}`;

const TARGETS: Target[] = [
  { name: 'almanac', path: '/v1/auth/token/refresh', headers: { authorization: 'Bearer x' }, body: keyed('') },
  { name: 'almanac with a refresh token', path: '/v1/auth/token/refresh', headers: { authorization: 'Bearer x' }, body: keyed('"refresh_token": 1, ') },
  { name: 'admin', path: '/admin/sessions', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: keyed('"api": "watchr", "sub": "a", ') },
  { name: 'pathstack', path: '/refresh', headers: {}, body: keyed('"sub": 5, ') },
  { name: 'session', path: '/session/token/refresh', headers: {}, body: keyed('"refresh_token": [], ') },
];

/** One member or item, as JSON text: what is repeated to grow the body. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('1.0', '-0', '1e400', '123456789012345678901234567890', '"\\ud83d\\ude00"', 'NaN'),
);
const shape: fc.Arbitrary<Shape> = fc.oneof(
  // Unknown keys, integer-like or not (integer-like ones are reordered to arrival order).
  fc.record({ kind: fc.constant('keys' as const), integerLike: fc.boolean(), value }),
  // A list of wrong items (admin's organizations must be non-empty strings).
  fc.record({ kind: fc.constant('items' as const), value }),
  // Nesting inside a field.
  fc.record({ kind: fc.constant('nesting' as const), value }),
  // A long valid prefix, then malformed JSON.
  fc.record({ kind: fc.constant('truncated' as const), value }),
);

type Shape = { kind: 'keys' | 'items' | 'nesting' | 'truncated'; value: string; integerLike?: boolean };

function bodyOf(target: Target, s: Shape, n: number): string {
  switch (s.kind) {
    case 'keys':
      return target.body(n, (i) => `"${s.integerLike ? i + 10 : `k${i}`}": ${s.value}`);
    case 'items':
      return target.body(1, () => `"organizations": [${Array.from({ length: n }, () => s.value).join(', ')}]`);
    case 'nesting':
      // Half as deep as long, so that the large body stays within the nesting limit (1000).
      return target.body(1, () => `"refresh_token": ${'['.repeat(n / 2)}${s.value}${']'.repeat(n / 2)}`);
    default:
      return `${target.body(n, (i) => `"k${i}": ${s.value}`).slice(0, -1)}, "x": `;
  }
}

/**
 * The least work of three identical requests: what else runs in the window (a body read in more
 * chunks on a busy machine, a timer) only ever adds to the count, so the least is the request's own.
 */
async function measure(target: Target, body: string): Promise<{ work: number; bytes: number }> {
  let least = Infinity;
  let bytes = 0;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await meter.take(OWN_CODE);
    const res = await h.http.post(target.path).set(target.headers).set('content-type', 'application/json').send(body);
    least = Math.min(least, await meter.take(OWN_CODE));
    expect(res.status).toBeLessThan(500);
    expectConforms(h.built, 'post', target.path, res);
    bytes = res.text.length;
  }
  return { work: least, bytes };
}

it('the work and the answer of every error path grow linearly with the input', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TARGETS.map((target) => target.name)), shape, async (name, s) => {
      const target = TARGETS.find((candidate) => candidate.name === name) as Target;
      // Work from outside the request (a timer firing inside the window) only adds, and only now and
      // then: a comparison that fails three times in a row is the code's own growth.
      let small = await measure(target, bodyOf(target, s, SMALL));
      let large = await measure(target, bodyOf(target, s, SMALL * GROWTH));
      for (let retry = 0; retry < 2 && large.work > small.work * MAX_RATIO; retry += 1) {
        small = await measure(target, bodyOf(target, s, SMALL));
        large = await measure(target, bodyOf(target, s, SMALL * GROWTH));
      }
      expect(large.work).toBeLessThanOrEqual(small.work * MAX_RATIO);
      expect(large.bytes).toBeLessThanOrEqual(small.bytes * MAX_RATIO);
    }),
    { numRuns: 25, seed: 20261202 },
  );
  // Counting blocks (V8 precise coverage) slows the code measured several times over.
}, 120_000);

it('8,000 unknown keys in 64 KB: almanac lists every one, FastAPI-style, at linear work', async () => {
  const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"${(i + 1296).toString(36)}":1`).join(',')}}`;
  const target = TARGETS[0];
  const body = members(8000);
  expect(body.length).toBeLessThanOrEqual(64 * 1024);

  const res = await h.http.post(target.path).set(target.headers).set('content-type', 'application/json').send(body);
  expect(res.status).toBe(422);
  expect(res.body.detail).toHaveLength(8001);
  expect(res.body.detail[0]).toEqual({ type: 'missing', loc: ['body', 'refresh_token'], msg: 'Field required', input: JSON.parse(body) });
  expect(res.body.detail[8000]).toEqual({ type: 'extra_forbidden', loc: ['body', (8000 + 1295).toString(36)], msg: 'Extra inputs are not permitted', input: 1 });

  const quarter = await measure(target, members(2000));
  const full = await measure(target, body);
  expect(full.work).toBeLessThanOrEqual(quarter.work * MAX_RATIO);
});
