import pino from 'pino';
import { DEFAULT_EDGE_LIMITS } from '../../src/app/edge';
import { listen, type RunningServer } from '../../src/app/listen';
import { EDGE_FAILURES, type EdgeFailure } from '../../src/dialects/dialect';
import { DRIVERS } from '../support/drivers';
import { useRealHarness } from '../support/harness';
import { startMock } from '../support/mock-harness';
import { exchange, expectRawConforms, rawRequest, type RawResponse } from '../support/raw-http';

/**
 * What node:http decides before any handler runs: every refusal answered in the api's dialect
 * (plain JSON where the path cannot be read), declared in the served document, and no
 * connection left hanging or reset. Requests are written on raw sockets, as no client
 * library would send them.
 */
const h = useRealHarness();
const silent = pino({ level: 'silent' });
let running: RunningServer;
let port: number;
beforeAll(async () => {
  running = await listen(h.built, { port: 0, host: '127.0.0.1', logger: silent });
  port = Number(new URL(running.url).port);
});
afterAll(async () => {
  running.server.closeAllConnections();
  await running.close();
});

const DIALECT_OF = { watchr: 'fastapi', galileo: 'fastapi', almanac: 'fastapi', pathstack: 'pathstack', session: 'envelope' } as const;
const ENVELOPE_CODES: Record<EdgeFailure, number> = {
  malformed_request: 40001,
  upgrade_refused: 40002,
  connect_refused: 40003,
  request_timeout: 40800,
  headers_too_large: 43100,
};

function expectAnswer(res: RawResponse | undefined, failure: EdgeFailure, dialect: 'fastapi' | 'pathstack' | 'envelope' = 'fastapi'): void {
  const { status, message } = EDGE_FAILURES[failure];
  expect(res?.status).toBe(status);
  expect(res?.headers.connection).toBe('close');
  const body = JSON.parse(res?.body ?? 'null');
  if (dialect === 'fastapi') expect(body).toEqual({ detail: message });
  if (dialect === 'pathstack') expect(body).toEqual({ error: { code: status, message } });
  if (dialect === 'envelope') {
    expect(body).toEqual({ data: null, code: ENVELOPE_CODES[failure], msg: message, error: null, correlation_id: expect.any(String) });
    expect(res?.headers['x-correlation-id']).toBe(body.correlation_id);
  }
}

const post = (path: string, extra: string[] = [], body = '{}') =>
  rawRequest([`POST ${path} HTTP/1.1`, 'Host: t', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...extra], body);
const healthz = rawRequest(['GET /healthz HTTP/1.1', 'Host: t']);

describe.each(DRIVERS)('$api, in its dialect', ({ api, path }) => {
  const dialect = DIALECT_OF[api];

  it('a header block over 16 KiB gets a 431, declared in the document, and the connection closes', async () => {
    const res = await exchange(port, [post(path, [`X-Padding: ${'a'.repeat(17 * 1024)}`]), healthz]);
    expect(res.ended).toBe('closed');
    expect(res.responses).toHaveLength(1);
    expectAnswer(res.responses[0], 'headers_too_large', dialect);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('a header line node cannot parse gets a 400', async () => {
    const res = await exchange(port, [rawRequest([`POST ${path} HTTP/1.1`, 'Host: t', 'Bad Header Line', 'Content-Length: 0'])]);
    expect(res.ended).toBe('closed');
    expectAnswer(res.responses[0], 'malformed_request', dialect);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('a malformed request line whose path can be read gets a 400', async () => {
    const res = await exchange(port, [rawRequest([`POST ${path} HTTP/1.1 trailing`, 'Host: t', 'Content-Length: 0'])]);
    expect(res.ended).toBe('closed');
    expectAnswer(res.responses[0], 'malformed_request', dialect);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('an HTTP/1.1 request without Host gets a 400', async () => {
    const res = await exchange(port, [rawRequest([`POST ${path} HTTP/1.1`, 'Content-Type: application/json', 'Content-Length: 2'], '{}')]);
    expect(res.ended).toBe('closed');
    expectAnswer(res.responses[0], 'malformed_request', dialect);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('an Upgrade request gets a 400 and the connection closes: the request behind it is not left hanging', async () => {
    const res = await exchange(port, [rawRequest([`POST ${path} HTTP/1.1`, 'Host: t', 'Connection: upgrade', 'Upgrade: websocket', 'Content-Length: 2'], '{}'), post(path)]);
    expect(res.ended).toBe('closed');
    expect(res.responses).toHaveLength(1);
    expectAnswer(res.responses[0], 'upgrade_refused', dialect);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('CONNECT naming the path gets a 400 with a status line', async () => {
    const res = await exchange(port, [rawRequest([`CONNECT ${path} HTTP/1.1`, 'Host: t'])]);
    expect(res.ended).toBe('closed');
    expectAnswer(res.responses[0], 'connect_refused', dialect);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('an Expect other than 100-continue is ignored, as uvicorn does, not answered with a bare 417', async () => {
    const res = await exchange(port, [rawRequest([`PUT ${path} HTTP/1.1`, 'Host: t', 'Expect: something-else', 'Content-Length: 0'])], { expectResponses: 1 });
    expect(res.ended).toBe('open');
    expect(res.responses[0].status).toBe(405);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });
});

describe('where the path cannot be read or is not an api path: plain JSON', () => {
  it('bytes that are not HTTP (a TLS handshake on the plain port)', async () => {
    const res = await exchange(port, [Buffer.from('160301020001000100fc0303', 'hex')]);
    expect(res.ended).toBe('closed');
    expectAnswer(res.responses[0], 'malformed_request');
  });

  it('a header block just under 16 KiB is served, on a kept-alive connection', async () => {
    const res = await exchange(port, [rawRequest(['GET /healthz HTTP/1.1', 'Host: t', `X-Padding: ${'a'.repeat(16 * 1024 - 100)}`]), healthz], { expectResponses: 2 });
    expect(res.ended).toBe('open');
    expect(res.responses.map((r) => r.status)).toEqual([200, 200]);
  });

  it('a 431 on a path outside the apis', async () => {
    const res = await exchange(port, [rawRequest(['GET /healthz HTTP/1.1', 'Host: t', `X-Padding: ${'a'.repeat(17 * 1024)}`])]);
    expect(res.ended).toBe('closed');
    expectAnswer(res.responses[0], 'headers_too_large');
  });

  it('CONNECT to an authority, on a kept-alive connection', async () => {
    const res = await exchange(port, [healthz, rawRequest(['CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'])]);
    expect(res.ended).toBe('closed');
    expect(res.responses.map((r) => r.status)).toEqual([200, 400]);
    expectAnswer(res.responses[1], 'connect_refused');
  });

  it('a WebSocket upgrade of /healthz', async () => {
    const res = await exchange(port, [rawRequest(['GET /healthz HTTP/1.1', 'Host: t', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']), healthz]);
    expect(res.ended).toBe('closed');
    expect(res.responses).toHaveLength(1);
    expectAnswer(res.responses[0], 'upgrade_refused');
  });
});

describe('a body refused early for its size', () => {
  const big = (bytes: number) => Buffer.alloc(bytes, 0x61);

  it.each(DRIVERS.filter(({ api }) => api !== 'watchr' && api !== 'galileo'))('$api: the 413 closes the connection, and the request behind it is not served', async ({ path }) => {
    const body = big(70_000);
    const res = await exchange(port, [
      rawRequest([`POST ${path} HTTP/1.1`, 'Host: t', 'Content-Type: application/json', `Content-Length: ${body.length}`]),
      body,
      post(path),
    ]);
    expect(res.ended).toBe('closed');
    expect(res.responses.map((r) => [r.status, r.headers.connection])).toEqual([[413, 'close']]);
    expectRawConforms(h.built, 'post', path, res.responses[0]);
  });

  it('a chunked body over the limit, then a request written before the answer came: one 413, then a clean close', async () => {
    const chunk = 'a'.repeat(40_000);
    const chunked = `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(3) + '0\r\n\r\n';
    const res = await exchange(port, [rawRequest(['POST /session/token/refresh HTTP/1.1', 'Host: t', 'Content-Type: application/json', 'Transfer-Encoding: chunked'], chunked), post('/session/token/refresh')]);
    expect(res.ended).toBe('closed');
    expect(res.responses.map((r) => r.status)).toEqual([413]);
  });

  it('10 MB with Connection: close gets the 413, not a reset (lingering close)', async () => {
    const body = big(10 * 1024 * 1024);
    const res = await exchange(port, [rawRequest(['POST /refresh HTTP/1.1', 'Host: t', 'Connection: close', 'Content-Type: application/json', `Content-Length: ${body.length}`]), body], { hangAfterMs: 20_000 });
    expect(res.ended).toBe('closed');
    expect(res.responses).toHaveLength(1);
    expect(res.responses[0].status).toBe(413);
    expectRawConforms(h.built, 'post', '/refresh', res.responses[0]);
  });
});

describe('timeouts, set on purpose', () => {
  it('the server carries the documented limits', () => {
    const { server } = running;
    expect({
      headersTimeout: server.headersTimeout,
      requestTimeout: server.requestTimeout,
      keepAliveTimeout: server.keepAliveTimeout,
    }).toEqual({
      headersTimeout: DEFAULT_EDGE_LIMITS.headersTimeoutMs,
      requestTimeout: DEFAULT_EDGE_LIMITS.requestTimeoutMs,
      keepAliveTimeout: DEFAULT_EDGE_LIMITS.keepAliveTimeoutMs,
    });
    expect(DEFAULT_EDGE_LIMITS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      timeoutCheckIntervalMs: 1_000,
      maxHeaderBytes: 16_384,
      lingerMs: 10_000,
      lingerIdleMs: 2_000,
    });
  });

  describe('with short limits', () => {
    let short: RunningServer;
    let shortPort: number;
    beforeAll(async () => {
      short = await listen(h.built, { port: 0, host: '127.0.0.1', logger: silent, limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 50 } });
      shortPort = Number(new URL(short.url).port);
    });
    afterAll(async () => {
      short.server.closeAllConnections();
      await short.close();
    });

    it('headers that never finish get a 408 in plain JSON (the path is not known yet)', async () => {
      const res = await exchange(shortPort, ['POST /refresh HTTP/1.1\r\nHost: t\r\n']);
      expect(res.ended).toBe('closed');
      expectAnswer(res.responses[0], 'request_timeout');
    });

    it('a body that never finishes gets a 408 in the dialect of its path', async () => {
      const res = await exchange(shortPort, [rawRequest(['POST /session/token/refresh HTTP/1.1', 'Host: t', 'Content-Type: application/json', 'Content-Length: 100'], '{"refresh_token": "')]);
      expect(res.ended).toBe('closed');
      expectAnswer(res.responses[0], 'request_timeout', 'envelope');
      expectRawConforms(h.built, 'post', '/session/token/refresh', res.responses[0]);
    });
  });
});

describe('the mock has the same edge', () => {
  it('answers an oversized header block in the dialect, and an Upgrade with a 400', async () => {
    const mock = await startMock();
    const server = await listen(mock.built, { port: 0, host: '127.0.0.1', logger: silent });
    try {
      const mockPort = Number(new URL(server.url).port);
      const oversized = await exchange(mockPort, [post('/session/token/refresh', [`X-Padding: ${'a'.repeat(17 * 1024)}`])]);
      expect(oversized.ended).toBe('closed');
      expectAnswer(oversized.responses[0], 'headers_too_large', 'envelope');
      const upgrade = await exchange(mockPort, [rawRequest(['GET /refresh HTTP/1.1', 'Host: t', 'Connection: upgrade', 'Upgrade: websocket'])]);
      expectAnswer(upgrade.responses[0], 'upgrade_refused', 'pathstack');
      expect(mock.violations).toEqual([]);
    } finally {
      server.server.closeAllConnections();
      await server.close();
    }
  });
});
