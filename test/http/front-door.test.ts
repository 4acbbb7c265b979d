import { createServer, type RequestListener, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { useRealHarness } from '../support/harness';

/**
 * The probes and the served documents are answered on node:http, without express (issue 15's
 * cold start), byte for byte as express answers them: the same status line, headers in the same
 * order and spelling, the same body. Each request goes once to the server's handler and once to
 * its express part alone, on raw sockets.
 */
const h = useRealHarness();
let frontDoor: Server;
let expressAlone: Server;

const serve = (listener: RequestListener) =>
  new Promise<Server>((resolve) => {
    const server = createServer(listener);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
const portOf = (server: Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  frontDoor = await serve(h.built.handler);
  expressAlone = await serve(h.built.app);
});
afterAll(async () => {
  await Promise.all([frontDoor, expressAlone].map((server) => new Promise((resolve) => server.close(resolve))));
});

/** The whole answer to one request, as sent, its Date header blanked. */
function rawAnswer(server: Server, head: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(portOf(server), '127.0.0.1', () => socket.write(`${[...head, 'Host: t', 'Connection: close'].join('\r\n')}\r\n\r\n`));
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(received).toString('latin1').replace(/\r\nDate: [^\r]*/, '\r\nDate: -')));
  });
}

const STABLE_PATHS = ['/healthz', '/readyz', '/openapi', '/openapi/session.json', '/openapi/admin.json', '/healthz?verbose=1'];

describe('answered at the front door as express answers them', () => {
  it.each(STABLE_PATHS.flatMap((path) => ['GET', 'HEAD'].map((method) => [method, path])))('%s %s', async (method, path) => {
    const ours = await rawAnswer(frontDoor, [`${method} ${path} HTTP/1.1`]);
    expect(ours).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(ours).toBe(await rawAnswer(expressAlone, [`${method} ${path} HTTP/1.1`]));
  });

  it('GET /metrics: the same head (the counters move between two scrapes)', async () => {
    const head = (answer: string) => answer.slice(0, answer.indexOf('\r\n\r\n')).replace(/\r\nContent-Length: \d+/, '');
    const ours = await rawAnswer(frontDoor, ['GET /metrics HTTP/1.1']);
    expect(ours).toContain('\r\n\r\n# HELP ');
    expect(head(ours)).toBe(head(await rawAnswer(expressAlone, ['GET /metrics HTTP/1.1'])));
  });

  it.each([
    ['a conditional request (express may answer 304)', ['GET /healthz HTTP/1.1', 'If-None-Match: *']],
    ['another method', ['OPTIONS /healthz HTTP/1.1']],
    ['another spelling of the path', ['GET /HEALTHZ/ HTTP/1.1']],
    ['an encoded document name', ['GET /openapi/sess%69on.json HTTP/1.1']],
    ['a path nothing serves', ['GET /nowhere HTTP/1.1']],
  ])('%s is left to express', async (_what, head) => {
    expect(await rawAnswer(frontDoor, head)).toBe(await rawAnswer(expressAlone, head));
  });
});
