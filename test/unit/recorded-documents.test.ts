import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { adminApi } from '../../src/app/real-server';
import { catalogueOf } from '../../src/spec/catalogue';
import { readValidatedDigests } from '../../src/spec/documents';
import { checkedDigest, compileApi } from '../../src/spec/registry';

/**
 * A document whose checks `npm run generate` recorded is compiled as it is used (issue 15's cold
 * start); any other is checked and compiled in full at start-up, so a bad schema stops it.
 */
describe('validators of a document npm run generate recorded', () => {
  let compiles: jest.SpyInstance;
  let metaSchemaChecks: jest.SpyInstance;
  beforeEach(() => {
    compiles = jest.spyOn(Ajv.prototype, 'compile');
    metaSchemaChecks = jest.spyOn(Ajv.prototype, 'validateSchema');
  });
  afterEach(() => jest.restoreAllMocks());

  // Read before the spies: the catalogue compiles a validator of its own.
  const catalogue = catalogueOf();
  const session = () => catalogue.get('session');
  const refreshBodies = [{ refresh_token: 'a.b.c' }, {}, { refresh_token: 7 }, []];

  it('are compiled when their operation is first used, without checking any schema against the JSON Schema meta-schema', async () => {
    const api = await compileApi(session(), undefined, undefined, readValidatedDigests());
    expect(api.loaded.recorded).toBe(true);
    expect(compiles).not.toHaveBeenCalled();

    const [operation] = api.operations;
    expect(operation.bodyValidator?.({ refresh_token: 'a.b.c' })).toBe(true);
    const compiled = compiles.mock.calls.length;
    expect(compiled).toBeGreaterThan(0);
    // Every validator of the operation came with the first: reading the others compiles nothing more.
    expect(operation.responses.get('200')?.bodies.get('application/json')).toEqual(expect.any(Function));
    expect(operation.body?.media[0].validate).toBe(operation.bodyValidator);
    expect(operation.parametersValidator({})).toBe(true);
    expect(compiles).toHaveBeenCalledTimes(compiled);
    expect(metaSchemaChecks).not.toHaveBeenCalled();
  });

  it('give the verdicts of validators compiled and checked at start-up', async () => {
    const lazy = (await compileApi(session(), undefined, undefined, readValidatedDigests())).operations[0];
    const checked = (await compileApi(session(), undefined, undefined, {})).operations[0];
    for (const body of refreshBodies) {
      expect(lazy.bodyValidator?.(body)).toBe(checked.bodyValidator?.(body));
      expect(lazy.bodyValidator?.errors).toEqual(checked.bodyValidator?.errors);
    }
    const reply = { data: { access_token: 'a', access_expires: 1, refresh_token: 'r', refresh_expires: 2 } };
    const replyOf = (operation: typeof lazy) => operation.responses.get('200')?.bodies.get('application/json');
    expect(replyOf(lazy)?.(reply)).toBe(replyOf(checked)?.(reply));
    expect(replyOf(lazy)?.({ data: {} })).toBe(false);
    expect(replyOf(checked)?.({ data: {} })).toBe(false);
  });

  it('a document without a record (or with a stale one) is checked and compiled in full before it serves', async () => {
    const api = await compileApi(session(), undefined, undefined, {});
    expect(api.loaded.recorded).toBe(false);
    expect(compiles).toHaveBeenCalled();
    expect(metaSchemaChecks).toHaveBeenCalled();
  });

  it('a recorded document amended at start-up (the admin api lists the served apis) is compiled in full', async () => {
    const admin = adminApi(catalogue);
    const api = await compileApi(admin, undefined, undefined, readValidatedDigests());
    expect(api.loaded.recorded).toBe(true);
    expect(compiles).toHaveBeenCalled();
    expect(metaSchemaChecks).toHaveBeenCalled();
  });
});

describe('what npm run generate records (checkedDigest)', () => {
  it('is the digest of a document that passed every check', async () => {
    expect(await checkedDigest(catalogueOf().get('session'))).toBe(readValidatedDigests().session);
  });

  it('is refused for a valid OpenAPI document with a schema that breaks the JSON Schema meta-schema', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-record-'));
    // OpenAPI 3.1's meta-schema takes any object as a schema; Ajv's JSON Schema check does not.
    const document = readFileSync(path.join(__dirname, '..', '..', 'specs', 'watchr.yaml'), 'utf8');
    writeFileSync(
      path.join(dir, 'watchr.yaml'),
      document.replace(/^paths:\n/m, "paths:\n  /broken:\n    get:\n      operationId: broken\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {type: objet}}}}\n"),
    );
    const descriptor = { ...catalogueOf().get('watchr'), specsDir: dir, overlaysDir: dir };
    await expect(checkedDigest(descriptor)).rejects.toThrow(/GET \/broken response 200 application\/json: schema does not compile/);
  });
});
