import { constantBody, constantPayload, passes } from '../../src/handler-kit/constant-body';

/** A validator that counts its calls: accepts objects whose `ok` is true. */
function counting(): { validate: (value: unknown) => boolean; calls: () => number } {
  let calls = 0;
  return {
    validate: (value) => {
      calls += 1;
      return (value as { ok?: unknown }).ok === true;
    },
    calls: () => calls,
  };
}

describe('constant reply bodies', () => {
  it('are frozen through and through: a handler that tries to change one throws, and its text stays', () => {
    const body = constantBody({ ok: true, data: { list: [{ n: 1 }] } });
    expect(() => {
      (body.data.list[0] as { n: number }).n = 2;
    }).toThrow(TypeError);
    expect(() => body.data.list.push({ n: 3 })).toThrow(TypeError);
    expect(constantPayload(body)).toBe('{"ok":true,"data":{"list":[{"n":1}]}}');
  });

  it('have no ready text unless made constant', () => {
    expect(constantPayload({ ok: true })).toBeUndefined();
    expect(constantPayload('text')).toBeUndefined();
    expect(constantPayload(undefined)).toBeUndefined();
  });

  it('are checked once per validator when they pass; any other body is checked every time', () => {
    const first = counting();
    const second = counting();
    const body = constantBody({ ok: true });
    for (let i = 0; i < 3; i++) expect(passes(first.validate, body)).toBe(true);
    expect(first.calls()).toBe(1);
    // Another schema is another question.
    expect(passes(second.validate, body)).toBe(true);
    expect(second.calls()).toBe(1);
    const fresh = { ok: true };
    for (let i = 0; i < 3; i++) expect(passes(first.validate, fresh)).toBe(true);
    expect(first.calls()).toBe(4);
  });

  it('are checked again every time they fail, so each failure is reported with its errors', () => {
    const validator = counting();
    const body = constantBody({ ok: false });
    for (let i = 0; i < 3; i++) expect(passes(validator.validate, body)).toBe(false);
    expect(validator.calls()).toBe(3);
  });
});
