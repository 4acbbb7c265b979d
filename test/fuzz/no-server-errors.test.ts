import fc from 'fast-check';
import { expectConforms, useRealHarness } from '../support/harness';

/**
 * Malformed input of any kind (broken JSON, odd encodings, wrong content types, duplicate
 * and strange headers and cookies) never gets a 5xx, and every answer is declared by the
 * served document.
 */
const h = useRealHarness({ maxBodyBytes: 4096 });

const PATHS = ['/auth/refresh', '/v1/refresh_token', '/refresh', '/v1/auth/token/refresh', '/session/token/refresh'];

const jsonish = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.record({ refresh_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), sub: fc.oneof(fc.uuid(), fc.string()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{', '[', '{"refresh_token": NaN}', '{"a":1,}', '\ufeff{}', '"\\ud800"', '{"refresh_token":"\\u0000"}', '1e400', '-', ' '),
);
const bodyBytes = fc.oneof(
  jsonish.map((s) => Buffer.from(s, 'utf8')),
  jsonish.map((s) => Buffer.from(s, 'utf16le')),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.constant(Buffer.alloc(5000, 0x61)),
);
const contentType = fc.option(
  fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.api+json', 'multipart/form-data; boundary=x', 'application/', ';;;', 'APPLICATION/JSON'),
  { nil: undefined },
);
const headerValue = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));

it('answers every malformed request below 500, as the document declares', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...PATHS),
      bodyBytes,
      contentType,
      fc.array(headerValue, { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom('x-api-version', 'authorization', 'cookie'), headerValue), { maxLength: 4 }),
      async (path, body, type, cookies, headers) => {
        let req = h.http.post(path).serialize((b: unknown) => b as string);
        if (type) req = req.set('Content-Type', type);
        if (cookies.length > 0) req = req.set('Cookie', cookies.map((c) => `refresh_token=${c}`).join('; '));
        for (const [name, value] of headers) req = req.set(name, value);
        const res = await req.send(body);
        expect(res.status).toBeLessThan(500);
        expectConforms(h.built, 'post', path, res);
      },
    ),
    { numRuns: 300, seed: 20261122 },
  );
});
