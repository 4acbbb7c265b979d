import { createServer, type RequestListener, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { BuiltApp } from '../../src/app/app';
import { validateReply } from '../../src/app/response-validation';

/** One HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /**
   * How the connection ended: the server closed it cleanly, it was reset (ECONNRESET, EPIPE),
   * it is still open after the expected answers, or nothing happened for `hangAfterMs`.
   */
  ended: 'closed' | 'reset' | 'open' | 'hang';
}

/** Every complete final response in `data` (Content-Length framing, as refreshd always sends). */
export function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd === -1) return responses;
    const [statusLine, ...lines] = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (data.length < headEnd + 4 + length) return responses;
    const status = Number(statusLine.split(' ')[1]);
    // An interim answer (100 Continue) precedes the response to the same request.
    if (status >= 200) responses.push({ status, headers, body: data.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8') });
    offset = headEnd + 4 + length;
  }
}

/**
 * Writes `chunks` in order on one connection to `port` and reads until the server closes it,
 * `expectResponses` answers are in (then it is left `open`), or nothing ends it within
 * `hangAfterMs` (a guard against hanging the suite, reported as `hang`, not a timing check).
 */
export function exchange(
  port: number,
  chunks: Array<string | Buffer>,
  options: { expectResponses?: number; hangAfterMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let reset = false;
    let settled = false;
    const settle = (ended: RawExchange['ended']) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      socket.destroy();
      resolve({ responses: parseResponses(Buffer.concat(received)), ended });
    };
    const guard = setTimeout(() => settle('hang'), options.hangAfterMs ?? 5_000);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (options.expectResponses !== undefined && parseResponses(Buffer.concat(received)).length >= options.expectResponses) settle('open');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reset ||= error.code === 'ECONNRESET' || error.code === 'EPIPE';
    });
    socket.on('close', () => settle(reset ? 'reset' : 'closed'));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        if (!socket.write(chunk)) await new Promise((drained) => socket.once('drain', drained).once('close', drained));
      }
    });
  });
}

/** A raw request: the lines joined with CRLF, the blank line, then the body. */
export const rawRequest = (lines: string[], body = ''): string => `${lines.join('\r\n')}\r\n\r\n${body}`;

/** The raw response checked against the served document, as `expectConforms` checks a supertest one. */
export function expectRawConforms(built: BuiltApp, method: string, path: string, res: RawResponse): void {
  const operation = built.apis.flatMap((api) => api.operations).find((op) => op.path === path && op.method === method.toUpperCase());
  if (!operation) throw new Error(`no operation ${method} ${path} in the served documents`);
  expect(res.headers['content-type']).toBe('application/json');
  const violation = validateReply(operation, { status: res.status, body: JSON.parse(res.body), headers: res.headers });
  expect(violation).toBeUndefined();
}

/** A request listener on an ephemeral loopback port (a bare node:http server, no edge settings). */
export async function listenRaw(handler: RequestListener): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A `Connection: close` POST with exactly the headers given (no Content-Type unless listed). */
export function rawPost(target: string, headers: string[], body = ''): string {
  return rawRequest([`POST ${target} HTTP/1.1`, 'Host: t', 'Connection: close', ...headers, `Content-Length: ${Buffer.byteLength(body)}`], body);
}

/** The answer to `raw`, sent alone on its own connection (status NaN when none came). */
export async function answerTo(port: number, raw: string): Promise<RawResponse> {
  const { responses } = await exchange(port, [raw]);
  return responses[0] ?? { status: NaN, headers: {}, body: '' };
}
