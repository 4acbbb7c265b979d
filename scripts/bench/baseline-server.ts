/**
 * The baseline: a bare Express 5 app (its defaults) with one POST route behind `express.json()`
 * answering a small JSON body, the floor any Express-based server sits on. Started by the bench
 * as `node --import tsx scripts/bench/baseline-server.ts --port <n>`.
 */
import express from 'express';

const portFlag = process.argv.indexOf('--port');
const port = portFlag === -1 ? 0 : Number(process.argv[portFlag + 1]);

const app = express();
app.use(express.json());
app.post('/refresh', (req, res) => {
  const presented = typeof req.body?.refresh_token === 'string' ? req.body.refresh_token : '';
  res.json({ token_type: 'bearer', received: presented.length });
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

const server = app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`baseline listening on http://127.0.0.1:${port}\n`);
});
server.keepAliveTimeout = 65_000;
process.once('SIGTERM', () => server.close(() => process.exit(0)));
