import { useRealHarness } from '../support/harness';

/** FastAPI echoes `input` with Python's json: floats, big integers and key order as Python keeps them. */
const h = useRealHarness();

const post = (raw: string) =>
  h.http.post('/v1/auth/token/refresh').set('Authorization', 'Bearer t').set('Content-Type', 'application/json').send(raw);

it('echoes a float as Python writes it (1.0, not 1)', async () => {
  const res = await post('{"refresh_token": 1.0}');
  expect(res.text).toBe('{"detail":[{"type":"string_type","loc":["body","refresh_token"],"msg":"Input should be a valid string","input":1.0}]}');
});

it('echoes big integers with every digit, dict key order, and a repeated key at its first position with its last value', async () => {
  const res = await post('{"b": 1e2, "2": 12345678901234567890123, "b": [0.5, -0.0]}');
  // The expected text is what CPython 3.11 json.dumps(separators=(",", ":")) writes for the same errors.
  expect(res.text).toBe(
    '{"detail":[{"type":"missing","loc":["body","refresh_token"],"msg":"Field required","input":{"b":[0.5,-0.0],"2":12345678901234567890123}},' +
      '{"type":"extra_forbidden","loc":["body","b"],"msg":"Extra inputs are not permitted","input":[0.5,-0.0]},' +
      '{"type":"extra_forbidden","loc":["body","2"],"msg":"Extra inputs are not permitted","input":12345678901234567890123}]}',
  );
});
