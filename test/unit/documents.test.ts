import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import yaml from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { applyOverlay, parseTarget } from '../../src/spec/overlay';
import request from 'supertest';
import { buildMockApp } from '../../src/app/mock-server';
import { documentDigest, DocumentLoadError, loadDocument, parseYaml, profilesOf, readValidatedDigests, readYaml, THIS_SERVER } from '../../src/spec/documents';
import { compileApi } from '../../src/spec/registry';
import { catalogueOf } from '../../src/spec/catalogue';
import { PUBLISHED_APIS } from '../support/apis';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

describe('overlay targets', () => {
  it('reads dotted and bracketed segments', () => {
    expect(parseTarget("$.paths['/a/b'].post.responses")).toEqual(['paths', '/a/b', 'post', 'responses']);
  });
  it('refuses JSONPath it does not support rather than ignoring it', () => {
    expect(() => parseTarget('$..responses')).toThrow(/outside the supported subset/);
    expect(() => parseTarget('paths')).toThrow(/must start with \$/);
  });
  it('merges objects, appends arrays, and fails on a missing target', () => {
    const doc: Record<string, any> = { a: { b: 1, list: [1] } };
    applyOverlay(doc, { overlay: '1.0.0', info: { title: 't', version: '1' }, actions: [{ target: '$.a', update: { c: 2, list: [2] } }] }, 'o');
    expect(doc).toEqual({ a: { b: 1, c: 2, list: [1, 2] } });
    expect(() =>
      applyOverlay(doc, { overlay: '1.0.0', info: { title: 't', version: '1' }, actions: [{ target: '$.nope', update: {} }] }, 'o'),
    ).toThrow(/does not exist/);
  });
});

describe('documents', () => {
  /** SHA-256 of the YAML inside each published seed page (shared/seeds/00N_*.txt), taken when it was imported. */
  const SEED_YAML_SHA256: Record<string, string> = {
    watchr: '0af554968f18a67ac6b9dde323b3ea189bf7b1613f3450cd5e71efb27107cde7',
    galileo: 'f4d5bf177032f4058abfc943178e5cb9c24cf74b412c8a8bf384c691fd351e06',
    pathstack: 'fd05217601d09dd5abc2f2de1df64b881bf9c845d9444486f4f951ac249ba7af',
    almanac: '56a762008e3d669b0f483bab961807c5e66c3b1b01cb8047748fc7a642da8f33',
    session: 'c0bf2d54a2546190200eaa06d5208369992f5fa0808c2db78ad9eb03e5c089c1',
  };
  it.each(PUBLISHED_APIS)('%s: specs/ holds the seed YAML byte for byte', (name) => {
    const bytes = readFileSync(path.join(__dirname, '..', '..', 'specs', `${name}.yaml`));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(SEED_YAML_SHA256[name]);
  });

  it.each(PUBLISHED_APIS)('%s loads with its overlay, and every operation has an operationId', async (name) => {
    const api = await compileApi(catalogueOf().get(name));
    expect(api.operations.length).toBe(1);
    expect(api.operations[0].operationId).toMatch(/^[a-z0-9_]+$/);
  });

  it('stops with the file name and the reason when a document is broken', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
    writeFileSync(path.join(dir, 'broken.yaml'), 'openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n');
    expect(() => loadDocument('broken', dir, dir)).toThrow(DocumentLoadError);
    expect(() => loadDocument('broken', dir, dir)).toThrow(/broken\.yaml: not a valid OpenAPI 3\.1\.0 document/);
  });

  it('validates again any document whose digest is not the one npm run generate recorded', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
    writeFileSync(path.join(dir, 'session.yaml'), readFileSync(path.join(__dirname, '..', '..', 'specs', 'session.yaml')));
    // Same document, but without its overlay (and so without its tolerated deviations): a different digest.
    expect(() => loadDocument('session', dir, dir, readValidatedDigests())).toThrow(/not a valid OpenAPI 3\.0\.1 document/);
  });

  it('takes the recorded digest of the document itself under a profile that has no overlay for it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
    // Not a valid document: only a recorded digest lets it load without the meta-schema check.
    writeFileSync(path.join(dir, 'broken.yaml'), 'openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n');
    const recorded = { broken: documentDigest({ openapi: '3.1.0', info: { title: 'x' }, paths: {} }, []) };
    expect(() => loadDocument('broken', dir, dir, recorded, ['insecure-cookies'])).not.toThrow();
    // A profile that does change the document is checked again.
    mkdirSync(path.join(dir, 'insecure-cookies'));
    writeFileSync(path.join(dir, 'insecure-cookies', 'broken.overlay.yaml'), "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: [{target: $.info, update: {summary: s}}]\n");
    expect(() => loadDocument('broken', dir, dir, recorded, ['insecure-cookies'])).toThrow(/not a valid OpenAPI 3\.1\.0 document/);
  });

  describe('YAML read at start-up', () => {
    const specsFiles = (): string[] => {
      const dir = path.join(__dirname, '..', '..', 'specs');
      const overlays = path.join(dir, 'overlays');
      return [
        ...readdirSync(dir).filter((name) => name.endsWith('.yaml')).map((name) => path.join(dir, name)),
        ...readdirSync(overlays).filter((name) => name.endsWith('.yaml')).map((name) => path.join(overlays, name)),
        ...profilesOf('watchr').map((profile) => path.join(overlays, profile, 'watchr.overlay.yaml')),
      ];
    };
    afterEach(() => jest.restoreAllMocks());

    it('every file of specs/ is read from the parse npm run generate recorded, without the yaml parser', () => {
      const parse = jest.spyOn(yaml, 'parseDocument');
      const files = specsFiles();
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) expect(readYaml(file)).toEqual(parseYaml(readFileSync(file, 'utf8'), file));
      // parseYaml above is the only caller: once per file.
      expect(parse).toHaveBeenCalledTimes(files.length);
      for (const name of [...PUBLISHED_APIS, 'admin']) loadDocument(name, undefined, undefined, readValidatedDigests(), profilesOf(name));
      expect(parse).toHaveBeenCalledTimes(files.length);
    });

    it('an edited file is parsed again', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
      const file = path.join(dir, 'session.yaml');
      writeFileSync(file, `${readFileSync(path.join(__dirname, '..', '..', 'specs', 'session.yaml'), 'utf8')}x-edited: true\n`);
      const parse = jest.spyOn(yaml, 'parseDocument');
      expect(readYaml(file)).toMatchObject({ openapi: '3.0.1', 'x-edited': true });
      expect(parse).toHaveBeenCalledTimes(1);
    });
  });

  it('records a digest for every served document', () => {
    const digests = readValidatedDigests();
    for (const name of [...PUBLISHED_APIS, 'admin']) expect(digests[name]).toBe(loadDocument(name).digest);
  });

  describe('a schema that does not compile stops start-up, naming the file', () => {
    const document = (operation: string) => `openapi: 3.1.0
info: {title: x, version: '1'}
paths:
  /refresh:
    post:
      operationId: refresh
${operation}`;
    const compile = (yaml: string) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
      writeFileSync(path.join(dir, 'broken.yaml'), yaml);
      return compileApi({ ...catalogueOf().get('watchr'), name: 'broken' }, dir, dir);
    };
    const ok = "      responses:\n        '200': {description: ok, content: {application/json: {schema: {type: object}}}}";

    it('in a request parameter', async () => {
      const parameter = "      parameters:\n        - {name: refresh_token, in: cookie, schema: {type: string, pattern: '('}}";
      await expect(compile(document(`${parameter}\n${ok}`))).rejects.toThrow(/broken\.yaml: POST \/refresh: Invalid regular expression/);
    });
    it('in a response body', async () => {
      await expect(compile(document(ok.replace('type: object', 'type: objet')))).rejects.toThrow(/broken\.yaml: POST \/refresh response 200 application\/json: schema does not compile/);
    });
    it('in a response header', async () => {
      const header = "      responses:\n        '200': {description: ok, headers: {Set-Cookie: {schema: {type: strng}}}}";
      await expect(compile(document(header))).rejects.toThrow(/broken\.yaml: POST \/refresh response 200 header Set-Cookie: schema does not compile/);
    });
  });

  it('fails on a 3.0 document with meta-schema defects not declared as tolerated', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
    writeFileSync(path.join(dir, 'session.yaml'), readFileSync(path.join(__dirname, '..', '..', 'specs', 'session.yaml')));
    expect(() => loadDocument('session', dir, dir)).toThrow(/session\.yaml: not a valid OpenAPI 3\.0\.1 document/);
  });
});

describe('the document served at /openapi/<api>.json', () => {
  const PUBLISHED: Record<string, string[]> = {
    watchr: [],
    galileo: ['https://api.staging.galileo.ai'],
    pathstack: ['https://api.pathstack.io'],
    almanac: ['https://almanac-backend-83vc.onrender.com'],
    session: [],
  };

  it.each(PUBLISHED_APIS)('%s lists this server first (a relative URL), then the hosts the document publishes', async (name) => {
    const { handler } = await buildMockApp({ apis: [name] });
    const res = await request(handler).get(`/openapi/${name}.json`).expect(200);
    expect(res.body.servers.map((server: { url: string }) => server.url)).toEqual(['/', ...PUBLISHED[name]]);
    expect(res.body.servers[0]).toEqual(THIS_SERVER);
    // Everything else is the document + overlay as loaded.
    expect({ ...res.body, servers: undefined }).toEqual({ ...loadDocument(name).document, servers: undefined });
  });
});
