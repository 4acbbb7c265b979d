import { pythonFloatRepr, pythonInputAt, readPythonTree, RawJson, stringifyWithRaw } from '../../src/dialects/pydantic/python-values';

describe("Python's repr(float)", () => {
  // Each right-hand side was printed by CPython 3.11's repr() for the same double.
  it.each([
    [1.0, '1.0'], [0.1, '0.1'], [1e16, '1e+16'], [1e15, '1000000000000000.0'], [123456789012345678, '1.2345678901234568e+17'],
    [0.0001, '0.0001'], [0.00001, '1e-05'], [1.5e-7, '1.5e-07'], [-2.5, '-2.5'], [1e22, '1e+22'], [123.456, '123.456'],
    [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'], [100, '100.0'], [-0, '-0.0'],
  ])('%p → %s', (value, repr) => {
    expect(pythonFloatRepr(value)).toBe(repr);
  });
});

describe('Python rendering of echoed inputs', () => {
  it('leaves parts JavaScript writes identically alone', () => {
    const tree = readPythonTree('{"a": "x", "b": [1, true, null]}')!;
    expect(pythonInputAt(tree, [])).toBeUndefined();
    expect(pythonInputAt(tree, ['b'])).toBeUndefined();
  });
  it('renders floats, big integers and integer-like keys as Python', () => {
    const tree = readPythonTree('{"z": 1, "10": 2.50, "n": 99999999999999999999}')!;
    expect(pythonInputAt(tree, [])).toEqual(new RawJson('{"z":1,"10":2.5,"n":99999999999999999999}'));
    expect(pythonInputAt(tree, ['10'])).toEqual(new RawJson('2.5'));
  });
  it('writes raw pieces in place and nothing else differs from JSON.stringify', () => {
    expect(stringifyWithRaw({ a: new RawJson('1.0'), b: ['x', new RawJson('{"2":1,"1":2}')] })).toBe('{"a":1.0,"b":["x",{"2":1,"1":2}]}');
    expect(stringifyWithRaw({ a: 'plain', n: 1 })).toBe(JSON.stringify({ a: 'plain', n: 1 }));
  });
});

describe('reading a body as Python holds it', () => {
  it('keeps escapes, non-finite floats, big integers and the first position of a repeated key', () => {
    const tree = readPythonTree(' {"b": "a\\"b\\u00e9", "10": [NaN, Infinity, -Infinity, -0, 1e2], "b": 12345678901234567890} ')!;
    expect(pythonInputAt(tree, [])).toEqual(new RawJson('{"b":12345678901234567890,"10":[null,null,null,0,100.0]}'));
    expect(pythonInputAt(tree, ['10', 4])).toEqual(new RawJson('100.0'));
  });
  it('returns undefined for text it cannot read, however it ends', () => {
    for (const text of ['"abc', '{"a": tru', '[1, 2', '-', 'nul', '{"a": "b']) {
      expect({ text, tree: readPythonTree(text) }).toEqual({ text, tree: undefined });
    }
  });
  it('a RawJson outside stringifyWithRaw serialises as the object it is', () => {
    expect(JSON.stringify({ input: new RawJson('1.0') })).toBe('{"input":{"json":"1.0"}}');
  });
});
