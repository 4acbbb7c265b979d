import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli } from '../support/cli';

/**
 * Each command loads what it runs and no more: a start-up pays for every module it requires
 * (issue 15's cold start). The CLI runs as a user runs it, with a preload that lists, at exit,
 * every module the process loaded.
 */
const REPORT = { NODE_OPTIONS: `--require ${path.join(__dirname, '..', 'support', 'report-loaded-modules.cjs')}` };

/** The report of the process that ran the CLI (tsx's launcher, which runs it in a child, reports too). */
function loadedModules(stderr: string): string[] {
  const reports = stderr.split('--- loaded modules ---\n').slice(1).map((report) => report.split('\n').filter(Boolean).map((file) => file.split(path.sep).join('/')));
  const cli = reports.filter((files) => files.some((file) => file.endsWith('/src/cli/run.ts')));
  expect(cli).toHaveLength(1);
  return cli[0];
}

const loads = (modules: string[], pattern: RegExp) => modules.some((file) => pattern.test(file));

const POSTGRES_DRIVER = /\/node_modules\/pg\//;
const JSONWEBTOKEN = /\/node_modules\/jsonwebtoken\//;
const CONTRACT_RUNNER = /\/src\/contract\/runner\.ts$/;
const MOCK = /\/src\/(mock\/|app\/mock-server\.ts$)/;
const EXPRESS = /\/node_modules\/express\//;
const DOCS = /\/src\/docs\/router\.ts$/;
const AJV = /\/node_modules\/ajv\//;
const PINO = /\/node_modules\/pino\//;

describe('what a command loads', () => {
  it('serve on SQLite with an HS256 key, probed and refreshing, loads neither express, the docs, the PostgreSQL driver, jsonwebtoken, the contract runner nor the mock', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-modules-'));
    const server = await startCli(['serve', '--port', '0', '--data-dir', dataDir], REPORT);
    for (const probe of ['/healthz', '/readyz', '/metrics', '/openapi', '/openapi/session.json']) expect((await fetch(`${server.url}${probe}`)).status).toBe(200);
    // A refresh with a token this server never issued: the whole api pipeline runs, to the dialect's 401.
    const refresh = await fetch(`${server.url}/session/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refresh_token":"a.b.c"}' });
    expect(refresh.status).toBe(401);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const modules = loadedModules(server.stderr());
    // What serve does run is there: the report is not empty.
    expect(loads(modules, /\/src\/app\/real-server\.ts$/)).toBe(true);
    expect(loads(modules, /\/node_modules\/better-sqlite3\//)).toBe(true);
    expect(loads(modules, EXPRESS)).toBe(false);
    expect(loads(modules, DOCS)).toBe(false);
    expect(loads(modules, POSTGRES_DRIVER)).toBe(false);
    expect(loads(modules, JSONWEBTOKEN)).toBe(false);
    expect(loads(modules, CONTRACT_RUNNER)).toBe(false);
    expect(loads(modules, MOCK)).toBe(false);
  }, 60_000);

  it('--help loads no server: no express, ajv, pino or store', () => {
    const result = runCli(['--help'], REPORT);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: refreshd/);
    const modules = loadedModules(result.stderr);
    expect(loads(modules, /\/src\/cli\/serve\.ts$/)).toBe(true);
    for (const pattern of [EXPRESS, AJV, PINO, /\/src\/app\/real-server\.ts$/, /\/node_modules\/better-sqlite3\//]) expect(loads(modules, pattern)).toBe(false);
  });
});
