import fc from 'fast-check';
import pino from 'pino';
import { listen, type RunningServer } from '../../src/app/listen';
import { useRealHarness } from '../support/harness';
import { exchange, expectRawConforms, rawRequest } from '../support/raw-http';

/**
 * Sequences of requests on one kept-alive connection, mixing ordinary ones with those node:http
 * refuses before any handler runs (Upgrade, CONNECT, header blocks over the limit, malformed
 * lines, a missing Host) and bodies refused early for their size (sent whole, chunked, or
 * declared and never sent), cut into arbitrary write boundaries. The server never answers 5xx,
 * never resets the connection and never leaves it hanging: every request is answered in order
 * until one of them closes the connection, and each answer on an api path is declared by its
 * document.
 */
const h = useRealHarness();
let running: RunningServer;
let port: number;
beforeAll(async () => {
  running = await listen(h.built, { port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  port = Number(new URL(running.url).port);
});
afterAll(async () => {
  running.server.closeAllConnections();
  await running.close();
});

const API_PATHS = ['/auth/refresh', '/v1/refresh_token', '/refresh', '/v1/auth/token/refresh', '/session/token/refresh'];
const OVER_THE_BODY_LIMIT = 64 * 1024 + 1;

interface Piece {
  path: string;
  bytes: string;
}

/** A counterexample shows each request's first line and size, not its padding. */
const described = (piece: Piece): Piece =>
  Object.assign(piece, { [fc.toStringMethod]: () => `${JSON.stringify(piece.bytes.slice(0, piece.bytes.indexOf('\r\n')))} (${piece.bytes.length} bytes)` });

const path = fc.constantFrom(...API_PATHS, '/healthz', '/not-served');
const head = (requestLine: string, extra: string[] = []) => rawRequest([requestLine, 'Host: t', ...extra]);
const post = (p: string, body: string, extra: string[] = []) =>
  rawRequest([`POST ${p} HTTP/1.1`, 'Host: t', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...extra], body);

const piece: fc.Arbitrary<Piece> = fc.oneof(
  fc.tuple(path, fc.constantFrom('{}', '{"refresh_token": "x"}', '{"sub": 1}', '[', '')).map(([p, body]) => ({ path: p, bytes: post(p, body) })),
  path.map((p) => ({ path: p, bytes: head(`GET ${p} HTTP/1.1`) })),
  fc.tuple(path, fc.constantFrom('websocket', 'h2c')).map(([p, protocol]) => ({ path: p, bytes: post(p, '{}', ['Connection: Upgrade', `Upgrade: ${protocol}`]) })),
  fc.tuple(path, fc.boolean()).map(([p, authority]) => {
    const target = authority ? 'example.com:443' : p;
    return { path: target, bytes: head(`CONNECT ${target} HTTP/1.1`) };
  }),
  fc.tuple(path, fc.integer({ min: 16 * 1024, max: 24 * 1024 })).map(([p, size]) => ({ path: p, bytes: head(`GET ${p} HTTP/1.1`, [`X-Padding: ${'a'.repeat(size)}`]) })),
  fc.tuple(path, fc.constantFrom('whole', 'declared only')).map(([p, how]) => ({
    path: p,
    bytes: rawRequest([`POST ${p} HTTP/1.1`, 'Host: t', 'Content-Type: application/json', `Content-Length: ${OVER_THE_BODY_LIMIT}`], how === 'whole' ? 'a'.repeat(OVER_THE_BODY_LIMIT) : ''),
  })),
  path.map((p) => ({ path: p, bytes: rawRequest([`POST ${p} HTTP/1.1`, 'Host: t', 'Transfer-Encoding: chunked'], `${(40_000).toString(16)}\r\n${'a'.repeat(40_000)}\r\n`.repeat(2) + '0\r\n\r\n') })),
  path.map((p) => ({ path: p, bytes: rawRequest([`POST ${p} HTTP/1.1`, 'Content-Length: 0']) })),
  fc.tuple(path, fc.constantFrom(`POST {} HTTP/1.1 x`, 'P@ST {} HTTP/1.1', 'POST {} HTTP/9')).map(([p, line]) => ({ path: p, bytes: head(line.replace('{}', p)) })),
  path.map((p) => ({ path: p, bytes: post(p, '{}', ['Expect: 100-continue']) })),
).map(described);

/** Splits `text` at the given fractions of its length (write boundaries the server cannot rely on). */
function cut(text: string, fractions: number[]): string[] {
  const offsets = [...new Set(fractions.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const offset of [...offsets, text.length]) {
    if (offset > start) chunks.push(text.slice(start, offset));
    start = Math.max(start, offset);
  }
  return chunks;
}

it('no 5xx, no reset, no hang, whatever is sent on a kept-alive connection', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), async (pieces, fractions) => {
      const res = await exchange(port, cut(pieces.map((p) => p.bytes).join(''), fractions), { expectResponses: pieces.length, hangAfterMs: 4_000 });
      // Every request answered with the connection kept, or the server closed it cleanly after an answer.
      expect(res.ended === 'open' || res.ended === 'closed').toBe(true);
      expect(res.responses.length).toBeGreaterThanOrEqual(1);
      // Fewer answers than requests only when the last answer said it closes the connection (never a silent drop).
      if (res.responses.length < pieces.length) expect(res.responses[res.responses.length - 1].headers.connection).toBe('close');
      res.responses.forEach((response, index) => {
        expect(response.status).toBeLessThan(500);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        const { path: p } = pieces[index];
        if (API_PATHS.includes(p)) expectRawConforms(h.built, 'post', p, response);
      });
    }),
    { numRuns: 60, seed: 20261202 },
  );
});
