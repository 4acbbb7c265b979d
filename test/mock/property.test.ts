import fc from 'fast-check';
import { mockResponse, isMockFailure } from '../../src/mock/respond';
import { sampleSchema, seededRandom } from '../../src/schema/sample';
import { ajvErrors, allCases, loadSpec } from './helpers';

const cases = allCases();
/** Scale the number of runs, e.g. MOCK_PROP_SCALE=20 npx jest test/mock/property (default 1). */
const SCALE = Math.max(1, Number(process.env.MOCK_PROP_SCALE ?? 1) || 1);
const runs = (n: number) => n * SCALE;

describe('property: dynamic samples of the documents are always schema-valid', () => {
  it('for random seeds, every response schema of every document', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        for (const c of cases) {
          const body = sampleSchema(c.schema, { dynamic: true, random: seededRandom(seed) });
          const err = loadSpec(c.spec).validator.errors(c.pointer, body);
          if (err) throw new Error(`${c.spec} ${c.status} seed=${seed}: ${err}\n${JSON.stringify(body)}`);
          // determinism
          expect(sampleSchema(c.schema, { dynamic: true, random: seededRandom(seed) })).toEqual(body);
        }
      }),
      { numRuns: runs(200) },
    );
  });

  it('through mockResponse (Prefer: dynamic=true, seed=N, code=each declared status)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), fc.constantFrom(...cases), (seed, c) => {
        const r = mockResponse(c.operation, { code: Number(c.status), dynamic: true, seed });
        if (isMockFailure(r)) throw new Error(r.message);
        expect(loadSpec(c.spec).validator.errors(c.pointer, r.body)).toBeNull();
      }),
      { numRuns: runs(300) },
    );
  });

  it('all component schemas (incl. the recursive session Response)', () => {
    const specs = ['watchr', 'galileo', 'pathstack', 'almanac', 'session'] as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...specs), (seed, name) => {
        const spec = loadSpec(name);
        for (const key of Object.keys(spec.doc.components?.schemas ?? {})) {
          const v = sampleSchema(spec.doc.components.schemas[key], { dynamic: true, random: seededRandom(seed) });
          expect(spec.validator.errors(`#/components/schemas/${key}`, v)).toBeNull();
        }
      }),
      { numRuns: runs(150) },
    );
  });
});

// ------------------------------------------------------------------ random schemas

/** Satisfiable-by-construction JSON Schemas (2020-12) covering most keywords the sampler handles. */
const schemaArb: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ schema: Record<string, unknown> }>((tie) => {
  const leaf = fc.oneof(
    fc.record({ type: fc.constant('string'), minLength: fc.nat(5) }).chain((s) => fc.nat(10).map((extra) => ({ ...s, maxLength: s.minLength + extra }))),
    fc.record({ type: fc.constant('string'), format: fc.constantFrom('uuid', 'uuid4', 'date', 'date-time', 'email', 'uri', 'ipv4', 'hostname', 'byte', 'time') }),
    fc.record({ type: fc.constant('string'), pattern: fc.constantFrom('^[a-z]{3,8}$', '^[A-Z][0-9]{2}-[a-z]+$', '^(foo|bar)baz\\d*$', '\\d{4}', '^[^\\s]+@x\\.io$') }),
    fc.record({ type: fc.constantFrom('integer', 'number'), minimum: fc.integer({ min: -50, max: 50 }) }).chain((s) =>
      fc.record({ span: fc.nat(100), multipleOf: fc.option(fc.constantFrom(1, 2, 5, 0.5), { nil: undefined }), excl: fc.boolean() }).map(({ span, multipleOf, excl }) => {
        const out: Record<string, unknown> = { ...s, maximum: s.minimum + span + 10 };
        if (multipleOf !== undefined && !(s.type === 'integer' && multipleOf === 0.5)) out.multipleOf = multipleOf;
        if (excl) {
          out.exclusiveMinimum = s.minimum;
          delete out.minimum;
        }
        return out;
      }),
    ),
    fc.constant({ type: 'boolean' }),
    fc.constant({ type: 'null' }),
    fc.constant({}),
    fc.uniqueArray(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean()), { minLength: 1, maxLength: 4, selector: (v) => JSON.stringify(v) }).map((e) => ({ enum: e })),
    // (keys such as "toString" crash ajv's fast-deep-equal, so they are kept out)
    fc
      .jsonValue({ maxDepth: 2 })
      .filter((v) => !/"(toString|valueOf|__proto__|constructor)"/.test(JSON.stringify(v)))
      .map((v) => ({ const: v })),
    fc.constantFrom<Record<string, unknown>>({ type: ['string', 'null'] }, { type: ['integer', 'boolean'] }),
  );
  const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'id', 'name', 'value', 'items', 'type'), { minLength: 1, maxLength: 4 });
  return {
    schema: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      names.chain((ks) =>
        fc
          .record({
            props: fc.tuple(...ks.map(() => tie('schema'))),
            required: fc.subarray(ks),
            closed: fc.boolean(),
          })
          .map(({ props, required, closed }) => ({
            type: 'object',
            properties: Object.fromEntries(ks.map((k, i) => [k, props[i]])),
            required,
            ...(closed ? { additionalProperties: false } : {}),
          })),
      ),
      fc.record({ items: tie('schema'), minItems: fc.nat(2), extra: fc.nat(3), unique: fc.boolean() }).map(({ items, minItems, extra, unique }) => ({
        type: 'array',
        items,
        minItems: unique ? Math.min(minItems, 1) : minItems,
        maxItems: (unique ? Math.min(minItems, 1) : minItems) + extra,
        ...(unique ? { uniqueItems: true } : {}),
      })),
      fc.tuple(tie('schema'), tie('schema')).map(([a, b]) => ({ anyOf: [a, b] })),
      fc.tuple(tie('schema'), tie('schema')).map(([a, b]) => ({ anyOf: [{ type: 'null' }, a, b] })),
      fc.constant({ oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'object' }] }),
      fc.tuple(tie('schema'), tie('schema')).map(([a, b]) => ({
        allOf: [
          { type: 'object', properties: { left: a }, required: ['left'] },
          { type: 'object', properties: { right: b } },
        ],
      })),
    ),
  };
}).schema;

describe('property: random satisfiable schemas', () => {
  it('static and dynamic samples validate with ajv (2020-12)', () => {
    fc.assert(
      fc.property(schemaArb, fc.integer({ min: 0, max: 0xffffffff }), (schema, seed) => {
        const s = sampleSchema(schema, { dynamic: false });
        const e1 = ajvErrors(schema, s);
        if (e1) throw new Error(`static: ${e1}\n${JSON.stringify(schema)}\n${JSON.stringify(s)}`);
        const d = sampleSchema(schema, { dynamic: true, random: seededRandom(seed) });
        const e2 = ajvErrors(schema, d);
        if (e2) throw new Error(`dynamic: ${e2}\n${JSON.stringify(schema)}\n${JSON.stringify(d)}`);
        expect(sampleSchema(schema, { dynamic: true, random: seededRandom(seed) })).toEqual(d);
      }),
      { numRuns: runs(400) },
    );
  });
});
