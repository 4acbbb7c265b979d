import Ajv from 'ajv';
import { AjvPool } from '../../src/spec/registry';
import { addDocumentFormats } from '../../src/spec/formats';

/** The options compileApi gives Ajv (openapi-backend adds strict: false first, and coerceTypes for parameters). */
const OPTIONS = { allErrors: true, strict: false, code: { optimize: false } };
const INVALID_SCHEMA = { type: 'object', properties: { n: { type: 'integr' } } };

describe('the Ajv instances of a start-up', () => {
  it('check schemas with one compiled meta-schema per format semantics, whatever the order of their options', () => {
    const pool = new AjvPool();
    const body = pool.get('body', 'json-schema', () => addDocumentFormats(new Ajv({ ...OPTIONS }), 'json-schema'));
    const check = jest.spyOn(body, 'validateSchema');
    const parameters = pool.get('parameters', 'json-schema', () => addDocumentFormats(new Ajv({ ...OPTIONS, coerceTypes: true }), 'json-schema'));
    const responses = pool.get('responses', 'json-schema', () => addDocumentFormats(new Ajv(OPTIONS), 'json-schema'));
    parameters.compile({ type: 'integer' });
    responses.compile({ type: 'string' });
    expect(check).toHaveBeenCalledTimes(2);

    const pydantic = pool.get('pydantic', 'pydantic', () => addDocumentFormats(new Ajv(OPTIONS), 'pydantic'));
    pydantic.compile({ type: 'string' });
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('refuse an invalid schema exactly as an instance of their own would', () => {
    const pool = new AjvPool();
    pool.get('first', 'json-schema', () => addDocumentFormats(new Ajv(OPTIONS), 'json-schema'));
    const second = pool.get('second', 'json-schema', () => addDocumentFormats(new Ajv({ ...OPTIONS, coerceTypes: true }), 'json-schema'));
    const own = addDocumentFormats(new Ajv({ ...OPTIONS, coerceTypes: true }), 'json-schema');
    let expected = '';
    try {
      own.compile(INVALID_SCHEMA);
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(expected).toMatch(/^schema is invalid: /);
    expect(() => second.compile(INVALID_SCHEMA)).toThrow(expected);
    expect(second.validateSchema(INVALID_SCHEMA)).toBe(false);
    expect(second.errors).toEqual(own.errors);
  });
});
