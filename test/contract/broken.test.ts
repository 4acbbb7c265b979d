import { formatConsoleReport, toJUnitXml } from '../../src/contract/report';
import { runContract, type ContractReport } from '../../src/contract/runner';
import path from 'node:path';
import { FAULTS, startBrokenServer, WIDGETS_API_KEY } from './broken-servers';
import { ADMIN_TOKEN, SIXTH_SPEC, startRealTarget, startSixthTarget, type Listening, type RealTarget } from './targets';

const WIDGETS_DIR = path.join(__dirname, '..', 'fixtures', 'sixth-api');

/** Fixed in tests, so a run is the same run every time; `refreshd contract` draws one when not given. */
const SEED = 20260714;
/** Enough generated requests for every fault the generative phase must find; fewer than the default, for time. */
const EXAMPLES = 50;

let upstream: RealTarget;
let widgets: RealTarget;
let sixth: Listening;
beforeAll(async () => {
  upstream = await startRealTarget({ graceWindowSeconds: 10 });
  widgets = await startRealTarget({ graceWindowSeconds: 10, specsDir: WIDGETS_DIR, apiKeys: [WIDGETS_API_KEY] });
  sixth = await startSixthTarget();
});
afterAll(async () => {
  await upstream.close();
  await widgets.close();
  await sixth.close();
});

const failing = (report: ContractReport) =>
  report.apis.flatMap((api) => api.checks.filter((check) => check.status === 'fail').map((check) => `${api.api}.${check.check}`));

describe.each(FAULTS)('a server with $name', (fault) => {
  let report: ContractReport;
  beforeAll(async () => {
    const real = fault.widgets ? widgets : upstream;
    const broken = await startBrokenServer(fault.sixth ? sixth.url : real.url, fault);
    try {
      const target = fault.sixth
        ? { specs: [SIXTH_SPEC] }
        : fault.widgets
          ? { adminToken: ADMIN_TOKEN, specsDir: WIDGETS_DIR, apiKeys: { widgets: WIDGETS_API_KEY } }
          : { adminToken: ADMIN_TOKEN };
      report = await runContract({ baseUrl: broken.url, ...target, clock: real.clock, examples: EXAMPLES, seed: SEED });
    } finally {
      await broken.close();
    }
  });

  test(`fails ${fault.api} on ${fault.check}, and nothing else`, () => {
    expect(failing(report)).toEqual([`${fault.api}.${fault.check}`]);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(false);
  });

  test(`reports a minimal reproduction${fault.generated ? ', shrunk from a generated request,' : ''} with a curl line`, () => {
    const check = report.apis.find((api) => api.api === fault.api)!.checks.find((c) => c.check === fault.check)!;
    const [first] = check.failures;
    expect({ request: first.request, reproduces: fault.reproduction(first.request) }).toEqual({ request: first.request, reproduces: true });
    expect(first.curl).toMatch(new RegExp(`^curl -i -X ${first.request.method} '${first.request.url.replace(/[?]/g, '\\?')}'`));
    if (fault.generated) {
      expect(first).toEqual(expect.objectContaining({ phase: 'generative', shrunk: { steps: expect.any(Number), originalCase: expect.any(String) } }));
    }
  });

  test('prints the failing cases without a token value', () => {
    for (const text of [formatConsoleReport(report), toJUnitXml(report), JSON.stringify(report)]) {
      expect(text).not.toMatch(/eyJ[\w-]*\.[\w-]+\./);
      expect(text).not.toContain(ADMIN_TOKEN);
      expect(text).not.toContain(WIDGETS_API_KEY);
    }
    expect(formatConsoleReport(report)).toContain(`${fault.api} · ${fault.check}`);
  });
});
