import { DereferenceError, dereferenceDocument, resolvePointer } from '../../src/schema/deref';
import { sampleSchema, SampleError } from '../../src/schema/sample';
import { conforms } from '../../src/schema/conforms';
import { loadRaw } from './helpers';

describe('dereferenceDocument', () => {
  it('keeps cycles as object cycles and shares targets', () => {
    const raw = loadRaw('session');
    const before = JSON.stringify(raw.paths);
    const doc = dereferenceDocument(raw);
    const response = doc.components.schemas.Response;
    const token = doc.components.schemas.Token;
    expect(doc.paths['/session/token/refresh'].post.responses['200'].content['application/json'].schema.properties.data).toBe(token);
    // $ref with a `required` sibling → allOf wrapper; `x-` siblings are kept as they are.
    const ap = response.properties.aggregated_error.additionalProperties;
    expect(ap.allOf[0]).toBe(response);
    expect(ap.required).toEqual(['data']);
    // x- extensions are not resolved (left literal), and the input is not modified.
    expect(doc.paths['/session/token/refresh'].post.responses['200'].content['application/json'].schema['x-apifox-refs']['01JSRGBH4NXEGYEFMT5X3APNF1'].$ref).toBe('#/components/schemas/Response');
    expect(JSON.stringify(raw.paths)).toBe(before);
    expect(raw.components.schemas.Response.properties.aggregated_error.additionalProperties.$ref).toBe('#/components/schemas/Response');
  });

  it('resolves refs to components (responses, examples, parameters) and leaves literal values alone', () => {
    const raw = {
      paths: {
        '/x': {
          get: {
            parameters: [{ $ref: '#/components/parameters/P' }],
            responses: {
              '200': { $ref: '#/components/responses/Ok' },
            },
          },
        },
      },
      components: {
        parameters: { P: { name: 'p', in: 'query', schema: { type: 'string' } } },
        responses: {
          Ok: {
            description: 'ok',
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Thing' },
                examples: { one: { $ref: '#/components/examples/One' } },
              },
            },
          },
        },
        examples: { One: { value: { $ref: 'not-a-ref: literal example data' } } },
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              $ref: { type: 'string' }, // a property literally named "$ref"
              example: { $ref: '#/components/schemas/Leaf' }, // a property named "example"
              items: { type: 'array', items: { $ref: '#/components/schemas/Leaf' } },
            },
            example: { $ref: 'literal' },
            default: { $ref: 'literal' },
            enum: [{ $ref: 'literal' }],
          },
          Leaf: { type: 'integer', minimum: 2 },
        },
      },
    };
    const doc: any = dereferenceDocument(raw);
    const op = doc.paths['/x'].get;
    expect(op.parameters[0].name).toBe('p');
    const media = op.responses['200'].content['application/json'];
    expect(media.examples.one.value).toEqual({ $ref: 'not-a-ref: literal example data' });
    const thing = media.schema;
    expect(thing).toBe(doc.components.schemas.Thing);
    expect(thing.properties.$ref).toEqual({ type: 'string' });
    expect(thing.properties.example).toBe(doc.components.schemas.Leaf);
    expect(thing.properties.items.items).toBe(doc.components.schemas.Leaf);
    expect(thing.example).toEqual({ $ref: 'literal' });
    expect(thing.default).toEqual({ $ref: 'literal' });
    expect(thing.enum).toEqual([{ $ref: 'literal' }]);
  });

  it('reports broken, external and circular-only refs', () => {
    expect(() => dereferenceDocument({ a: { $ref: '#/nope' } })).toThrow(DereferenceError);
    expect(() => dereferenceDocument({ a: { $ref: 'other.yaml#/x' } })).toThrow(/only local/);
    expect(() => dereferenceDocument({ a: { $ref: '#/b' }, b: { $ref: '#/a' } })).toThrow(/circular/);
    expect(resolvePointer({ 'a/b': { '~c': 1 } }, '#/a~1b/~0c')).toBe(1);
    expect(resolvePointer({ 'a b': 2 }, '#/a%20b')).toBe(2);
  });
});

describe('pathological compositions do not hang', () => {
  it('anyOf cycle with an escape', () => {
    const doc: any = dereferenceDocument({ A: { anyOf: [{ $ref: '#/A' }, { type: 'string' }] } });
    expect(sampleSchema(doc.A, { dynamic: false })).toBe('string');
  });
  it('allOf self-reference terminates (with a SampleError: no finite derivation)', () => {
    const doc: any = dereferenceDocument({ A: { type: 'integer', allOf: [{ $ref: '#/A' }], minimum: 3 } });
    expect(() => sampleSchema(doc.A, { dynamic: false })).toThrow(SampleError);
  });
  it('validator terminates on composition cycles', () => {
    const doc: any = dereferenceDocument({ A: { anyOf: [{ $ref: '#/A' }] } });
    expect(conforms(doc.A, 1)).toBe(false);
  });
});
