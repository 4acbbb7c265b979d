import { projectApi } from '../support/apis';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fastapiDialect } from '../../src/dialects/fastapi';
import {
  credentialSlots,
  forgedCredentialCases,
  forgeToken,
  missingCredentialCases,
  negativeCases,
  requestIsValid,
  structuredValue,
  validRequest,
  withCredentials,
} from '../../src/contract/cases';
import { requestBody, requestHeaders } from '../../src/contract/wire';
import { compileApi, type CompiledOperation } from '../../src/spec/registry';

/** A sixth document, unknown to refreshd: its cases must come from the document alone. */
const SIXTH = `
openapi: 3.1.0
info: { title: sixth, version: 1.0.0 }
security:
  - bearer: []
paths:
  /v2/tokens/refresh:
    post:
      operationId: sixth_refresh
      parameters:
        - { name: x-tenant, in: header, required: true, schema: { type: integer } }
        - { name: refresh_token, in: cookie, required: false, schema: { type: string } }
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [sub, device]
              properties:
                sub: { type: string, format: uuid }
                device: { type: string, minLength: 1 }
                contact: { type: string, format: email }
                anything: {}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { type: object, required: [access_token], properties: { access_token: { type: string } } }
        '422':
          description: invalid
          content:
            application/json:
              schema: { type: object }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
`;

let operation: CompiledOperation;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'refreshd-sixth-'));
  writeFileSync(path.join(dir, 'sixth.yaml'), SIXTH);
  const api = await compileApi({ name: 'sixth', dialect: fastapiDialect, formats: 'pydantic' }, dir, path.join(dir, 'overlays'));
  operation = api.operations[0];
});

test('the credential slots are read from the document: the refresh_token cookie, bearer security, the sub property', () => {
  expect(credentialSlots(operation)).toEqual({
    refreshToken: { in: 'cookie', name: 'refresh_token', required: false },
    security: [{ name: 'bearer', type: 'http', scheme: 'bearer' }],
    bearer: true,
    subject: { in: 'body', name: 'sub' },
  });
});

test('the valid request carries the credentials where the document puts them and passes its validators', () => {
  const request = validRequest(operation, { refreshToken: 'r.e.f', accessToken: 'a.c.c', sub: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' });

  expect(request).toEqual({
    method: 'POST',
    path: '/v2/tokens/refresh',
    query: {},
    headers: { 'x-tenant': expect.stringMatching(/^\d+$/), authorization: 'Bearer a.c.c' },
    cookies: { refresh_token: 'r.e.f' },
    body: { kind: 'json', value: { sub: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b', device: expect.any(String) } },
  });
  expect(requestIsValid(operation, request)).toBe(true);
});

test('one negative case per constraint the document states, each rejected by its validators', () => {
  const base = validRequest(operation);
  const cases = negativeCases(operation, base);

  expect(cases.map((c) => c.name)).toEqual([
    'header "x-tenant": missing',
    'header "x-tenant": wrong type',
    'body: missing',
    'body: malformed JSON',
    'body: not application/json',
    'body: not an object',
    'body.sub: missing',
    'body.device: missing',
    'body.sub: wrong type (123)',
    'body.sub: invalid uuid',
    'body.device: wrong type (123)',
    'body.contact: wrong type (123)',
    'body.contact: invalid email',
    'body: extra property (additionalProperties: false)',
  ]);
  for (const c of cases) expect({ name: c.name, valid: requestIsValid(operation, c.request) }).toEqual({ name: c.name, valid: false });
  // Each keeps the rest of the valid request, the made-up Bearer included.
  for (const c of cases) expect(c.request.headers.authorization).toBe('Bearer refreshd-contract-placeholder-bearer');
});

test('bearer security gives the missing and non-Bearer Authorization cases', () => {
  expect(missingCredentialCases(operation, validRequest(operation)).map((c) => [c.name, c.request.headers.authorization, c.securityFault?.name])).toEqual([
    ['Authorization: missing', undefined, 'bearer'],
    ['Authorization: not Bearer', expect.stringMatching(/^Basic /), 'bearer'],
  ]);
});

test('with real credentials: the refresh token forged, omitted where optional, and the Bearer forged', () => {
  const cases = forgedCredentialCases(operation, { refreshToken: 'h.p.sig', accessToken: 'h.p.Asig', sub: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' });

  expect(cases.map((c) => [c.name, c.request.cookies.refresh_token, c.request.headers.authorization])).toEqual([
    ['refresh token forged (cookie "refresh_token")', 'h.p.Aig', 'Bearer h.p.Asig'],
    ['refresh token omitted (cookie "refresh_token" is optional in the document)', undefined, 'Bearer h.p.Asig'],
    ['Bearer forged', 'h.p.sig', 'Bearer h.p.Bsig'],
  ]);
});

test('a forged JWT differs in its signature bits; an opaque token is extended', () => {
  expect(forgeToken('aaa.bbb.Qxyz')).toBe('aaa.bbb.Axyz');
  expect(forgeToken('opaque')).toBe('opaqueforged');
});

describe('requestIsValid reads a request as the pipeline does', () => {
  test("the overlay's supported versions: a well-formed date that names another version is invalid", async () => {
    const pathstack = (await projectApi('pathstack')).compiled.operations[0];
    const request = validRequest(pathstack);
    const withVersion = (version: string) => ({ ...request, headers: { ...request.headers, 'x-api-version': version } });

    expect(requestIsValid(pathstack, withVersion('2024-03-27'))).toBe(true);
    expect(requestIsValid(pathstack, withVersion('2024-01-01'))).toBe(false);
    expect(requestIsValid(pathstack, withVersion('not-a-date'))).toBe(false);
  });

  test('a JSON null body is no body to FastAPI (missing where required), and a value to a strict JSON server', async () => {
    const { specFileApi } = await import('../../src/contract/documents');
    const { SIXTH_SPEC } = await import('./targets');
    const almanac = (await projectApi('almanac')).compiled.operations[0];
    const session = (await projectApi('session')).compiled.operations[0];
    const sixth = (await specFileApi(SIXTH_SPEC)).compiled.operations[0];
    const nullBody = (op: CompiledOperation) => ({ ...validRequest(op), body: { kind: 'json' as const, value: null } });

    // almanac requires its body; session's is optional, but the envelope dialect reads null as a value.
    expect(requestIsValid(almanac, nullBody(almanac))).toBe(false);
    expect(requestIsValid(session, nullBody(session))).toBe(false);
    expect(requestIsValid(session, { ...validRequest(session), body: { kind: 'none' } })).toBe(true);
    expect(requestIsValid(sixth, nullBody(sixth))).toBe(false);
  });

  test('credentials go only where the request has their slot: an optional cookie left out stays out', () => {
    const request = withCredentials(operation, { ...validRequest(operation), cookies: {} }, { refreshToken: 'r', accessToken: 'a', sub: 'x' });
    expect(request.cookies).toEqual({});
    expect(request.headers.authorization).toBe('Bearer a');
  });
});

describe("an api's x-refreshd declaration, a form body and an apiKey scheme (the widgets fixture)", () => {
  const SUB = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';
  let widgets: CompiledOperation;
  beforeAll(async () => {
    const { catalogueOf } = await import('../../src/spec/catalogue');
    const { knownApi } = await import('../../src/contract/documents');
    const catalogue = catalogueOf(path.join(__dirname, '..', 'fixtures', 'sixth-api'));
    widgets = (await knownApi(catalogue.get('widgets'))).compiled.operations[0];
  });

  test('the slots come from the declaration: the token in the form, the subject in the path, the tokens back in the body', () => {
    expect(credentialSlots(widgets)).toEqual({
      refreshToken: { in: 'body', name: 'refresh_token', required: true, bodyRequired: true },
      security: [{ name: 'widgetKey', type: 'apiKey', in: 'header', parameterName: 'X-Widget-Key' }],
      bearer: false,
      subject: { in: 'path', name: 'user_id' },
      reply: { cookie: undefined, refreshToken: ['refresh_token'], accessToken: ['access_token'] },
    });
  });

  test('the valid request is a form, with the subject in the path and the API key in its header, and passes the validators', () => {
    const request = validRequest(widgets, { refreshToken: 'r.e.f', sub: SUB, schemes: { widgetKey: 'the-key' } });

    expect(request).toMatchObject({
      pathParameters: { tenant: expect.any(String), user_id: SUB },
      headers: { 'x-widget-key': 'the-key' },
      body: { kind: 'form', value: { grant_type: 'refresh_token', refresh_token: 'r.e.f' } },
    });
    expect(requestHeaders(request)['content-type']).toBe('application/x-www-form-urlencoded');
    expect(requestBody(request)).toBe('grant_type=refresh_token&refresh_token=r.e.f');
    expect(requestIsValid(widgets, request)).toBe(true);
    // Made-up credentials: a placeholder key, the document's sample subject.
    expect(validRequest(widgets).headers['x-widget-key']).toBe('refreshd-contract-placeholder-api-key');
  });

  test('the negative cases break the form, and JSON is the wrong media type; each is refused by the validators', () => {
    const cases = negativeCases(widgets, validRequest(widgets));

    expect(cases.map((c) => c.name)).toEqual([
      'body: missing',
      'body: not a form (application/json)',
      'body.grant_type: missing',
      'body.refresh_token: missing',
      // A form field is text: 123 arrives as "123", which only the enum refuses.
      'body.grant_type: wrong type (123)',
      'body: extra property (additionalProperties: false)',
    ]);
    expect(cases[1].request.body).toEqual({ kind: 'raw', contentType: 'application/json', text: expect.stringMatching(/^\{"grant_type":"refresh_token"/) });
    for (const c of cases) expect({ name: c.name, valid: requestIsValid(widgets, c.request) }).toEqual({ name: c.name, valid: false });
  });

  test('the apiKey scheme: its header missing (coverage), and the key forged next to real credentials (scenario)', () => {
    const credentials = { refreshToken: 'h.p.sig', sub: SUB, schemes: { widgetKey: 'the-key' } };
    const missing = missingCredentialCases(widgets, validRequest(widgets, credentials));
    expect(missing.map((c) => [c.name, c.request.headers['x-widget-key'], c.securityFault?.name])).toEqual([['header "X-Widget-Key": missing', undefined, 'widgetKey']]);

    const forged = forgedCredentialCases(widgets, credentials);
    expect(forged.map((c) => [c.name, c.request.headers['x-widget-key'], structuredValue(c.request.body)])).toEqual([
      ['refresh token forged (body.refresh_token)', 'the-key', { grant_type: 'refresh_token', refresh_token: 'h.p.Aig' }],
      ['API key forged (header "X-Widget-Key")', 'the-keyforged', { grant_type: 'refresh_token', refresh_token: 'h.p.sig' }],
    ]);
  });
});
