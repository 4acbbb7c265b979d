import { PUBLISHED_APIS } from '../support/apis';
import { CHECK_NAMES } from '../../src/contract/checks';
import { formatConsoleReport } from '../../src/contract/report';
import { runContract, TargetUnreachableError, type ContractReport } from '../../src/contract/runner';
import { ADMIN_TOKEN, startRealTarget, TEST_SEED, type RealTarget } from './targets';

const statuses = (report: ContractReport) =>
  Object.fromEntries(report.apis.map((api) => [api.api, Object.fromEntries(api.checks.map((check) => [check.check, check.status]))]));

/**
 * Every check passes, except what does not apply: watchr's negative_data_rejection (its document
 * states no constraint a request can break) and missing_required_header (no api declares a
 * required header).
 */
const notApplicable = (api: string, check: string) => (api === 'watchr' && check === 'negative_data_rejection') || check === 'missing_required_header';
const ALL_PASS = Object.fromEntries(
  PUBLISHED_APIS.map((api) => [api, Object.fromEntries(CHECK_NAMES.map((check) => [check, notApplicable(api, check) ? 'skipped' : 'pass']))]),
);
/** The checks that fail, with the seed that replays them (REFRESHD_CONTRACT_SEED). */
const failing = (report: ContractReport) => ({
  seed: report.seed,
  failing: report.apis.flatMap((api) => api.checks.filter((c) => c.status === 'fail').map((c) => ({ api: api.api, check: c.check, first: c.failures[0] }))),
});
/** For the tests about something else than generated requests. */
const FEW_EXAMPLES = 5;

describe('the contract run against refreshd serve', () => {
  let target: RealTarget;
  beforeEach(async () => {
    target = await startRealTarget({ graceWindowSeconds: 10 });
  });
  afterEach(async () => {
    expect(target.harness.violations).toEqual([]);
    await target.close();
  });

  test('with the admin token, every check passes for all five apis with 100 generated requests of each kind per operation, rotation waiting out the 10 s grace window once', async () => {
    const startedAt = target.harness.clock.nowMs();
    const report = await runContract({ baseUrl: target.url, adminToken: ADMIN_TOKEN, clock: target.clock, seed: TEST_SEED });

    expect(failing(report)).toEqual({ seed: TEST_SEED, failing: [] });
    expect(statuses(report)).toEqual(ALL_PASS);
    expect(report.apis.find((api) => api.api === 'watchr')?.checks.find((c) => c.check === 'negative_data_rejection')?.reason).toMatch(/not applicable/);
    expect(report).toEqual(expect.objectContaining({ ok: true, errors: [], examples: 100, totals: { pass: 49, fail: 0, skipped: 6 } }));
    for (const api of report.apis) {
      const [operation] = api.coverage;
      // Valid and invalid draws, 100 each; watchr's document states nothing a request can break.
      expect({ api: api.api, generated: operation.requests.generative }).toEqual({ api: api.api, generated: api.api === 'watchr' ? 100 : 200 });
      expect(operation.requests.coverage).toBeGreaterThan(0);
      // Every declared success and the 405 came back; 500 and 503 never do against a healthy server.
      expect(operation.responses.filter((r) => r.observed).map((r) => r.status)).toEqual(expect.arrayContaining(['200', '401', '405']));
      expect(operation.undeclared).toEqual([]);
    }
    // One wait for all five refresh operations, on the injected clock.
    expect(target.harness.clock.nowMs() - startedAt).toBeGreaterThanOrEqual(10_000);
    expect(target.harness.clock.nowMs() - startedAt).toBeLessThan(20_000);
    expect(formatConsoleReport(report)).toMatch(/^PASSED: 49 passed, 0 failed, 6 skipped/m);
  });

  test('the rotation check waits for nothing when the grace window is 0', async () => {
    await target.close();
    target = await startRealTarget({ graceWindowSeconds: 0 });
    const sleep = jest.fn(async () => undefined);
    const report = await runContract({ baseUrl: target.url, adminToken: ADMIN_TOKEN, graceSeconds: 0, clock: { now: () => 0, sleep }, examples: FEW_EXAMPLES });

    expect(statuses(report)).toEqual(ALL_PASS);
    expect(sleep).not.toHaveBeenCalled();
  });

  test('with --no-wait and a grace window, rotation is skipped with the reason, never passed', async () => {
    const sleep = jest.fn(async () => undefined);
    const report = await runContract({ baseUrl: target.url, adminToken: ADMIN_TOKEN, wait: false, clock: { now: () => 0, sleep }, apis: ['session'], examples: FEW_EXAMPLES });

    const rotation = report.apis[0].checks.find((check) => check.check === 'rotation');
    expect(rotation).toEqual(expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/10 s grace window.*--no-wait/) }));
    expect(sleep).not.toHaveBeenCalled();
    expect(report.ok).toBe(true);
  });

  test('with refresh tokens given instead of the admin token (and a Bearer for almanac), every check passes', async () => {
    const tokens: Record<string, string> = {};
    let almanacAccessToken = '';
    for (const api of PUBLISHED_APIS) {
      const sub = api === 'pathstack' ? '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' : 'alice';
      const minted = await target.harness.tokens.mintSession({ api, sub, organizations: [] });
      tokens[api] = minted.refreshToken;
      if (api === 'almanac') almanacAccessToken = minted.accessToken;
    }
    const report = await runContract({ baseUrl: target.url, tokens, bearers: { almanac: almanacAccessToken }, clock: target.clock, seed: TEST_SEED, examples: 20 });

    expect(failing(report)).toEqual({ seed: TEST_SEED, failing: [] });

    expect(statuses(report)).toEqual(ALL_PASS);
    const printed = JSON.stringify(report);
    for (const token of [...Object.values(tokens), almanacAccessToken]) expect(printed).not.toContain(token);
  });

  test('without credentials, the checks that need them are skipped with the reason and the rest pass', async () => {
    const report = await runContract({ baseUrl: target.url, apis: ['pathstack', 'almanac'], examples: FEW_EXAMPLES });

    for (const api of report.apis) {
      for (const check of ['positive_data_acceptance', 'rotation'] as const) {
        expect(api.checks.find((c) => c.check === check)).toEqual(expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/--admin-token/) }));
      }
    }
    expect(report.apis.find((api) => api.api === 'almanac')?.checks.find((c) => c.check === 'ignored_auth')).toEqual(
      expect.objectContaining({ status: 'pass', cases: 2, note: expect.stringMatching(/forged-credential cases not run/) }),
    );
    expect(report.totals.fail).toBe(0);
    expect(report.ok).toBe(true);
  });

  test('a wrong admin token is an error that fails the run, and its value is never printed', async () => {
    const report = await runContract({ baseUrl: target.url, adminToken: 'not-the-admin-token', apis: ['galileo'], examples: FEW_EXAMPLES });

    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([expect.stringMatching(/^galileo: could not mint a galileo session: POST \/admin\/sessions answered 401/)]);
    expect(JSON.stringify(report)).not.toContain('not-the-admin-token');
  });
});

test('an unreachable target is refused before any check runs', async () => {
  const closed = await startRealTarget();
  await closed.close();
  await expect(runContract({ baseUrl: closed.url, apis: ['watchr'], timeoutMs: 2000 })).rejects.toThrow(
    new TargetUnreachableError(closed.url, `connect ECONNREFUSED ${new URL(closed.url).host}`),
  );
});

test('a server that stops answering during the run fails not_a_server_error and reports the error', async () => {
  const target = await startRealTarget();
  try {
    // The reachability probe gets through; every request of the checks then fails as a dropped connection would.
    const stopsAnswering: typeof fetch = (url, init) => (init?.method ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init));
    const report = await runContract({ baseUrl: target.url, apis: ['watchr'], timeoutMs: 2000, fetch: stopsAnswering });
    expect(report.ok).toBe(false);
    expect(report.apis[0].checks.find((c) => c.check === 'not_a_server_error')?.status).toBe('fail');
    expect(report.errors[0]).toMatch(/did not answer/);
  } finally {
    await target.close();
  }
});
