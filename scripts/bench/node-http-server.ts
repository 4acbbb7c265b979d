/**
 * The floor, for reference: bare node:http, no framework, the same POST route as the baseline
 * (read the body, JSON.parse it, answer a small JSON body). It shows what this machine and the
 * load generator can do at all, throughput and latency alike.
 */
import http from 'node:http';

const portFlag = process.argv.indexOf('--port');
const port = portFlag === -1 ? 0 : Number(process.argv[portFlag + 1]);

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let presented = '';
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { refresh_token?: unknown };
      if (typeof body.refresh_token === 'string') presented = body.refresh_token;
    } catch {
      res.statusCode = 400;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token_type: 'bearer', received: presented.length }));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`node:http reference listening on http://127.0.0.1:${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
