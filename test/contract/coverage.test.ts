import { projectApi } from '../support/apis';
import { requestIsValid, validRequest } from '../../src/contract/cases';
import { coverageCases, unsupportedMethodCases } from '../../src/contract/coverage';
import { specFileApi } from '../../src/contract/documents';
import type { CompiledOperation } from '../../src/spec/registry';
import { SIXTH_SPEC } from './targets';

let sixth: CompiledOperation;
beforeAll(async () => {
  sixth = (await specFileApi(SIXTH_SPEC)).compiled.operations[0];
});

const listed = (operation: CompiledOperation, credentialAware = false) =>
  coverageCases(operation, validRequest(operation), { credentialAware }).map((c) => `${c.kind}: ${c.name}`);

test('every optional parameter absent and present, every required one missing (a header: missing_required_header)', () => {
  expect(listed(sixth)).toEqual(
    expect.arrayContaining([
      'missing-header: header "x-tenant": missing',
      'valid: query "lang": present',
      'valid: query "lang": absent',
      'valid: cookie "refresh_token": absent',
      'negative: body: missing',
      'negative: body.sub: missing',
      'negative: body.device: missing',
    ]),
  );
});

test('boundary values at every depth: at the bound valid, one step beyond invalid', () => {
  expect(listed(sixth)).toEqual(
    expect.arrayContaining([
      'valid: header "x-tenant": minimum 1 ("1")',
      'valid: header "x-tenant": maximum 9999 ("9999")',
      'negative: header "x-tenant": beyond minimum 1 ("0")',
      'negative: header "x-tenant": beyond maximum 9999 ("10000")',
      'valid: query "lang": enum ("fr")',
      'valid: cookie "refresh_token": maxLength 200 (200 characters)',
      'negative: cookie "refresh_token": beyond maxLength 200 (201 characters)',
      'valid: body: every optional property present',
      'valid: body.device.name: maxLength 20 (20 characters)',
      'negative: body.device.name: beyond minLength 1 ("")',
      'valid: body.device.kind: enum ("tv")',
      'valid: body.device.tags: maxItems 3 (3 items)',
      'negative: body.device.tags: beyond maxItems 3 (4 items)',
      'negative: body.device.tags[0]: beyond maxLength 8 ("aaaaaaaaa")',
      'valid: body.device.screen.width: maximum 8192 (8192)',
      'negative: body.device.screen.width: beyond maximum 8192 (8193)',
      'valid: body.device.screen.scale: exclusiveMinimum 0 (0.000001)',
      'negative: body.device.screen.scale: beyond exclusiveMinimum 0 (0)',
    ]),
  );
});

test('each declared media type, and one that is not declared', () => {
  expect(listed(sixth)).toEqual(expect.arrayContaining(['valid: body: declared media type application/json', 'negative: body: not application/json']));
});

test("every case is what the operation's own validators say it is", () => {
  const cases = coverageCases(sixth, validRequest(sixth), { credentialAware: false });
  for (const c of cases) {
    if (c.kind === 'auth' || c.name.startsWith('body: declared media type')) continue;
    expect({ name: c.name, valid: requestIsValid(sixth, c.request) }).toEqual({ name: c.name, valid: c.kind === 'valid' });
  }
});

test('with real credentials, leaving out the optional refresh token is the scenario\'s auth case, not a coverage case', async () => {
  const watchr = (await projectApi('watchr')).compiled.operations[0];
  expect(listed(watchr, false)).toEqual(['valid: cookie "refresh_token": absent']);
  expect(listed(watchr, true)).toEqual([]);
});

test('the methods a path does not declare, bare, each expecting 405 and an Allow naming the declared ones', () => {
  expect(unsupportedMethodCases('/refresh', ['POST']).map((c) => [c.name, c.kind, c.request.method, c.request.body, c.allowedMethods])).toEqual([
    ['GET (the path declares POST)', 'unsupported-method', 'GET', { kind: 'none' }, ['POST']],
    ['PUT (the path declares POST)', 'unsupported-method', 'PUT', { kind: 'none' }, ['POST']],
    ['DELETE (the path declares POST)', 'unsupported-method', 'DELETE', { kind: 'none' }, ['POST']],
    ['PATCH (the path declares POST)', 'unsupported-method', 'PATCH', { kind: 'none' }, ['POST']],
  ]);
});
