import { PUBLISHED_APIS } from '../support/apis';
import { runContract, type ContractReport } from '../../src/contract/runner';
import { startMockTarget, TEST_SEED } from './targets';

const NEED_REAL_TOKENS = ['positive_data_acceptance', 'rotation'];

describe('the contract run against refreshd mock', () => {
  let report: ContractReport;
  let violations: unknown[];
  beforeAll(async () => {
    const target = await startMockTarget();
    violations = target.violations;
    try {
      report = await runContract({ baseUrl: target.url, seed: TEST_SEED });
    } finally {
      await target.close();
    }
  });

  test('no check fails with 100 generated requests of each kind per operation, and every mock response passed response validation', () => {
    const failing = report.apis.flatMap((api) => api.checks.filter((c) => c.status === 'fail').map((c) => ({ api: api.api, check: c.check, first: c.failures[0] })));
    expect({ seed: report.seed, failing }).toEqual({ seed: TEST_SEED, failing: [] });
    for (const api of report.apis) expect(api.coverage[0].requests.generative).toBe(api.api === 'watchr' ? 100 : 200);
    expect(report.ok).toBe(true);
    expect(violations).toEqual([]);
  });

  test.each(PUBLISHED_APIS)('%s: every check that needs no real token passes; the rest are skipped, never passed', (name) => {
    const api = report.apis.find((a) => a.api === name)!;
    const status = (check: string) => api.checks.find((c) => c.check === check)?.status;
    for (const check of ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'response_headers_conformance', 'unsupported_method']) {
      expect({ check, status: status(check) }).toEqual({ check, status: 'pass' });
    }
    for (const check of [...NEED_REAL_TOKENS, 'missing_required_header']) expect({ check, status: status(check) }).toEqual({ check, status: 'skipped' });
    // watchr's document states no constraint a request can break.
    expect(status('negative_data_rejection')).toBe(name === 'watchr' ? 'skipped' : 'pass');
    // Only almanac declares security: its missing/non-Bearer cases need no real token.
    expect(status('ignored_auth')).toBe(name === 'almanac' ? 'pass' : 'skipped');
  });
});

test('the same seed sends the same requests, byte for byte; another seed others', async () => {
  const target = await startMockTarget();
  const sent = async (seed: number) => {
    const requests: string[] = [];
    const recording: typeof fetch = (url, init) => {
      if (init?.method) requests.push(`${init.method} ${String(url)} ${JSON.stringify(init.headers)} ${init.body ?? ''}`);
      return fetch(url, init);
    };
    await runContract({ baseUrl: target.url, apis: ['pathstack', 'almanac'], seed, examples: 20, fetch: recording });
    return requests;
  };
  try {
    const first = await sent(TEST_SEED);
    expect(first.length).toBeGreaterThan(80);
    expect(await sent(TEST_SEED)).toEqual(first);
    expect(await sent(TEST_SEED + 1)).not.toEqual(first);
  } finally {
    await target.close();
  }
});
