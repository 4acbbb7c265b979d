import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { startReal, type RealHarness } from '../support/harness';

/** Requests no HTTP client library would send: duplicate headers, chunked bodies, broken framing. */
let h: RealHarness;
let server: Server;
let port: number;
beforeAll(async () => {
  h = await startReal();
  server = createServer(h.built.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  expect(h.violations).toEqual([]);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

function send(raw: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(raw));
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), head, body: rest.join('\r\n\r\n') });
    });
  });
}

const request = (lines: string[], body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`;

it('uses the first of duplicate x-api-version headers, as Starlette does', async () => {
  const body = '{"sub": "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", "refresh_token": "x"}';
  const res = await send(request(['POST /refresh HTTP/1.1', 'Host: t', 'Connection: close', 'Content-Type: application/json', 'x-api-version: 2024-03-27', 'x-api-version: garbage', `Content-Length: ${body.length}`], body));
  expect(res.status).toBe(401);
  expect(res.body).toBe('{"error":{"code":401,"message":"Invalid Refresh Token"}}');
});

it('reads a chunked body', async () => {
  const body = '{"refresh_token": 1}';
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const res = await send(request(['POST /session/token/refresh HTTP/1.1', 'Host: t', 'Connection: close', 'Content-Type: application/json', 'Transfer-Encoding: chunked'], chunked));
  expect(res.status).toBe(422);
  expect(JSON.parse(res.body).msg).toBe('refresh_token: Input should be a valid string');
});

it('answers a chunked body over the limit with the dialect 413, without reading it all', async () => {
  const chunk = 'a'.repeat(60_000);
  const chunked = `${(60_000).toString(16)}\r\n${chunk}\r\n${(60_000).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
  const res = await send(request(['POST /refresh HTTP/1.1', 'Host: t', 'Connection: close', 'Content-Type: application/json', 'Transfer-Encoding: chunked'], chunked));
  expect(res.status).toBe(413);
  expect(res.body).toBe('{"error":{"code":413,"message":"Request Entity Too Large"}}');
});

it('answers conflicting Content-Length headers below 500', async () => {
  const res = await send(request(['POST /auth/refresh HTTP/1.1', 'Host: t', 'Connection: close', 'Content-Length: 2', 'Content-Length: 3'], '{}'));
  expect(res.status).toBe(400);
});

it('answers a body shorter than its Content-Length below 500 once the client gives up', async () => {
  const res = await send(request(['POST /session/token/refresh HTTP/1.1', 'Host: t', 'Content-Type: application/json', 'Content-Length: 50'], '{"refresh_token":'));
  expect(Number.isNaN(res.status) || res.status < 500).toBe(true);
});
