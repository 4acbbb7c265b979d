/**
 * What a validation error costs as its input grows. `refreshd serve` (the built dist/, its own
 * process, pinned to core 0 when taskset is there) answers almanac bodies of n unknown keys,
 * which FastAPI answers with n + 1 errors; beside each, a body of the same size holding one
 * field. Linear cost shows as a time ratio of ~2 per doubling of n and a flat ratio to the
 * one-field body; the last lines time /healthz while 10 of the largest bodies are in flight.
 *
 *     npm run build && npx tsx scripts/bench/error-cost.ts [--rounds 15]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import { detectPinning, firstOk, freePort, pinned, request, startServer, stopServer } from './servers';

const SIZES = [1000, 2000, 4000, 8000];
const PATH = '/v1/auth/token/refresh';
const HEADERS = { authorization: 'Bearer x', 'content-type': 'application/json' };

/** n unknown keys of three characters: 8,000 of them fill 64 KB. */
function unknownKeys(n: number): string {
  return `{${Array.from({ length: n }, (_, i) => `"${(i + 1296).toString(36)}":1`).join(',')}}`;
}

/** One field, padded to `bytes`: the same bytes to read and parse, one error. */
function oneField(bytes: number): string {
  const shell = '{"refresh_token":""}';
  return `{"refresh_token":"${'a'.repeat(Math.max(0, bytes - shell.length))}"}`;
}

type Timed = { ms: number; status: number; answerBytes: number };

/** POSTs `body` (or GETs, without one) on a fresh connection; the time until the whole answer is in. */
async function timeOne(url: string, body?: string): Promise<Timed> {
  const started = performance.now();
  const reply = await request(url, body === undefined ? { timeoutMs: 60_000 } : { method: 'POST', headers: HEADERS, body, timeoutMs: 60_000 });
  return { ms: performance.now() - started, status: reply.status, answerBytes: Buffer.byteLength(reply.body) };
}

async function median(rounds: number, run: () => Promise<Timed>): Promise<Timed> {
  const results = [];
  for (let round = 0; round < rounds; round++) results.push(await run());
  results.sort((a, b) => a.ms - b.ms);
  return results[Math.floor(results.length / 2)];
}

async function main(): Promise<void> {
  const roundsFlag = process.argv.indexOf('--rounds');
  const rounds = roundsFlag === -1 ? 15 : Number(process.argv[roundsFlag + 1]);
  const pinning = detectPinning();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'refreshd-error-cost-'));
  const port = await freePort();
  const server = startServer({
    name: 'serve',
    argv: pinned(pinning, pinning.server, [process.execPath, path.join(PROJECT_ROOT, 'bin', 'refreshd.js'), 'serve', '--port', String(port), '--data-dir', dataDir, '--apis', 'almanac', '--log-level', 'warn']),
    port,
    logPath: path.join(dataDir, 'serve.log'),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await firstOk(server, () => request(`${base}/healthz`), { what: '/healthz' });
    // Warm-up: the first requests compile the validators' and the explainer's hot paths.
    for (let i = 0; i < 20; i++) await timeOne(base + PATH, unknownKeys(1000));

    const lines = ['   n keys   body bytes  answer bytes  status   ms (median)  ×prev n  ×one-field body'];
    let previous: number | undefined;
    for (const n of SIZES) {
      const body = unknownKeys(n);
      const keys = await median(rounds, () => timeOne(base + PATH, body));
      const single = await median(rounds, () => timeOne(base + PATH, oneField(body.length)));
      lines.push(
        [
          String(n).padStart(9),
          String(body.length).padStart(12),
          String(keys.answerBytes).padStart(13),
          String(keys.status).padStart(7),
          keys.ms.toFixed(2).padStart(12),
          (previous === undefined ? '–' : (keys.ms / previous).toFixed(2)).padStart(8),
          (keys.ms / single.ms).toFixed(1).padStart(16),
        ].join(' '),
      );
      previous = keys.ms;
    }
    process.stdout.write(`${lines.join('\n')}\n\n`);

    const idle = await median(rounds, () => timeOne(`${base}/healthz`));
    const largest = unknownKeys(SIZES[SIZES.length - 1]);
    const inFlight = Array.from({ length: 10 }, () => timeOne(base + PATH, largest));
    const healthz = await timeOne(`${base}/healthz`);
    const all = await Promise.all(inFlight);
    const allMs = Math.max(...all.map((result) => result.ms));
    process.stdout.write(
      `/healthz idle ${idle.ms.toFixed(2)} ms; with 10 × ${SIZES[SIZES.length - 1]}-key bodies in flight ${healthz.ms.toFixed(2)} ms (status ${healthz.status}); the 10 answered within ${allMs.toFixed(1)} ms\n`,
    );
  } finally {
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
