import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startReal, type RealHarness } from '../support/harness';
import { answerTo, listenRaw, rawRequest, type RawResponse } from '../support/raw-http';

/**
 * Differential test against real FastAPI: the same bytes go to refreshd and to a FastAPI
 * 0.142 app rebuilt from the four FastAPI documents (test/fastapi-reference/app.py), and the
 * answers must agree. Where the reference reaches its handler (which refuses every token
 * with 401), refreshd's token engine refuses the made-up token too: there the status and
 * the shape of the 401 are compared; everywhere else the body byte for byte.
 *
 * Needs the reference's venv (`.venv-fastapi`, or REFRESHD_FASTAPI_PYTHON): `.ci/run`
 * creates it. In CI a missing venv fails this suite; elsewhere it is reported and skipped.
 */
const ROOT = path.join(__dirname, '..', '..');
const PYTHON = process.env.REFRESHD_FASTAPI_PYTHON ?? path.join(ROOT, '.venv-fastapi', 'bin', 'python');
const available = existsSync(PYTHON);
if (!available && process.env.CI) throw new Error(`${PYTHON} is missing: .ci/run creates the FastAPI reference's venv`);
if (!available) console.warn(`fastapi-differential: skipped, ${PYTHON} not found (python3 -m venv .venv-fastapi && .venv-fastapi/bin/pip install fastapi==0.142.2 uvicorn)`);

const VALID_SUB = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const ALMANAC = '/v1/auth/token/refresh';

/** One request as raw bytes: the request line's target, header lines, body. */
interface Case {
  name: string;
  method?: string;
  target: string;
  headers?: string[];
  body?: string;
}

const JSON_CT = 'Content-Type: application/json';
const BEARER = 'Authorization: Bearer t';
const pathstackBody = JSON.stringify({ sub: VALID_SUB, refresh_token: 'x' });
const almanacBody = JSON.stringify({ refresh_token: 'x' });

/** Bodies every JSON operation gets, each with and without a JSON Content-Type. */
const BODIES: Array<[string, string]> = [
  ['empty object', '{}'],
  ['null', 'null'],
  ['padded null', ' null\n'],
  ['array', '[]'],
  ['string', '"hello"'],
  ['number', '1.5'],
  ['true', 'true'],
  ['malformed', '{"refresh_token": }'],
  ['truncated', '{'],
  // Not a trailing comma: its wording is the interpreter's (refreshd words it as CPython 3.13;
  // the reference's wheels are for 3.11, which words it differently).
  ['wrong types', '{"sub": 5, "refresh_token": 1.0, "organization_id": 7}'],
  ['extra fields', '{"refresh_token": "x", "zzz": [1, 2.0], "aaa": null}'],
  ['nested', '{"refresh_token": {"a": [1, {"b": null}]}}'],
  ['uuid of another version', '{"sub": "a8098c1a-f86e-11da-bd1a-00112444be1e", "refresh_token": "x"}'],
  ['not a uuid', '{"sub": "not-a-uuid", "refresh_token": "x"}'],
  ['valid pathstack body', pathstackBody],
  ['valid almanac body', almanacBody],
];
const CONTENT_TYPES: Array<[string, string[]]> = [
  ['no Content-Type', []],
  ['empty Content-Type', ['Content-Type: ']],
  ['application/json', [JSON_CT]],
  ['application/json; charset=utf-8', ['Content-Type: application/json; charset=utf-8']],
  ['application/vnd.api+json', ['Content-Type: application/vnd.api+json']],
  ['text/plain', ['Content-Type: text/plain']],
  ['bare json', ['Content-Type: json']],
];

function cases(): Case[] {
  const all: Case[] = [];
  for (const [target, extra] of [['/refresh', []], [ALMANAC, [BEARER]]] as const) {
    for (const [bodyName, body] of BODIES) {
      for (const [typeName, type] of CONTENT_TYPES) all.push({ name: `${target} ${bodyName}, ${typeName}`, target, headers: [...extra, ...type], body });
    }
    all.push({ name: `${target} no body`, target, headers: [...extra] });
  }
  all.push(
    { name: 'almanac without Authorization', target: ALMANAC, headers: [JSON_CT], body: almanacBody },
    { name: 'almanac with Basic', target: ALMANAC, headers: ['Authorization: Basic dXNlcjpwYXNz', JSON_CT], body: almanacBody },
    { name: 'almanac with a bare Bearer', target: ALMANAC, headers: ['Authorization: Bearer', JSON_CT], body: '{}' },
    { name: 'almanac malformed JSON before the bearer check', target: ALMANAC, headers: [JSON_CT], body: '{"a":' },
    { name: 'pathstack malformed x-api-version', target: '/refresh', headers: ['x-api-version: yesterday', JSON_CT], body: pathstackBody },
    { name: 'pathstack unsupported x-api-version', target: '/refresh', headers: ['x-api-version: 2023-01-01', JSON_CT], body: pathstackBody },
    { name: 'pathstack impossible date', target: '/refresh', headers: ['x-api-version: 2024-02-30', JSON_CT], body: pathstackBody },
    { name: 'pathstack midnight timestamp', target: '/refresh', headers: ['x-api-version: 1711497600', JSON_CT], body: pathstackBody },
    { name: 'pathstack header error before body error', target: '/refresh', headers: ['x-api-version: x', JSON_CT], body: '{}' },
    { name: 'watchr without cookie', target: '/auth/refresh' },
    { name: 'watchr with cookie', target: '/auth/refresh', headers: ['Cookie: refresh_token=abc'] },
    { name: 'watchr ignores a body', target: '/auth/refresh', headers: [JSON_CT], body: '{' },
    { name: 'galileo without cookie', target: '/v1/refresh_token' },
    { name: 'galileo with another cookie', target: '/v1/refresh_token', headers: ['Cookie: other=1'] },
    { name: 'galileo with a quoted cookie', target: '/v1/refresh_token', headers: ['Cookie: refresh_token="a\\"b"'] },
    { name: 'percent-encoded slash reaches watchr', target: '/auth%2Frefresh' },
    { name: 'percent-encoded letter reaches pathstack', target: '/%72efresh', headers: [JSON_CT], body: '{}' },
    { name: 'percent-encoded trailing slash redirects', target: '/refresh%2F' },
    { name: 'trailing slash redirects, query kept', target: '/v1/refresh_token/?a=1&b=%2F' },
    { name: 'bad escape is not routed', target: '/refresh%zz' },
    { name: 'unknown path', target: '/nope' },
    { name: 'wrong method on watchr', method: 'GET', target: '/auth/refresh' },
    { name: 'wrong method on pathstack', method: 'PUT', target: '/refresh', headers: [JSON_CT], body: '{}' },
    { name: 'wrong method on almanac', method: 'DELETE', target: ALMANAC },
  );
  return all;
}

const wire = (c: Case): string =>
  rawRequest([`${c.method ?? 'POST'} ${c.target} HTTP/1.1`, 'Host: t', 'Connection: close', ...(c.headers ?? []), `Content-Length: ${Buffer.byteLength(c.body ?? '')}`], c.body ?? '');

/** What must agree: the status, the redirect target, the Allow header, and the body (for a 401, its shape). */
function comparable(res: RawResponse): Record<string, unknown> {
  let body: unknown = res.body;
  if (res.status === 401) {
    const parsed = JSON.parse(res.body);
    body = parsed.detail === 'Not authenticated' || parsed.error ? parsed : { detail: typeof parsed.detail };
  }
  return { status: res.status, location: res.headers.location, allow: res.headers.allow, 'www-authenticate': res.headers['www-authenticate'], body };
}

(available ? describe : describe.skip)('refreshd answers as FastAPI 0.142 does', () => {
  let reference: ChildProcess;
  let referencePort: number;
  let h: RealHarness;
  let refreshd: Awaited<ReturnType<typeof listenRaw>>;

  beforeAll(async () => {
    reference = spawn(PYTHON, [path.join(ROOT, 'test', 'fastapi-reference', 'app.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: reference.stdout! }).once('line', resolve);
      reference.once('exit', (code) => reject(new Error(`the FastAPI reference exited with ${code}`)));
    });
    referencePort = Number(firstLine);
    h = await startReal();
    refreshd = await listenRaw(h.built.handler);
  }, 30_000);

  afterAll(async () => {
    reference?.kill();
    expect(h.violations).toEqual([]);
    await refreshd?.close();
    await h?.close();
  });

  it('agrees on every case', async () => {
    const disagreements: unknown[] = [];
    const all = cases();
    for (const c of all) {
      const [theirs, ours] = await Promise.all([answerTo(referencePort, wire(c)), answerTo(refreshd.port, wire(c))]);
      const expected = comparable(theirs);
      const actual = comparable(ours);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) disagreements.push({ case: c.name, fastapi: expected, refreshd: actual });
    }
    expect(disagreements).toEqual([]);
    expect(all.length).toBeGreaterThan(200);
  });
});
