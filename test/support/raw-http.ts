import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** The status line and headers, as sent. */
  head: string;
  headers: Record<string, string>;
  body: string;
}

/** A handler listening on a loopback port, for requests no HTTP client library would send. */
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

/**
 * Writes `raw` to the port as it is and reads until the server closes the connection. The
 * client half-closes right after writing unless `keepWriting` (uvicorn drops the answer to
 * a request whose client has half-closed before it is ready).
 */
export function sendRaw(port: number, raw: string, options: { keepWriting?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => (options.keepWriting ? socket.write(raw) : socket.end(raw)));
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(head.split(' ')[1]), head, headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/** An HTTP/1.1 request: the request line and header lines, then the body. */
export const rawRequest = (lines: string[], body = ''): string => `${lines.join('\r\n')}\r\n\r\n${body}`;

/** A `Connection: close` POST with exactly the headers given (no Content-Type unless listed). */
export function rawPost(target: string, headers: string[], body = ''): string {
  return rawRequest([`POST ${target} HTTP/1.1`, 'Host: t', 'Connection: close', ...headers, `Content-Length: ${Buffer.byteLength(body)}`], body);
}
