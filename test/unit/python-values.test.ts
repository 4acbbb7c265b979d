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
