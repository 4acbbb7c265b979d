import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyOverlay, parseTarget } from '../../src/spec/overlay';
import { API_NAMES, DocumentLoadError, loadDocument } from '../../src/spec/documents';
import { compileApi } from '../../src/spec/registry';
import { API_DESCRIPTORS } from '../../src/apis';
import { readFileSync } from 'node:fs';

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
  it.each(API_NAMES)('%s: specs/ holds the seed YAML byte for byte', (name) => {
    const seeds = path.join(__dirname, '..', '..', '..', 'shared', 'seeds');
    const seedFile = require('node:fs').readdirSync(seeds).sort()[API_NAMES.indexOf(name)];
    const page = readFileSync(path.join(seeds, seedFile), 'utf8');
    const yaml = /^(`{3,4})yaml[^\n]*\n([\s\S]*?)^\1\s*$/m.exec(page)?.[2];
    expect(readFileSync(path.join(__dirname, '..', '..', 'specs', `${name}.yaml`), 'utf8')).toBe(yaml);
  });

  it.each(API_NAMES)('%s loads with its overlay, and every operation has an operationId', async (name) => {
    const api = await compileApi(API_DESCRIPTORS[name]);
    expect(api.operations.length).toBe(1);
    expect(api.operations[0].operationId).toMatch(/^[a-z0-9_]+$/);
  });

  it('stops with the file name and the reason when a document is broken', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
    writeFileSync(path.join(dir, 'broken.yaml'), 'openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n');
    expect(() => loadDocument('broken', dir, dir)).toThrow(DocumentLoadError);
    expect(() => loadDocument('broken', dir, dir)).toThrow(/broken\.yaml: not a valid OpenAPI 3\.1\.0 document/);
  });

  it('fails on a 3.0 document with meta-schema defects not declared as tolerated', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-spec-'));
    writeFileSync(path.join(dir, 'session.yaml'), readFileSync(path.join(__dirname, '..', '..', 'specs', 'session.yaml')));
    expect(() => loadDocument('session', dir, dir)).toThrow(/session\.yaml: not a valid OpenAPI 3\.0\.1 document/);
  });
});
