import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EdgeFailure, ErrorReply } from '../dialects/dialect';

/**
 * The HTTP edge: what node:http decides before a handler runs, made deliberate. node answers a
 * malformed request or an oversized header block with a bare status line, closes a CONNECT
 * without one, leaves a connection hanging after an `Upgrade` request it did not upgrade, and
 * resets a connection it closes while the client is still sending. Here every such request gets
 * an answer in the dialect of its path ({@link EdgeAnswers}), then the connection closes
 * lingering: the server stops writing, and reads and discards what the client still sends
 * until the client closes or a deadline passes, so the answer arrives instead of a reset.
 */

/** node:http's limits and timeouts, each set on purpose (README, "Security at the edge"). */
export interface EdgeLimits {
  /** The request line and headers must arrive within this (slow-header attacks). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this: longer than the 60 s idle timeout of common load balancers, so they close first. */
  keepAliveTimeoutMs: number;
  /** How often node checks the two timeouts above; a late request is answered at most this much after its deadline. */
  timeoutCheckIntervalMs: number;
  /** Largest request line + header block (node's default); over it, 431. */
  maxHeaderBytes: number;
  /** Lingering close: the longest time spent discarding what a client still sends after the last answer. */
  lingerMs: number;
  /** Lingering close: it also ends when the client sends nothing for this long. */
  lingerIdleMs: number;
}

export const DEFAULT_EDGE_LIMITS: Readonly<EdgeLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  timeoutCheckIntervalMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  lingerMs: 10_000,
  lingerIdleMs: 2_000,
};

/** The answer to a refused request, from the request line when it could be read. */
export type EdgeAnswers = (failure: EdgeFailure, request: { method?: string; target?: string }) => ErrorReply;

/** node:http's parser error codes that have an answer of their own; every other one is a malformed request. */
const FAILURE_OF_CODE: Readonly<Record<string, EdgeFailure>> = {
  HPE_HEADER_OVERFLOW: 'headers_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
};

/** Connections whose current answer is their last: requests pipelined behind it are not served. */
const closingAfterAnswer = new WeakSet<Duplex>();
/** Connections in their lingering close. */
const lingering = new WeakSet<Duplex>();
/** Connections whose refusal is written (or waits for earlier answers to be). */
const refusing = new WeakSet<Duplex>();

/**
 * Marks `req`'s connection to close once its answer is sent (`Connection: close`), e.g. when a
 * body is refused unread: what follows on the connection cannot be told apart from that body.
 * Synchronous, so that a request already pipelined behind it is never served.
 */
export function closeConnectionAfterAnswer(req: IncomingMessage): void {
  closingAfterAnswer.add(req.socket);
}

export function closesConnectionAfterAnswer(req: IncomingMessage): boolean {
  return closingAfterAnswer.has(req.socket);
}

/**
 * Ends the connection lingering: FIN once the pending writes are out, then reading and
 * discarding until the client closes, stays silent for `lingerIdleMs`, or `lingerMs` passes.
 * Closing with unread bytes would make the kernel send a reset, which clients report instead
 * of the answer they were sent. `detached`: no HTTP parser reads the socket any more (upgrade,
 * CONNECT), so this reads it.
 */
export function closeLingering(socket: Duplex, limits: Pick<EdgeLimits, 'lingerMs' | 'lingerIdleMs'>, detached = false): void {
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  const destroy = () => socket.destroy();
  const destroyOnceFlushed = () => (socket.writableFinished ? destroy() : socket.once('finish', destroy));
  socket.end();
  if (socket.readableEnded) return void destroyOnceFlushed();
  const deadline = setTimeout(destroy, limits.lingerMs);
  deadline.unref();
  socket.once('close', () => clearTimeout(deadline));
  socket.once('end', destroyOnceFlushed);
  (socket as Socket).setTimeout(limits.lingerIdleMs, destroy);
  if (detached) socket.resume();
}

/** The answer as bytes for a socket no ServerResponse writes to. */
function rawResponse(reply: ErrorReply): Buffer {
  const body = JSON.stringify(reply.body);
  const lines = [
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`,
    ...Object.entries(reply.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    `date: ${new Date().toUTCString()}`,
    'connection: close',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

type HttpSocket = Duplex & { _httpMessage?: ServerResponse | null };

/**
 * Runs `then` once no answer to an earlier request is being written on the connection: a
 * refusal must not overtake the answers to requests pipelined before it. node:http keeps the
 * response it is writing in `_httpMessage` (its own check in socketOnError reads it) and hands
 * the connection to the next queued one on `finish`, before this module's listener runs.
 */
function afterAnswersInFlight(socket: HttpSocket, then: () => void): void {
  const current = socket._httpMessage;
  if (!current) return then();
  current.once('finish', () => afterAnswersInFlight(socket, then));
  current.once('close', () => {
    if (!current.writableFinished) socket.destroy();
  });
}

/**
 * Method and target of the request node could not parse: the last request line that starts
 * before the end of the line where parsing stopped (`bytesParsed` into `packet`), as a packet
 * may hold requests pipelined before the broken one.
 */
function failedRequestLine(packet: Buffer | undefined, bytesParsed: number | undefined): { method?: string; target?: string } | undefined {
  if (!packet) return undefined;
  const stop = Math.min(packet.length, Math.max(0, bytesParsed ?? 0));
  const text = packet.subarray(0, Math.min(packet.length, stop + 8192)).toString('latin1');
  // The request line may be the broken line itself (`P@ST / HTTP/1.1` stops at the `@`).
  const lineEnd = text.indexOf('\n', stop);
  const last = lineEnd === -1 ? text.length : lineEnd;
  let found: { method?: string; target?: string } | undefined;
  // Unanchored: the previous request's body may run into the request line (`{}POST / HTTP/1.1`).
  for (const match of text.matchAll(/([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/\S*|https?:\/\/\S+|\*|[^\s/]+:\d+) HTTP\//g)) {
    if (match.index > last) break;
    found = { method: match[1], target: match[2] };
  }
  return found;
}

/**
 * An http.Server whose edge behaves as described above: `app.handler` serves every request
 * node parsed; everything refused before it is answered by `app.answerAtEdge`.
 */
export function createEdgeServer(
  app: { handler: RequestListener; answerAtEdge: EdgeAnswers; maxBodyBytes: number },
  limits: EdgeLimits = DEFAULT_EDGE_LIMITS,
): Server {
  const { handler, answerAtEdge: answers, maxBodyBytes } = app;
  const answerOn = (res: ServerResponse, reply: ErrorReply) => {
    const body = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  };
  const serve: RequestListener = (req, res) => {
    if (closingAfterAnswer.has(req.socket) || refusing.has(req.socket) || lingering.has(req.socket)) {
      req.resume();
      return;
    }
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      // RFC 9112 §3.2: a 400 for an HTTP/1.1 request without Host (node's own check would send it bare).
      closeConnectionAfterAnswer(req);
      req.resume();
      return answerOn(res, answers('malformed_request', { method: req.method, target: req.url }));
    }
    if (Number(req.headers['content-length']) > maxBodyBytes) {
      // No handler reads more than the limit; discarding a body that may never come could hang the connection.
      closeConnectionAfterAnswer(req);
      res.setHeader('connection', 'close');
    }
    handler(req, res);
  };

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      maxHeaderSize: limits.maxHeaderBytes,
      requireHostHeader: false,
    },
    serve,
  );
  // node:http closes a connection after its last answer with destroySoon: made lingering.
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = () => closeLingering(socket, limits);
  });
  // An expectation other than 100-continue is ignored, as uvicorn does (node would answer a bare 417).
  server.on('checkExpectation', serve);
  /** Writes the refusal (once earlier answers are out, unless it answers the request in flight) and closes lingering. */
  const refuse = (socket: HttpSocket, reply: () => ErrorReply, options: { detached?: boolean; answersRequestInFlight?: boolean } = {}) => {
    refusing.add(socket);
    const write = () => {
      if (!socket.writable) return void socket.destroy();
      socket.write(rawResponse(reply()));
      closeLingering(socket, limits, options.detached);
    };
    if (options.answersRequestInFlight) write();
    else afterAnswersInFlight(socket, write);
  };
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: HttpSocket) => {
    // Once refused, every further chunk on the connection repeats the parse error: nothing to add.
    if (refusing.has(socket) || lingering.has(socket)) return;
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const failure = FAILURE_OF_CODE[error.code ?? ''] ?? 'malformed_request';
    const current = socket._httpMessage;
    if (current && current.req.complete === false) {
      // The failure concerns the request being answered (its body timed out or broke): its answer is this one.
      if (current.headersSent) return void socket.destroy();
      return refuse(socket, () => answers(failure, { method: current.req.method, target: current.req.url }), { answersRequestInFlight: true });
    }
    refuse(socket, () => answers(failure, failedRequestLine(error.rawPacket, error.bytesParsed) ?? {}));
  });
  const refuseDetached = (failure: EdgeFailure) => (req: IncomingMessage, socket: HttpSocket) => {
    socket.on('error', () => socket.destroy());
    refuse(socket, () => answers(failure, { method: req.method, target: req.url }), { detached: true });
  };
  server.on('upgrade', refuseDetached('upgrade_refused'));
  server.on('connect', refuseDetached('connect_refused'));
  return server;
}
