import { formatConsoleReport, toJUnitXml } from '../../src/contract/report';
import { runContract, type ContractReport } from '../../src/contract/runner';
import { FAULTS, startBrokenServer } from './broken-servers';
import { ADMIN_TOKEN, startRealTarget, type RealTarget } from './targets';

let upstream: RealTarget;
beforeAll(async () => {
  upstream = await startRealTarget({ graceWindowSeconds: 10 });
});
afterAll(async () => {
  await upstream.close();
});

const failing = (report: ContractReport) =>
  report.apis.flatMap((api) => api.checks.filter((check) => check.status === 'fail').map((check) => `${api.api}.${check.check}`));

describe.each(FAULTS)('a server with $name', (fault) => {
  let report: ContractReport;
  beforeAll(async () => {
    const broken = await startBrokenServer(upstream.url, fault);
    try {
      report = await runContract({ baseUrl: broken.url, adminToken: ADMIN_TOKEN, clock: upstream.clock });
    } finally {
      await broken.close();
    }
  });

  test(`fails ${fault.api} on ${fault.check}`, () => {
    expect(failing(report)).toContain(`${fault.api}.${fault.check}`);
    const check = report.apis.find((api) => api.api === fault.api)?.checks.find((c) => c.check === fault.check);
    expect(check?.failures.length).toBeGreaterThan(0);
    expect(check?.failures[0]).toEqual(
      expect.objectContaining({ message: expect.any(String), request: expect.objectContaining({ method: 'POST' }), response: expect.any(Object) }),
    );
    expect(report.ok).toBe(false);
  });

  test('fails no other api', () => {
    expect(failing(report).filter((name) => !name.startsWith(`${fault.api}.`))).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  test('prints the failing cases without a token value', () => {
    for (const text of [formatConsoleReport(report), toJUnitXml(report), JSON.stringify(report)]) {
      expect(text).not.toMatch(/eyJ[\w-]*\.[\w-]+\./);
      expect(text).not.toContain(ADMIN_TOKEN);
    }
    expect(formatConsoleReport(report)).toContain(`${fault.api} · ${fault.check}`);
  });
});
