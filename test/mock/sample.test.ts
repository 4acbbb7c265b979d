import { dereference as obDereference } from 'openapi-backend/refparser';
import { dereferenceDocument } from '../../src/schema/deref';
import { sampleSchema, SampleError, seededRandom } from '../../src/schema/sample';
import { conforms } from '../../src/schema/conforms';
import { ajvErrors, allCases, loadSpec, pointerOf, SPEC_NAMES } from './helpers';

const SEEDS = Array.from({ length: 25 }, (_, i) => i * 7919 + 1);
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('seededRandom', () => {
  it('is deterministic per seed and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
    expect(seededRandom(43)()).not.toBe(seededRandom(42)());
  });
});

describe.each(SPEC_NAMES)('%s document: every declared response', (name) => {
  const spec = loadSpec(name);

  it('has response schemas to test', () => {
    expect(spec.cases.length).toBeGreaterThan(0);
  });

  describe.each(spec.cases.map((c) => [`${c.method.toUpperCase()} ${c.path} ${c.status} ${c.mediaType}`, c] as const))('%s', (_label, c) => {
    it('static sample validates against the schema', () => {
      const body = sampleSchema(c.schema, { dynamic: false });
      expect(spec.validator.errors(c.pointer, body)).toBeNull();
    });

    it('static sample is stable', () => {
      expect(sampleSchema(c.schema, { dynamic: false })).toEqual(sampleSchema(c.schema, { dynamic: false }));
    });

    it('dynamic samples validate for many seeds, and the same seed gives the same body', () => {
      const bodies = new Set<string>();
      for (const seed of SEEDS) {
        const body = sampleSchema(c.schema, { dynamic: true, random: seededRandom(seed) });
        expect(spec.validator.errors(c.pointer, body)).toBeNull();
        expect(sampleSchema(c.schema, { dynamic: true, random: seededRandom(seed) })).toEqual(body);
        bodies.add(JSON.stringify(body));
      }
      expect(bodies.size).toBeGreaterThan(1); // it is actually random
    });
  });

  it('every component schema samples validly (static and dynamic)', () => {
    const schemas = Object.keys(spec.raw.components?.schemas ?? {});
    for (const key of schemas) {
      const schema = spec.doc.components.schemas[key];
      const pointer = pointerOf('components', 'schemas', key);
      expect([key, spec.validator.errors(pointer, sampleSchema(schema, { dynamic: false }))]).toEqual([key, null]);
      for (const seed of SEEDS) {
        const v = sampleSchema(schema, { dynamic: true, random: seededRandom(seed) });
        expect([key, seed, spec.validator.errors(pointer, v)]).toEqual([key, seed, null]);
      }
    }
  });

  it('request body schemas sample validly too', () => {
    for (const [p, item] of Object.entries<any>(spec.doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        for (const [mt, media] of Object.entries<any>(op?.requestBody?.content ?? {})) {
          const pointer = pointerOf('paths', p, method, 'requestBody', 'content', mt, 'schema');
          expect(spec.validator.errors(pointer, sampleSchema(media.schema, { dynamic: false, omitReadOnly: true }))).toBeNull();
          for (const seed of SEEDS) {
            const v = sampleSchema(media.schema, { dynamic: true, random: seededRandom(seed), omitReadOnly: true });
            expect(spec.validator.errors(pointer, v)).toBeNull();
          }
        }
      }
    }
  });
});

describe('documents: specific expectations', () => {
  it('covers every operation/response of the five documents', () => {
    // watchr 2, galileo 2, pathstack 3, almanac 2, session 1
    expect(allCases().length).toBe(10);
  });

  it('static samples follow Prism defaults (all properties, "string", 0, schema examples/defaults)', () => {
    const galileo = loadSpec('galileo');
    const token = galileo.cases.find((c) => c.status === '200')!;
    expect(sampleSchema(token.schema, { dynamic: false })).toEqual({ access_token: 'string', token_type: 'bearer' });

    const pathstack = loadSpec('pathstack');
    const ok = pathstack.cases.find((c) => c.status === '200')!;
    expect(sampleSchema(ok.schema, { dynamic: false })).toEqual({ data: { token_type: 'string', expires_in: 0, access_token: 'string' } });
    const unauthorized = pathstack.cases.find((c) => c.status === '401')!;
    expect(sampleSchema(unauthorized.schema, { dynamic: false })).toEqual({ error: { code: 401, message: 'Invalid Refresh Token' } });

    const almanac = loadSpec('almanac');
    const v = sampleSchema(almanac.cases.find((c) => c.status === '200')!.schema, { dynamic: false }) as any;
    expect(v.organization_id).toBe('string'); // anyOf: first non-null branch
  });

  it('pathstack RefreshToken.sub (format uuid4) is a v4 UUID, static and dynamic', () => {
    const { doc } = loadSpec('pathstack');
    const schema = doc.components.schemas.RefreshToken;
    expect((sampleSchema(schema, { dynamic: false }) as any).sub).toMatch(UUID4);
    for (const seed of SEEDS) expect((sampleSchema(schema, { dynamic: true, random: seededRandom(seed) }) as any).sub).toMatch(UUID4);
  });

  it('session: examples keyword in a 3.0 schema, nullable, and the self-referencing Response', () => {
    const { doc, validator } = loadSpec('session');
    const response = doc.components.schemas.Response;
    // The dereferenced graph really is cyclic.
    expect(response.properties.aggregated_error.additionalProperties.allOf[0]).toBe(response);
    const v = sampleSchema(response, { dynamic: false }) as any;
    expect(validator.errors(pointerOf('components', 'schemas', 'Response'), v)).toBeNull();
    expect(v.code).toBe(0); // examples[0]
    expect(v.correlation_id).toBe('b4351ecc-ee1a-4455-bc94-2c3dbcc58538');
    expect(v.error).toBe('string'); // nullable: static prefers the non-null type
    // The recursive optional member does not recurse.
    expect(v.aggregated_error === undefined || v.aggregated_error === null).toBe(true);
  });

  it('also works on the graph produced by openapi-backend (json-schema-ref-parser) dereferencing', async () => {
    for (const name of SPEC_NAMES) {
      const spec = loadSpec(name);
      const doc: any = await obDereference(structuredClone(spec.raw));
      for (const c of spec.cases) {
        const schema = doc.paths[c.path][c.method].responses[c.status].content[c.mediaType].schema;
        expect(spec.validator.errors(c.pointer, sampleSchema(schema, { dynamic: false }))).toBeNull();
        for (const seed of SEEDS.slice(0, 8)) {
          expect(spec.validator.errors(c.pointer, sampleSchema(schema, { dynamic: true, random: seededRandom(seed) }))).toBeNull();
        }
      }
      for (const key of Object.keys(doc.components?.schemas ?? {})) {
        const pointer = pointerOf('components', 'schemas', key);
        expect(spec.validator.errors(pointer, sampleSchema(doc.components.schemas[key], { dynamic: false }))).toBeNull();
        for (const seed of SEEDS.slice(0, 8)) {
          expect(spec.validator.errors(pointer, sampleSchema(doc.components.schemas[key], { dynamic: true, random: seededRandom(seed) }))).toBeNull();
        }
      }
    }
  });
});

// ---------------------------------------------------------------- synthetic schemas

type Dialect = '2020' | 'draft7';
const SYNTHETIC: [string, any, Dialect?][] = [
  ['string', { type: 'string' }],
  ['string lengths', { type: 'string', minLength: 10, maxLength: 12 }],
  ['short string', { type: 'string', maxLength: 3 }],
  ['empty string only', { type: 'string', maxLength: 0 }],
  ['uuid', { type: 'string', format: 'uuid' }],
  ['uuid4', { type: 'string', format: 'uuid4' }],
  ['date', { type: 'string', format: 'date' }],
  ['date-time', { type: 'string', format: 'date-time' }],
  ['time', { type: 'string', format: 'time' }],
  ['email', { type: 'string', format: 'email' }],
  ['uri', { type: 'string', format: 'uri' }],
  ['uri-reference', { type: 'string', format: 'uri-reference' }],
  ['hostname', { type: 'string', format: 'hostname' }],
  ['ipv4', { type: 'string', format: 'ipv4' }],
  ['ipv6', { type: 'string', format: 'ipv6' }],
  ['byte', { type: 'string', format: 'byte' }],
  ['duration', { type: 'string', format: 'duration' }],
  ['unknown format', { type: 'string', format: 'jwt' }],
  ['pattern', { type: 'string', pattern: '^[A-Z]{2}-\\d{4}$' }],
  ['pattern alternation', { type: 'string', pattern: '^(foo|bar)+_[a-f0-9]{8}$' }],
  ['pattern + minLength', { type: 'string', pattern: '^[a-z]+$', minLength: 20 }],
  ['unanchored pattern', { type: 'string', pattern: 'abc' }],
  ['negated class', { type: 'string', pattern: '^[^a-z]{3}$' }],
  ['integer', { type: 'integer' }],
  ['integer bounds', { type: 'integer', minimum: 5, maximum: 9 }],
  ['integer exclusive (3.1)', { type: 'integer', exclusiveMinimum: 5, exclusiveMaximum: 7 }],
  ['negative integer', { type: 'integer', maximum: -10 }],
  ['integer multipleOf', { type: 'integer', multipleOf: 7, minimum: 10 }],
  ['int32', { type: 'integer', format: 'int32' }],
  ['number', { type: 'number' }],
  ['number exclusive', { type: 'number', exclusiveMinimum: 0, maximum: 1 }],
  ['number multipleOf 0.25', { type: 'number', multipleOf: 0.25, minimum: 1.1, maximum: 2 }],
  ['number multipleOf 0.01', { type: 'number', multipleOf: 0.01 }],
  ['boolean', { type: 'boolean' }],
  ['null', { type: 'null' }],
  ['type array', { type: ['null', 'integer'] }],
  ['enum', { enum: ['a', 'b', 'c'] }],
  ['enum typed', { type: 'string', enum: ['x', 'y'] }],
  ['const', { const: { a: [1, 2] } }],
  ['untyped', {}],
  ['true schema', true],
  ['array', { type: 'array', items: { type: 'string' } }],
  ['array bounds', { type: 'array', items: { type: 'integer' }, minItems: 3, maxItems: 5 }],
  ['array maxItems 0', { type: 'array', items: { type: 'integer' }, maxItems: 0 }],
  ['uniqueItems', { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 4, uniqueItems: true }],
  ['uniqueItems strings', { type: 'array', items: { type: 'string' }, minItems: 3, uniqueItems: true }],
  ['prefixItems', { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }],
  ['contains', { type: 'array', items: { type: 'integer' }, contains: { type: 'integer', minimum: 100 } }],
  ['object', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } }, required: ['a'] }],
  ['object required not declared', { type: 'object', required: ['x'], additionalProperties: { type: 'boolean' } }],
  ['map', { type: 'object', additionalProperties: { type: 'integer' } }],
  ['minProperties', { type: 'object', additionalProperties: { type: 'string' }, minProperties: 2 }],
  ['maxProperties', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } }, required: ['a'], maxProperties: 2 }],
  ['patternProperties', { type: 'object', patternProperties: { '^x-': { type: 'integer' } }, additionalProperties: false, required: ['x-a'] }],
  ['propertyNames', { type: 'object', propertyNames: { pattern: '^[a-z]{3}$' }, minProperties: 1 }],
  ['dependentRequired', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, dependentRequired: { a: ['b'] } }],
  ['anyOf with null', { anyOf: [{ type: 'null' }, { type: 'string', format: 'email' }] }],
  ['oneOf integer/number', { oneOf: [{ type: 'integer' }, { type: 'number' }] }],
  ['oneOf objects', { oneOf: [{ type: 'object', properties: { kind: { const: 'a' } }, required: ['kind'] }, { type: 'object', properties: { kind: { const: 'b' } }, required: ['kind'] }] }],
  [
    'allOf merge',
    {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { type: 'object', properties: { b: { type: 'integer', minimum: 3 } }, required: ['b'] },
        { properties: { a: { maxLength: 4 } } },
      ],
    },
  ],
  [
    'allOf with additionalProperties false',
    {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, additionalProperties: false },
        { type: 'object', properties: { b: { type: 'string' }, c: { type: 'string' } } },
      ],
    },
  ],
  ['allOf integer/number', { allOf: [{ type: 'number', minimum: 1.5 }, { type: 'integer', maximum: 10 }] }],
  ['not', { type: 'integer', not: { const: 0 } }],
  ['if/then/else', { type: 'object', properties: { t: { enum: ['a', 'b'] } }, required: ['t'], if: { properties: { t: { const: 'a' } } }, then: { required: ['x'] }, else: { required: ['y'] } }],
  ['writeOnly/readOnly present by default', { type: 'object', properties: { p: { type: 'string', writeOnly: true }, r: { type: 'string', readOnly: true } } }],
  ['nullable (3.0)', { type: 'string', nullable: true }, 'draft7'],
  ['tuple items (draft-07)', { type: 'array', items: [{ type: 'string' }, { type: 'boolean' }], additionalItems: false }, 'draft7'],
  ['3.0 examples keyword', { type: 'integer', examples: [0], default: 0 }, 'draft7'],
  ['invalid example skipped', { type: 'integer', minimum: 1, example: 0, default: 5 }],
  ['nullable enum', { type: 'string', nullable: true, enum: ['a', null] }, 'draft7'],
];

describe.each(SYNTHETIC)('synthetic schema: %s', (_name, schema, dialect = '2020') => {
  it('static sample is valid', () => {
    expect(ajvErrors(wrap(schema), sampleSchema(schema, { dynamic: false }), dialect)).toBeNull();
  });
  it('dynamic samples are valid and reproducible', () => {
    for (const seed of SEEDS) {
      const v = sampleSchema(schema, { dynamic: true, random: seededRandom(seed) });
      expect(ajvErrors(wrap(schema), v, dialect)).toBeNull();
      expect(sampleSchema(schema, { dynamic: true, random: seededRandom(seed) })).toEqual(v);
    }
  });
});

function wrap(schema: unknown): object {
  return typeof schema === 'boolean' ? { allOf: [schema] } : (schema as object);
}

describe('static values', () => {
  const s = (schema: unknown) => sampleSchema(schema, { dynamic: false });

  it('precedence: const, example, examples[0], default, enum[0]', () => {
    expect(s({ type: 'string', const: 'c', example: 'e', examples: ['x'], default: 'd', enum: ['c', 'n'] })).toBe('c');
    expect(s({ type: 'string', example: 'e', examples: ['x'], default: 'd', enum: ['e', 'x', 'd', 'n'] })).toBe('e');
    expect(s({ type: 'string', examples: ['x', 'y'], default: 'd' })).toBe('x');
    expect(s({ type: 'string', default: 'd', enum: ['n', 'd'] })).toBe('d');
    expect(s({ type: 'string', enum: ['n', 'd'] })).toBe('n');
    expect(s({ type: 'integer', minimum: 1, example: 0, default: 5 })).toBe(5); // invalid example skipped
  });

  it('by type', () => {
    expect(s({ type: 'string' })).toBe('string');
    expect(s({ type: 'integer' })).toBe(0);
    expect(s({ type: 'number' })).toBe(0);
    expect(s({ type: 'boolean' })).toBe(true);
    expect(s({ type: 'array', items: { type: 'integer' } })).toEqual([0]);
    expect(s({ type: 'array', items: { type: 'integer' }, minItems: 3 })).toEqual([0, 0, 0]);
    expect(s({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'boolean' } } })).toEqual({ a: 'string', b: true });
    expect(s({ type: ['null', 'integer'] })).toBe(0);
    expect(s({ type: 'string', nullable: true })).toBe('string');
    expect(s({ anyOf: [{ type: 'null' }, { type: 'integer', minimum: 4 }] })).toBe(4);
    expect(s({ type: 'string', minLength: 8 })).toBe('stringst');
    expect(s({ type: 'string', maxLength: 3 })).toBe('str');
    expect(s({ type: 'integer', minimum: 5 })).toBe(5);
    expect(s({ type: 'integer', maximum: -3 })).toBe(-3);
    expect(s({ type: 'integer', exclusiveMinimum: 5 })).toBe(6);
  });

  it('formats', () => {
    expect(s({ type: 'string', format: 'uuid' })).toMatch(UUID4);
    expect(s({ type: 'string', format: 'uuid4' })).toMatch(UUID4);
    expect(s({ type: 'string', format: 'date' })).toBe('2024-03-27');
    expect(s({ type: 'string', format: 'date-time' })).toMatch(RFC3339);
    expect(s({ type: 'string', format: 'email' })).toBe('user@example.com');
    expect(s({ type: 'string', format: 'uri' })).toBe('https://example.com/');
  });

  it('dynamic formats', () => {
    for (const seed of SEEDS) {
      const r = seededRandom(seed);
      expect(sampleSchema({ type: 'string', format: 'uuid' }, { dynamic: true, random: r })).toMatch(UUID4);
      expect(sampleSchema({ type: 'string', format: 'date-time' }, { dynamic: true, random: r })).toMatch(RFC3339);
      expect(sampleSchema({ type: 'string', format: 'date' }, { dynamic: true, random: r })).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('dynamic mode ignores examples and defaults', () => {
    const schema = { type: 'string', example: 'EXAMPLE', default: 'DEFAULT', examples: ['EXAMPLES'] };
    const seen = SEEDS.map((seed) => sampleSchema(schema, { dynamic: true, random: seededRandom(seed) }));
    expect(seen.some((v) => ['EXAMPLE', 'DEFAULT', 'EXAMPLES'].includes(v as string))).toBe(false);
    // const is still honoured
    expect(sampleSchema({ const: 7 }, { dynamic: true, random: seededRandom(1) })).toBe(7);
  });

  it('writeOnly / readOnly omission options', () => {
    const schema = {
      type: 'object',
      properties: { w: { type: 'string', writeOnly: true }, r: { type: 'string', readOnly: true }, wr: { type: 'string', writeOnly: true } },
      required: ['wr'],
    };
    expect(sampleSchema(schema, { dynamic: false, omitWriteOnly: true })).toEqual({ r: 'string', wr: 'string' });
    expect(sampleSchema(schema, { dynamic: false, omitReadOnly: true })).toEqual({ w: 'string', wr: 'string' });
  });

  it('3.0 boolean exclusiveMinimum/exclusiveMaximum (draft-04 style, checked with our validator)', () => {
    const schema = { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 3, exclusiveMaximum: true };
    expect(s(schema)).toBe(1);
    for (const seed of SEEDS) {
      const v = sampleSchema(schema, { dynamic: true, random: seededRandom(seed) });
      expect([1, 2]).toContain(v);
      expect(conforms(schema, v)).toBe(true);
    }
    expect(conforms(schema, 0)).toBe(false);
    expect(conforms(schema, 3)).toBe(false);
  });

  it('returns copies, never the document objects', () => {
    const example = { a: 1 };
    const schema = { type: 'object', example };
    const v = sampleSchema(schema, { dynamic: false }) as any;
    expect(v).toEqual(example);
    v.a = 2;
    expect(example.a).toBe(1);
  });
});

// ---------------------------------------------------------------- cycles

function derefSchema(raw: any): any {
  return dereferenceDocument({ root: raw }).root;
}

describe('recursive schemas', () => {
  it('optional self-reference: stops recursing', () => {
    const raw = {
      $defs: { Node: { type: 'object', properties: { name: { type: 'string' }, next: { $ref: '#/$defs/Node' } }, required: ['name'] } },
      $ref: '#/$defs/Node',
    };
    const schema = dereferenceDocument(raw);
    const node = (schema as any).$defs.Node;
    expect(node.properties.next).toBe(node);
    expect(sampleSchema(node, { dynamic: false })).toEqual({ name: 'string' });
    for (const seed of SEEDS) expect(ajvErrors(raw, sampleSchema(node, { dynamic: true, random: seededRandom(seed) }))).toBeNull();
  });

  it('required recursive property with a nullable escape produces a finite valid value', () => {
    const raw = {
      $defs: {
        Node: {
          type: 'object',
          properties: { v: { type: 'integer' }, next: { anyOf: [{ $ref: '#/$defs/Node' }, { type: 'null' }] } },
          required: ['v', 'next'],
        },
      },
      $ref: '#/$defs/Node',
    };
    const node = (dereferenceDocument(raw) as any).$defs.Node;
    const v = sampleSchema(node, { dynamic: false });
    expect(v).toEqual({ v: 0, next: null });
    expect(ajvErrors(raw, v)).toBeNull();
    for (const seed of SEEDS) expect(ajvErrors(raw, sampleSchema(node, { dynamic: true, random: seededRandom(seed) }))).toBeNull();
  });

  it('required recursive array: empty array ends the recursion', () => {
    const raw = {
      $defs: { Tree: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Tree' } } }, required: ['label', 'children'] } },
      $ref: '#/$defs/Tree',
    };
    const tree = (dereferenceDocument(raw) as any).$defs.Tree;
    expect(sampleSchema(tree, { dynamic: false })).toEqual({ label: 'string', children: [] });
    for (const seed of SEEDS) expect(ajvErrors(raw, sampleSchema(tree, { dynamic: true, random: seededRandom(seed) }))).toBeNull();
  });

  it('mutual recursion through allOf and additionalProperties (session-like)', () => {
    const raw = {
      $defs: {
        Resp: {
          type: 'object',
          properties: {
            data: { type: 'string' },
            errors: { type: 'object', additionalProperties: { $ref: '#/$defs/Resp', required: ['data'] }, required: ['k1'] },
          },
          required: ['data'],
        },
      },
      $ref: '#/$defs/Resp',
    };
    const resp = (dereferenceDocument(raw) as any).$defs.Resp;
    const v = sampleSchema(resp, { dynamic: false });
    expect(v).toEqual({ data: 'string' });
    // Sampling the map itself needs one nested Resp: generated with its own recursion cut.
    const errors = resp.properties.errors;
    const e = sampleSchema(errors, { dynamic: false });
    expect(e).toEqual({ k1: { data: 'string' } });
  });

  it('a required cycle without any finite instance throws a clear SampleError', () => {
    const raw = { $defs: { A: { type: 'object', properties: { a: { $ref: '#/$defs/A' } }, required: ['a'] } } };
    const a = (dereferenceDocument(raw) as any).$defs.A;
    expect(() => sampleSchema(a, { dynamic: false })).toThrow(SampleError);
    try {
      sampleSchema(a, { dynamic: true, random: seededRandom(1) });
      throw new Error('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(SampleError);
      expect((e as SampleError).recursive).toBe(true);
      expect((e as SampleError).message).toMatch(/recursive/);
    }
  });

  it('unsatisfiable schemas throw SampleError', () => {
    expect(() => sampleSchema({ type: 'string', minLength: 5, maxLength: 2 }, { dynamic: false })).toThrow(SampleError);
    expect(() => sampleSchema({ type: 'integer', enum: ['a'] }, { dynamic: false })).toThrow(SampleError);
    expect(() => sampleSchema(false, { dynamic: false })).toThrow(SampleError);
    expect(() => sampleSchema({ allOf: [{ type: 'string' }, { type: 'integer' }] }, { dynamic: false })).toThrow(SampleError);
    expect(() => sampleSchema({ $ref: '#/nowhere' }, { dynamic: false })).toThrow(/unresolved \$ref/);
  });

  it('the derefSchema helper resolves nested refs', () => {
    const s = derefSchema({ type: 'object', properties: { x: { $ref: '#/root/$defs/X' } }, $defs: { X: { type: 'integer', minimum: 3 } } });
    expect(sampleSchema(s, { dynamic: false })).toEqual({ x: 3 });
  });
});
