import { formatPreferenceApplied, parsePrefer, parsePreferQuery, preferFromRequest } from '../../src/mock/prefer';

describe('parsePrefer', () => {
  const ok: [string | string[] | undefined, object][] = [
    [undefined, {}],
    ['', {}],
    ['   ', {}],
    ['code=200', { code: 200 }],
    ['code=422', { code: 422 }],
    [' code = 404 ', { code: 404 }],
    ['CODE=500', { code: 500 }],
    ['example=expired', { example: 'expired' }],
    ['example=Expired-Token_2', { example: 'Expired-Token_2' }],
    ['example="with spaces, and; separators"', { example: 'with spaces, and; separators' }],
    ['example="a \\"quoted\\" name"', { example: 'a "quoted" name' }],
    ['dynamic=true', { dynamic: true }],
    ['dynamic=false', { dynamic: false }],
    ['dynamic=TRUE', { dynamic: true }],
    ['dynamic', { dynamic: true }],
    ['seed=42', { seed: 42 }],
    ['seed=-7', { seed: -7 }],
    ['code=200, example=expired', { code: 200, example: 'expired' }],
    ['code=200; example=expired', { code: 200, example: 'expired' }],
    ['code=200;dynamic=true;seed=9', { code: 200, dynamic: true, seed: 9 }],
    ['dynamic=true , seed = 3 ; code=201', { code: 201, dynamic: true, seed: 3 }],
    [['code=201', 'dynamic=true'], { code: 201, dynamic: true }],
    ['code=200, code=500', { code: 200 }], // RFC 7240: first occurrence wins
    ['code=200, code=abc', { code: 200 }], // later duplicates are not even looked at
    ['return=minimal, code=204', { code: 204 }],
    ['respond-async, wait=10, handling=lenient', {}],
    [',,code=200,,', { code: 200 }],
  ];
  it.each(ok)('%j → %j', (header, expected) => {
    const r = parsePrefer(header);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.prefer).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['code=abc', 'code'],
    ['code=', 'code'],
    ['code', 'code'],
    ['code=20', 'code'],
    ['code=2000', 'code'],
    ['code=700', 'code'],
    ['code=099', 'code'],
    ['code=200.0', 'code'],
    ['dynamic=yes', 'dynamic'],
    ['dynamic=1', 'dynamic'],
    ['example=', 'example'],
    ['example', 'example'],
    ['example=""', 'example'],
    ['seed=abc', 'seed'],
    ['seed=1.5', 'seed'],
    ['seed=', 'seed'],
    ['seed=99999999999999999999', 'seed'],
    ['example=ok, code=abc', 'code'],
  ];
  it.each(bad)('%j is reported as malformed (%s)', (header, preference) => {
    const r = parsePrefer(header);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.preference).toBe(preference);
      expect(r.error.message).toMatch(new RegExp(preference, 'i'));
    }
  });

  it('lists ignored preferences', () => {
    const r = parsePrefer('return=minimal, code=200, respond-async');
    expect(r.ok && r.ignored).toEqual(['return=minimal', 'respond-async']);
  });
});

describe('query-string preferences (Prism __code/__example/__dynamic)', () => {
  it('parses them', () => {
    expect(parsePreferQuery({ __code: '404', __example: 'x', __dynamic: 'true', __seed: '5', other: '1' })).toEqual({
      ok: true,
      prefer: { code: 404, example: 'x', dynamic: true, seed: 5 },
      ignored: [],
    });
    expect(parsePreferQuery({ __code: ['201', '500'] })).toMatchObject({ ok: true, prefer: { code: 201 } });
    expect(parsePreferQuery({ __code: 'nope' }).ok).toBe(false);
    expect(parsePreferQuery(undefined)).toEqual({ ok: true, prefer: {}, ignored: [] });
  });

  it('the header wins over the query, as in Prism', () => {
    expect(preferFromRequest({ headers: { prefer: 'code=201' }, query: { __code: '500' } })).toMatchObject({ prefer: { code: 201 } });
    expect(preferFromRequest({ headers: {}, query: { __code: '500' } })).toMatchObject({ prefer: { code: 500 } });
  });
});

describe('formatPreferenceApplied', () => {
  it('round-trips through parsePrefer', () => {
    for (const p of [{ code: 200 }, { example: 'with space', dynamic: false }, { dynamic: true, seed: 12 }, { code: 422, example: 'a"b' }]) {
      const r = parsePrefer(formatPreferenceApplied(p));
      expect(r.ok && r.prefer).toEqual(p);
    }
  });
});
