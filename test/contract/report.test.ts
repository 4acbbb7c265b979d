import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contractCommand, Progress } from '../../src/cli/contract';
import { consoleStyle, formatConsoleReport, formatTable, toJUnitXml } from '../../src/contract/report';
import type { ContractReport } from '../../src/contract/runner';
import { ADMIN_TOKEN, SIXTH_SPEC, startRealTarget, startSixthTarget, type RealTarget } from './targets';

const report: ContractReport = {
  baseUrl: 'http://127.0.0.1:8080',
  seed: 1234,
  examples: 100,
  errors: [],
  totals: { pass: 1, fail: 1, skipped: 1 },
  durationMs: 1234,
  ok: false,
  apis: [
    {
      api: 'session',
      operations: ['refresh_session_token'],
      requests: 3,
      durationMs: 1000,
      checks: [
        { check: 'not_a_server_error', status: 'pass', cases: 3, durationMs: 12.5, failures: [] },
        {
          check: 'status_code_conformance',
          status: 'fail',
          cases: 3,
          durationMs: 0.25,
          failures: [
            {
              operationId: 'refresh_session_token',
              caseName: 'body: <malformed> & "quoted"',
              phase: 'coverage',
              message: 'status 418 is not declared',
              request: { method: 'POST', url: 'http://127.0.0.1:8080/session/token/refresh', headers: {}, body: '{"a": ' },
              response: { status: 418, headers: { 'content-type': 'application/json' }, body: '{}' },
              curl: `curl -i -X POST 'http://127.0.0.1:8080/session/token/refresh' --data-binary '{"a": '`,
            },
          ],
        },
        { check: 'rotation', status: 'skipped', cases: 0, durationMs: 0, failures: [], reason: 'no credentials' },
      ],
      coverage: [
        {
          operationId: 'refresh_session_token',
          method: 'POST',
          path: '/session/token/refresh',
          requests: { coverage: 3, generative: 0, scenario: 0, shrinking: 0 },
          responses: [
            { status: '200', observed: false },
            { status: '418', observed: false },
          ],
          undeclared: [418],
        },
      ],
    },
  ],
};

test('the table shows each check of each api as pass with its cases, FAIL failing/judged, or skipped', () => {
  expect(formatTable(report).split('\n')).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^check\s+session$/),
      expect.stringMatching(/^not_a_server_error\s+pass 3$/),
      expect.stringMatching(/^status_code_conformance\s+FAIL 1\/3$/),
      expect.stringMatching(/^rotation\s+skipped$/),
    ]),
  );
});

test('colours only on a terminal, and never under NO_COLOR', () => {
  expect(consoleStyle({ isTTY: true }, {})).toEqual({ colors: true });
  expect(consoleStyle({ isTTY: false }, {})).toEqual({ colors: false });
  expect(consoleStyle({}, {})).toEqual({ colors: false });
  expect(consoleStyle({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ colors: false });
  const colored = formatTable(report, { colors: true });
  expect(colored).toContain('\u001b[32mpass 3');
  expect(colored).toContain('\u001b[31mFAIL 1/3');
  expect(formatTable(report, { colors: false })).not.toContain('\u001b[');
});

test('a failing case prints its phase, its request and response, and a curl line that says token values are placeholders', () => {
  const printed = formatConsoleReport(report);
  expect(printed).toContain('  session · status_code_conformance · refresh_session_token · body: <malformed> & "quoted"');
  expect(printed).toContain('    (coverage phase)');
  expect(printed).toContain('    reproduce (token values are placeholders: put live ones in their place):');
  expect(printed).toContain(`    curl -i -X POST 'http://127.0.0.1:8080/session/token/refresh' --data-binary '{"a": '`);
  expect(printed).toMatch(/^  session POST \/session\/token\/refresh: observed none; not observed 200, 418; undeclared 418 \(requests: 3 coverage, 0 generated, 0 scenario\)$/m);
});

test('the JUnit report has a testsuite per api and a testcase per check, failures and skips escaped', () => {
  const xml = toJUnitXml(report);
  expect(xml).toContain('<testsuites name="refreshd contract" tests="3" failures="1" errors="0" skipped="1" time="1.234000">');
  expect(xml).toContain('<testsuite name="session" tests="3" failures="1" errors="0" skipped="1" time="1.000000">');
  expect(xml).toContain('<testcase classname="refreshd.contract.session" name="not_a_server_error" time="0.012500"></testcase>');
  expect(xml).toContain('<testcase classname="refreshd.contract.session" name="status_code_conformance" time="0.000250">');
  expect(xml).toContain('<testcase classname="refreshd.contract.session" name="rotation" time="0.000000">');
  expect(xml).toContain('<failure type="status_code_conformance" message="1 of 3 case(s) failed: status 418 is not declared">');
  expect(xml).toContain('body: &lt;malformed&gt; &amp; &quot;quoted&quot;');
  expect(xml).toContain('<skipped message="no credentials"/>');
});

describe('progress', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
  };
  const event = (api: string, phase: 'coverage' | 'generative' | 'done', requests: number, failures = 0) => ({ api, operationId: `${api}_op`, phase, requests, failures });

  test('on a terminal: one line per api, rewritten in place, left standing when the next api starts', () => {
    const { written, stream: terminal } = stream(true);
    const progress = new Progress(terminal);
    progress.update(event('watchr', 'coverage', 1));
    progress.update(event('watchr', 'generative', 40, 2));
    progress.update(event('galileo', 'coverage', 1));
    progress.finish();

    expect(written.join('')).toBe(
      '\r\u001b[Kwatchr: watchr_op · coverage phase · 1 requests' +
        '\r\u001b[Kwatchr: watchr_op · generative phase · 40 requests, 2 failing' +
        '\r\u001b[Kwatchr: watchr_op · generative phase · 40 requests, 2 failing\n' +
        '\r\u001b[Kgalileo: galileo_op · coverage phase · 1 requests' +
        '\r\u001b[Kgalileo: galileo_op · coverage phase · 1 requests\n',
    );
  });

  test('in a pipe or a CI log: no progress at all', () => {
    const { written, stream: pipe } = stream(false);
    const progress = new Progress(pipe);
    progress.update(event('watchr', 'generative', 40));
    progress.finish();
    expect(written).toEqual([]);
  });
});

describe('refreshd contract <base-url>', () => {
  let target: RealTarget;
  let output: string[];
  beforeEach(async () => {
    target = await startRealTarget({ graceWindowSeconds: 0 });
    output = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => void output.push(line));
    process.exitCode = undefined;
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
    delete process.env.REFRESHD_ADMIN_TOKEN;
    await target.close();
  });

  test('passes against refreshd serve, prints the table and summary, writes JUnit where told (creating its directories), exits 0', async () => {
    const junit = path.join(mkdtempSync(path.join(tmpdir(), 'refreshd-contract-')), 'reports', 'contract', 'contract.xml');
    process.env.REFRESHD_ADMIN_TOKEN = ADMIN_TOKEN;
    await contractCommand().parseAsync([target.url, '--apis', 'galileo', '--apis', 'session', '--grace-seconds', '0', '--examples', '10', '--junit', junit], { from: 'user' });

    const printed = output.join('\n');
    expect(printed).toMatch(/^check\s+galileo\s+session$/m);
    expect(printed).toMatch(/^PASSED: 20 passed, 0 failed, 2 skipped .*, seed \d+, /m);
    expect(printed).toMatch(/^  galileo POST \/v1\/refresh_token: observed 200, 401, 405, 422; not observed 400, 408, 431, 500, 503 \(requests: \d+ coverage, 20 generated, \d+ scenario\)$/m);
    expect(printed).not.toContain(ADMIN_TOKEN);
    expect(printed).not.toMatch(/warning/);
    // Not a terminal: no colour codes.
    expect(printed).not.toContain('\u001b[');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="galileo" tests="11" failures="0"');
    // Each testcase's time is the time its check's requests took: never the old constant 0.
    const times = [...xml.matchAll(/<testcase [^>]*name="([a-z_]+)" time="([0-9.]+)">(?!\s*<skipped)/g)].map(([, check, time]) => ({ check, time: Number(time) }));
    expect(times).toHaveLength(20);
    expect(times.filter(({ time }) => time > 0)).toEqual(times);
    expect(process.exitCode).toBeUndefined();
  });

  test('takes the apis comma-separated with --apis, as serve and mock do', async () => {
    await contractCommand().parseAsync([target.url, '--apis', 'watchr,pathstack', '--admin-token', ADMIN_TOKEN, '--grace-seconds', '0', '--examples', '2'], { from: 'user' });
    expect(output.join('\n')).toMatch(/^check\s+watchr\s+pathstack$/m);
  });

  test('warns when it has no credentials at all', async () => {
    await contractCommand().parseAsync([target.url, '--apis', 'session', '--grace-seconds', '0', '--examples', '2'], { from: 'user' });
    expect(output[0]).toMatch(/^warning: no --admin-token and no --token: the checks that need real tokens .* will be skipped$/);
    expect(output[1]).toMatch(/^seed \d+ \(--seed \d+ sends the same generated requests again\)$/);
  });

  test('refuses an empty --admin-token (an unset shell variable) instead of silently skipping', async () => {
    const command = contractCommand().exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(command.parseAsync([target.url, '--admin-token', ''], { from: 'user' })).rejects.toThrow(/--admin-token.* is empty \(an unset shell variable\?\)/);
  });

  test('says in one line that an unreachable target cannot be reached, and exits 2', async () => {
    const closed = await startRealTarget();
    await closed.close();
    await contractCommand().parseAsync([closed.url, '--admin-token', ADMIN_TOKEN], { from: 'user' });
    expect(output).toEqual([`refreshd contract: cannot reach ${closed.url}: connect ECONNREFUSED ${closed.url.slice('http://'.length)}`]);
    expect(process.exitCode).toBe(2);
  });

  test('exits non-zero when a check fails', async () => {
    await contractCommand().parseAsync([target.url, '--apis', 'watchr', '--admin-token', 'wrong-admin-token', '--grace-seconds', '0', '--examples', '2'], { from: 'user' });

    expect(output.join('\n')).toMatch(/^FAILED: .* 1 error\(s\)/m);
    expect(output.join('\n')).not.toContain('wrong-admin-token');
    expect(process.exitCode).toBe(1);
  });

  test('prints the seed it was given, and with --report json writes the report as JSON to stdout', async () => {
    await contractCommand().parseAsync([target.url, '--apis', 'pathstack', '--admin-token', ADMIN_TOKEN, '--grace-seconds', '0', '--examples', '3', '--seed', '77', '--report', 'json'], {
      from: 'user',
    });

    expect(output[0]).toBe('seed 77 (--seed 77 sends the same generated requests again)');
    const report = JSON.parse(output[1]);
    expect(report).toEqual(expect.objectContaining({ seed: 77, examples: 3, ok: true, totals: { pass: 10, fail: 0, skipped: 1 } }));
    expect(report.apis[0].coverage[0]).toEqual(expect.objectContaining({ operationId: 'refresh_refresh_post', requests: expect.objectContaining({ generative: 6 }) }));
    expect(output).toHaveLength(2);
  });

  test('--spec checks the server against any document: the checks that need no token run, the token-aware ones are skipped with the reason', async () => {
    const sixth = await startSixthTarget();
    try {
      await contractCommand().parseAsync([sixth.url, '--spec', SIXTH_SPEC, '--examples', '20', '--seed', '5'], { from: 'user' });
    } finally {
      await sixth.close();
    }
    const printed = output.join('\n');
    expect(printed).toMatch(/^check\s+sixth\.yaml$/m);
    for (const check of ['response_headers_conformance', 'negative_data_rejection', 'missing_required_header', 'unsupported_method', 'ignored_auth']) {
      expect(printed).toMatch(new RegExp(`^${check}\\s+pass \\d+$`, 'm'));
    }
    expect(printed).toMatch(/a --spec document, not one of refreshd's apis: .* do not run\n    sixth\.yaml: positive_data_acceptance, rotation/);
    expect(printed).toMatch(/^PASSED: /m);
    expect(process.exitCode).toBeUndefined();
  });

  test('a --spec that cannot be loaded is a usage error (exit 2)', async () => {
    await contractCommand().parseAsync([target.url, '--spec', '/nonexistent/other.yaml'], { from: 'user' });
    expect(output).toEqual([expect.stringMatching(/^error: --spec: cannot load \/nonexistent\/other\.yaml: ENOENT/)]);
    expect(process.exitCode).toBe(2);
  });

  test('refuses a --token that is not <api>=<token>, without echoing it', async () => {
    const command = contractCommand().exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(command.parseAsync([target.url, '--token', 'nosuchapi=secret-value'], { from: 'user' })).rejects.toThrow(/--token takes <api>=<token>/);
  });
});
