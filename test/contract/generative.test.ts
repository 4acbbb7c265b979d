import { projectApi, PUBLISHED_APIS } from '../support/apis';
import path from 'node:path';
import fc from 'fast-check';
import { catalogueOf } from '../../src/spec/catalogue';
import { requestIsValid, withCredentials, type CaseRequest } from '../../src/contract/cases';
import type { CheckName, Exchange } from '../../src/contract/checks';
import { knownApi, specFileApi, type CheckedApi } from '../../src/contract/documents';
import { explore, invalidRequestArbitrary, validRequestArbitrary, type InvalidRequest } from '../../src/contract/generative';
import { applyEdit } from '../../src/contract/mutations';
import { requestBody, requestHeaders, requestUrl } from '../../src/contract/wire';
import { SIXTH_SPEC, startMockTarget, startSixthTarget, type Listening } from './targets';

/** Fixed, so the test draws the same requests every run. */
const SEED = 424242;

let apis: CheckedApi[];
beforeAll(async () => {
  apis = [...(await Promise.all(PUBLISHED_APIS.map((name) => projectApi(name)))), await specFileApi(SIXTH_SPEC), await widgetsApi()];
});

/** The sixth api of the fixture folder: a path template, a form body, an apiKey header. */
const WIDGETS_DIR = path.join(__dirname, '..', 'fixtures', 'sixth-api');
const widgetsApi = (): Promise<CheckedApi> => knownApi(catalogueOf(WIDGETS_DIR).get('widgets'));

const operationsOf = () => apis.flatMap((api) => api.compiled.operations.map((operation) => ({ api, operation })));
const invalidRequest = (operation: CheckedApi['compiled']['operations'][number], { shape, mutation }: InvalidRequest) =>
  applyEdit(withCredentials(operation, shape), mutation.edit);

describe('the generated requests of every operation (the five apis, the sixth document, the widgets form api)', () => {
  test('valid draws are all accepted by the validators the server runs, invalid draws all refused', () => {
    for (const { api, operation } of operationsOf()) {
      const context = { formats: api.formats };
      const valid = fc.sample(validRequestArbitrary(operation, context), { numRuns: 300, seed: SEED });
      const refused = valid.filter((shape) => !requestIsValid(operation, withCredentials(operation, shape)));
      expect({ api: api.name, refused }).toEqual({ api: api.name, refused: [] });

      const arbitrary = invalidRequestArbitrary(operation, context);
      // watchr states nothing a request can break (an optional string cookie).
      expect({ api: api.name, invalid: Boolean(arbitrary) }).toEqual({ api: api.name, invalid: api.name !== 'watchr' });
      if (!arbitrary) continue;
      // A form body's draws go on the wire as forms.
      if (api.name === 'widgets') expect(new Set(valid.map((shape) => requestHeaders(shape)['content-type']))).toEqual(new Set(['application/x-www-form-urlencoded']));
      const accepted = fc.sample(arbitrary, { numRuns: 300, seed: SEED }).filter((draw) => requestIsValid(operation, invalidRequest(operation, draw)));
      expect({ api: api.name, accepted }).toEqual({ api: api.name, accepted: [] });
    }
  });

  test('a path parameter is drawn, and broken, as one segment that reaches the route: never empty, a dot segment or with a slash', () => {
    const widgets = apis.find((api) => api.name === 'widgets')!;
    const operation = widgets.compiled.operations[0];
    const context = { formats: widgets.formats };
    const invalid = fc.sample(invalidRequestArbitrary(operation, context)!, { numRuns: 2000, seed: SEED }).map((draw) => invalidRequest(operation, draw));
    const valid = fc.sample(validRequestArbitrary(operation, context), { numRuns: 500, seed: SEED });
    const segments = [...invalid, ...valid].flatMap((request) => Object.values(request.pathParameters ?? {}));

    expect(segments.filter((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('/'))).toEqual([]);
    // The tenant's pattern is still broken, by segments that reach the route.
    expect(invalid.filter((request) => !/^[a-z][a-z0-9-]{0,31}$/.test(request.pathParameters!.tenant)).length).toBeGreaterThan(0);
  });

  test('invalid draws break each constraint of the sixth document at every depth of its body', () => {
    const sixth = apis.find((api) => api.name === 'sixth.yaml')!;
    const operation = sixth.compiled.operations[0];
    const draws = fc.sample(invalidRequestArbitrary(operation, { formats: sixth.formats })!, { numRuns: 3000, seed: SEED });
    const broken = new Set(draws.map(({ mutation }) => mutation.constraint.replace(/\[\d+\]/g, '[]').replace(/ \(.*\)$/, '')));

    expect([...broken].sort()).toEqual(
      expect.arrayContaining([
        'body.contact: format email',
        'body.contact: type',
        'body.device.kind: enum',
        'body.device.name: maxLength 20',
        'body.device.name: minLength 1',
        'body.device.name: pattern ^[a-z][a-z0-9-]*$',
        'body.device.name: required',
        'body.device.screen.scale: exclusiveMinimum 0',
        'body.device.screen.scale: maximum 4',
        'body.device.screen.width: maximum 8192',
        'body.device.screen.width: minimum 1',
        'body.device.screen.width: type',
        'body.device.tags: maxItems 3',
        'body.device.tags: uniqueItems',
        'body.device.tags[]: maxLength 8',
        'body.device.tags[]: minLength 1',
        'body.device: additionalProperties false',
        'body.remember: type',
        'body.sub: format uuid',
        'body: JSON',
        'body: additionalProperties false',
        'body: media type',
        'body: required',
        'body: type',
        'cookie "refresh_token": maxLength 200',
        'header "x-tenant": maximum 9999',
        'header "x-tenant": minimum 1',
        'header "x-tenant": type',
        'query "lang": enum',
      ]),
    );
  });

  test('the same seed draws the same requests; another seed others', () => {
    const sixth = apis.find((api) => api.name === 'sixth.yaml')!;
    const arbitrary = validRequestArbitrary(sixth.compiled.operations[0], { formats: sixth.formats });
    const draw = (seed: number) => fc.sample(arbitrary, { numRuns: 50, seed });

    expect(draw(SEED)).toEqual(draw(SEED));
    expect(draw(SEED)).not.toEqual(draw(SEED + 1));
  });
});

/** Sends each draw to `target` as the contract run would, and returns the statuses. */
async function statuses(target: Listening, requests: CaseRequest[]): Promise<number[]> {
  const answered: number[] = [];
  for (const request of requests) {
    const response = await fetch(requestUrl(target.url, request), { method: request.method, headers: requestHeaders(request), body: requestBody(request) });
    await response.arrayBuffer();
    answered.push(response.status);
  }
  return answered;
}

describe("on the wire, refreshd's own pipeline agrees with the generator", () => {
  let mock: Listening;
  let widgetsMock: Listening;
  let sixth: Listening;
  beforeAll(async () => {
    mock = await startMockTarget();
    widgetsMock = await startMockTarget(WIDGETS_DIR);
    sixth = await startSixthTarget();
  });
  afterAll(async () => {
    await mock.close();
    await widgetsMock.close();
    await sixth.close();
  });

  test('the mock (validation, then a sample) answers every valid draw 2xx and every invalid draw 4xx', async () => {
    for (const { api, operation } of operationsOf()) {
      const target = api.name === 'widgets' ? widgetsMock : api.known ? mock : sixth;
      const context = { formats: api.formats };
      const valid = fc.sample(validRequestArbitrary(operation, context), { numRuns: 40, seed: SEED }).map((shape) => withCredentials(operation, shape));
      expect({ api: api.name, statuses: (await statuses(target, valid)).filter((status) => status >= 300) }).toEqual({ api: api.name, statuses: [] });
      const arbitrary = invalidRequestArbitrary(operation, context);
      if (!arbitrary) continue;
      const invalid = fc.sample(arbitrary, { numRuns: 40, seed: SEED }).map((draw) => invalidRequest(operation, draw));
      const answered = await statuses(target, invalid);
      expect({ api: api.name, statuses: answered.filter((status) => status < 400 || status >= 500) }).toEqual({ api: api.name, statuses: [] });
    }
  });
});

test('a draw that cannot even be sent fails the phase instead of passing it silently', async () => {
  const broken = async (): Promise<Exchange> => {
    throw new Error('the runner itself failed');
  };
  await expect(explore(fc.integer(), { numRuns: 10, seed: SEED }, broken, () => [])).rejects.toThrow('the runner itself failed');
});

describe('shrinking', () => {
  /** An exchange for `request` that no real server produced: the failing checks are decided by the test. */
  const exchangeOf = (request: CaseRequest, operation: CheckedApi['compiled']['operations'][number]): Exchange => ({
    operation,
    case: { name: 'generated valid request', kind: 'valid', phase: 'generative', request },
    response: { status: 200, headers: {}, setCookies: [], text: '{}' },
    durationMs: 0,
  });
  const body = (exchange: Exchange): any => (exchange.case.request.body as { value: any }).value;

  test('each failure is shrunk to the smallest request that still fails its own check, then the search goes on', async () => {
    const sixth = apis.find((api) => api.name === 'sixth.yaml')!;
    const operation = sixth.compiled.operations[0];
    // Two faults: a tag of 3+ characters breaks one check, `remember: true` another.
    const failing = (exchange: Exchange): CheckName[] => {
      const value = body(exchange);
      const checks: CheckName[] = [];
      if (value?.device?.tags?.some((tag: string) => tag.length >= 3)) checks.push('response_schema_conformance');
      if (value?.remember === true) checks.push('response_headers_conformance');
      return checks;
    };
    const exploration = await explore(
      validRequestArbitrary(operation, { formats: sixth.formats }),
      { numRuns: 200, seed: SEED },
      async (request) => exchangeOf(request, operation),
      failing,
    );

    const shrunk = exploration.judged.filter((exchange) => exchange.shrunk);
    expect(shrunk.map((exchange) => exchange.shrunk!.check).sort()).toEqual(['response_headers_conformance', 'response_schema_conformance']);
    const tags = shrunk.find((exchange) => exchange.shrunk!.check === 'response_schema_conformance')!;
    expect(body(tags)).toEqual({ sub: expect.any(String), device: { name: expect.any(String), kind: expect.any(String), tags: [expect.stringMatching(/^.{3}$/u)] } });
    expect(failing(tags)).toEqual(['response_schema_conformance']);
    const remember = shrunk.find((exchange) => exchange.shrunk!.check === 'response_headers_conformance')!;
    expect(body(remember)).toEqual({ sub: expect.any(String), device: { name: expect.any(String), kind: expect.any(String) }, remember: true });
    // Every draw was sent; shrinking sent more, counted apart.
    expect(exploration.draws).toBe(200);
    expect(exploration.shrinkRequests).toBeGreaterThan(0);
    expect(exploration.judged.length).toBe(200 - 2 + 2);
  });
});
